"""The cases REST API: /api/v1/cases.

Thin: the schemas check shape, the selectors read (with the caller's visibility), the services
write and decide. Every endpoint checks the caller's role permission first (403), then finds the
case among those the caller may see (404): staff with ``cases.view_case`` see every case; a
portal customer (role ``customer``, linked through ``Customer.user``) sees only their own.

Permissions: ``view_case`` reads; ``add_case`` opens cases; ``change_case`` edits fields, sets
statuses and writes internal notes; ``reply_case`` writes public replies, logs calls and applies
macros; ``assign_case`` assigns, takes, forwards; ``escalate_case`` escalates to technical support
and back; ``merge_case`` merges, splits and links. A portal customer may list and read their own
cases (public messages only), open a case for themselves (channel portal) and reply on it
(received as an inbound message); every staff action is 403 for them.

Attachments: inline as base64 in the JSON of ``POST /cases/`` and ``POST .../messages`` (the JSON
body is limited to 10 MB), or as multipart form data on ``POST .../messages/upload`` (each file up
to ``CASE_ATTACHMENT_MAX_MB``). Files are downloaded from the ``url`` each attachment carries.

A stale public reply (``seen_message_id`` older than someone else's reply) is refused with 409
and ``newer_message_ids``; a reply to a merged or closed case is 409 too.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.params import functions as param
from ninja.responses import Status

from frontline.accounts import roles
from frontline.core.api import ERROR_STATUSES, MAX_ID, ErrorItem, Errors, page_links, require_perm, responses
from frontline.core.errors import DomainError, FieldErrors, PermissionDeniedError
from frontline.customers.choices import Channel

from . import assignment, bulk, escalation, filters, macros, merge, selectors, services, sla
from .errors import CaseStateError, StaleReplyError
from .models import Attachment, Case, Message
from .schemas import (
    CREATE_STAFF_ONLY,
    AssignIn,
    AttachmentIn,
    AvailabilityIn,
    AvailabilityOut,
    BulkAction,
    BulkFailure,
    BulkIn,
    BulkOut,
    CallIn,
    CaseCreateIn,
    CaseDetail,
    CaseListItem,
    CaseMergeIn,
    CasePage,
    CaseUpdateIn,
    CategoryOut,
    ClockOut,
    EscalateIn,
    ForwardIn,
    LinkIn,
    MacroApplyIn,
    MacroOut,
    MessageIn,
    MessageOut,
    MessagePage,
    ReturnIn,
    SlaEventOut,
    SlaOut,
    SplitIn,
    StaleReplyErrors,
    StatusIn,
    StatusOut,
)
from .services import AttachmentInput, CaseInput

router = Router(tags=["cases"])

ReferencePath = param.Path(
    ...,
    min_length=1,
    max_length=20,
    pattern=r"^[0-9A-Za-z-]+$",
    description="The case reference, e.g. 36100012.",
)
BULK_PERMISSIONS = {
    BulkAction.ASSIGN: roles.CASE_ASSIGN,
    BulkAction.STATUS: roles.CASE_CHANGE,
    BulkAction.TAG: roles.CASE_CHANGE,
    BulkAction.MERGE: roles.CASE_MERGE,
}
# The errors other than 409, for operations that answer 409 with ``newer_message_ids``.
_NOT_CONFLICT = frozenset(ERROR_STATUSES - {409})


def _with_conflict(status: int, schema: Any) -> dict[Any, Any]:
    return {status: schema, 409: StaleReplyErrors, _NOT_CONFLICT: Errors}


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _is_staff(user: Any) -> bool:
    return bool(user.has_perm(roles.CASE_VIEW))


def _case(user: Any, reference: str) -> Case:
    """The case (with what its detail shows) if the caller may see it, else 404."""
    return selectors.case_get_for_api(user=user, reference=reference)


def _detail(user: Any, case_id: int) -> CaseDetail:
    return _detail_of(user, selectors.case_get_for_api(user=user, pk=case_id))


def _detail_of(user: Any, case: Case) -> CaseDetail:
    staff = _is_staff(user)
    return CaseDetail.build(case, staff=staff, sla=sla.sla_state(case) if staff else None)


def _attachment_url(request: HttpRequest, reference: str) -> Any:
    def url(attachment: Attachment) -> str:
        return request.build_absolute_uri(
            reverse(
                "api:case_attachment_download",
                kwargs={"reference": reference, "attachment_id": attachment.pk},
            )
        )

    return url


def _message_out(request: HttpRequest, message: Message, *, staff: bool) -> MessageOut:
    loaded = selectors.message_get_for_api(pk=message.pk)
    return MessageOut.build(
        loaded, staff=staff, attachment_url=_attachment_url(request, loaded.case.reference)
    )


def _conflict(error: DomainError) -> Status[StaleReplyErrors]:
    newer = error.newer_message_ids if isinstance(error, StaleReplyError) else []
    items = [ErrorItem(**item) for item in error.as_errors()]
    return Status(409, StaleReplyErrors(errors=items, newer_message_ids=newer))


def _attachments(items: list[AttachmentIn]) -> list[AttachmentInput]:
    return [item.to_input() for item in items]


# --- lists of settings ------------------------------------------------------------------------


@router.get("/statuses", response=responses(200, list[StatusOut]), url_name="case_status_list")
def case_status_list(request: HttpRequest) -> list[StatusOut]:
    """The active statuses, each mapped to its fixed category, in the admin's order."""
    require_perm(_user(request), roles.CASE_VIEW)
    return [StatusOut.build(s) for s in selectors.statuses_for_api()]


