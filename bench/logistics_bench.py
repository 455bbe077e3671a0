"""Benchmark: Live Stock Levels search and the Order Status Tracker lookup at 100,000 products,
over real HTTP on 127.0.0.1.

    .venv/bin/python bench/logistics_bench.py                    # 100k products, SQLite file
    createdb -h 127.0.0.1 -U postgres frontline_bench_catalog   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontline_bench_catalog REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/logistics_bench.py --seconds 6   # PostgreSQL + Redis

It migrates the database and, when it is empty, seeds it with the demo seeder cut to what these
pages need: ``frontline seed --scale l --customers 12003 --cases 0`` (the staff users, 12k
customers, the seeds' own cases only, then the full logistics part of scale l: 100,000 products
with stock and inbound restocks, about 21,000 orders, 2,000 shipments with tracking events). A
database that already holds the scale's products is used as it is; one with other data and
fewer products is refused (point ``DATABASE_URL`` at a new one). Seeding scale l takes many
minutes (the catalogue through its services, then the shipments through the tracking engine).
On PostgreSQL the seeded database is then vacuumed (``VACUUM (ANALYZE)``), as autovacuum would
leave it: until then the full-text index's pending list, some 20,000 fresh entries, is read on
every search and costs 8-30 ms a query.

Then it signs in the demo agent ``sara`` by creating a session in the configured session store,
counts the SQL queries of each endpoint in-process (Django test client), starts ``frontline
serve --no-worker`` on a free loopback port with ``--workers`` processes, measures each endpoint
with ``wrk`` when installed (else ``bench/http_load.py``) after a warm-up, and stops the server
by its PID. The stock search is measured by SKU prefix, by name words, by a real EAN and with no
query; the tracker by order number, by customer e-mail and by tracking number (with the shipment
search the tracker page loads for it). Nothing leaves the machine; every run is bounded in time
(``--seconds`` per endpoint, ``--max-seconds`` overall). ``--profile`` instead profiles each
endpoint in-process (queries with their time, CPU ms, top functions).

The "cpu ms" column is the CPU time the web processes spent per request (from /proc): compare
that on a busy machine, req/s only at quiet moments (the load average is printed before and
after).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
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
NAME_QUERY = "aurion headphones"
#: Customers to seed per scale: those the orders seeder gives orders (``MAX_CUSTOMERS_WITH_ORDERS``,
#: 10,000 at scale l), a fifth more without orders, and the three seed-000 buyers.
CUSTOMER_SHARE = 1.2
SLOW_RPS = 200
MANY_QUERIES = 20

STATE = """
import json
from django.contrib.auth import get_user_model
from frontline.catalog.demo import SCALES
from frontline.catalog.models import Product
from frontline.customers.models import Customer
from frontline.orders.demo import MAX_CUSTOMERS_WITH_ORDERS
scale = %(scale)r
print(json.dumps({"products": Product.objects.count(), "wanted": SCALES[scale],
                  "customers": int(MAX_CUSTOMERS_WITH_ORDERS[scale] * %(share)r) + 3,
                  "empty": not Customer.objects.exists() and not get_user_model().objects.exists()}))
"""

SETUP = (
    SESSION
    + """
