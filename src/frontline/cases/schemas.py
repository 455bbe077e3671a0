"""The shapes the cases API accepts and returns.

Input schemas check shape only (types, lengths, known choices); the rules (unknown status, an
assignee outside the team, oversized attachments, a merged or closed case, a stale reply...)
live in the services. Output schemas read only what the selectors load, so serialising a page
runs no extra query. Fields staff keep to themselves (team, assignee, tags, custom fields, SLA,
escalation, internal notes) are ``null`` for a portal customer.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import StrEnum
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from frontline.core.api import MAX_ID, ErrorItem
from frontline.customers.choices import Channel, Direction

from .choices import CallOutcome, LinkKind, MacroScope, MessageKind, Priority, StatusCategory
from .models import Attachment, Case, CaseStatus, Category, Macro, Message
from .services import AttachmentInput

MAX_BODY = 50_000
MAX_TAGS = 50

# --- inputs ---------------------------------------------------------------------------------


class InputSchema(Schema):
    """Unknown fields are refused rather than silently ignored: a typo is an error."""

    model_config = ConfigDict(extra="forbid")


class AttachmentIn(InputSchema):
    """A file sent inline, base64-encoded (standard alphabet, padding required). For large files
    use the multipart endpoint ``POST /cases/{reference}/messages/upload`` instead: a JSON body
    is limited to 10 MB, base64 included."""

    filename: str = Field(..., min_length=1, max_length=200, examples=["receipt.pdf"])
    content_type: str = Field("", max_length=100, description="Guessed from the file name when empty.")
    content_base64: str = Field(..., description="The file's bytes, base64-encoded.")

    @field_validator("content_base64")
    @classmethod
    def _decodable(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("Not valid base64.") from None
        return value

    def to_input(self) -> AttachmentInput:
        return AttachmentInput(
            filename=self.filename,
            content=base64.b64decode(self.content_base64, validate=True),
            content_type=self.content_type,
        )


Tags = list[str]


class CaseCreateIn(InputSchema):
    """A new case. Staff name the customer; a portal customer opens a case for themselves and may
    send only ``subject``, ``body``, ``category_id``, ``custom_fields`` and ``attachments``."""

    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Required for staff.")
    subject: str = Field(..., min_length=1, max_length=255)
    body: str = Field("", max_length=MAX_BODY, description="The first message.")
    channel: Channel | None = Field(None, description="Staff only; default web (portal for customers).")
    priority: Priority | None = Field(None, description="Staff only; default normal.")
    category_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description="Staff only.")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="Staff only; a member of the team.")
    tags: Tags = Field(default_factory=list, max_length=MAX_TAGS, description="Staff only.")
    custom_fields: dict[str, Any] = Field(default_factory=dict, max_length=100)
    from_customer: bool | None = Field(
        None,
        description="Staff only: the first message is the customer's (inbound, default) or the "
        "staff member's own (outbound).",
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


# Fields of a new case a portal customer may not send.
CREATE_STAFF_ONLY = ("customer_id", "channel", "priority", "team_id", "assignee_id", "tags", "from_customer")


class CaseUpdateIn(InputSchema):
    """Only the fields sent change. ``tags`` replaces the tags; ``custom_fields`` are merged into
    the current values (send a key with ``null`` to clear it)."""

    subject: str = Field(None, min_length=1, max_length=255)  # type: ignore[assignment]
    priority: Priority = Field(None)  # type: ignore[assignment]
    category_id: int | None = Field(None, ge=1, le=MAX_ID, description="null removes the category.")
    channel: Channel = Field(None)  # type: ignore[assignment]
    tags: Tags = Field(None, max_length=MAX_TAGS)  # type: ignore[arg-type]
    custom_fields: dict[str, Any] = Field(None, max_length=100)  # type: ignore[arg-type]

    def sent(self, name: str) -> bool:
        return name in self.model_fields_set

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, mode="json")
        return {
            name: sent[name] for name in ("subject", "priority", "category_id", "channel") if name in sent
        }


class StatusIn(InputSchema):
    status: str = Field(
        ...,
        min_length=1,
        max_length=60,
        description="A status slug (e.g. waiting-on-customer) or id.",
        examples=["resolved"],
    )


class MessageIn(InputSchema):
    """A public reply (``internal`` false) or an internal note. A portal customer's message is
    always a public reply from them (``internal``, ``status`` and ``seen_message_id`` are staff
    only)."""

    body: str = Field("", max_length=MAX_BODY)
    internal: bool = False
    seen_message_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The newest message the sender has seen. A public reply is refused (409, with "
        "`newer_message_ids`) when someone else replied since.",
    )
    status: str | None = Field(
        None, min_length=1, max_length=60, description="Set this status with the reply."
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class CallIn(InputSchema):
    direction: Direction = Field(..., description="inbound (they called) or outbound (we called).")
    duration_seconds: int = Field(..., ge=0, le=24 * 3600)
    summary: str = Field(..., min_length=1, max_length=MAX_BODY)
    outcome: CallOutcome


class AssignIn(InputSchema):
    """``assignee_id`` null unassigns; ``team_id`` moves the case to that team's queue."""

    assignee_id: int | None = Field(..., ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = Field("", max_length=MAX_BODY, description="Kept as an internal note.")


class ForwardIn(InputSchema):
    note: str = Field(..., min_length=1, max_length=MAX_BODY, description="Why; kept as an internal note.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)


class EscalateIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=MAX_BODY)
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the technical support team.")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)


class ReturnIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=MAX_BODY)


