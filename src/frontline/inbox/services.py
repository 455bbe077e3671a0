"""Intake: every inbound message, whatever its channel, enters through ``message_receive``; the
agents' phone-call log goes through ``call_record``.

``message_receive`` decides, in one transaction:

**Who sent it.** The customer whose external id (``external_system`` + ``external_customer_id``),
email, phone or social handle matches, in that order, compared normalized (see
``selectors.customer_find_for_sender``); a merged record leads to its survivor. An unknown sender
becomes a new customer (``customers.services.customer_create``) with the name and every
identifier given. A known customer is not changed: identifiers the message brings that the
record lacks are not added (an inbound message proves nothing about who owns them; an agent
adds them after checking).

**Which case it belongs to**, the first rule that finds one:

1. ``case_reference`` given by the adapter (the portal knows the case): that case. It must
   exist and belong to the sender, else the message is refused (``DomainError`` on
   ``case_reference``).
2. A reference in the subject, ``[#36100012]`` (our outgoing subjects carry it): that case, if
   it belongs to the sender; otherwise the tag is ignored.
3. ``thread_ids`` (email In-Reply-To/References, a chat's conversation id): the case of the
   newest earlier message on the same channel with one of those ids, if it belongs to the sender.
4. Conversational channels only (``CONTINUE_CHANNELS``: chat, social, SMS, which carry no
   subject or thread): the sender's open case on the same channel updated in the last
   ``INBOX_CONTINUE_DAYS`` days (setting, default 3).
5. Otherwise a new case. Email and the web form always open a new case unless rule 1-3 applies:
   a new email with a new subject is a new request.

"Belongs to the sender" counts records merged into the sender's customer. A merged case leads to
the case it was merged into. A **closed** case is never reopened by a message: a new case is
opened, linked to the closed one ("related"); a resolved case is reopened (the customer answered
the resolution follow-up), by ``cases.services.message_receive_on_case``.

**Idempotency.** A message is identified by ``(channel, external_id)``: receiving it again
returns the first result (with ``created_case``/``created_customer`` false) and writes nothing.
Concurrent deliveries are serialized by transaction-scoped advisory locks on the message id and
the sender's identifiers (PostgreSQL; SQLite serializes writers anyway), so neither the message,
the customer nor the case is ever created twice; the unique constraint on messages backs it up.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.cases import services as case_services
from frontline.cases.choices import ACTIVE_CATEGORIES, CallOutcome, LinkKind, StatusCategory
from frontline.cases.merge import case_link
from frontline.cases.models import Case, Message
from frontline.cases.services import AttachmentInput, CaseInput
from frontline.core.errors import DomainError, FieldErrors
from frontline.customers import services as customer_services
from frontline.customers.choices import Channel, ContactKind, CustomerStatus, Direction, SocialPlatform
from frontline.customers.models import Customer
from frontline.customers.normalize import clean_contact
from frontline.customers.services import ContactInput, CustomerInput

from . import selectors
from .selectors import SenderKeys

# Channels whose messages carry no subject or thread: a new message continues the sender's
# recent open case on the same channel.
CONTINUE_CHANNELS = frozenset({Channel.CHAT, Channel.SOCIAL, Channel.SMS})
DEFAULT_CONTINUE_DAYS = 3
# Channels a customer's message can arrive on (system messages are ours).
INBOUND_CHANNELS = frozenset(set(Channel) - {Channel.SYSTEM})
SUBJECT_REFERENCE = re.compile(r"\[#\s*([0-9]{4,20})\s*\]")
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|tr|sv|rv)\s*:\s*)+", re.IGNORECASE)
MAX_EXTERNAL_ID = 255
SUBJECT_MAX = 255


@dataclass(frozen=True)
class SenderInput:
    """Who a message is from, as the channel knows them. At least one identifier is needed:
    ``email``, ``phone``, ``handle`` (with ``platform``) or ``external_customer_id`` (with
    ``external_system``, e.g. ``shop``)."""

    email: str = ""
    phone: str = ""
    name: str = ""
    handle: str = ""
    platform: str = ""
    external_system: str = ""
    external_customer_id: str = ""


@dataclass(frozen=True)
class ReceiveResult:
    customer: Customer
    case: Case
    message: Message
    created_case: bool
    created_customer: bool


def continue_days() -> int:
    return int(getattr(settings, "INBOX_CONTINUE_DAYS", DEFAULT_CONTINUE_DAYS))


# --- the sender -------------------------------------------------------------------------------


def _clean_sender(sender: SenderInput) -> tuple[SenderKeys, list[ContactInput], dict[str, str]]:
    """Validate the sender's identifiers; returns lookup keys, contacts and external ids to
    create an unknown sender with. Every bad identifier is named (``sender.email``...)."""
    errors: dict[str, list[str]] = {}
    contacts: list[ContactInput] = []
    found: dict[str, str] = {}
    given = (
        (ContactKind.EMAIL, "email", sender.email, ""),
        (ContactKind.PHONE, "phone", sender.phone, ""),
        (ContactKind.SOCIAL, "handle", sender.handle, sender.platform),
    )
    for kind, name, value, platform in given:
        if not (value or "").strip():
            continue
        if kind == ContactKind.SOCIAL and platform not in set(SocialPlatform.values) - {""}:
            errors["sender.platform"] = [_("Choose the social platform of this handle.")]
            continue
        try:
            display, normalized = clean_contact(kind, value, platform)
        except ValidationError as error:
            errors[f"sender.{name}"] = [str(m) for m in error.messages]
            continue
        found[kind] = normalized
        contacts.append(ContactInput(kind=kind, value=display, platform=platform, is_primary=True))
    system = sender.external_system.strip().lower()
    value = sender.external_customer_id.strip()
    if value and not system:
        errors["sender.external_system"] = [_("Name the system the customer id belongs to, e.g. shop.")]
    elif len(system) > 50 or len(value) > 100:
        errors["sender.external_customer_id"] = [_("The external id is too long.")]
    if len(sender.name) > 200:
        errors["sender.name"] = [_("At most 200 characters.")]
    if errors:
        raise FieldErrors(errors)
    keys = SenderKeys(
        email=found.get(ContactKind.EMAIL, ""),
        phone=found.get(ContactKind.PHONE, ""),
        social=found.get(ContactKind.SOCIAL, ""),
        external_system=system if value else "",
        external_value=value,
    )
    if keys.is_empty():
        raise DomainError(
            _("The sender needs an email address, phone number, social handle or customer id."),
            field="sender",
        )
    return keys, contacts, ({system: value} if value else {})


def split_name(name: str) -> tuple[str, str]:
    """``"Justine Harrington"`` -> ("Justine", "Harrington"); one word is a first name."""
    parts = name.split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0][:100], ""
    return " ".join(parts[:-1])[:100], parts[-1][:100]


def _customer_for(
    sender: SenderInput, keys: SenderKeys, contacts: list[ContactInput], external_ids: dict[str, str]
) -> tuple[Customer, bool]:
    customer = selectors.customer_find_for_sender(keys)
    if customer is not None:
        return customer, False
    first, last = split_name(sender.name)
    created = customer_services.customer_create(
        by=None,
        data=CustomerInput(first_name=first, last_name=last, contacts=contacts, external_ids=external_ids),
    )
    return created, True


# --- locking ----------------------------------------------------------------------------------


def _advisory_lock(names: Sequence[str]) -> None:
    """Serialize concurrent intake of the same message or sender until the transaction ends.

    PostgreSQL: one transaction-scoped advisory lock per name, taken in a fixed order (no
    deadlock). SQLite needs none: its transactions start IMMEDIATE, so writers queue anyway.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        {
            int.from_bytes(hashlib.sha256(f"inbox:{n}".encode()).digest()[:8], "big", signed=True)
            for n in names
        }
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- receive ----------------------------------------------------------------------------------