@router.get("/categories", response=responses(200, list[CategoryOut]), url_name="case_category_list")
def case_category_list(request: HttpRequest) -> list[CategoryOut]:
    """The active case categories (portal customers may read them to open a case)."""
    return [CategoryOut.build(c) for c in selectors.categories_for_api()]


@router.get("/macros", response=responses(200, list[MacroOut]), url_name="macro_list")
def macro_list(request: HttpRequest) -> list[MacroOut]:
    """The macros the caller may use: their own, their teams' and everyone's."""
    user = require_perm(_user(request), roles.CASE_REPLY)
    return [MacroOut.build(m) for m in macros.macros_for_user(user)]


@router.put("/availability", response=responses(200, AvailabilityOut), url_name="agent_availability_set")
def agent_availability_set(request: HttpRequest, payload: AvailabilityIn) -> AvailabilityOut:
    """Set my availability: only online agents get cases by automatic assignment."""
    user = require_perm(_user(request), roles.CASE_VIEW)
    updated = assignment.availability_set(user_id=user.pk, by=user, availability=payload.availability.value)
    return AvailabilityOut(username=updated.get_username(), availability=updated.availability)


@router.post("/bulk", response=responses(200, BulkOut), url_name="case_bulk")
def case_bulk(request: HttpRequest, payload: BulkIn) -> BulkOut:
    """Do one action on many cases, each through the same service as the single action; a case
    that fails is listed with the reason and the others are kept."""
    user = _user(request)
    require_perm(user, BULK_PERMISSIONS[payload.action])
    by_reference = selectors.case_ids_for_api(user=user, references=payload.references)
    params = payload.params
    action = payload.action.value
    values: dict[str, Any]
    if action == "assign":
        values = {"assignee_id": params.assignee_id, "team_id": params.team_id, "note": params.note}
    elif action == "status":
        if not params.status:
            raise DomainError(_("Choose the status."), field="params.status")
        values = {"status": int(params.status) if params.status.isdigit() else params.status}
    elif action == "tag":
        values = {"add": list(params.add), "remove": list(params.remove)}
    else:
        values = {
            "notify_customer": params.notify_customer,
            "allow_different_customers": params.allow_different_customers,
        }
        if params.survivor_reference:
            survivor = selectors.case_get_for_api(
                user=user, reference=params.survivor_reference, field="params.survivor_reference"
            )
            values["survivor_id"] = survivor.pk
    known = [by_reference[r] for r in dict.fromkeys(payload.references) if r in by_reference]
    failed = {r: _("No such case.") for r in payload.references if r not in by_reference}
    done: list[int] = []
    reference_of = {pk: ref for ref, pk in by_reference.items()}
    if known:
        result = bulk.cases_bulk(by=user, case_ids=known, action=action, params=values)
        done = result.done
        failed.update({reference_of[pk]: message for pk, message in result.failed.items()})
    return BulkOut(
        done=[reference_of[pk] for pk in done],
        failed=[BulkFailure(reference=ref, message=message) for ref, message in failed.items()],
    )