class CaseMergeIn(InputSchema):
    merged_reference: str = Field(
        ..., min_length=1, max_length=20, description="The case folded into this one."
    )
    notify_customer: bool = False
    allow_different_customers: bool = False


class SplitIn(InputSchema):
    subject: str = Field(..., min_length=1, max_length=255, description="The new case's subject.")


class LinkIn(InputSchema):
    other_reference: str = Field(..., min_length=1, max_length=20)
    kind: LinkKind = LinkKind.RELATED


class BulkAction(StrEnum):
    ASSIGN = "assign"
    STATUS = "status"
    TAG = "tag"
    MERGE = "merge"


class BulkParams(InputSchema):
    """``assign``: ``assignee_id`` and/or ``team_id`` (neither: unassign), ``note``.
    ``status``: ``status``. ``tag``: ``add`` and/or ``remove``. ``merge``: ``survivor_reference``
    (default: the first case), ``notify_customer``, ``allow_different_customers``."""

    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = Field("", max_length=MAX_BODY)
    status: str = Field("", max_length=60)
    add: Tags = Field(default_factory=list, max_length=MAX_TAGS)
    remove: Tags = Field(default_factory=list, max_length=MAX_TAGS)
    survivor_reference: str = Field("", max_length=20)
    notify_customer: bool = False
    allow_different_customers: bool = False


class BulkIn(InputSchema):
    references: list[str] = Field(..., min_length=1, max_length=500)
    action: BulkAction
    params: BulkParams = Field(default_factory=lambda: BulkParams.model_validate({}))


class MacroApplyIn(InputSchema):
    seen_message_id: int | None = Field(None, ge=1, le=MAX_ID)
    body_override: str | None = Field(
        None, max_length=MAX_BODY, description="The text as edited; placeholders are filled in."
    )


