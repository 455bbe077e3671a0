"""Every write on cases: one function per use case, each in a transaction that writes its audit
row and sends its events after commit. SLA clocks (sla.py) and automatic assignment
(assignment.py) are driven from here, so every entry point (UI, API, inbox, tasks) behaves alike.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team
from frontline.audit import services as audit
from frontline.core import search
from frontline.core.errors import DomainError, FieldErrors, NotFound
from frontline.customers import services as customer_services
from frontline.customers.choices import Channel, CustomerStatus, Direction, InteractionKind
from frontline.customers.models import Customer, Tag

from . import assignment, events, sla
from .choices import (
    ACTIVE_CATEGORIES,
    CallOutcome,
    CustomFieldType,
    MessageKind,
    Priority,
    StatusCategory,
)
from .defaults import ensure_default_statuses
from .errors import CaseStateError, StaleReplyError
from .models import Attachment, Case, CaseStatus, Category, CustomField, Mention, Message
from .numbering import next_reference

MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{2,150})")


def _on_commit(fn: Callable[[], Any]) -> None:
    transaction.on_commit(fn)


def _lock(case_id: int) -> Case:
    try:
        return Case.objects.select_for_update().select_related("status").get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(_("No such case."), field="case") from None


# --- search -----------------------------------------------------------------------------------


def search_parts(case: Case) -> list[str]:
    """What finds a case: reference, subject, the customer's name, emails and phones."""
    customer = case.customer
    parts = [case.reference, case.subject, customer.full_name]
    parts += [c.value for c in customer.contact_points.all()]
    if case.organisation_id:
        parts.append(case.organisation.name if case.organisation else "")
    return [p for p in parts if p]


def case_reindex(*, case_id: int) -> None:
    case = Case.objects.select_related("customer", "organisation").get(pk=case_id)
    search.index_document("case", case.pk, search_parts(case))


def message_reindex(*, message: Message) -> None:
    if message.kind != MessageKind.SYSTEM:
        search.index_document("case_message", message.pk, [message.body])


# --- statuses and fields ----------------------------------------------------------------------


def status_for(category: str) -> CaseStatus:
    """The default status of a category (every category has one, see migration 0002)."""
    status = CaseStatus.objects.filter(category=category, is_default=True).first()
    if status is None:
        status = CaseStatus.objects.filter(category=category, is_active=True).order_by("position").first()
    if status is None:
        ensure_default_statuses()
        status = (
            CaseStatus.objects.filter(category=category, is_active=True)
            .order_by("-is_default", "position")
            .first()
        )
    if status is None:
        raise DomainError(
            _("No status is defined for %(category)s.") % {"category": category}, field="status"
        )
    return status


def _status(value: int | str | CaseStatus) -> CaseStatus:
    if isinstance(value, CaseStatus):
        return value
    lookup = {"pk": value} if isinstance(value, int) else {"slug": value}
    status = CaseStatus.objects.filter(is_active=True, **lookup).first()
    if status is None:
        raise DomainError(_("Unknown status %(value)s.") % {"value": value}, field="status")
    return status


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise DomainError(_("Unknown category."), field="category")
    return category


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise DomainError(_("Unknown team."), field="team")
    return team


