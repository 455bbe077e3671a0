"""From what carriers and aggregators say to our status model, reasons and event times.

Three ways in (polling through karrio, webhooks, imports) all produce :class:`RawEvent`; the
ingest service normalises each with :func:`normalize_event`, which

* maps the status: the carrier's **override table** (by raw code) first, then the event's own
  vocabulary (karrio ``TrackingStatus`` names, EasyPost ``status``/``status_detail``, or ours),
  then keywords of the carrier text, else ``unknown``;
* keeps the raw code, text, date, time and zone strings beside it;
* resolves the time zone before storing: an explicit offset or zone on the event, else the
  fallback zone (the origin warehouse's, else the carrier's). karrio labels carriers' *local*
  times with ``Z``; its ``timestamp`` is therefore read as local time, never as UTC.

Pure functions: no database access. :func:`dedupe_hash` is the identity of an event across
sources, so one scan reported by the poll, a webhook and an import is stored once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .choices import DELAY_REASONS, IncidentReason, ShipmentStatus

S = ShipmentStatus
R = IncidentReason

#: Vocabularies a RawEvent's ``status`` may be in.
OURS = "ours"
KARRIO = "karrio"
EASYPOST = "easypost"

#: karrio ``TrackingStatus`` name -> ours (reference §2.1).
KARRIO_STATUS: dict[str, ShipmentStatus] = {
    "pending": S.LABEL_CREATED,
    "picked_up": S.PICKED_UP,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "ready_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "delivered": S.DELIVERED,
    "delivery_failed": S.FAILED_ATTEMPT,
    "on_hold": S.EXCEPTION,
    "delivery_delayed": S.DELAYED,
    "return_to_sender": S.RETURNING,
    "cancelled": S.CANCELLED,
    "unknown": S.UNKNOWN,
}

#: EasyPost tracker ``status`` -> ours.
EASYPOST_STATUS: dict[str, ShipmentStatus] = {
    "pre_transit": S.LABEL_CREATED,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "available_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "delivered": S.DELIVERED,
    "return_to_sender": S.RETURNING,
    "failure": S.FAILED_ATTEMPT,
    "error": S.EXCEPTION,
    "cancelled": S.CANCELLED,
    "unknown": S.UNKNOWN,
}

#: EasyPost ``status_detail`` -> (status or None to keep the status, reason). Checked first:
#: the detail is more precise than the status (``in_transit`` + ``weather_delay``).
EASYPOST_DETAIL: dict[str, tuple[ShipmentStatus | None, str]] = {
    "delayed": (S.DELAYED, ""),
    "weather_delay": (S.DELAYED, R.WEATHER_DELAY),
    "lost": (S.EXCEPTION, R.CARRIER_PARCEL_LOST),
    "damaged": (S.EXCEPTION, R.CARRIER_DAMAGED_PARCEL),
    "missorted": (None, R.CARRIER_SORTING_ERROR),
    "refused": (S.FAILED_ATTEMPT, R.CONSIGNEE_REFUSED),
    "held": (S.EXCEPTION, ""),
    "delivery_exception": (S.EXCEPTION, ""),
    "transit_exception": (S.EXCEPTION, ""),
    "address_correction": (None, R.CONSIGNEE_INCORRECT_ADDRESS),
    "return": (S.RETURNING, ""),
    "label_created": (S.LABEL_CREATED, ""),
    "cancelled": (S.CANCELLED, ""),
}

#: Carrier text -> status, for events no table maps (English, German, French, Spanish, Dutch).
KEYWORDS: tuple[tuple[re.Pattern[str], ShipmentStatus], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), status)
    for pattern, status in (
        (r"\bout for delivery\b|in zustellung|en cours de livraison|en reparto", S.OUT_FOR_DELIVERY),
        (r"\bnot delivered\b|attempt|nicht angetroffen|avis de passage|intento", S.FAILED_ATTEMPT),
        (r"\bdelivered\b|zugestellt|livr[ée]|entregado|bezorgd", S.DELIVERED),
        (r"return(ed|ing)? to sender|retour|r[üu]cksendung|devoluci[óo]n", S.RETURNING),
        (r"delay|retard|verz[öo]g|retraso|vertraag", S.DELAYED),
        (r"exception|held|damaged|lost|besch[äa]digt", S.EXCEPTION),
        (r"pick[- ]?up point|parcel ?shop|locker|packstation|point relais", S.AVAILABLE_FOR_PICKUP),
        (r"picked up|abgeholt|pris en charge|recogido", S.PICKED_UP),
        (r"label|shipment information|data received|elektronisch angek", S.LABEL_CREATED),
        (r"transit|facility|depart|arriv|hub|sort|unterwegs|acheminement", S.IN_TRANSIT),
    )
)
DELAY_WORDS = re.compile(r"delay|retard|verz[öo]g|retraso|vertraag", re.IGNORECASE)

#: Zone abbreviations carriers send (Canada Post ``EST``, DHL ``GMT+01:00``...).
ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AST": -240,
    "NST": -210,
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


class NormalizeError(ValueError):
    """An event cannot be read (no usable time, say). ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class RawEvent:
    """One tracking event as a source reported it, before normalisation.

    ``occurred_at`` is a datetime (aware or naive) or an ISO string; ``local_time`` says that
    the time is the carrier's local time even if it carries an offset (karrio's fake ``Z``).
    ``status``/``status_detail``/``reason`` are in ``vocabulary``.
    """

    occurred_at: datetime | str | None
    description: str = ""
    code: str = ""
    status: str = ""
    status_detail: str = ""
    reason: str = ""
    vocabulary: str = OURS
    raw_date: str = ""
    raw_time: str = ""
    raw_tz: str = ""
    local_time: bool = False
    location_text: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    lat: Decimal | float | str | None = None
    lon: Decimal | float | str | None = None