class Availability(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class AvailabilityIn(InputSchema):
    availability: Availability


# --- outputs --------------------------------------------------------------------------------


class StatusBrief(Schema):
    id: int
    name: str
    category: StatusCategory


class StatusRef(StatusBrief):
    slug: str


class StatusOut(StatusRef):
    pauses_sla: bool
    is_default: bool
    position: int

    @staticmethod
    def build(status: CaseStatus) -> StatusOut:
        return StatusOut(
            id=status.pk,
            slug=status.slug,
            name=status.name,
            category=StatusCategory(status.category),
            pauses_sla=status.pauses_sla,
            is_default=status.is_default,
            position=status.position,
        )


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    description: str

    @staticmethod
    def build(category: Category) -> CategoryOut:
        return CategoryOut(
            id=category.pk, slug=category.slug, name=category.name, description=category.description
        )


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str


class CaseRef(Schema):
    reference: str
    subject: str


def _user(user: Any | None) -> UserRef | None:
    if user is None:
        return None
    return UserRef(id=user.pk, username=user.get_username(), name=user.get_full_name() or user.get_username())


def _status(status: CaseStatus) -> StatusRef:
    return StatusRef(
        id=status.pk, slug=status.slug, name=status.name, category=StatusCategory(status.category)
    )


class CaseListItem(Schema):
    """A case as lists show it (the queue's row)."""

    reference: str
    subject: str
    status: StatusBrief
    priority: Priority
    channel: Channel
    customer: Ref
    team: Ref | None = Field(description="null when none, and for portal customers.")
    assignee: Ref | None = Field(description="null when unassigned, and for portal customers.")
    tags: list[str] | None = Field(description="null for portal customers.")
    sla_due_at: datetime | None = Field(
        description="Earliest due SLA target; null when none runs, and for portal customers."
    )
    sla_breached: bool | None
    sla_paused: bool | None
    message_count: int
    last_message_at: datetime | None
    merged: bool = Field(description="The case was merged into another (see its detail).")
    created_at: datetime

    @staticmethod
    def build(row: Any, *, staff: bool) -> CaseListItem:
        """From a ``selectors.QueueRow``."""
        return CaseListItem(
            reference=row.reference,
            subject=row.subject,
            status=StatusBrief(
                id=row.status_id, name=row.status_name, category=StatusCategory(row.status_category)
            ),
            priority=Priority(row.priority),
            channel=Channel(row.channel),
            customer=Ref(id=row.customer_id, name=row.customer_name),
            team=Ref(id=row.team_id, name=row.team_name) if staff and row.team_id is not None else None,
            assignee=Ref(id=row.assignee_id, name=row.assignee_name)
            if staff and row.assignee_id is not None
            else None,
            tags=list(row.tags) if staff else None,
            sla_due_at=row.sla_due_at if staff else None,
            sla_breached=row.sla_breached if staff else None,
            sla_paused=row.sla_paused if staff else None,
            message_count=row.message_count,
            last_message_at=row.last_message_at,
            merged=row.merged_into_id is not None,
            created_at=row.created_at,
        )


class CasePage(Schema):
    count: int = Field(description="Matching cases, counted up to 1,000 (see `count_capped`).")
    count_capped: bool = Field(
        description="True when more cases match than were counted: narrow the filters."
    )
    next: str | None
    previous: str | None
    results: list[CaseListItem]


class ClockOut(Schema):
    metric: str = Field(description="first_response, next_response or resolution.")
    label: str
    target_minutes: int
    started_at: datetime
    due_at: datetime | None = Field(description="null while paused.")
    remaining_seconds: int = Field(description="Business seconds left; negative when overdue.")
    paused: bool
    breached: bool
    warned: bool
    met: bool | None = Field(description="true met in time, false met late, null running or cancelled.")
    stopped_at: datetime | None

    @staticmethod
    def build(state: Any) -> ClockOut:
        return ClockOut(
            metric=state.metric,
            label=state.label,
            target_minutes=state.target_minutes,
            started_at=state.started_at,
            due_at=state.due_at,
            remaining_seconds=state.remaining_seconds,
            paused=state.paused,
            breached=state.breached,
            warned=state.warned,
            met=state.met,
            stopped_at=state.stopped_at,
        )


class SlaEventOut(Schema):
    at: datetime
    metric: str
    metric_label: str
    kind: str
    kind_label: str
    data: dict[str, Any]

    @staticmethod
    def build(entry: Any) -> SlaEventOut:
        return SlaEventOut(
            at=entry.at,
            metric=entry.metric,
            metric_label=entry.metric_label,
            kind=entry.kind,
            kind_label=entry.kind_label,
            data=entry.data,
        )


class SlaOut(Schema):
    policy: str | None = Field(description="The SLA policy applied to the case.")
    due_at: datetime | None
    paused: bool
    breached: bool
    clocks: list[ClockOut]
    history: list[SlaEventOut] = Field(
        description="Every start, pause, resume, warning, breach, met and escalation, oldest first."
    )


class LinkOut(Schema):
    reference: str
    subject: str
    kind: LinkKind
    direction: str = Field(description="out: this case links the other; in: the other links this one.")


class CaseDetail(Schema):
    reference: str
    subject: str
    status: StatusRef
    priority: Priority
    channel: Channel
    category: Ref | None
    customer: Ref
    organisation: Ref | None
    team: Ref | None = Field(description="null when none, and for portal customers.")
    assignee: UserRef | None = Field(description="null when unassigned, and for portal customers.")
    tags: list[str] | None = Field(description="null for portal customers.")
    custom_fields: dict[str, Any] | None = Field(description="null for portal customers.")
    message_count: int
    merged_into: str | None = Field(description="Reference of the case this one was merged into.")
    parent: CaseRef | None
    links: list[LinkOut] | None = Field(description="Related cases; null for portal customers.")
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    last_customer_message_at: datetime | None
    last_agent_reply_at: datetime | None
    last_message_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    follow_up_due_at: datetime | None
    created_by: UserRef | None = Field(
        description="The staff member who opened it; null for portal customers."
    )
    escalation_level: int | None = Field(
        description="SLA escalation level reached; null for portal customers."
    )
    escalated_at: datetime | None = Field(
        description="When it went to technical support; null if not escalated."
    )
    escalated_from_team: Ref | None
    sla_due_at: datetime | None = Field(description="Earliest due SLA target; null for portal customers.")
    sla_breached: bool | None
    sla_paused: bool | None
    sla: list[ClockOut] | None = Field(description="The SLA targets; null for portal customers.")

    @staticmethod
    def build(case: Case, *, staff: bool, sla: list[Any] | None = None) -> CaseDetail:
        """From a case loaded by ``selectors.case_get_for_api``; ``sla`` from ``sla.sla_state``."""
        customer = case.customer
        links: list[LinkOut] | None = None
        if staff:
            links = [
                LinkOut(
                    reference=link.to_case.reference,
                    subject=link.to_case.subject,
                    kind=LinkKind(link.kind),
                    direction="out",
                )
                for link in case.links_out.all()
            ] + [
                LinkOut(
                    reference=link.from_case.reference,
                    subject=link.from_case.subject,
                    kind=LinkKind(link.kind),
                    direction="in",
                )
                for link in case.links_in.all()
            ]
        return CaseDetail(
            reference=case.reference,
            subject=case.subject,
            status=_status(case.status),
            priority=Priority(case.priority),
            channel=Channel(case.channel),
            category=Ref(id=case.category.pk, name=case.category.name) if case.category else None,
            customer=Ref(id=customer.pk, name=customer.full_name or str(customer)),
            organisation=Ref(id=case.organisation.pk, name=case.organisation.name)
            if case.organisation
            else None,
            team=Ref(id=case.team.pk, name=case.team.name) if staff and case.team else None,
            assignee=_user(case.assignee) if staff else None,
            tags=sorted(tag.name for tag in case.tags.all()) if staff else None,
            custom_fields=dict(case.custom_fields) if staff else None,
            message_count=case.message_count,
            merged_into=case.merged_into.reference if case.merged_into else None,
            parent=CaseRef(reference=case.parent.reference, subject=case.parent.subject)
            if staff and case.parent
            else None,
            links=links,
            created_at=case.created_at,
            updated_at=case.updated_at,
            first_response_at=case.first_response_at,
            last_customer_message_at=case.last_customer_message_at,
            last_agent_reply_at=case.last_agent_reply_at,
            last_message_at=case.last_message_at,
            resolved_at=case.resolved_at,
            closed_at=case.closed_at,
            follow_up_due_at=case.follow_up_due_at,
            created_by=_user(case.created_by) if staff else None,
            escalation_level=case.escalation_level if staff else None,
            escalated_at=case.escalated_at if staff else None,
            escalated_from_team=(
                Ref(id=case.escalated_from_team.pk, name=case.escalated_from_team.name)
                if staff and case.escalated_from_team
                else None
            ),
            sla_due_at=case.sla_due_at if staff else None,
            sla_breached=case.sla_breached if staff else None,
            sla_paused=case.sla_paused if staff else None,
            sla=[ClockOut.build(state) for state in sla or []] if staff else None,
        )


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="Download it here (same authentication).")

    @staticmethod
    def build(attachment: Attachment, *, url: str) -> AttachmentOut:
        return AttachmentOut(
            id=attachment.pk,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            url=url,
        )


