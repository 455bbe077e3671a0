"""Benchmark: the case queue, case search, the case page and the cases API, over real HTTP on 127.0.0.1.

    .venv/bin/python bench/cases_bench.py --scale s              # 20k cases, SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontline_bench_m REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/cases_bench.py --scale m          # 100k cases, PostgreSQL + Redis

It migrates and seeds a dedicated database when it holds no cases (``frontline seed --scale``),
signs in the demo agent ``sara`` (Customer Service and Shipments) by creating a session in the
configured session store, starts ``frontline serve --no-worker`` on a free loopback port with
``--workers`` processes, measures each endpoint with ``wrk`` when installed (else
``bench/http_load.py``), and stops the server by its PID. Nothing leaves the machine; every run
is bounded in time (``--seconds`` per endpoint). ``--only queue,search`` picks groups of
endpoints; ``--profile`` instead profiles each endpoint in-process (queries, CPU ms, top functions).

Requests per second depend on what else runs on the machine: the script prints the load average
before and after; compare those at quiet moments only. The "cpu ms" column is the CPU time the web
processes spent per request served (from /proc), which other load disturbs far less: use it to
compare changes on a busy machine. ``--no-page-cache`` measures every page rendered afresh.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FRONTLINE = [str(ROOT / ".venv" / "bin" / "frontline")]
USERNAME = "sara"
SEARCHES = ["where is my order", "refund", "müller", "T-12377", "passwort"]


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


SETUP = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.module_loading import import_string
from frontline.cases.models import Case
user = get_user_model().objects.get(username=%(username)r)
store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "frontline.accounts.backends.RoleBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
from django.middleware.csrf import _get_new_csrf_string
active = Case.objects.filter(status_category__in=["new", "open", "pending_customer", "on_hold"])
case = active.filter(team__memberships__user=user, message_count__gte=5).order_by("-pk").first() or active.first()
print(json.dumps({"cookie": f"sessionid={store.session_key}; {settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}",
                  "case": case.reference, "cases": Case.objects.count(),
                  "active": active.count(), "engine": settings.SESSION_ENGINE.rsplit(".", 1)[-1]}))
"""


def targets(case: str) -> dict[str, list[tuple[str, str]]]:
    quote = urllib.request.quote
    return {
        "queue": [
            ("queue: my cases", "/cases/"),
            ("queue: my team's", "/cases/?tab=team"),
            ("queue: all open, urgent", "/cases/?tab=open&priority=urgent"),
            ("queue: breaching soon", "/cases/?tab=breaching"),
            ("queue: all open, page 5", "/cases/?tab=open&offset=200"),
        ],
        "search": [(f"search '{q}'", f"/cases/search/?q={quote(q)}") for q in SEARCHES[:3]],
        "case": [("case page", f"/cases/{case}/")],
        "api": [
            ("API list", "/api/v1/cases/?limit=50"),
            ("API list, open urgent", "/api/v1/cases/?status=active&priority=urgent&limit=50"),
        ],
        "customers": [("customer list", "/customers/")],
        # What the server stack alone serves (no session, no template): the ceiling for the rest.
        "ceiling": [("ceiling: /healthz", "/healthz")],
    }


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


def measure(url: str, cookie: str, seconds: int, connections: int) -> dict[str, float | str]:
    headers = {"Cookie": cookie}
    if shutil.which("wrk"):
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-H",
                f"Cookie: {cookie}",
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


WARM_UP_SECONDS = 8


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["demo", "s", "m", "l"], default="s")
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument(
        "--only", default="queue,search,case,api", help="groups: queue,search,case,api,customers,ceiling"
    )
    parser.add_argument("--profile", action="store_true", help="profile in-process instead of load testing")
    parser.add_argument("--repeat", type=int, default=20, help="requests per endpoint when profiling")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="serve every queue and search request afresh (QUEUE_PAGE_CACHE_SECONDS=0)",
    )
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{OUT / f'cases-bench-{args.scale}.sqlite3'}")
    env.update({"HTTPS": "false", "LOG_LEVEL": "WARNING", "DEBUG": "false"})
    env.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    env.setdefault("CACHE_PREFIX", f"bench-{os.getpid()}")
    if args.no_page_cache:
        env["QUEUE_PAGE_CACHE_SECONDS"] = "0"

    frontline(env, "migrate", "--no-input")
    count = shell(env, "from frontline.cases.models import Case; print(Case.objects.count())")
    if int(count) == 0:
        started = time.perf_counter()
        frontline(env, "seed", "--scale", args.scale, "--no-progress")
        print(f"seeded scale {args.scale} in {time.perf_counter() - started:.1f} s")
    info = json.loads(shell(env, SETUP % {"username": USERNAME}))
    groups = targets(info["case"])
    chosen = [(label, path) for group in args.only.split(",") for label, path in groups[group.strip()]]
    database = env["DATABASE_URL"].split(":")[0]
    print(
        f"cases: {info['cases']:,} ({info['active']:,} active)  database: {database}  "
        f"cache: {'redis' if env.get('REDIS_URL') else 'local memory'}  sessions: {info['engine']}  "
        f"user: {USERNAME}"
    )
    if args.profile:
        sys.path.insert(0, str(ROOT / "bench"))
        import inprocess

        print(inprocess.profile(env, chosen, repeat=args.repeat, username=USERNAME, cwd=OUT))
        return 0

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*FRONTLINE, "serve", "--no-worker", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        cwd=OUT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # The first process to answer is not the last to be ready: let every one finish starting.
        time.sleep(WARM_UP_SECONDS)
        print(
            f"web processes: {args.workers}  connections: {args.connections}  {args.seconds}s each  "
            f"load average before: {load_average()}  tool: {'wrk' if shutil.which('wrk') else 'http_load.py'}"
        )
        print(f"{'endpoint':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8}  non-2xx")
        for label, path in chosen:
            request = urllib.request.Request(base + path, headers={"Cookie": info["cookie"]})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != 200:
                print(f"{label:<30} skipped: HTTP {status} for {path}")
                continue
            measure(base + path, info["cookie"], 1, args.connections)  # warm caches and connections
            cpu_before = tree_cpu_seconds(server.pid)
            result = measure(base + path, info["cookie"], args.seconds, args.connections)
            served = float(result["rps"]) * args.seconds
            result["cpu_ms"] = (tree_cpu_seconds(server.pid) - cpu_before) * 1000 / served if served else 0.0
            results.append({"endpoint": label, "path": path, **result})
            print(
                f"{label:<30} {result['rps']:>8.1f} {result['p50']:>8.1f} {result['p99']:>8.1f} "
                f"{result['cpu_ms']:>8.2f}  "
                f"{result['non2xx']}{'  ' + str(result['errors']) if result['errors'] else ''}",
                flush=True,
            )
        print(f"load average after: {load_average()}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    if args.json:
        Path(args.json).write_text(
            json.dumps({"scale": args.scale, "database": database, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