def _clean_subject(subject: str) -> str:
    """A new case's subject from a message's: without our reference tag and Re:/Fwd: prefixes."""
    text = SUBJECT_REFERENCE.sub("", subject or "")
    text = REPLY_PREFIX.sub("", text)
    return " ".join(text.split())[:SUBJECT_MAX]


def _subject_for(subject: str, body: str, channel: str) -> str:
    cleaned = _clean_subject(subject)
    if cleaned:
        return cleaned
    for line in body.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= 80 else line[:79].rstrip() + "…"
    return _("Message via %(channel)s") % {"channel": Channel(channel).label}


def _belongs(case: Case, customer_ids: set[int]) -> bool:
    return case.customer_id in customer_ids


def _find_case(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    case_reference: str,
    thread_ids: Sequence[str],
    now: datetime,
) -> Case | None:
    """The case the message continues, by the rules in the module docstring; None for new."""
    customer_ids = selectors.customer_ids_of(customer)
    if case_reference.strip():
        case = selectors.case_get_by_reference(case_reference)
        if case is None or not _belongs(case, customer_ids):
            raise DomainError(
                _("Case %(ref)s does not exist or is not this customer's.") % {"ref": case_reference.strip()},
                field="case_reference",
                code="not_found",
            )
        return case
    for reference in SUBJECT_REFERENCE.findall(subject or ""):
        case = selectors.case_get_by_reference(reference)
        if case is not None and _belongs(case, customer_ids):
            return case
    case = selectors.case_for_thread(channel=channel, thread_ids=thread_ids, customer_ids=customer_ids)
    if case is not None:
        return case
    if channel in CONTINUE_CHANNELS:
        since = now - timedelta(days=continue_days())
        return selectors.case_to_continue(customer_ids=customer_ids, channel=channel, since=since)
    return None


