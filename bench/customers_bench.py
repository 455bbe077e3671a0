"""Benchmark: the customer list, search and quick search at scale, over real HTTP on 127.0.0.1.

    .venv/bin/python bench/customers_bench.py --scale s        # 20k customers (SQLite file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontline_bench \\
        .venv/bin/python bench/customers_bench.py --scale m    # 100k customers on PostgreSQL

It migrates and seeds a dedicated database (skipped when it already holds the data), signs in a
staff user by creating a session row, starts ``frontline serve --no-worker`` on a free loopback
port, measures each endpoint with ``wrk`` when installed (else the Python load generator), and
stops the server by PID. Nothing leaves the machine; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _common import serving

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FRONTLINE = [str(ROOT / ".venv" / "bin" / "frontline")]
HTMX = {"HX-Request": "true"}
QUERIES = ["harr", "maria", "gmbh", "555", "lopez ana", "example.com", "shop-1", "müller", "kim", "jose"]


def frontline(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        FRONTLINE + list(args), env=env, cwd=OUT, capture_output=True, text=True, check=True
    )
    return result.stdout


def session_cookie(env: dict[str, str]) -> str:
    code = (
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
        "from django.utils.module_loading import import_string\n"
        "User = get_user_model()\n"
        "u, _ = User.objects.get_or_create(username='bench-agent', defaults={'role': 'agent'})\n"
        "s = import_string(settings.SESSION_ENGINE + '.SessionStore')()  # the configured store (cached_db with Redis)\n"
        "s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'frontline.accounts.backends.RoleBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create()\n"
        "print(s.session_key)\n"
    )
    return frontline(env, "shell", "-c", code).strip().splitlines()[-1]


def wrk(url: str, cookie: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> str:
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Cookie: sessionid={cookie}",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (
        f"{float(rps.group(1)) if rps else 0:8.1f} req/s  p50 {p50.group(1) if p50 else '?':>8}  "
        f"p99 {p99.group(1) if p99 else '?':>8}  non-2xx {non2xx.group(1) if non2xx else 0}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["demo", "s", "m", "l"], default="s")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--profile", action="store_true", help="profile in-process instead of load testing")
    parser.add_argument("--repeat", type=int, default=50, help="requests per endpoint when profiling")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{OUT / f'bench-{args.scale}.sqlite3'}")
    env.update({"HTTPS": "false", "LOG_LEVEL": "WARNING", "DEBUG": "false"})
    env.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    env.setdefault("CACHE_PREFIX", f"bench-{os.getpid()}")

    frontline(env, "migrate", "--no-input")
    count = frontline(
        env, "shell", "-c", "from frontline.customers.models import Customer; print(Customer.objects.count())"
    )
    if int(count.strip().splitlines()[-1]) == 0:
        started = time.perf_counter()
        frontline(env, "seed", "--scale", args.scale)
        print(f"seeded scale {args.scale} in {time.perf_counter() - started:.1f} s")
    customers = frontline(
        env, "shell", "-c", "from frontline.customers.models import Customer; print(Customer.objects.count())"
    )
    if args.profile:
        sys.path.insert(0, str(ROOT / "bench"))
        import inprocess

        frontline(
            env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.get_or_create(username='bench-agent', defaults={'role': 'agent'})",
        )
        paths = [
            ("customer list (page 1)", "/customers/"),
            ("customer list (page 20)", "/customers/?offset=475"),
            *[(f"search '{q}'", f"/customers/?q={urllib.request.quote(q)}") for q in QUERIES[:4]],
            ("quick search 'harr'", "/search/?q=harr", HTMX),
            ("API list", "/api/v1/customers/?limit=50"),
        ]
        print(inprocess.profile(env, paths, repeat=args.repeat, username="bench-agent", cwd=OUT))
        return 0
    cookie = session_cookie(env)
    with serving(env, args.workers) as (_server_pid, base):
        targets: list[tuple[str, str, dict[str, str]]] = [
            ("customer list (page 1)", "/customers/", {}),
            ("customer list (page 20)", "/customers/?offset=475", {}),
        ]
        targets += [(f"search '{q}'", f"/customers/?q={urllib.request.quote(q)}", {}) for q in QUERIES[:4]]
        targets += [
            ("quick search 'harr'", "/search/?q=harr", HTMX),  # the header box asks with HTMX
            ("API list", "/api/v1/customers/?limit=50", {}),
        ]
        print(
            f"customers: {customers.strip().splitlines()[-1]}  database: {env['DATABASE_URL'].split(':')[0]}  "
            f"web processes: {args.workers}  connections: {args.connections}  {args.seconds}s each"
        )
        use_wrk = shutil.which("wrk") is not None
        for label, path, extra in targets:
            urllib.request.urlopen(
                urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}", **extra})
            )
            if use_wrk:
                line = wrk(base + path, cookie, args.seconds, args.connections, extra)
            else:
                sys.path.insert(0, str(ROOT / "bench"))
                import http_load

                line = http_load.run(
                    label,
                    [base + path],
                    seconds=args.seconds,
                    concurrency=args.connections,
                    headers={"Cookie": f"sessionid={cookie}", **extra},
                ).line()
            print(f"{label:<28} {line}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