class CallOut(Schema):
    duration_seconds: int | None
    outcome: CallOutcome | None


class MessageOut(Schema):
    id: int
    kind: MessageKind
    direction: Direction
    channel: Channel
    author: UserRef | None = Field(
        description="The staff member or portal user who wrote it; null for the system, inbound channels "
        "and portal customers (who see `author_label`)."
    )
    author_label: str
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]
    call: CallOut | None = Field(description="Phone calls only.")
    mentions: list[str] | None = Field(description="Usernames mentioned; null for portal customers.")

    @staticmethod
    def build(message: Message, *, staff: bool, attachment_url: Any) -> MessageOut:
        author = message.author
        return MessageOut(
            id=message.pk,
            kind=MessageKind(message.kind),
            direction=Direction(message.direction),
            channel=Channel(message.channel),
            author=_user(author) if staff else None,
            author_label=message.author_label,
            body=message.body,
            created_at=message.created_at,
            attachments=[AttachmentOut.build(a, url=attachment_url(a)) for a in message.attachments.all()],
            call=(
                CallOut(
                    duration_seconds=message.call_duration_seconds,
                    outcome=CallOutcome(message.call_outcome) if message.call_outcome else None,
                )
                if message.kind == MessageKind.CALL
                else None
            ),
            mentions=sorted(m.user.get_username() for m in message.mention_rows.all()) if staff else None,
        )


