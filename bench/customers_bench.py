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
import sys
import time
from urllib.parse import quote

from _common import (
    OUT,
    ROOT,
    SESSION,
    bench_env,
    frontline,
    load_average,
    measure_endpoints,
    serving,
    shell,
    tool,
)

USERNAME = "bench-agent"
HTMX = {"HX-Request": "true"}
QUERIES = ["harr", "maria", "gmbh", "555", "lopez ana", "example.com", "shop-1", "müller", "kim", "jose"]
#: The staff user the benchmark signs in as (an agent, created on first run), then its session.
SIGN_IN = (
    "from django.contrib.auth import get_user_model\n"
    "get_user_model().objects.get_or_create(username=%(username)r, defaults={'role': 'agent'})\n"
    + SESSION
    + "print(cookie)\n"
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

    env = bench_env(f"bench-{args.scale}.sqlite3")

    frontline(env, "migrate", "--no-input")
    count = "from frontline.customers.models import Customer; print(Customer.objects.count())"
    if int(shell(env, count)) == 0:
        started = time.perf_counter()
        frontline(env, "seed", "--scale", args.scale)
        print(f"seeded scale {args.scale} in {time.perf_counter() - started:.1f} s")
    customers = int(shell(env, count))
    paths = [
        ("customer list (page 1)", "/customers/", {}),
        ("customer list (page 20)", "/customers/?offset=475", {}),
        *[(f"search '{q}'", f"/customers/?q={quote(q)}", {}) for q in QUERIES[:4]],
        ("quick search 'harr'", "/search/?q=harr", HTMX),  # the header box asks with HTMX
        ("API list", "/api/v1/customers/?limit=50", {}),
    ]
    cookie = shell(env, SIGN_IN % {"username": USERNAME})
    if args.profile:
        sys.path.insert(0, str(ROOT / "bench"))
        import inprocess

        print(inprocess.profile(env, paths, repeat=args.repeat, username=USERNAME, cwd=OUT))
        return 0
    with serving(env, args.workers) as (server_pid, base):
        print(
            f"customers: {customers:,}  database: {env['DATABASE_URL'].split(':')[0]}  "
            f"web processes: {args.workers}  connections: {args.connections}  {args.seconds}s each  "
            f"load average before: {load_average()}  tool: {tool()}"
        )
        measure_endpoints(
            base, server_pid, cookie, paths, seconds=args.seconds, connections=args.connections, width=28
        )
        print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