def clean_custom_fields(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate custom field values against the admin's definitions; returns JSON-safe values."""
    definitions = {f.key: f for f in CustomField.objects.filter(is_active=True)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in definitions:
            errors[f"custom_fields.{key}"] = [_("Unknown field.")]
    for key, definition in definitions.items():
        if key not in values:
            if definition.required and not partial:
                errors[f"custom_fields.{key}"] = [_("This field is required.")]
            continue
        value = values[key]
        if value in (None, ""):
            if definition.required:
                errors[f"custom_fields.{key}"] = [_("This field is required.")]
            continue
        try:
            cleaned[key] = _clean_custom_value(definition, value)
        except ValueError as error:
            errors[f"custom_fields.{key}"] = [str(error)]
    if errors:
        raise FieldErrors(errors)
    return cleaned


def _clean_custom_value(definition: CustomField, value: Any) -> Any:
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        return str(value)[:1000]
    if kind == CustomFieldType.NUMBER:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "on"}:
            return True
        if text in {"false", "no", "0", "off"}:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == CustomFieldType.CHOICE:
        if str(value) not in [str(c) for c in definition.choices]:
            raise ValueError(
                _("Select one of: %(choices)s.") % {"choices": ", ".join(map(str, definition.choices))}
            )
        return str(value)
    raise ValueError(_("Unsupported field type."))


def _set_tags(case: Case, names: Iterable[str]) -> list[str]:
    wanted = sorted({n.strip().lower()[:50] for n in names if n and n.strip()})
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    case.tags.set(tags)
    return wanted


# --- attachments and mentions -----------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content: bytes
    content_type: str = ""

    @classmethod
    def from_upload(cls, upload: UploadedFile[Any]) -> AttachmentInput:
        return cls(
            filename=upload.name or "file", content=upload.read(), content_type=upload.content_type or ""
        )


def validate_attachments(items: Sequence[AttachmentInput]) -> None:
    """Refuse oversized or disallowed files before anything is written."""
    limit = int(settings.CASE_ATTACHMENT_MAX_BYTES)
    allowed = set(settings.CASE_ATTACHMENT_TYPES)
    if len(items) > int(settings.CASE_ATTACHMENT_MAX_FILES):
        raise DomainError(
            _("At most %(count)d files per message.") % {"count": settings.CASE_ATTACHMENT_MAX_FILES},
            field="attachments",
        )
    for item in items:
        if len(item.content) > limit:
            raise DomainError(
                _("%(name)s is larger than %(mb)s MB.")
                % {"name": item.filename, "mb": limit // (1024 * 1024)},
                field="attachments",
                code="too_large",
            )
        kind = _content_type(item)
        if kind not in allowed:
            raise DomainError(
                _("%(name)s: files of type %(type)s are not accepted.")
                % {"name": item.filename, "type": kind},
                field="attachments",
                code="type_not_allowed",
            )


def _content_type(item: AttachmentInput) -> str:
    guessed = mimetypes.guess_type(item.filename)[0]
    return (guessed or item.content_type or "application/octet-stream").lower()


def _store_attachments(message: Message, items: Sequence[AttachmentInput]) -> list[Attachment]:
    from django.core.files.base import ContentFile

    stored = []
    for item in items:
        digest = hashlib.sha256(item.content).hexdigest()
        name = re.sub(r"[^\w.\- ]", "_", item.filename).strip()[:150] or "file"
        attachment = Attachment(
            message=message,
            filename=name,
            content_type=_content_type(item),
            size=len(item.content),
            sha256=digest,
        )
        attachment.file.save(name, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def mentioned_users(body: str) -> list[Any]:
    """Active staff users named as @username in the text."""
    names = {m.group(1).rstrip(".").lower() for m in MENTION.finditer(body)}
    if not names:
        return []
    users = get_user_model().objects.filter(username__in=names, is_active=True).exclude(role="customer")
    return list(users)


# --- create -----------------------------------------------------------------------------------


@dataclass
class CaseInput:
    customer_id: int
    subject: str
    body: str = ""
    channel: str = Channel.WEB
    priority: str = Priority.NORMAL
    category_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # Who wrote the first message: the customer (inbound, default) or the staff user (outbound).
    from_customer: bool = True
    external_id: str = ""
    attachments: list[AttachmentInput] = field(default_factory=list)
    reference: str = ""  # given by imports and the demo seed; else the next number
    created_at: datetime | None = None


def _validate_case_input(data: CaseInput) -> tuple[Customer, Category | None, Team | None]:
    errors: dict[str, list[str]] = {}
    subject = data.subject.strip()
    if not subject:
        errors["subject"] = [_("This field is required.")]
    elif len(subject) > 255:
        errors["subject"] = [_("At most 255 characters.")]
    if data.channel not in Channel.values:
        errors["channel"] = [_("%(value)s is not a valid choice.") % {"value": data.channel}]
    if data.priority not in Priority.values:
        errors["priority"] = [_("%(value)s is not a valid choice.") % {"value": data.priority}]
    customer = Customer.objects.filter(pk=data.customer_id).select_related("organisation").first()
    if customer is None:
        errors["customer"] = [_("No such customer.")]
    elif customer.status == CustomerStatus.MERGED:
        errors["customer"] = [_("This customer was merged into another; open the case on that one.")]
    if data.reference and Case.objects.filter(reference=data.reference).exists():
        errors["reference"] = [_("A case with this reference exists.")]
    if errors:
        raise FieldErrors(errors)
    assert customer is not None
    return customer, _category(data.category_id), _team(data.team_id)


@transaction.atomic
def case_create(*, by: Any | None, data: CaseInput) -> Case:
    """Open a case for a customer, with its first message when there is one.

    ``by`` is the staff user recording it, the customer's portal user, or None for the system
    (inbound channels). Starts the SLA clocks and, when the team assigns automatically, assigns.
    """
    customer, category, team = _validate_case_input(data)
    custom = clean_custom_fields(data.custom_fields)
    validate_attachments(data.attachments)
    assignee = None
    if data.assignee_id is not None:
        assignee = assignment.validate_assignee(assignee_id=data.assignee_id, team=team)
    now = data.created_at or timezone.now()
    staff = by if by is not None and getattr(by, "is_staff_member", False) else None
    case = Case(
        reference=data.reference or next_reference(),
        subject=data.subject.strip(),
        customer=customer,
        organisation=customer.organisation,
        channel=data.channel,
        priority=data.priority,
        category=category,
        team=team,
        assignee=assignee,
        assigned_at=now if assignee is not None else None,
        created_by=staff,
        status=status_for(StatusCategory.NEW if assignee is None else StatusCategory.OPEN),
        custom_fields=custom,
    )
    case.status_category = case.status.category
    case.save()
    if data.created_at is not None:
        Case.objects.filter(pk=case.pk).update(created_at=now, updated_at=now)
        case.created_at = case.updated_at = now
    if data.tags:
        _set_tags(case, data.tags)
    audit.record(
        actor=by,
        verb="case.created",
        target=case,
        data={"reference": case.reference, "channel": case.channel, "customer_id": customer.pk},
    )
    customer_services.interaction_record(
        customer_id=customer.pk,
        kind=InteractionKind.CASE,
        summary=_("Case #%(ref)s opened: %(subject)s") % {"ref": case.reference, "subject": case.subject},
        actor=staff,
        occurred_at=now,
        channel=case.channel,
        direction=Direction.INBOUND if data.from_customer else Direction.OUTBOUND,
        source=case,
    )
    sla.case_opened(case=case, at=now)
    if data.body.strip() or data.attachments:
        _add_message(
            case,
            by=by,
            body=data.body,
            kind=MessageKind.REPLY,
            direction=Direction.INBOUND if data.from_customer else Direction.OUTBOUND,
            channel=data.channel,
            external_id=data.external_id,
            attachments=data.attachments,
            at=now,
        )
    if case.assignee_id is None and team is not None:
        assignment.auto_assign(case=case, by=by)
    case_reindex(case_id=case.pk)
    case_id = case.pk
    _on_commit(lambda: events.case_created.send(sender=Case, case_id=case_id))
    return case


# --- messages ---------------------------------------------------------------------------------


def _add_message(
    case: Case,
    *,
    by: Any | None,
    body: str,
    kind: str,
    direction: str,
    channel: str,
    external_id: str = "",
    attachments: Sequence[AttachmentInput] = (),
    at: datetime | None = None,
    call_duration_seconds: int | None = None,
    call_outcome: str = "",
    data: dict[str, Any] | None = None,
) -> Message:
    now = at or timezone.now()
    is_user = by is not None and getattr(by, "is_authenticated", False)
    message = Message.objects.create(
        case=case,
        kind=kind,
        direction=direction,
        channel=channel,
        author=by if is_user else None,
        author_label=(by.get_full_name() or by.get_username()) if by is not None and is_user else "",
        body=body.strip(),
        external_id=external_id,
        call_duration_seconds=call_duration_seconds,
        call_outcome=call_outcome,
        data=data or {},
        created_at=now,
    )
    _store_attachments(message, attachments)
    mentioned: list[Any] = []
    if kind in (MessageKind.NOTE, MessageKind.REPLY, MessageKind.CALL) and by is not None and is_user:
        mentioned = [u for u in mentioned_users(message.body) if u.pk != by.pk]
        Mention.objects.bulk_create([Mention(message=message, user=u) for u in mentioned])

    fields = ["message_count", "last_message_at", "updated_at"]
    case.message_count += 1
    case.last_message_at = now
    if direction == Direction.INBOUND:
        case.last_customer_message_at = now
        fields.append("last_customer_message_at")
    elif kind == MessageKind.REPLY and direction == Direction.OUTBOUND:
        case.last_agent_reply_at = now
        fields.append("last_agent_reply_at")
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
    case.save(update_fields=fields)

    if kind != MessageKind.SYSTEM:
        public = kind == MessageKind.REPLY
        customer_services.interaction_record(
            customer_id=case.customer_id,
            kind=InteractionKind.CALL if kind == MessageKind.CALL else InteractionKind.MESSAGE,
            summary=f"#{case.reference} {case.subject}",
            body=message.body[:2000],
            actor=by if is_user and direction != Direction.INBOUND else None,
            occurred_at=now,
            channel=channel,
            direction=direction,
            is_internal=not public,
            source=message,
            data={"case_id": case.pk, "message_kind": kind},
        )
    message_reindex(message=message)
    sla.message_added(case=case, message=message)
    case_id, message_id = case.pk, message.pk
    _on_commit(
        lambda: events.message_added.send(
            sender=Message, case_id=case_id, message_id=message_id, kind=kind, direction=direction
        )
    )

    def notify(user_id: int) -> None:
        events.user_mentioned.send(sender=Message, case_id=case_id, message_id=message_id, user_id=user_id)

    for user in mentioned:
        _on_commit(partial(notify, user.pk))
    return message


def _check_not_stale(case: Case, seen_message_id: int | None, by: Any) -> None:
    if seen_message_id is None:
        return
    newer = list(
        # The customer's new message or another staff member's reply; automatic replies (the
        # resolution follow-up) have no author and are not news.
        case.messages.filter(pk__gt=seen_message_id, kind=MessageKind.REPLY)
        .filter(Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND, author__isnull=False))
        .exclude(author=by)
        .values_list("pk", flat=True)
    )
    if newer:
        raise StaleReplyError(
            _("Someone else replied on this case after you opened it. Read the new reply, then send again."),
            newer_message_ids=newer,
        )


@transaction.atomic
def message_reply(
    *,
    case_id: int,
    by: Any,
    body: str,
    internal: bool = False,
    attachments: Sequence[AttachmentInput] = (),
    seen_message_id: int | None = None,
    status: int | str | None = None,
    channel: str | None = None,
) -> Message:
    """A staff user's public reply to the customer, or an internal note (``internal``).

    ``seen_message_id``: the newest message the sender had seen; a public reply is refused
    (StaleReplyError) when someone else replied since. ``status`` sets the status in the same step.
    """
    case = _lock(case_id)
    if not body.strip() and not attachments:
        raise DomainError(_("Write a message."), field="body")
    if case.is_merged:
        raise CaseStateError(
            _("This case was merged into #%(ref)s; reply there.")
            % {"ref": case.merged_into.reference if case.merged_into else ""},
            field="case",
        )
    if not internal and case.status_category == StatusCategory.CLOSED:
        raise CaseStateError(
            _("This case is closed; open a new case to write to the customer."), field="case"
        )
    validate_attachments(attachments)
    new_status = _status(status) if status is not None else None
    if not internal:
        _check_not_stale(case, seen_message_id, by)
    message = _add_message(
        case,
        by=by,
        body=body,
        kind=MessageKind.NOTE if internal else MessageKind.REPLY,
        direction=Direction.INTERNAL if internal else Direction.OUTBOUND,
        channel=Channel.SYSTEM if internal else (channel or case.channel),
        attachments=attachments,
    )
    if new_status is not None and new_status.pk != case.status_id:
        _apply_status(case, new_status, by=by)
    elif not internal and case.status_category == StatusCategory.NEW:
        _apply_status(case, status_for(StatusCategory.OPEN), by=by)
    audit.record(
        actor=by,
        verb="case.noted" if internal else "case.replied",
        target=case,
        data={"message_id": message.pk, "attachments": len(attachments)},
    )
    return message


@transaction.atomic
def message_receive_on_case(
    *,
    case_id: int,
    body: str,
    channel: str,
    by: Any | None = None,
    external_id: str = "",
    attachments: Sequence[AttachmentInput] = (),
    at: datetime | None = None,
) -> Message:
    """A message from the customer on an existing case (portal, email, chat, API).

    Reopens a resolved case and takes a pending-customer case back to open. The inbox app
    decides which case a message belongs to and calls this.
    """
    case = _lock(case_id)
    if case.is_merged:
        case = _lock(case.merged_into_id)  # type: ignore[arg-type]
    if external_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
        return Message.objects.get(channel=channel, external_id=external_id)
    if not body.strip() and not attachments:
        raise DomainError(_("Write a message."), field="body")
    validate_attachments(attachments)
    message = _add_message(
        case,
        by=by,
        body=body,
        kind=MessageKind.REPLY,
        direction=Direction.INBOUND,
        channel=channel,
        external_id=external_id,
        attachments=attachments,
        at=at,
    )
    if case.status_category in (
        StatusCategory.PENDING_CUSTOMER,
        StatusCategory.RESOLVED,
        StatusCategory.CLOSED,
        StatusCategory.ON_HOLD,
    ):
        reopened = case.status_category in (StatusCategory.RESOLVED, StatusCategory.CLOSED)
        _apply_status(case, status_for(StatusCategory.OPEN), by=None, reason="customer_reply")
        if reopened:
            audit.record(actor=None, verb="case.reopened", target=case, data={"message_id": message.pk})
    return message


@transaction.atomic
def call_log(
    *,
    case_id: int,
    by: Any,
    direction: str,
    duration_seconds: int,
    summary: str,
    outcome: str,
) -> Message:
    """Record a phone call on a case: direction, duration, summary, outcome."""
    case = _lock(case_id)
    errors: dict[str, list[str]] = {}
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        errors["direction"] = [_("Choose inbound or outbound.")]
    if outcome not in CallOutcome.values:
        errors["outcome"] = [_("%(value)s is not a valid choice.") % {"value": outcome}]
    if duration_seconds < 0 or duration_seconds > 24 * 3600:
        errors["duration_seconds"] = [_("Enter a duration between 0 and 24 hours.")]
    if not summary.strip():
        errors["summary"] = [_("This field is required.")]
    if errors:
        raise FieldErrors(errors)
    if case.is_merged:
        raise CaseStateError(
            _("This case was merged; log the call on the case it was merged into."), field="case"
        )
    message = _add_message(
        case,
        by=by,
        body=summary,
        kind=MessageKind.CALL,
        direction=direction,
        channel=Channel.PHONE,
        call_duration_seconds=duration_seconds,
        call_outcome=outcome,
    )
    if direction == Direction.OUTBOUND and case.first_response_at is None:
        # Calling the customer back is a response.
        case.first_response_at = message.created_at
        case.save(update_fields=["first_response_at"])
        sla.responded(case=case, at=message.created_at)
    if direction == Direction.INBOUND and case.status_category in (
        StatusCategory.PENDING_CUSTOMER,
        StatusCategory.RESOLVED,
    ):
        _apply_status(case, status_for(StatusCategory.OPEN), by=by, reason="customer_call")
    audit.record(
        actor=by,
        verb="case.call_logged",
        target=case,
        data={
            "message_id": message.pk,
            "direction": direction,
            "seconds": duration_seconds,
            "outcome": outcome,
        },
    )
    return message


# --- status and fields ------------------------------------------------------------------------


def _apply_status(case: Case, status: CaseStatus, *, by: Any | None, reason: str = "") -> None:
    old_category = case.status_category
    old_name = case.status.name if case.status_id else ""
    now = timezone.now()
    case.status = status
    case.status_category = status.category
    fields = ["status", "status_category", "updated_at"]
    if status.category == StatusCategory.RESOLVED and case.resolved_at is None:
        case.resolved_at = now
        fields.append("resolved_at")
    if status.category == StatusCategory.CLOSED and case.closed_at is None:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
        fields += ["closed_at", "resolved_at"]
    if status.category in ACTIVE_CATEGORIES:
        if case.resolved_at or case.closed_at:
            case.resolved_at = case.closed_at = None
            fields += ["resolved_at", "closed_at"]
        if case.follow_up_due_at is not None:
            case.follow_up_due_at = None
            fields.append("follow_up_due_at")
    case.save(update_fields=sorted(set(fields)))
    audit.record(
        actor=by,
        verb="case.status_changed",
        target=case,
        data={"from": old_name, "to": status.name, "category": status.category, "reason": reason},
    )
    sla.status_changed(case=case, old_category=old_category, at=now)
    if status.category == StatusCategory.RESOLVED and old_category != StatusCategory.RESOLVED:
        sla.follow_up_start(case=case, by=by, at=now)
    case_id, new_category = case.pk, status.category
    _on_commit(
        lambda: events.case_status_changed.send(
            sender=Case, case_id=case_id, old_category=old_category, new_category=new_category
        )
    )


@transaction.atomic
def case_status_set(*, case_id: int, by: Any | None, status: int | str | CaseStatus) -> Case:
    """Move a case to a status (by id, slug or object)."""
    case = _lock(case_id)
    new = _status(status)
    if case.is_merged:
        raise CaseStateError(_("A merged case keeps its status."), field="status")
    if new.pk != case.status_id:
        _apply_status(case, new, by=by)
    return case


EDITABLE = ("subject", "priority", "category_id", "channel")


@transaction.atomic
def case_update(
    *,
    case_id: int,
    by: Any,
    changes: dict[str, Any],
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Case:
    """Change subject, priority, category, channel, tags and custom fields; audited with a diff."""
    case = _lock(case_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(_("Unknown field %(name)s.") % {"name": name}, field=name)
    if case.is_merged:
        raise CaseStateError(_("A merged case cannot be changed."), field="case")
    errors: dict[str, list[str]] = {}
    if "subject" in changes and not str(changes["subject"] or "").strip():
        errors["subject"] = [_("This field is required.")]
    if "priority" in changes and changes["priority"] not in Priority.values:
        errors["priority"] = [_("%(value)s is not a valid choice.") % {"value": changes["priority"]}]
    if "channel" in changes and changes["channel"] not in Channel.values:
        errors["channel"] = [_("%(value)s is not a valid choice.") % {"value": changes["channel"]}]
    if errors:
        raise FieldErrors(errors)
    if "category_id" in changes:
        _category(changes["category_id"])
    before = {name: getattr(case, name) for name in EDITABLE}
    before_tags = sorted(case.tags.values_list("name", flat=True))
    before_custom = dict(case.custom_fields)
    for name, value in changes.items():
        setattr(case, name, value.strip() if isinstance(value, str) else value)
    if custom_fields is not None:
        merged = {**case.custom_fields, **custom_fields}
        case.custom_fields = clean_custom_fields(merged)
    diff = audit.changes(before, {name: getattr(case, name) for name in EDITABLE})
    if case.custom_fields != before_custom:
        diff["custom_fields"] = [before_custom, case.custom_fields]
    case.save()
    if tags is not None:
        after = _set_tags(case, tags)
        if after != before_tags:
            diff["tags"] = [before_tags, after]
    if not diff:
        return case
    audit.record(actor=by, verb="case.updated", target=case, data={"changes": diff})
    if "priority" in diff or "category_id" in diff or "channel" in diff:
        sla.policy_reapply(case=case, at=timezone.now())
    if "subject" in diff:
        case_reindex(case_id=case.pk)
    fields = sorted(diff)
    case_id = case.pk
    _on_commit(lambda: events.case_updated.send(sender=Case, case_id=case_id, fields=fields))
    return case
