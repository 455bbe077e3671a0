"""Polling active shipments through karrio on each carrier's schedule.

``tracking_poll`` claims the shipments whose ``next_poll_at`` has come (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``, then ``next_poll_at`` is pushed to the carrier's next slot in the same
transaction), so two workers never poll the same shipment in one tick. The carrier calls run
after that transaction, in batches of ``KARRIO_BATCH`` numbers per account, and every result
goes through ``services.tracking_events_ingest`` (idempotent). A failure is recorded on the
shipment (``last_poll_error``) and retried at the next slot.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from frontline.core.errors import DomainError

from . import karrio_adapter, services
from .choices import EventSource
from .models import Carrier, CarrierAccount, Shipment

logger = logging.getLogger("frontline.shipping")

KARRIO_BATCH = 10
POLL_LIMIT = 1000
#: Trackers older than this stop being polled (karrio retires them after 90 days too).
MAX_ACTIVE_DAYS = 90


@dataclass
class PollResult:
    claimed: int = 0
    polled: int = 0
    events: int = 0
    errors: int = 0
    skipped_no_account: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def claim_due(now: datetime, limit: int = POLL_LIMIT) -> list[tuple[int, int, str, int | None]]:
    """(shipment id, carrier id, tracking number, account id) of the shipments due, claimed."""
    carriers = {
        c.pk: c.poll_interval_minutes
        for c in Carrier.objects.filter(is_active=True, supports_polling=True).only(
            "pk", "poll_interval_minutes"
        )
    }
    if not carriers:
        return []
    with transaction.atomic():
        rows: list[tuple[int, int, str, int | None]] = list(
            Shipment.objects.select_for_update(skip_locked=True)
            .filter(tracking_active=True, next_poll_at__lte=now, carrier_id__in=list(carriers))
            .order_by("next_poll_at")
            .values_list("pk", "carrier_id", "tracking_number", "account_id")[:limit]
        )
        by_carrier: dict[int, list[int]] = defaultdict(list)
        for pk, carrier_id, _number, _account in rows:
            by_carrier[carrier_id].append(pk)
        for carrier_id, ids in by_carrier.items():
            Shipment.objects.filter(pk__in=ids).update(
                next_poll_at=now + timedelta(minutes=carriers[carrier_id]), last_polled_at=now
            )
    return rows


def tracking_poll(now: datetime | None = None, *, limit: int = POLL_LIMIT) -> PollResult:
    now = now or timezone.now()
    result = PollResult()
    Shipment.objects.filter(
        tracking_active=True, created_at__lt=now - timedelta(days=MAX_ACTIVE_DAYS)
    ).update(tracking_active=False, next_poll_at=None)
    rows = claim_due(now, limit)
    result.claimed = len(rows)
    defaults = dict(
        CarrierAccount.objects.filter(is_default=True, is_active=True).values_list("carrier_id", "pk")
    )
    groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, carrier_id, number, own_account in rows:
        account_id = own_account or defaults.get(carrier_id)
        if account_id is None:
            result.skipped_no_account += 1
            Shipment.objects.filter(pk=pk).update(last_poll_error="No carrier account to poll with.")
            continue
        groups[account_id].append((pk, number))
    accounts = CarrierAccount.objects.select_related("carrier").in_bulk(list(groups))
    for group_id, shipments in groups.items():
        account = accounts[group_id]
        credentials = account.credentials()
        for start in range(0, len(shipments), KARRIO_BATCH):
            batch = shipments[start : start + KARRIO_BATCH]
            fetched = karrio_adapter.fetch_tracking(
                account.carrier.code, credentials, [n for _pk, n in batch], test_mode=account.test_mode
            )
            for pk, number in batch:
                update = fetched.updates.get(number)
                if update is None:
                    result.errors += 1
                    message = "; ".join(fetched.messages) or "The carrier returned nothing for this number."
                    Shipment.objects.filter(pk=pk).update(last_poll_error=message[:500])
                    continue
                result.polled += 1
                result.events += apply_update(pk, update, source=EventSource.POLL)
    return result


def apply_update(shipment_id: int, update: karrio_adapter.TrackingUpdate, *, source: str) -> int:
    """Ingest one karrio result; the number of new events (0 when it fails, recorded)."""
    try:
        ingested = services.tracking_events_ingest(
            shipment_id=shipment_id,
            events=update.events,
            source=source,
            edd=update.edd,
            pod=update.pod,
            service=update.service,
        )
    except DomainError as exc:
        logger.warning("tracking update for shipment %s refused: %s", shipment_id, exc.message)
        Shipment.objects.filter(pk=shipment_id).update(last_poll_error=exc.message[:500])
        return 0
    Shipment.objects.filter(pk=shipment_id).exclude(last_poll_error="").update(last_poll_error="")
    return ingested.created


def shipment_poll(shipment_id: int) -> PollResult:
    """Poll one shipment now (the agent's "refresh tracking")."""
    result = PollResult()
    shipment = Shipment.objects.select_related("carrier", "account").filter(pk=shipment_id).first()
    if shipment is None:
        return result
    account = (
        shipment.account
        or CarrierAccount.objects.filter(
            carrier_id=shipment.carrier_id, is_default=True, is_active=True
        ).first()
    )
    if account is None:
        result.skipped_no_account = 1
        return result
    fetched = karrio_adapter.fetch_tracking(
        shipment.carrier.code, account.credentials(), [shipment.tracking_number], test_mode=account.test_mode
    )
    Shipment.objects.filter(pk=shipment_id).update(last_polled_at=timezone.now())
    update = fetched.updates.get(shipment.tracking_number)
    if update is None:
        result.errors = 1
        message = "; ".join(fetched.messages) or "The carrier returned nothing for this number."
        Shipment.objects.filter(pk=shipment_id).update(last_poll_error=message[:500])
        return result
    result.polled = 1
    result.events = apply_update(shipment_id, update, source=EventSource.POLL)
    return result