@dataclass
class NormalizedEvent:
    occurred_at: datetime
    status: str
    reason: str
    description: str
    carrier_code: str
    raw_date: str
    raw_time: str
    raw_tz: str
    location_text: str
    city: str
    region: str
    postal_code: str
    country: str
    lat: Decimal | None
    lon: Decimal | None
    dedupe_hash: str = field(default="")


# --- statuses -----------------------------------------------------------------------------------


def status_from_vocabulary(vocabulary: str, status: str, detail: str = "") -> tuple[str, str]:
    """(our status or "", reason or "") from a status in ``vocabulary``; "" when it maps nothing."""
    status, detail = (status or "").strip().lower(), (detail or "").strip().lower()
    if vocabulary == KARRIO:
        return (KARRIO_STATUS.get(status, ""), "")
    if vocabulary == EASYPOST:
        mapped_detail = EASYPOST_DETAIL.get(detail)
        base = EASYPOST_STATUS.get(status, "")
        if mapped_detail is not None:
            detail_status, reason = mapped_detail
            return (detail_status or base, reason)
        return (base, "")
    if status in S.values:
        return (status, "")
    return ("", "")


def status_from_text(text: str) -> str:
    for pattern, status in KEYWORDS:
        if pattern.search(text or ""):
            return status
    return ""


