"""Tracking through karrio: one gateway per carrier account, results as plain data.

``fetch_tracking(account, numbers)`` calls ``karrio.Tracking.fetch(...).from_(gateway).parse()``
and never raises: karrio reports carrier errors as messages, and anything else (network, bad
credentials, a connector bug) becomes a message too. ``updates_from_details`` turns karrio's
``TrackingDetails`` into :class:`TrackingUpdate` (our ``RawEvent`` list, EDD, proof of
delivery), which the ingest service normalises. Tests hand payloads *we wrote* to the
connector's ``mapper.parse_tracking_response`` (``parse_tracking_payload``) - never the network.

karrio is imported lazily (it takes most of a second); its log level defaults to WARNING
(``KARRIO_LOG_LEVEL``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from frontline.core.errors import DomainError

from .choices import DeliveryLocationType
from .normalize import KARRIO, RawEvent, parse_edd
from .services import PodInput, decode_image

os.environ.setdefault("KARRIO_LOG_LEVEL", "WARNING")


@dataclass
class TrackingUpdate:
    tracking_number: str
    events: list[RawEvent] = field(default_factory=list)
    edd: date | None = None
    pod: PodInput | None = None
    service: str = ""
    tracking_url: str = ""
    delivered: bool = False
    carrier_status: str = ""


@dataclass
class FetchResult:
    updates: dict[str, TrackingUpdate] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _karrio() -> Any:
    import karrio.sdk as karrio

    return karrio


def available_connectors() -> list[str]:
    return sorted(_karrio().gateway.providers)


def gateway_for(
    carrier_code: str, credentials: dict[str, Any], *, test_mode: bool = False, cache: Any = None
) -> Any:
    """A karrio gateway for the connector ``carrier_code`` with these settings."""
    karrio = _karrio()
    if carrier_code not in karrio.gateway.providers:
        raise ImproperlyConfigured(f"no karrio connector {carrier_code!r} is installed")
    settings = {**credentials, "test_mode": test_mode}
    if cache is not None:
        return karrio.gateway[carrier_code].create(settings, cache=cache)
    return karrio.gateway[carrier_code].create(settings)


def _message(message: Any) -> str:
    code = getattr(message, "code", "") or ""
    text = getattr(message, "message", "") or ""
    return f"{code}: {text}".strip(": ")[:500]


def fetch_tracking(
    carrier_code: str,
    credentials: dict[str, Any],
    tracking_numbers: Sequence[str],
    *,
    test_mode: bool = False,
) -> FetchResult:
    """Poll the carrier for these numbers. Never raises: problems come back in ``messages``."""
    try:
        from karrio.core.models import TrackingRequest

        gateway = gateway_for(carrier_code, credentials, test_mode=test_mode)
        details, messages = (
            _karrio()
            .Tracking.fetch(TrackingRequest(tracking_numbers=list(tracking_numbers)))
            .from_(gateway)
            .parse()
        )
    except Exception as exc:  # a connector or network failure is a message, not a crash
        return FetchResult(messages=[f"{type(exc).__name__}: {exc}"[:500]])
    return results_from(details, messages)


def results_from(details: Sequence[Any], messages: Sequence[Any]) -> FetchResult:
    result = FetchResult(messages=[_message(m) for m in messages])
    for detail in details:
        try:
            update = update_from_details(detail)
        except DomainError as exc:
            result.messages.append(f"{getattr(detail, 'tracking_number', '?')}: {exc.message}")
            continue
        result.updates[update.tracking_number] = update
    return result


def parse_tracking_payload(gateway: Any, deserializable: Any) -> FetchResult:
    """Parse a recorded carrier response with the connector's own mapper (no HTTP)."""
    try:
        details, messages = gateway.mapper.parse_tracking_response(deserializable)
    except Exception as exc:
        return FetchResult(messages=[f"{type(exc).__name__}: {exc}"[:500]])
    return results_from(details, messages)


def _location_type(text: str) -> str:
    lowered = (text or "").casefold()
    for words, kind in (
        (("front door", "porch", "door"), DeliveryLocationType.FRONT_DOOR),
        (("neighbo",), DeliveryLocationType.NEIGHBOUR),
        (("locker", "packstation"), DeliveryLocationType.LOCKER),
        (("access point", "pickup", "parcel shop", "parcelshop"), DeliveryLocationType.PICKUP_POINT),
        (("reception", "mail room", "mailroom", "dock"), DeliveryLocationType.RECEPTION),
        (("safe place",), DeliveryLocationType.SAFE_PLACE),
    ):
        if any(w in lowered for w in words):
            return kind
    return DeliveryLocationType.OTHER if lowered else ""


def update_from_details(details: Any) -> TrackingUpdate:
    """karrio ``TrackingDetails`` -> :class:`TrackingUpdate`. karrio's timestamps are the
    carrier's local time labelled ``Z``: marked ``local_time`` so the zone is resolved later."""
    events = []
    for event in details.events or []:
        events.append(
            RawEvent(
                occurred_at=event.timestamp or None,
                raw_date=event.date or "",
                raw_time=_clock(event.time or ""),
                local_time=True,
                code=event.code or "",
                description=event.description or "",
                status=event.status or "",
                reason=event.reason or "",
                vocabulary=KARRIO,
                location_text=event.location or "",
                lat=event.latitude,
                lon=event.longitude,
            )
        )
    info = details.info
    images = details.images
    signed_by = (getattr(info, "signed_by", None) or "") if info else ""
    signature = getattr(images, "signature_image", None) if images else None
    photo = getattr(images, "delivery_image", None) if images else None
    pod = None
    if details.delivered or signed_by or signature or photo:
        pod = PodInput(
            signed_by=str(signed_by),
            signature_image=decode_image(signature, field_name="images.signature_image"),
            photo=decode_image(photo, field_name="images.delivery_image"),
            location_note=str(getattr(info, "note", "") or "")[:200] if info else "",
        )
        pod.location_type = _location_type(pod.location_note)
    return TrackingUpdate(
        tracking_number=str(details.tracking_number),
        events=events,
        edd=parse_edd(
            details.estimated_delivery or (getattr(info, "expected_delivery", None) if info else None)
        ),
        pod=pod,
        service=str(getattr(info, "shipment_service", "") or "") if info else "",
        tracking_url=str(getattr(info, "carrier_tracking_link", "") or "") if info else "",
        delivered=bool(details.delivered),
        carrier_status=str(details.status or ""),
    )


def _clock(text: str) -> str:
    """karrio renders 24-hour times with AM/PM ("14:30 PM"); keep the 24-hour part."""
    text = text.strip()
    parts = text.split()
    if len(parts) == 2 and parts[1] in ("AM", "PM") and ":" in parts[0]:
        hour = parts[0].split(":")[0]
        if hour.isdigit() and int(hour) > 12:
            return parts[0]
    return text