# --- list, read, create, change ---------------------------------------------------------------


class CaseListParams(Schema):
    """The queue's filters (``frontline.cases.filters``): list parameters repeat or take commas."""

    tab: str = Field(
        "", max_length=20, description="mine, team, unassigned, breaching, open or all (default)."
    )
    status: list[str] = Field(
        default_factory=list,
        description="Status categories (new, open, pending_customer, on_hold, resolved, closed), active, or status ids.",
    )
    priority: list[str] = Field(default_factory=list, description="low, normal, high, urgent.")
    team: list[str] = Field(default_factory=list, description="Team ids, or none.")
    assignee: list[str] = Field(default_factory=list, description="User ids, me, or none.")
    tag: list[str] = Field(default_factory=list, description="Tag names (any of them).")
    channel: list[str] = Field(default_factory=list, description="Channels the case came in on.")
    sla: str = Field(
        "", max_length=20, description="overdue, 4h (due within 4 hours), today, or none (no SLA running)."
    )
    customer: str = Field("", max_length=200, description="A customer id, or text that finds customers.")
    created_from: str = Field("", max_length=10, description="YYYY-MM-DD, inclusive.")
    created_to: str = Field("", max_length=10, description="YYYY-MM-DD, inclusive.")
    q: str = Field(
        "",
        max_length=200,
        description="Full text: reference, subject, customer, message text. Best matches first (`sort` does not apply).",
    )
    sort: str = Field("", max_length=20, description="due (default), -priority, -created, created, -updated.")
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=filters.MAX_OFFSET)


@router.get("/", response=responses(200, CasePage), url_name="case_list")
def case_list(request: HttpRequest, params: Query[CaseListParams]) -> dict[str, Any]:
    """Cases, one page at a time, in a fixed number of queries. ``count`` stops at 1,000 (then
    ``count_capped`` is true; ``next`` still leads on): narrow the filters rather than page deep.
    With ``q`` the best matches come first. A portal customer sees only their own cases and may
    filter them by status, priority, channel, dates and ``q`` (subject or reference)."""
    user = _user(request)
    staff = _is_staff(user)
    if not staff:
        selectors.portal_customer_of(user)
        for name in selectors.PORTAL_HIDDEN_FILTERS:
            if request.GET.get(name):
                raise PermissionDeniedError(_("Only staff may filter by this."), field=name)
    case_filter = filters.parse_case_filter(request.GET)
    page = selectors.case_list_for_api(
        user=user, filters=case_filter, query=params.q, offset=params.offset, limit=params.limit
    )
    # The next link follows has_next: the count stops at COUNT_CAP, the rows do not.
    next_url, previous_url = page_links(
        request,
        offset=params.offset,
        limit=params.limit,
        count=params.offset + params.limit + (1 if page.has_next else 0),
    )
    return {
        "count": page.shown_total,
        "count_capped": page.total_capped,
        "next": next_url,
        "previous": previous_url,
        "results": [CaseListItem.build(row, staff=staff) for row in page.rows],
    }


@router.get("/{reference}", response=responses(200, CaseDetail), url_name="case_detail")
def case_detail(request: HttpRequest, reference: str = ReferencePath) -> CaseDetail:
    """The case: customer, status, people, tags, custom fields, links and SLA targets."""
    user = _user(request)
    return _detail_of(user, _case(user, reference))