def normalize_status(
    *,
    code: str,
    status: str,
    status_detail: str = "",
    reason: str = "",
    description: str = "",
    vocabulary: str = OURS,
    overrides: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[str, str]:
    """Our (status, reason) for one event. The override table wins, then the vocabulary, then
    the carrier text; reasons keep the first one found (override, vocabulary, karrio's)."""
    clean_reason = reason.strip().lower() if reason else ""
    clean_reason = clean_reason if clean_reason in R.values and clean_reason != R.UNKNOWN else ""
    if overrides and code and code in overrides:
        override_status, override_reason = overrides[code]
        return override_status, override_reason or clean_reason
    mapped, mapped_reason = status_from_vocabulary(vocabulary, status, status_detail)
    if not mapped or mapped == S.UNKNOWN:
        mapped = status_from_text(description) or mapped or S.UNKNOWN
    return mapped, mapped_reason or clean_reason


def is_declared_delay(status: str, reason: str, description: str) -> bool:
    """R2: the carrier said the parcel is late (status, reason or words)."""
    return status == S.DELAYED or reason in DELAY_REASONS or bool(DELAY_WORDS.search(description or ""))


# --- time zones ---------------------------------------------------------------------------------


def zone(name: str) -> tzinfo | None:
    """A tzinfo for an IANA name, an abbreviation (``EST``) or an offset (``+01:00``, ``GMT+1``)."""
    name = (name or "").strip()
    if not name:
        return None
    upper = name.upper()
    if upper in ABBREVIATIONS:
        return timezone(timedelta(minutes=ABBREVIATIONS[upper]))
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            return None
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_datetime_text(value: str) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None


def resolve_occurred_at(raw: RawEvent, fallback_tz: str) -> tuple[datetime, str]:
    """(aware datetime in UTC, the zone used). Raises NormalizeError when there is no time."""
    moment: datetime | None
    if isinstance(raw.occurred_at, datetime):
        moment = raw.occurred_at
    elif isinstance(raw.occurred_at, str) and raw.occurred_at.strip():
        moment = parse_datetime_text(raw.occurred_at)
        if moment is None:
            raise NormalizeError(f"{raw.occurred_at!r} is not an ISO 8601 date and time", field="occurred_at")
    else:
        moment = None
    if moment is None and raw.raw_date:
        try:
            day = date.fromisoformat(raw.raw_date.strip())
        except ValueError:
            raise NormalizeError(f"{raw.raw_date!r} is not a date (YYYY-MM-DD)", field="date") from None
        clock = time(0)
        if raw.raw_time:
            parsed = _parse_clock(raw.raw_time)
            if parsed is None:
                raise NormalizeError(f"{raw.raw_time!r} is not a time (HH:MM[:SS])", field="time")
            clock = parsed
        moment = datetime.combine(day, clock)
    if moment is None:
        raise NormalizeError("the event has no date and time", field="occurred_at")
    explicit = zone(raw.raw_tz) if raw.raw_tz else None
    if explicit is not None:
        moment = moment.replace(tzinfo=explicit)
        used = raw.raw_tz
    elif moment.tzinfo is not None and not raw.local_time:
        used = moment.tzname() or "offset"
    else:
        fallback = zone(fallback_tz) or UTC
        moment = moment.replace(tzinfo=fallback)
        used = fallback_tz or "UTC"
    return moment.astimezone(UTC), used


def _parse_clock(text: str) -> time | None:
    text = text.strip().upper()
    for fmt in ("%H:%M:%S", "%H:%M", "%H%M%S", "%H%M", "%I:%M %p", "%I:%M:%S %p"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


# --- whole events -------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return None
    return number if abs(number) <= 180 else None


def _text(value: Any, limit: int) -> str:
    return _SPACE.sub(" ", str(value or "")).strip()[:limit]


def split_location(text: str) -> tuple[str, str, str, str]:
    """(city, region, postal code, country) guessed from karrio's one-string location
    (``"Wayne, NJ, 07470, US"``): a last two-letter part is the country, a part with digits
    the postal code, the first part the city."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    city = region = postal = country = ""
    if parts and len(parts[-1]) == 2 and parts[-1].isalpha() and parts[-1].isupper() and len(parts) > 1:
        country = parts.pop()
    for part in list(parts[1:]):
        if any(ch.isdigit() for ch in part) and not postal:
            postal = part
            parts.remove(part)
    if parts:
        city = parts.pop(0)
    if parts:
        region = parts[0]
    return city[:100], region[:100], postal[:20], country


def dedupe_hash(occurred_at: datetime, code: str, description: str, location: str) -> str:
    """The identity of an event whatever source reported it: minute, raw code, text, place."""
    key = "|".join(
        (
            occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            (code or "").strip().upper(),
            _SPACE.sub(" ", (description or "").casefold()).strip(),
            _SPACE.sub(" ", (location or "").casefold()).strip(),
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()


def normalize_event(
    raw: RawEvent, *, fallback_tz: str, overrides: Mapping[str, tuple[str, str]] | None = None
) -> NormalizedEvent:
    occurred_at, used_tz = resolve_occurred_at(raw, fallback_tz)
    code = _text(raw.code, 40)
    description = _text(raw.description, 500)
    status, reason = normalize_status(
        code=code,
        status=raw.status,
        status_detail=raw.status_detail,
        reason=raw.reason,
        description=description,
        vocabulary=raw.vocabulary,
        overrides=overrides,
    )
    location_text = _text(raw.location_text, 255)
    city, region, postal, country = raw.city, raw.region, raw.postal_code, raw.country
    if location_text and not (city or region or postal or country):
        city, region, postal, country = split_location(location_text)
    if not location_text:
        location_text = ", ".join(p for p in (city, region, postal, country) if p)[:255]
    raw_date = raw.raw_date or (raw.occurred_at if isinstance(raw.occurred_at, str) else "")
    event = NormalizedEvent(
        occurred_at=occurred_at,
        status=status,
        reason=reason,
        description=description,
        carrier_code=code,
        raw_date=_text(raw_date, 32),
        raw_time=_text(raw.raw_time, 32),
        raw_tz=_text(raw.raw_tz or used_tz, 64),
        location_text=location_text,
        city=_text(city, 100),
        region=_text(region, 100),
        postal_code=_text(postal, 20),
        country=_text(country, 2).upper(),
        lat=_decimal(raw.lat),
        lon=_decimal(raw.lon),
    )
    event.dedupe_hash = dedupe_hash(occurred_at, code, description, location_text)
    return event


def parse_edd(value: Any) -> date | None:
    """An estimated delivery date from a date, a datetime or an ISO string (date part kept)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
