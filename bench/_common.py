"""What the HTTP benchmarks share (``cases_bench.py``, ``customers_bench.py``,
``logistics_bench.py``): their environment (loopback databases only), the ``frontline`` command,
a session for a demo user, the server started and stopped by its PID, the table of req/s, latency
and web CPU ms per request, and its JSON file.

Loopback only: the server binds 127.0.0.1 on a free port, the load comes from ``wrk`` when
installed (else ``bench/http_load.py``), and every run is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FRONTLINE = [str(ROOT / ".venv" / "bin" / "frontline")]
WARM_UP_SECONDS = 8
LOOPBACK = {"127.0.0.1", "localhost", "::1", None}

#: ``frontline shell`` code that signs ``%(username)r`` in through the configured session store
#: (``cached_db`` with Redis) and leaves ``user``, ``cookie`` and ``engine`` defined.
SESSION = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.middleware.csrf import _get_new_csrf_string
from django.utils.module_loading import import_string
user = get_user_model().objects.get(username=%(username)r)
store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "frontline.accounts.backends.RoleBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
cookie = f"sessionid={store.session_key}; {settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
engine = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
"""


def bench_env(database_file: str) -> dict[str, str]:
    """The environment a benchmark runs ``frontline`` with: ``DATABASE_URL`` as given (else a
    SQLite file named ``database_file`` under bench/out), plain HTTP, quiet logs, a cache prefix
    of its own. Exits when the database or Redis is not on this machine (loopback only)."""
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{OUT / database_file}")
    env.update({"HTTPS": "false", "LOG_LEVEL": "WARNING", "DEBUG": "false"})
    env.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    env.setdefault("CACHE_PREFIX", f"bench-{os.getpid()}")
    for name in ("DATABASE_URL", "REDIS_URL"):
        url = env.get(name, "")
        if url and not url.startswith("sqlite") and urlsplit(url).hostname not in LOOPBACK:
            sys.exit(f"bench: {name} must point at 127.0.0.1 (loopback only)")
    return env


def write_json(path: str | None, *, scale: str, database: str, results: list[dict[str, Any]]) -> None:
    """``--json FILE``: the results table with what it was measured on."""
    if path:
        Path(path).write_text(
            json.dumps({"scale": scale, "database": database, "results": results}, indent=2)
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def frontline(env: dict[str, str], *args: str, timeout: int = 3600) -> str:
    result = subprocess.run(
        FRONTLINE + list(args), env=env, cwd=OUT, capture_output=True, text=True, check=True, timeout=timeout
    )
    return result.stdout


def shell(env: dict[str, str], code: str) -> str:
    return frontline(env, "shell", "-c", code).strip().splitlines()[-1]


def parse_wrk(out: str) -> dict[str, float | str]:
    def duration(text: str | None) -> float:
        if not text:
            return float("nan")
        number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": duration(p50.group(1) if p50 else None),
        "p99": duration(p99.group(1) if p99 else None),
        "non2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(1) if errors else "",
    }


def measure(
    url: str, cookie: str, seconds: int, connections: int, extra_headers: dict[str, str] | None = None
) -> dict[str, float | str]:
    headers = {"Cookie": cookie, **(extra_headers or {})}
    if shutil.which("wrk"):
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
        return parse_wrk(out)
    sys.path.insert(0, str(ROOT / "bench"))
    import http_load

    result = http_load.run(url, [url], seconds=seconds, concurrency=connections, headers=headers)
    return {
        "rps": result.rps,
        "p50": result.percentile(50),
        "p99": result.percentile(99),
        "non2xx": result.errors,
        "errors": "",
    }


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants, from /proc: what
    the web processes spent, whatever else the machine was doing."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def tool() -> str:
    return "wrk" if shutil.which("wrk") else "http_load.py"


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[tuple[int, str]]:
    """``frontline serve --no-worker`` on a free loopback port, ready: yields (PID, base URL).
    Stops that process (by its PID, SIGTERM, then SIGKILL after 20 s) on the way out."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*FRONTLINE, "serve", "--no-worker", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=OUT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # The first process to answer is not the last to be ready: let every one finish starting.
        time.sleep(WARM_UP_SECONDS)
        yield server.pid, base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def measure_endpoints(
    base: str,
    server_pid: int,
    cookie: str,
    endpoints: list[tuple[str, str]] | list[tuple[str, str, dict[str, str]]],
    *,
    seconds: int,
    connections: int,
    width: int = 30,
    queries: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Load each endpoint (label, path[, extra request headers]) for ``seconds`` after a
    one-second warm-up and print one row per endpoint: req/s, p50/p99 latency, web CPU ms per
    request (from /proc) and, when ``queries`` is given (label -> SQL queries per request), the
    query count."""
    extra = f" {'queries':>8}" if queries is not None else ""
    print(f"{'endpoint':<{width}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8}{extra}  non-2xx")
    results: list[dict[str, Any]] = []
    for label, path, *more in endpoints:
        headers: dict[str, str] = more[0] if more else {}
        request = urllib.request.Request(base + path, headers={"Cookie": cookie, **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            print(f"{label:<{width}} skipped: HTTP {status} for {path}")
            continue
        measure(base + path, cookie, 1, connections, headers)  # warm caches and connections
        cpu_before = tree_cpu_seconds(server_pid)
        result: dict[str, Any] = dict(measure(base + path, cookie, seconds, connections, headers))
        served = float(result["rps"]) * seconds
        result["cpu_ms"] = (tree_cpu_seconds(server_pid) - cpu_before) * 1000 / served if served else 0.0
        if queries is not None:
            result["queries"] = queries.get(label)
            count = result["queries"]
            extra = f" {'?' if count is None else count:>8}"
        results.append({"endpoint": label, "path": path, **result})
        print(
            f"{label:<{width}} {result['rps']:>8.1f} {result['p50']:>8.1f} {result['p99']:>8.1f} "
            f"{result['cpu_ms']:>8.2f}{extra}  "
            f"{result['non2xx']}{'  ' + str(result['errors']) if result['errors'] else ''}",
            flush=True,
        )
    return results