def _validate(
    *,
    channel: str,
    body: str,
    external_id: str,
    thread_ids: Sequence[str],
    attachments: Sequence[AttachmentInput],
) -> None:
    errors: dict[str, list[str]] = {}
    if channel not in INBOUND_CHANNELS:
        errors["channel"] = [
            _("%(value)s is not an inbound channel.") % {"value": channel or _("An empty value")}
        ]
    if not body.strip() and not attachments:
        errors["body"] = [_("Write a message.")]
    if len(external_id) > MAX_EXTERNAL_ID:
        errors["external_id"] = [_("At most %(n)d characters.") % {"n": MAX_EXTERNAL_ID}]
    if any(len(t) > MAX_EXTERNAL_ID for t in thread_ids):
        errors["thread_ids"] = [_("At most %(n)d characters each.") % {"n": MAX_EXTERNAL_ID}]
    if errors:
        raise FieldErrors(errors)
    case_services.validate_attachments(attachments)


def message_receive(
    *,
    channel: str,
    sender: SenderInput,
    body: str,
    subject: str = "",
    external_id: str = "",
    case_reference: str = "",
    thread_ids: Sequence[str] = (),
    attachments: Sequence[AttachmentInput] = (),
    received_at: datetime | None = None,
) -> ReceiveResult:
    """Take in one message from a customer on any channel: find or create the customer and the
    case, add the message. Idempotent on ``(channel, external_id)``. See the module docstring
    for the matching rules. Raises ``DomainError``/``FieldErrors`` naming the input at fault,
    having written nothing."""
    external_id = external_id.strip()
    thread_ids = [t for t in thread_ids if t]
    _validate(
        channel=channel, body=body, external_id=external_id, thread_ids=thread_ids, attachments=attachments
    )
    keys, contacts, external_ids = _clean_sender(sender)
    try:
        return _receive_locked(
            channel=channel,
            sender=sender,
            keys=keys,
            contacts=contacts,
            external_ids=external_ids,
            body=body,
            subject=subject,
            external_id=external_id,
            case_reference=case_reference,
            thread_ids=thread_ids,
            attachments=attachments,
            received_at=received_at,
        )
    except IntegrityError:
        # Another delivery of the same message committed between our check and our insert
        # (possible only without advisory locks): everything of ours was rolled back; answer
        # with what it created.
        existing = selectors.message_get_by_external_id(channel=channel, external_id=external_id)
        if existing is None:
            raise
        return _existing_result(existing)


def _existing_result(message: Message) -> ReceiveResult:
    case = message.case
    return ReceiveResult(
        customer=case.customer, case=case, message=message, created_case=False, created_customer=False
    )


@transaction.atomic
def _receive_locked(
    *,
    channel: str,
    sender: SenderInput,
    keys: SenderKeys,
    contacts: list[ContactInput],
    external_ids: dict[str, str],
    body: str,
    subject: str,
    external_id: str,
    case_reference: str,
    thread_ids: Sequence[str],
    attachments: Sequence[AttachmentInput],
    received_at: datetime | None,
) -> ReceiveResult:
    lock_names = keys.lock_names()
    if external_id:
        lock_names.append(f"message:{channel}:{external_id}")
    _advisory_lock(lock_names)
    existing = selectors.message_get_by_external_id(channel=channel, external_id=external_id)
    if existing is not None:
        return _existing_result(existing)

    now = received_at or timezone.now()
    customer, created_customer = _customer_for(sender, keys, contacts, external_ids)
    case = _find_case(
        customer=customer,
        channel=channel,
        subject=subject,
        case_reference=case_reference,
        thread_ids=thread_ids,
        now=now,
    )
    if case is not None:
        case = selectors.case_resolve_merged(case)
    closed: Case | None = None
    if case is not None and case.status_category == StatusCategory.CLOSED:
        closed, case = case, None

    if case is not None:
        message = case_services.message_receive_on_case(
            case_id=case.pk,
            body=body,
            channel=channel,
            external_id=external_id,
            attachments=attachments,
            at=received_at,
        )
        case.refresh_from_db()
        return ReceiveResult(
            customer=customer,
            case=case,
            message=message,
            created_case=False,
            created_customer=created_customer,
        )

    new_subject = _subject_for(subject, body, channel)
    if closed is not None and not _clean_subject(subject):
        new_subject = closed.subject
    case = case_services.case_create(
        by=None,
        data=CaseInput(
            customer_id=customer.pk,
            subject=new_subject,
            body=body,
            channel=channel,
            from_customer=True,
            external_id=external_id,
            attachments=list(attachments),
            created_at=received_at,
        ),
    )
    if closed is not None:
        case_link(case_id=case.pk, other_id=closed.pk, by=None, kind=LinkKind.RELATED)
    first = case.messages.order_by("created_at", "id").first()
    assert first is not None  # case_create added the first message (body or attachments)
    return ReceiveResult(
        customer=customer, case=case, message=first, created_case=True, created_customer=created_customer
    )