@router.post("/", response=responses(201, CaseDetail), url_name="case_create")
def case_create(request: HttpRequest, payload: CaseCreateIn) -> Status[CaseDetail]:
    """Open a case. Staff open it for ``customer_id``; a portal customer for themselves (channel
    portal, their message inbound)."""
    user = _user(request)
    attachments = _attachments(payload.attachments)
    if _is_staff(user):
        require_perm(user, roles.CASE_ADD)
        if payload.customer_id is None:
            raise DomainError(_("This field is required."), field="customer_id", code="missing")
        data = CaseInput(
            customer_id=payload.customer_id,
            subject=payload.subject,
            body=payload.body,
            channel=(payload.channel or Channel.WEB).value,
            priority=(payload.priority.value if payload.priority else "normal"),
            category_id=payload.category_id,
            team_id=payload.team_id,
            assignee_id=payload.assignee_id,
            tags=list(payload.tags),
            custom_fields=dict(payload.custom_fields),
            from_customer=payload.from_customer is not False,
            attachments=attachments,
        )
    else:
        customer = selectors.portal_customer_of(user)
        for name in CREATE_STAFF_ONLY:
            if name in payload.model_fields_set:
                raise PermissionDeniedError(_("Only staff may set this."), field=name)
        data = CaseInput(
            customer_id=customer.pk,
            subject=payload.subject,
            body=payload.body,
            channel=Channel.PORTAL,
            category_id=payload.category_id,
            custom_fields=dict(payload.custom_fields),
            from_customer=True,
            attachments=attachments,
        )
    case = services.case_create(by=user, data=data)
    return Status(201, _detail(user, case.pk))


@router.patch("/{reference}", response=responses(200, CaseDetail), url_name="case_update")
def case_update(request: HttpRequest, payload: CaseUpdateIn, reference: str = ReferencePath) -> CaseDetail:
    """Change the fields sent, and only those: subject, priority, category, channel, tags
    (replaced), custom fields (merged)."""
    user = require_perm(_user(request), roles.CASE_CHANGE)
    case = _case(user, reference)
    custom: dict[str, Any] | None = None
    if payload.sent("custom_fields"):
        custom = dict(payload.custom_fields or {})
    services.case_update(
        case_id=case.pk,
        by=user,
        changes=payload.changes(),
        tags=list(payload.tags) if payload.sent("tags") and payload.tags is not None else None,
        custom_fields=custom,
    )
    return _detail(user, case.pk)


@router.post("/{reference}/status", response=responses(200, CaseDetail), url_name="case_status_set")
def case_status_set(request: HttpRequest, payload: StatusIn, reference: str = ReferencePath) -> CaseDetail:
    """Move the case to a status, by slug or id (see ``GET /cases/statuses``)."""
    user = require_perm(_user(request), roles.CASE_CHANGE)
    case = _case(user, reference)
    status: int | str = int(payload.status) if payload.status.isdigit() else payload.status
    services.case_status_set(case_id=case.pk, by=user, status=status)
    return _detail(user, case.pk)


# --- messages ---------------------------------------------------------------------------------


