"""Benchmark: one full exception sweep (rules R4-R7) over N actively tracked shipments.

    .venv/bin/python bench/shipping_bench.py                      # 100k shipments, SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_shipbench \\
        .venv/bin/python bench/shipping_bench.py --shipments 100000

It migrates the database given by ``DATABASE_URL`` (default: ``bench/out/shipbench.sqlite3``),
seeds N active shipments with ``bulk_create`` when it holds fewer (about 6 % of them due an
exception: stalled, past due, not picked up, no information), then times

1. the first sweep, which opens those exceptions, and
2. a second sweep at the same moment, the steady state of every later tick (nothing new),

and prints shipments per second for both. Nothing leaves the machine (the database is the
only connection); ``--max-seconds`` bounds the run. ``--reset`` deletes the benchmark's
shipments first.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PREFIX = "BENCH"


def setup_django() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{OUT / 'shipbench.sqlite3'}")
    url = os.environ["DATABASE_URL"]
    host = url.split("@", 1)[-1].split("/", 1)[0].split(":", 1)[0] if "@" in url else "127.0.0.1"
    if url.startswith("postgres") and host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("shipping_bench: loopback databases only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    os.environ.setdefault("KARRIO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def seed(n: int, *, rng: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from frontline.shipping import services
    from frontline.shipping.choices import ShipmentStatus
    from frontline.shipping.models import Carrier, Shipment

    carriers = []
    for code, name in (("ups", "UPS"), ("dhl_express", "DHL Express"), ("dpd", "DPD"), ("fedex", "FedEx")):
        carrier = Carrier.objects.filter(code=code).first() or services.carrier_create(
            by=None, code=code, name=name
        )
        carriers.append(carrier)
    have = Shipment.objects.filter(tracking_number__startswith=PREFIX, tracking_active=True).count()
    if have >= n:
        print(f"seed: {have:,} active benchmark shipments present")
        return
    now = timezone.now()
    today = now.date()
    started = time.perf_counter()
    batch: list[Shipment] = []
    old: list[str] = []
    for i in range(have, n):
        carrier = carriers[i % len(carriers)]
        roll = rng.random()
        number = f"{PREFIX}{i:09d}"
        fields = {
            "carrier": carrier,
            "tracking_number": number,
            "status": ShipmentStatus.IN_TRANSIT,
            "label_created_at": now - timedelta(days=2),
            "shipped_at": now - timedelta(days=1, hours=20),
            "last_event_at": now - timedelta(hours=rng.randint(1, 40)),
            "current_edd": today + timedelta(days=rng.randint(0, 4)),
            "promised_date": today + timedelta(days=rng.randint(1, 5)),
            "next_poll_at": now + timedelta(minutes=rng.randint(1, 120)),
        }
        fields["original_edd"] = fields["current_edd"]
        if roll < 0.02:  # stalled
            fields["last_event_at"] = now - timedelta(hours=rng.randint(80, 200))
        elif roll < 0.04:  # past due
            fields["current_edd"] = today - timedelta(days=rng.randint(2, 6))
            fields["original_edd"] = fields["current_edd"]
        elif roll < 0.055:  # not picked up
            fields.update(
                status=ShipmentStatus.LABEL_CREATED,
                shipped_at=None,
                last_event_at=None,
                label_created_at=now - timedelta(hours=rng.randint(50, 200)),
            )
        elif roll < 0.06:  # no information for more than 30 days
            fields.update(
                status=ShipmentStatus.LABEL_CREATED,
                shipped_at=None,
                last_event_at=None,
                label_created_at=now - timedelta(days=40),
                current_edd=None,
                original_edd=None,
                promised_date=None,
            )
            old.append(number)
        batch.append(Shipment(**fields))
        if len(batch) == 5000:
            with transaction.atomic():
                Shipment.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Shipment.objects.bulk_create(batch)
    for start in range(0, len(old), 5000):
        Shipment.objects.filter(tracking_number__in=old[start : start + 5000]).update(
            created_at=now - timedelta(days=40)
        )
    print(f"seed: {n - have:,} shipments in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=int, default=1800, help="stop the whole run after this long")
    parser.add_argument("--reset", action="store_true", help="delete the benchmark's shipments first")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"shipping_bench: stopped after {args.max_seconds} s"))
    signal.alarm(args.max_seconds)

    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from frontline.shipping.models import DeliveryException, Shipment
    from frontline.shipping.sweep import exception_sweep

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    if args.reset:
        DeliveryException.objects.filter(shipment__tracking_number__startswith=PREFIX).delete()
        Shipment.objects.filter(tracking_number__startswith=PREFIX).delete()
    seed(args.shipments, rng=random.Random(4))
    DeliveryException.objects.filter(shipment__tracking_number__startswith=PREFIX).delete()
    active = Shipment.objects.filter(tracking_active=True).count()
    now = timezone.now()
    for label in ("first sweep (opens exceptions)", "second sweep (steady state)"):
        started = time.perf_counter()
        result = exception_sweep(now)
        seconds = time.perf_counter() - started
        print(
            f"{label}: {result.scanned:,} active shipments in {seconds:.2f} s = "
            f"{result.scanned / seconds:,.0f} shipments/s; findings {result.findings:,}, "
            f"opened {result.opened:,}, refreshed {result.refreshed:,}, skipped (locked) {result.locked:,}"
        )
    print(
        f"active shipments: {active:,}; open exceptions: {DeliveryException.objects.filter(resolved_at__isnull=True).count():,}"
    )


if __name__ == "__main__":
    main()
