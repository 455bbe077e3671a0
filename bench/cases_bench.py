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
    write_json,
)

USERNAME = "sara"
SEARCHES = ["where is my order", "refund", "müller", "T-12377", "passwort"]


SETUP = (
    SESSION
    + """
import json
from frontline.cases.models import Case
active = Case.objects.filter(status_category__in=["new", "open", "pending_customer", "on_hold"])
case = active.filter(team__memberships__user=user, message_count__gte=5).order_by("-pk").first() or active.first()
print(json.dumps({"cookie": cookie, "case": case.reference, "cases": Case.objects.count(),
                  "active": active.count(), "engine": engine}))
"""
)


def targets(case: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "queue": [
            ("queue: my cases", "/cases/"),
            ("queue: my team's", "/cases/?tab=team"),
            ("queue: all open, urgent", "/cases/?tab=open&priority=urgent"),
            ("queue: breaching soon", "/cases/?tab=breaching"),
            ("queue: all open, page 5", "/cases/?tab=open&offset=200"),
        ],
        "search": [(f"search '{q}'", f"/cases/search/?q={quote(q)}") for q in SEARCHES[:3]],
        "case": [("case page", f"/cases/{case}/"), ("case history tab", f"/cases/{case}/history/")],
        "api": [
            ("API list", "/api/v1/cases/?limit=50"),
            ("API list, open urgent", "/api/v1/cases/?status=active&priority=urgent&limit=50"),
        ],
        "customers": [("customer list", "/customers/")],
        # What the server stack alone serves (no session, no template): the ceiling for the rest.
        "ceiling": [("ceiling: /healthz", "/healthz")],
    }


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

    env = bench_env(f"cases-bench-{args.scale}.sqlite3")
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

    with serving(env, args.workers) as (server_pid, base):
        print(
            f"web processes: {args.workers}  connections: {args.connections}  {args.seconds}s each  "
            f"load average before: {load_average()}  tool: {tool()}"
        )
        results = measure_endpoints(
            base, server_pid, info["cookie"], chosen, seconds=args.seconds, connections=args.connections
        )
        print(f"load average after: {load_average()}")
    write_json(args.json, scale=args.scale, database=database, results=results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