class MessageListParams(Schema):
    after: str = Field("", max_length=200, description="`next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


def _cursor(message: Message) -> str:
    raw = f"{message.created_at.isoformat()}|{message.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, message_id = raw.rsplit("|", 1)
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError(when)
        pk = int(message_id)
        if not 0 < pk <= MAX_ID:
            raise ValueError(message_id)
        return parsed, pk
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise DomainError(
            _("Not a message cursor; pass the next_cursor of the previous page."),
            field="after",
            code="invalid_cursor",
        ) from None


@router.get("/{reference}/messages", response=responses(200, MessagePage), url_name="case_message_list")
def case_message_list(
    request: HttpRequest, params: Query[MessageListParams], reference: str = ReferencePath
) -> dict[str, Any]:
    """The conversation, oldest first, keyset-paginated. A portal customer sees public replies only
    (no internal notes, calls or system lines)."""
    user = _user(request)
    case = _case(user, reference)
    staff = _is_staff(user)
    after = _parse_cursor(params.after) if params.after else None
    rows = selectors.messages_for_api(case=case, public_only=not staff, after=after, limit=params.limit + 1)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = _cursor(rows[-1]) if more and rows else None
    next_url = None
    if next_cursor:
        query = request.GET.copy()
        query["after"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    url = _attachment_url(request, case.reference)
    return {
        "results": [MessageOut.build(m, staff=staff, attachment_url=url) for m in rows],
        "next_cursor": next_cursor,
        "next": next_url,
    }


def _post_message(
    request: HttpRequest,
    reference: str,
    *,
    body: str,
    internal: bool,
    seen_message_id: int | None,
    status: str | None,
    attachments: list[AttachmentInput],
    sent: set[str],
) -> Status[Any]:
    user = _user(request)
    if _is_staff(user):
        require_perm(user, roles.CASE_CHANGE if internal else roles.CASE_REPLY)
        case = _case(user, reference)
        try:
            message = services.message_reply(
                case_id=case.pk,
                by=user,
                body=body,
                internal=internal,
                attachments=attachments,
                seen_message_id=seen_message_id,
                status=(int(status) if status.isdigit() else status) if status else None,
            )
        except DomainError as error:
            if error.status_code == 409:
                return _conflict(error)
            raise
        return Status(201, _message_out(request, message, staff=True))
    for name in ("internal", "status", "seen_message_id"):
        if name in sent:
            raise PermissionDeniedError(_("Only staff may set this."), field=name)
    case = _case(user, reference)
    if not case.can_reply():
        return _conflict(
            CaseStateError(_("This case is closed; open a new case to write to us."), field="case")
            if not case.is_merged
            else CaseStateError(
                _("This case was merged into #%(ref)s; write there.") % {"ref": case.merged_into.reference},  # type: ignore[union-attr]
                field="case",
            )
        )
    message = services.message_receive_on_case(
        case_id=case.pk, body=body, channel=Channel.PORTAL, by=user, attachments=attachments
    )
    return Status(201, _message_out(request, message, staff=False))


@router.post(
    "/{reference}/messages", response=_with_conflict(201, MessageOut), url_name="case_message_create"
)
def case_message_create(
    request: HttpRequest, payload: MessageIn, reference: str = ReferencePath
) -> Status[Any]:
    """Post a public reply or an internal note, with attachments inline (base64). Portal
    customers post replies (received as inbound messages on the portal channel)."""
    return _post_message(
        request,
        reference,
        body=payload.body,
        internal=payload.internal,
        seen_message_id=payload.seen_message_id,
        status=payload.status,
        attachments=_attachments(payload.attachments),
        sent=set(payload.model_fields_set),
    )


class MessageFormIn(Schema):
    body: str = Field("", max_length=50_000)
    internal: bool = False
    seen_message_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: str | None = Field(None, min_length=1, max_length=60)


def _uploads(files: list[UploadedFile]) -> list[AttachmentInput]:
    """Refuse too many or too large files before reading them (their size is known)."""
    limit = int(settings.CASE_ATTACHMENT_MAX_BYTES)
    if len(files) > int(settings.CASE_ATTACHMENT_MAX_FILES):
        raise DomainError(
            _("At most %(count)d files per message.") % {"count": settings.CASE_ATTACHMENT_MAX_FILES},
            field="files",
        )
    errors: dict[str, list[str]] = {}
    for index, upload in enumerate(files):
        if (upload.size or 0) > limit:
            errors[f"files[{index}]"] = [
                _("%(name)s is larger than %(mb)s MB.") % {"name": upload.name, "mb": limit // (1024 * 1024)}
            ]
    if errors:
        error = FieldErrors(errors)
        error.code = "too_large"
        raise error
    return [AttachmentInput.from_upload(upload) for upload in files]


@router.post(
    "/{reference}/messages/upload", response=_with_conflict(201, MessageOut), url_name="case_message_upload"
)
def case_message_upload(
    request: HttpRequest,
    payload: Form[MessageFormIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    reference: str = ReferencePath,
) -> Status[Any]:
    """As ``POST .../messages``, as ``multipart/form-data`` with the files in ``files`` (repeat the
    part for several): for files too large to send inline."""
    sent = {name for name in ("internal", "status", "seen_message_id") if name in request.POST}
    return _post_message(
        request,
        reference,
        body=payload.body,
        internal=payload.internal,
        seen_message_id=payload.seen_message_id,
        status=payload.status,
        attachments=_uploads(list(files or [])),
        sent=sent,
    )


@router.get(
    "/{reference}/attachments/{int:attachment_id}",
    response={ERROR_STATUSES: Errors},
    url_name="case_attachment_download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def case_attachment_download(
    request: HttpRequest,
    reference: str = ReferencePath,
    attachment_id: int = param.Path(..., ge=1, le=MAX_ID),
) -> FileResponse:
    """Download an attachment of the case (portal customers: of its public messages only)."""
    user = _user(request)
    case = _case(user, reference)
    attachment = selectors.attachment_get_for_api(
        case=case, pk=attachment_id, public_only=not _is_staff(user)
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/{reference}/messages/{int:message_id}/split",
    response=responses(201, CaseDetail),
    url_name="case_message_split",
)
def case_message_split(
    request: HttpRequest,
    payload: SplitIn,
    reference: str = ReferencePath,
    message_id: int = param.Path(..., ge=1, le=MAX_ID),
) -> Status[CaseDetail]:
    """Move one message of this case to a new case (linked as related); answers the new case."""
    user = require_perm(_user(request), roles.CASE_MERGE)
    case = _case(user, reference)
    message = selectors.message_of_case(case=case, pk=message_id)
    new = merge.message_split(message_id=message.pk, by=user, subject=payload.subject)
    return Status(201, _detail(user, new.pk))


@router.post("/{reference}/calls", response=responses(201, MessageOut), url_name="case_call_log")
def case_call_log(
    request: HttpRequest, payload: CallIn, reference: str = ReferencePath
) -> Status[MessageOut]:
    """Record a phone call on the case: direction, duration, summary, outcome."""
    user = require_perm(_user(request), roles.CASE_REPLY)
    case = _case(user, reference)
    message = services.call_log(
        case_id=case.pk,
        by=user,
        direction=payload.direction.value,
        duration_seconds=payload.duration_seconds,
        summary=payload.summary,
        outcome=payload.outcome.value,
    )
    return Status(201, _message_out(request, message, staff=True))


@router.post(
    "/{reference}/macros/{int:macro_id}/apply",
    response=_with_conflict(201, MessageOut),
    url_name="case_macro_apply",
)
def case_macro_apply(
    request: HttpRequest,
    payload: MacroApplyIn,
    reference: str = ReferencePath,
    macro_id: int = param.Path(..., ge=1, le=MAX_ID),
) -> Status[Any]:
    """Post a macro's text (placeholders filled in) and apply its status and tags."""
    user = require_perm(_user(request), roles.CASE_REPLY)
    case = _case(user, reference)
    try:
        message = macros.macro_apply(
            case_id=case.pk,
            macro_id=macro_id,
            by=user,
            seen_message_id=payload.seen_message_id,
            body_override=payload.body_override,
        )
    except DomainError as error:
        if error.status_code == 409:
            return _conflict(error)
        raise
    return Status(201, _message_out(request, message, staff=True))


# --- assignment and escalation ----------------------------------------------------------------


@router.post("/{reference}/assign", response=responses(200, CaseDetail), url_name="case_assign")
def case_assign(request: HttpRequest, payload: AssignIn, reference: str = ReferencePath) -> CaseDetail:
    """Assign, reassign or unassign (``assignee_id`` null), optionally to another team's queue.
    The assignee must be a member of the case's (new) team."""
    user = require_perm(_user(request), roles.CASE_ASSIGN)
    case = _case(user, reference)
    assignment.case_assign(
        case_id=case.pk, by=user, assignee_id=payload.assignee_id, team_id=payload.team_id, note=payload.note
    )
    return _detail(user, case.pk)


@router.post("/{reference}/take", response=responses(200, CaseDetail), url_name="case_take")
def case_take(request: HttpRequest, reference: str = ReferencePath) -> CaseDetail:
    """Assign the case to myself."""
    user = require_perm(_user(request), roles.CASE_ASSIGN)
    case = _case(user, reference)
    assignment.case_take(case_id=case.pk, by=user)
    return _detail(user, case.pk)


@router.post("/{reference}/forward", response=responses(200, CaseDetail), url_name="case_forward")
def case_forward(request: HttpRequest, payload: ForwardIn, reference: str = ReferencePath) -> CaseDetail:
    """Hand the case to a person and/or a team with a note (kept as an internal note)."""
    user = require_perm(_user(request), roles.CASE_ASSIGN)
    case = _case(user, reference)
    assignment.case_forward(
        case_id=case.pk, by=user, note=payload.note, team_id=payload.team_id, assignee_id=payload.assignee_id
    )
    return _detail(user, case.pk)


@router.post("/{reference}/escalate", response=responses(200, CaseDetail), url_name="case_escalate")
def case_escalate(request: HttpRequest, payload: EscalateIn, reference: str = ReferencePath) -> CaseDetail:
    """Escalate to technical support (the case keeps its SLA)."""
    user = require_perm(_user(request), roles.CASE_ESCALATE)
    case = _case(user, reference)
    escalation.case_escalate_to_tech(
        case_id=case.pk,
        by=user,
        reason=payload.reason,
        team_id=payload.team_id,
        assignee_id=payload.assignee_id,
    )
    return _detail(user, case.pk)


@router.post("/{reference}/return", response=responses(200, CaseDetail), url_name="case_return")
def case_return(request: HttpRequest, payload: ReturnIn, reference: str = ReferencePath) -> CaseDetail:
    """Give an escalated case back to the team (and agent) it came from."""
    user = require_perm(_user(request), roles.CASE_ESCALATE)
    case = _case(user, reference)
    escalation.case_return_from_tech(case_id=case.pk, by=user, reason=payload.reason)
    return _detail(user, case.pk)


# --- merge and links --------------------------------------------------------------------------


@router.post("/{reference}/merge", response=responses(200, CaseDetail), url_name="case_merge")
def case_merge(request: HttpRequest, payload: CaseMergeIn, reference: str = ReferencePath) -> CaseDetail:
    """Fold case ``merged_reference`` into this one: its messages and links move here, it is
    closed and points here for good."""
    user = require_perm(_user(request), roles.CASE_MERGE)
    survivor = _case(user, reference)
    merged = selectors.case_get_for_api(
        user=user, reference=payload.merged_reference, field="merged_reference"
    )
    merge.case_merge(
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        by=user,
        notify_customer=payload.notify_customer,
        allow_different_customers=payload.allow_different_customers,
    )
    return _detail(user, survivor.pk)


@router.post("/{reference}/links", response=responses(201, CaseDetail), url_name="case_link_create")
def case_link_create(
    request: HttpRequest, payload: LinkIn, reference: str = ReferencePath
) -> Status[CaseDetail]:
    """Link a related case (related, duplicate of, caused by)."""
    user = require_perm(_user(request), roles.CASE_MERGE)
    case = _case(user, reference)
    other = selectors.case_get_for_api(user=user, reference=payload.other_reference, field="other_reference")
    merge.case_link(case_id=case.pk, other_id=other.pk, by=user, kind=payload.kind.value)
    return Status(201, _detail(user, case.pk))


@router.delete(
    "/{reference}/links/{other_reference}", response=responses(204, None), url_name="case_link_delete"
)
def case_link_delete(
    request: HttpRequest,
    reference: str = ReferencePath,
    other_reference: str = param.Path(..., min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$"),
) -> Status[None]:
    """Remove the link between the two cases, whichever way round it was made."""
    user = require_perm(_user(request), roles.CASE_MERGE)
    case = _case(user, reference)
    other = selectors.case_get_for_api(user=user, reference=other_reference, field="other_reference")
    merge.case_unlink(case_id=case.pk, other_id=other.pk, by=user)
    return Status(204, None)


# --- SLA --------------------------------------------------------------------------------------


@router.get("/{reference}/sla", response=responses(200, SlaOut), url_name="case_sla")
def case_sla(request: HttpRequest, reference: str = ReferencePath) -> SlaOut:
    """The case's SLA targets now, and its whole SLA history (pauses, breaches, escalations)."""
    user = require_perm(_user(request), roles.CASE_VIEW)
    case = _case(user, reference)
    return SlaOut(
        policy=case.sla_policy.name if case.sla_policy else None,
        due_at=case.sla_due_at,
        paused=case.sla_paused,
        breached=case.sla_breached,
        clocks=[ClockOut.build(state) for state in sla.sla_state(case)],
        history=[SlaEventOut.build(entry) for entry in sla.sla_history(case)],
    )