# --- phone calls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallInput:
    """A call an agent took or made. ``customer_id`` for a known caller, else ``caller_name`` /
    ``caller_phone`` / ``caller_email`` (a customer with that phone or email is reused, else one
    is created). ``case_id`` for one of the caller's open cases, else a new phone case with
    ``subject`` (default: the summary's first line)."""

    direction: str
    duration_seconds: int
    summary: str
    outcome: str
    customer_id: int | None = None
    case_id: int | None = None
    subject: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    caller_email: str = ""


@dataclass(frozen=True)
class CallResult:
    customer: Customer
    case: Case
    message: Message
    created_case: bool
    created_customer: bool


def _call_errors(data: CallInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        errors["direction"] = [_("Choose inbound or outbound.")]
    if data.outcome not in CallOutcome.values:
        errors["outcome"] = [
            _("%(value)s is not a valid choice.") % {"value": data.outcome or _("An empty value")}
        ]
    if not 0 <= data.duration_seconds <= 24 * 3600:
        errors["duration_seconds"] = [_("Enter a duration between 0 and 24 hours.")]
    if not data.summary.strip():
        errors["summary"] = [_("This field is required.")]
    if len(data.subject.strip()) > SUBJECT_MAX:
        errors["subject"] = [_("At most %(n)d characters.") % {"n": SUBJECT_MAX}]
    return errors


def _caller(data: CallInput) -> tuple[Customer, bool]:
    if data.customer_id is not None:
        customer = Customer.objects.filter(pk=data.customer_id).first()
        if customer is None:
            raise DomainError(_("No such customer."), field="customer")
        customer = selectors.customer_resolve_merged(customer)
        if customer.status == CustomerStatus.MERGED:
            raise DomainError(_("This customer was merged; pick the surviving record."), field="customer")
        return customer, False
    if not (data.caller_name.strip() or data.caller_phone.strip()):
        raise FieldErrors(
            {
                "caller_name": [_("Pick the caller, or enter the name of a new one.")],
                "caller_phone": [_("Or their phone number.")],
            }
        )
    try:
        keys, contacts, _ids = _clean_sender(
            SenderInput(name=data.caller_name, phone=data.caller_phone, email=data.caller_email)
        )
    except FieldErrors as error:
        raise FieldErrors(
            {name.replace("sender.", "caller_"): m for name, m in error.errors.items()}
        ) from None
    except DomainError:
        # A name alone: a caller we cannot match, so a new customer.
        first, last = split_name(data.caller_name)
        return customer_services.customer_create(
            by=None, data=CustomerInput(first_name=first, last_name=last)
        ), True
    _advisory_lock(keys.lock_names())
    found = selectors.customer_find_for_sender(keys)
    if found is not None:
        return found, False
    first, last = split_name(data.caller_name)
    return (
        customer_services.customer_create(
            by=None, data=CustomerInput(first_name=first, last_name=last, contacts=contacts)
        ),
        True,
    )


@transaction.atomic
def call_record(*, by: Any, data: CallInput) -> CallResult:
    """Log a phone call: on one of the caller's open cases, or on a new phone case; the caller
    is created when unknown. All or nothing: a refused input writes no customer, case or call."""
    errors = _call_errors(data)
    if errors:
        raise FieldErrors(errors)
    customer, created_customer = _caller(data)
    if data.case_id is not None:
        case = Case.objects.filter(pk=data.case_id).first()
        if case is None or case.customer_id not in selectors.customer_ids_of(customer):
            raise DomainError(_("Pick one of the caller's open cases, or a new case."), field="case")
        case = selectors.case_resolve_merged(case)
        if case.status_category not in ACTIVE_CATEGORIES:
            raise DomainError(
                _("Case #%(ref)s is no longer open; log the call on a new case.") % {"ref": case.reference},
                field="case",
            )
        created_case = False
    else:
        case = case_services.case_create(
            by=by,
            data=CaseInput(
                customer_id=customer.pk,
                subject=_clean_subject(data.subject) or _subject_for("", data.summary, Channel.PHONE),
                channel=Channel.PHONE,
                from_customer=data.direction == Direction.INBOUND,
            ),
        )
        created_case = True
    message = case_services.call_log(
        case_id=case.pk,
        by=by,
        direction=data.direction,
        duration_seconds=data.duration_seconds,
        summary=data.summary,
        outcome=data.outcome,
    )
    case.refresh_from_db()
    return CallResult(
        customer=customer,
        case=case,
        message=message,
        created_case=created_case,
        created_customer=created_customer,
    )