import json
from frontline.catalog.models import Product
from frontline.orders.models import Order
from frontline.shipping.models import Shipment
products = Product.objects.order_by("pk")
n = products.count()
orders = Order.objects.exclude(number__startswith="SP-").exclude(email="").order_by("pk")
shipments = Shipment.objects.exclude(tracking_number="").order_by("pk")
print(json.dumps({
    "cookie": cookie, "engine": engine, "products": n, "orders": Order.objects.count(),
    "shipments": Shipment.objects.count(),
    "sku_prefix": products[n // 2].sku[:8],
    "barcode": products.exclude(barcode="")[n // 3].barcode,
    "order_number": orders[orders.count() // 2].number,
    "email": orders[orders.count() // 3].email,
    "tracking": shipments[shipments.count() // 2].tracking_number,
}))
"""
)


def targets(info: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    return {
        "stock": [
            ("stock: no query", "/stock/"),
            (f"stock: SKU prefix {info['sku_prefix']}", f"/stock/?q={quote(info['sku_prefix'])}"),
            (f"stock: name '{NAME_QUERY}'", f"/stock/?q={quote(NAME_QUERY)}"),
            (f"stock: barcode {info['barcode']}", f"/stock/?q={quote(info['barcode'])}"),
        ],
        "orders": [
            (f"orders: number {info['order_number']}", f"/orders/?q={quote(info['order_number'])}"),
            ("orders: customer email", f"/orders/?q={quote(info['email'])}"),
            ("orders: tracking number", f"/orders/?q={quote(info['tracking'])}"),
            # The tracker page loads the shipment search for what was typed (tracking numbers
            # live in the shipping app): the second request of a lookup by tracking number.
            ("shipments: tracking number", f"/shipping/?q={quote(info['tracking'])}"),
        ],
        # What the server stack alone serves (no session, no template): the ceiling for the rest.
        "ceiling": [("ceiling: /healthz", "/healthz")],
    }


def seed(env: dict[str, str], scale: str) -> None:
    """Seed an empty database with what the pages need, through ``frontline seed``; refuse a
    database that holds other data but fewer products than the scale's."""
    state = json.loads(shell(env, STATE % {"scale": scale, "share": CUSTOMER_SHARE}))
    if state["products"] >= state["wanted"]:
        return
    if not state["empty"]:
        sys.exit(
            f"logistics_bench: the database holds {state['products']:,} products (scale {scale} needs "
            f"{state['wanted']:,}) and other data; the seeder only fills an empty database: point "
            "DATABASE_URL at a new one."
        )
    args = ["--scale", scale, "--customers", str(state["customers"]), "--cases", "0"]
    print(f"seeding: frontline seed {' '.join(args)} --no-progress -v 2")
    started = time.perf_counter()
    out = frontline(env, "seed", *args, "--no-progress", "-v", "2")
    print(f"seeded in {time.perf_counter() - started:.1f} s")
    print("\n".join(line for line in out.strip().splitlines() if line.startswith(("Phases", "Seeded"))))
    if env["DATABASE_URL"].startswith("postgres"):
        started = time.perf_counter()
        shell(
            env,
            'from django.db import connection\nconnection.cursor().execute("VACUUM (ANALYZE)")\nprint("done")',
        )
        print(f"vacuumed in {time.perf_counter() - started:.1f} s")


def query_counts(report: str) -> dict[str, int]:
    """label -> SQL queries per request, from the lines of ``inprocess.profile``."""
    pattern = re.compile(r"^== (.*)  \S+  status \d+  queries (\d+)  cpu [\d.]+ ms/request$")
    return {m.group(1): int(m.group(2)) for m in map(pattern.match, report.splitlines()) if m}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["demo", "s", "m", "l"], default="l", help="catalogue scale")
    parser.add_argument("--seconds", type=int, default=6, help="per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--only", default="stock,orders", help="groups: stock,orders,ceiling")
    parser.add_argument("--profile", action="store_true", help="profile in-process instead of load testing")
    parser.add_argument("--repeat", type=int, default=20, help="requests per endpoint when profiling")
    parser.add_argument("--max-seconds", type=int, default=1800, help="stop the whole run after this long")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows in logs
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"logistics_bench: stopped after {args.max_seconds} s"))
    signal.alarm(args.max_seconds)

    env = bench_env(f"logistics-bench-{args.scale}.sqlite3")

    frontline(env, "migrate", "--no-input")
    seed(env, args.scale)
    info = json.loads(shell(env, SETUP % {"username": USERNAME}))
    groups = targets(info)
    chosen = [(label, path) for group in args.only.split(",") for label, path in groups[group.strip()]]
    database = env["DATABASE_URL"].split(":")[0]
    print(
        f"products: {info['products']:,}  orders: {info['orders']:,}  shipments: {info['shipments']:,}  "
        f"database: {database}  cache: {'redis' if env.get('REDIS_URL') else 'local memory'}  "
        f"sessions: {info['engine']}  user: {USERNAME}"
    )
    print(f"customer email: {info['email']}  tracking number: {info['tracking']}")

    sys.path.insert(0, str(ROOT / "bench"))
    import inprocess

    report = inprocess.profile(
        env,
        chosen,
        repeat=args.repeat if args.profile else 3,
        username=USERNAME,
        cwd=OUT,
        details=args.profile,
    )
    if args.profile:
        print(report)
        return 0
    queries = query_counts(report)

    with serving(env, args.workers) as (server_pid, base):
        print(
            f"web processes: {args.workers}  connections: {args.connections}  {args.seconds}s each  "
            f"load average before: {load_average()}  tool: {tool()}"
        )
        results = measure_endpoints(
            base,
            server_pid,
            info["cookie"],
            chosen,
            seconds=args.seconds,
            connections=args.connections,
            width=34,
            queries=queries,
        )
        print(f"load average after: {load_average()}")
    slow = [
        r["endpoint"] for r in results if float(r["rps"]) < SLOW_RPS or (r.get("queries") or 0) > MANY_QUERIES
    ]
    if slow:
        print(
            f"under {SLOW_RPS} req/s or over {MANY_QUERIES} queries: {', '.join(slow)} "
            "(look closer with --profile)"
        )
    write_json(args.json, scale=args.scale, database=database, results=results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