class MessagePage(Schema):
    results: list[MessageOut]
    next_cursor: str | None = Field(description="Pass as `after` for the next (newer) page.")
    next: str | None


class StaleReplyErrors(Schema):
    """409: the error shape, plus the ids of the messages the sender has not seen (a stale reply)."""

    errors: list[ErrorItem]
    newer_message_ids: list[int] = Field(default_factory=list, description="Read these, then send again.")


class BulkFailure(Schema):
    reference: str
    message: str


class BulkOut(Schema):
    done: list[str] = Field(description="References of the cases the action was done on.")
    failed: list[BulkFailure]


class MacroOut(Schema):
    id: int
    name: str
    body: str
    scope: MacroScope
    team: Ref | None
    owner: str | None
    is_internal: bool
    set_status: StatusRef | None
    add_tags: list[str]
    usage_count: int

    @staticmethod
    def build(macro: Macro) -> MacroOut:
        return MacroOut(
            id=macro.pk,
            name=macro.name,
            body=macro.body,
            scope=MacroScope(macro.scope),
            team=Ref(id=macro.team.pk, name=macro.team.name) if macro.team else None,
            owner=macro.owner.get_username() if macro.owner else None,
            is_internal=macro.is_internal,
            set_status=_status(macro.set_status) if macro.set_status else None,
            add_tags=list(macro.add_tags),
            usage_count=macro.usage_count,
        )


class AvailabilityOut(Schema):
    username: str
    availability: Availability
