"""Signed tracking webhooks: ``POST /hooks/tracking/<provider>``.

Providers
=========
``generic`` - our own JSON format, for a 3PL, a WMS or a script::

    POST /hooks/tracking/generic
    X-Frontline-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>
    Content-Type: application/json

    {
      "carrier": "ups",                          # required: a carrier code in Frontline
      "tracking_number": "1Z999AA10123456784",   # required
      "order_number": "SO-10042",                # optional: picks the shipment of that order
      "estimated_delivery": "2026-05-14",        # optional: the carrier's current estimate
      "signed_by": "J. MUELLER",                 # optional: proof of delivery
      "proof_of_delivery_urls": [{"type": "photo", "url": "https://..."}],
      "events": [                                # required: 1-500 events, any order
        {
          "occurred_at": "2026-05-12T14:30:00+02:00",   # ISO 8601; without an offset it is the
                                                        # origin warehouse's (else carrier's) local time
          "status": "in_transit",                 # optional: our status (label_created, picked_up,
                                                  # in_transit, out_for_delivery, available_for_pickup,
                                                  # delivered, failed_attempt, exception, delayed,
                                                  # returning, returned, cancelled, unknown); when
                                                  # missing, the carrier's override table, then the text
          "code": "DP",                           # optional: the carrier's raw code
          "description": "Departed from facility",
          "reason": "weather_delay",              # optional: an incident reason (karrio names)
          "location": {"city": "Leipzig", "region": "SN", "postal_code": "04109", "country": "DE"}
        }
      ]
    }

``easypost`` - EasyPost's tracker events (``tracker.created`` / ``tracker.updated``), signed by
EasyPost with ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` (HMAC-SHA256 of the raw body, keyed
with the NFKD-normalised webhook secret, as ``easypost.util.validate_webhook`` checks). Other
event types are acknowledged and ignored.

Secrets
=======
``TRACKING_WEBHOOK_SECRETS``: a Django setting (dict provider -> secret) or, when that is not
set, the environment variable of the same name, ``provider=secret`` pairs separated by commas:
``TRACKING_WEBHOOK_SECRETS="generic=s3cret,easypost=whsec_..."``. A provider without a secret
is disabled (404).

Answers
=======
200 with what was stored (``created``, ``duplicates``...; a replay is ``created: 0``), 401 for
a missing or wrong signature (nothing is read or stored), 400 for a malformed payload with the
field at fault, 404 for an unknown provider or shipment, 413 for a body over 1 MB. Errors use
the API's shape ``{"errors": [{"field", "message", "code"}]}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q

from frontline.core.errors import DomainError

from . import services
from .choices import EventSource, IncidentReason, ShipmentStatus
from .models import Carrier, Shipment
from .normalize import EASYPOST, RawEvent, parse_edd

SECRETS_SETTING = "TRACKING_WEBHOOK_SECRETS"
MAX_BODY = 1024 * 1024
MAX_EVENTS = services.MAX_EVENTS_PER_INGEST
EASYPOST_CARRIERS = {
    "ups": "ups",
    "fedex": "fedex",
    "dhlexpress": "dhl_express",
    "dpd": "dpd",
    "dpduk": "dpd",
}


class WebhookError(Exception):
    def __init__(self, status: int, message: str, *, field: str = "__all__", code: str = "invalid") -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.code = status, message, field, code

    def body(self) -> dict[str, Any]:
        return {"errors": [{"field": self.field, "message": self.message, "code": self.code}]}


@dataclass
class WebhookUpdate:
    carrier: str
    tracking_number: str
    events: list[RawEvent]
    order_number: str = ""
    edd: date | None = None
    pod: services.PodInput | None = None


# --- secrets and signatures -------------------------------------------------------------------


def webhook_secret(provider: str) -> str:
    configured = getattr(settings, SECRETS_SETTING, None)
    if isinstance(configured, Mapping):
        return str(configured.get(provider) or "")
    for pair in os.environ.get(SECRETS_SETTING, "").split(","):
        name, _sep, secret = pair.strip().partition("=")
        if name.strip() == provider and secret.strip():
            return secret.strip()
    return ""


def _hex_digest(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_generic(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get("X-Frontline-Signature", "")
    expected = "sha256=" + _hex_digest(secret.encode(), body)
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def verify_easypost(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get("X-Hmac-Signature", "")
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    expected = "hmac-sha256-hex=" + _hex_digest(key, body)
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def sign_generic(secret: str, body: bytes) -> str:
    """The X-Frontline-Signature header value for ``body`` (for senders and tests)."""
    return "sha256=" + _hex_digest(secret.encode(), body)


# --- payloads ---------------------------------------------------------------------------------


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise WebhookError(400, "The body is not UTF-8 text.", field="body", code="malformed_json") from None
    except json.JSONDecodeError as exc:
        raise WebhookError(
            400,
            f"Malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
            field="body",
            code="malformed_json",
        ) from None
    if not isinstance(data, dict):
        raise WebhookError(400, "The body must be a JSON object.", field="body")
    return data


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False, limit: int = 255) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise WebhookError(400, "This field is required.", field=f"{where}{key}", code="missing")
        return ""
    if not isinstance(value, str | int):
        raise WebhookError(400, "Must be a string.", field=f"{where}{key}")
    text = str(value).strip()
    if len(text) > limit:
        raise WebhookError(400, f"At most {limit} characters.", field=f"{where}{key}")
    return text


def _edd(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    parsed = parse_edd(value) if isinstance(value, str) else None
    if parsed is None:
        raise WebhookError(400, "Not a date (YYYY-MM-DD).", field=name)
    return parsed


def parse_generic(body: bytes) -> WebhookUpdate:
    data = _json_object(body)
    carrier = _text(data, "carrier", "", required=True, limit=40).lower()
    number = _text(data, "tracking_number", "", required=True, limit=64)
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise WebhookError(400, "Give a list of at least one event.", field="events", code="missing")
    if len(events) > MAX_EVENTS:
        raise WebhookError(400, f"At most {MAX_EVENTS} events per call.", field="events")
    raw_events = []
    for index, item in enumerate(events):
        where = f"events[{index}]."
        if not isinstance(item, dict):
            raise WebhookError(400, "Each event must be an object.", field=f"events[{index}]")
        occurred = _text(item, "occurred_at", where, required=True, limit=40)
        status = _text(item, "status", where, limit=24).lower()
        if status and status not in ShipmentStatus.values:
            raise WebhookError(
                400, f"{status!r} is not one of {', '.join(ShipmentStatus.values)}.", field=f"{where}status"
            )
        reason = _text(item, "reason", where, limit=40).lower()
        if reason and reason not in IncidentReason.values:
            raise WebhookError(400, f"{reason!r} is not an incident reason.", field=f"{where}reason")
        description = _text(item, "description", where, limit=500)
        code = _text(item, "code", where, limit=40)
        if not (status or description or code):
            raise WebhookError(
                400, "Give a status, a code or a description.", field=f"{where}status", code="missing"
            )
        event = RawEvent(
            occurred_at=occurred, status=status, reason=reason, description=description, code=code
        )
        location = item.get("location")
        if isinstance(location, dict):
            event.city = _text(location, "city", f"{where}location.", limit=100)
            event.region = _text(location, "region", f"{where}location.", limit=100)
            event.postal_code = _text(location, "postal_code", f"{where}location.", limit=20)
            event.country = _text(location, "country", f"{where}location.", limit=2).upper()
        elif isinstance(location, str):
            event.location_text = location.strip()[:255]
        elif location is not None:
            raise WebhookError(400, "An object or a string.", field=f"{where}location")
        raw_events.append(event)
    pod = None
    signed_by = _text(data, "signed_by", "", limit=200)
    urls = data.get("proof_of_delivery_urls") or []
    if not isinstance(urls, list) or not all(
        isinstance(u, dict) and isinstance(u.get("url"), str) and u["url"].startswith("https://")
        for u in urls
    ):
        raise WebhookError(400, 'A list of {"type", "url"} with https URLs.', field="proof_of_delivery_urls")
    if signed_by or urls:
        pod = services.PodInput(
            signed_by=signed_by, urls=[{"type": str(u.get("type", "")), "url": u["url"]} for u in urls]
        )
    return WebhookUpdate(
        carrier=carrier,
        tracking_number=number,
        events=raw_events,
        order_number=_text(data, "order_number", "", limit=40),
        edd=_edd(data.get("estimated_delivery"), "estimated_delivery"),
        pod=pod,
    )


def parse_easypost(body: bytes) -> WebhookUpdate | None:
    data = _json_object(body)
    if data.get("object") != "Event":
        raise WebhookError(400, 'Not an EasyPost event (object must be "Event").', field="object")
    if data.get("description") not in ("tracker.created", "tracker.updated"):
        return None
    tracker = data.get("result")
    if not isinstance(tracker, dict) or tracker.get("object") != "Tracker":
        raise WebhookError(400, "The event's result must be a Tracker.", field="result")
    number = _text(tracker, "tracking_code", "result.", required=True, limit=64)
    carrier_name = _text(tracker, "carrier", "result.", required=True, limit=40)
    key = re.sub(r"[^a-z0-9]", "", carrier_name.lower())
    carrier = EASYPOST_CARRIERS.get(key, key)
    details = tracker.get("tracking_details") or []
    if not isinstance(details, list):
        raise WebhookError(400, "Must be a list.", field="result.tracking_details")
    events = []
    for index, item in enumerate(details):
        where = f"result.tracking_details[{index}]."
        if not isinstance(item, dict):
            raise WebhookError(
                400, "Each detail must be an object.", field=f"result.tracking_details[{index}]"
            )
        location = item.get("tracking_location") or {}
        if not isinstance(location, dict):
            raise WebhookError(400, "Must be an object.", field=f"{where}tracking_location")
        city = _text(location, "city", f"{where}tracking_location.", limit=100)
        events.append(
            RawEvent(
                occurred_at=_text(item, "datetime", where, required=True, limit=40),
                # EasyPost: local time where the location is known, else UTC.
                local_time=bool(city),
                description=_text(item, "message", where, limit=500),
                status=_text(item, "status", where, limit=40),
                status_detail=_text(item, "status_detail", where, limit=60),
                vocabulary=EASYPOST,
                city=city,
                region=_text(location, "state", f"{where}tracking_location.", limit=100),
                postal_code=_text(location, "zip", f"{where}tracking_location.", limit=20),
                country=_text(location, "country", f"{where}tracking_location.", limit=2).upper(),
            )
        )
    signed_by = _text(tracker, "signed_by", "result.", limit=200)
    pod = services.PodInput(signed_by=signed_by) if signed_by else None
    return WebhookUpdate(
        carrier=carrier,
        tracking_number=number,
        events=events,
        edd=_edd((tracker.get("est_delivery_date") or "")[:10] or None, "result.est_delivery_date"),
        pod=pod,
    )


@dataclass(frozen=True)
class Provider:
    verify: Callable[[str, bytes, Mapping[str, str]], bool]
    parse: Callable[[bytes], WebhookUpdate | None]
    signature_header: str


PROVIDERS: dict[str, Provider] = {
    "generic": Provider(verify_generic, parse_generic, "X-Frontline-Signature"),
    "easypost": Provider(verify_easypost, parse_easypost, "X-Hmac-Signature"),
}


def find_shipment(update: WebhookUpdate) -> Shipment:
    if not Carrier.objects.filter(code=update.carrier).exists():
        raise WebhookError(
            404, f"No carrier {update.carrier!r} in Frontline.", field="carrier", code="not_found"
        )
    if update.order_number:
        shipment = (
            Shipment.objects.filter(
                Q(order__number=update.order_number),
                carrier__code=update.carrier,
                tracking_number=update.tracking_number,
            )
            .order_by("-created_at")
            .first()
        )
    else:
        shipment = services.shipment_find(carrier_code=update.carrier, tracking_number=update.tracking_number)
    if shipment is None:
        raise WebhookError(
            404,
            f"No {update.carrier} shipment with tracking number {update.tracking_number}.",
            field="tracking_number",
            code="not_found",
        )
    return shipment


def handle(provider_name: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Verify, parse and ingest one webhook call; raises WebhookError with the HTTP status."""
    provider = PROVIDERS.get(provider_name)
    secret = webhook_secret(provider_name) if provider is not None else ""
    if provider is None or not secret:
        raise WebhookError(404, f"No tracking webhook {provider_name!r} is enabled here.", code="not_found")
    if len(body) > MAX_BODY:
        raise WebhookError(413, "The body is larger than 1 MB.", field="body", code="too_large")
    if not provider.verify(secret, body, headers):
        raise WebhookError(
            401,
            f"Missing or wrong {provider.signature_header} signature.",
            field=provider.signature_header,
            code="bad_signature",
        )
    update = provider.parse(body)
    if update is None:
        return {"ignored": True}
    shipment = find_shipment(update)
    try:
        result = services.tracking_events_ingest(
            shipment_id=shipment.pk,
            events=update.events,
            source=EventSource.WEBHOOK,
            edd=update.edd,
            pod=update.pod,
        )
    except DomainError as exc:
        raise WebhookError(
            exc.status_code, exc.message, field=exc.field or "__all__", code=exc.code
        ) from None
    return result.as_dict()
