"""The case page and every action on it.

One code path serves the full page and its HTMX fragments: a GET picks the fragment by
``HX-Target``; a POST runs one service and answers with the region it changed plus every other
changed region out of band (HTMX), or a redirect back to the page (no JavaScript). A service's
refusal (``DomainError``) becomes a form error with status 422 and nothing is written.

Access: staff with ``cases.view_case`` see the page; each action needs its own permission
(``frontline.accounts.roles``). Portal customers get 403 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, re_path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.accounts import roles
from frontline.core.errors import DomainError, NotFound, PermissionDeniedError
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, is_htmx, wants_fragment

from . import assignment, escalation, handover, macros, merge, selectors, services, sla
from .access import staff_required
from .errors import StaleReplyError
from .forms import (
    NOTE,
    REPLY,
    AssignForm,
    CallForm,
    EscalateForm,
    ForwardForm,
    HandoverForm,
    LinkForm,
    MacroPickForm,
    MergeForm,
    PropertiesForm,
    ReplyForm,
    ReturnForm,
    SplitForm,
)
from .models import Case, Message

UNPROCESSABLE = 422
REF = r"^(?P<reference>\d{1,20})/"
SLA_WARNING = timedelta(hours=2)


def case_for_page(request: HttpRequest, reference: str) -> Case:
    """The case a page shows, if the user may see it (else 404). Other case pages use it too."""
    try:
        return selectors.case_page_get(user=request.user, reference=reference)
    except NotFound:
        raise Http404(_("Case not found.")) from None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _queue_url() -> str:
    return reverse("cases:queue")


@dataclass(frozen=True)
class Can:
    """What the signed-in user may do on the case page."""

    reply: bool
    note: bool
    change: bool
    assign: bool
    escalate: bool
    merge: bool


def _can(request: HttpRequest) -> Can:
    has = request.user.has_perm
    return Can(
        reply=has(roles.CASE_REPLY),
        note=has(roles.CASE_CHANGE),
        change=has(roles.CASE_CHANGE),
        assign=has(roles.CASE_ASSIGN),
        escalate=has(roles.CASE_ESCALATE),
        merge=has(roles.CASE_MERGE),
    )


# --- what the page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRow:
    label: str
    due_at: datetime | None
    remaining: timedelta
    state: str  # running, paused, breached, met, cancelled
    late: bool
    warning: bool


def _sla_rows(case: Case) -> list[SlaRow]:
    """The case's SLA clocks (``sla.sla_state``) as the panel shows them."""
    rows = []
    for clock in sla.sla_state(case):
        if clock.met is not None:
            state = "met"
        elif clock.cancelled:
            state = "cancelled"
        elif clock.breached:
            state = "breached"
        elif clock.paused:
            state = "paused"
        else:
            state = "running"
        remaining = timedelta(seconds=clock.remaining_seconds)
        rows.append(
            SlaRow(
                label=clock.label,
                due_at=clock.due_at,
                remaining=remaining,
                state=state,
                late=clock.met is False,
                warning=state == "running" and (clock.warned or remaining <= SLA_WARNING),
            )
        )
    return rows


def _options(request: HttpRequest) -> Any:
    """Statuses, categories and custom fields, read once per request (two forms use them)."""
    options = getattr(request, "_case_page_options", None)
    if options is None:
        options = selectors.case_page_form_options()
        request._case_page_options = options  # type: ignore[attr-defined]
    return options


def _properties_form(request: HttpRequest, case: Case, data: Any = None) -> PropertiesForm:
    options = _options(request)
    return PropertiesForm(
        data,
        initial=None if data is not None else PropertiesForm.initial_for(case),
        statuses=options.statuses,
        categories=options.categories,
        custom_fields=options.custom_fields,
    )


def _assign_form(case: Case, data: Any = None) -> AssignForm:
    members = selectors.case_page_people(team_id=case.team_id)
    return AssignForm(data, members=members, initial={"assignee": case.assignee_id})


def _reply_form(
    request: HttpRequest, case: Case, data: Any = None, files: Any = None, *, can: Can, seen: int = 0
) -> ReplyForm:
    options = _options(request)
    mode = REPLY if can.reply and case.can_reply() else NOTE
    return ReplyForm(
        data,
        files,
        initial={"mode": mode, "seen_message_id": seen},
        statuses=options.statuses,
        current=case.status,
    )


def _regions(
    request: HttpRequest,
    case: Case,
    *,
    seen: int | None = None,
    properties_form: PropertiesForm | None = None,
    assign_form: AssignForm | None = None,
) -> dict[str, Any]:
    """Everything the changing regions of the page show (header, thread, side panel, history).
    ``seen``: the newest message id the composer reported; newer messages are marked new."""
    can = _can(request)
    thread = selectors.case_page_thread(case=case)
    new_messages = 0
    if seen:
        new_messages = sum(1 for m in thread.messages if m.pk > seen and m.author_id != request.user.pk)
    properties_form = properties_form or _properties_form(request, case)
    context: dict[str, Any] = {
        "case": case,
        "can": can,
        "thread": thread,
        "seen": seen or 0,
        "new_messages": new_messages,
        "summary": selectors.case_page_customer(case=case),
        "sla_rows": _sla_rows(case),
        "properties_form": properties_form,
        "custom_field_names": properties_form.custom_field_names(),
        "custom_values": [
            (d.label, case.custom_fields.get(d.key, "")) for d in properties_form.custom_definitions
        ],
        "relations": selectors.case_page_relations(case=case),
        "handover_notes": selectors.case_page_handover_notes(case=case),
        "skip": (),
    }
    if can.assign and not case.is_merged:
        context["assign_form"] = assign_form or _assign_form(case)
    return context


def case_page_context(
    request: HttpRequest,
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    stale_messages: list[Message] | None = None,
    **forms: Any,
) -> dict[str, Any]:
    """Everything ``cases/case_detail.html`` needs: regions, permissions, the composer and its form.

    Pages that show the case with something pre-filled (the proactive case) start from it.
    """
    context = _regions(request, case, **forms)
    can: Can = context["can"]
    composer = (can.reply or can.note) and not case.is_merged
    context.update(composer=composer, queue_url=_queue_url())
    if composer:
        context.update(_composer_context(request, case, reply_form=reply_form, stale_messages=stale_messages))
        context["reply_form"] = reply_form or _reply_form(
            request, case, can=can, seen=context["thread"].newest_id
        )
    return context


def _composer_context(
    request: HttpRequest,
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    stale_messages: list[Message] | None = None,
    had_files: bool = False,
) -> dict[str, Any]:
    can = _can(request)
    return {
        "case": case,
        "can": can,
        "macros": macros.macros_for_user(request.user),
        "stale_messages": stale_messages or [],
        "had_files": had_files,
        "reply_form": reply_form,
    }


# --- the page ---------------------------------------------------------------------------------


@require_GET
@staff_required()
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    before = _int(request.GET.get("before"))
    if wants_fragment(request, "case-thread-earlier") and before:
        # "Show earlier messages": the older messages and the next button.
        thread = selectors.case_page_thread(case=case, before_id=before)
        context = {"case": case, "can": _can(request), "thread": thread, "seen": 0}
        return render(request, "cases/partials/_case_thread_items.html", context)
    if wants_fragment(request, "case-live"):
        # Someone acted on the case (live update) or we did: every changing region, out of band.
        seen = _int(request.GET.get("seen_message_id"))
        return render(request, "cases/partials/_case_refresh.html", _regions(request, case, seen=seen))
    context = case_page_context(request, case)
    if before:
        context["thread"] = selectors.case_page_thread(case=case, before_id=before)
    return render(request, "cases/case_detail.html", context)


@require_GET
@staff_required()
def case_history(request: HttpRequest, reference: str) -> HttpResponse:
    """The History tab's content (audit entries and SLA events), loaded when the tab is opened:
    most visits never open it, so the page does not pay for it."""
    case = (
        selectors.cases_visible_to(request.user).only("pk", "reference").filter(reference=reference).first()
    )
    if case is None:
        raise Http404(_("Case not found."))
    context = {"case": case, "history": selectors.case_page_history(case=case), "history_loaded": True}
    return render(request, "cases/partials/_case_history.html", context)


def _done(
    request: HttpRequest,
    case: Case,
    *,
    main: str = "",
    main_context: dict[str, Any] | None = None,
    skip: tuple[str, ...] = (),
    flash: str = "",
    trigger: str = "",
) -> HttpResponse:
    """After a successful action: with HTMX, ``main`` (the region the form replaces) and every
    other region out of band; without, back to the page."""
    if flash:
        messages.success(request, flash)
    if not is_htmx(request):
        return HttpResponseRedirect(case.get_absolute_url())
    fresh = case_for_page(request, case.reference)
    context = {**_regions(request, fresh), "skip": skip, **(main_context or {})}
    context["case"] = fresh
    body = render_to_string(main, context, request) if main else ""
    body += render_to_string("cases/partials/_case_refresh.html", context, request)
    response = HttpResponse(body)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def _refused(
    request: HttpRequest, case: Case, fragment: str, context: dict[str, Any], **page_forms: Any
) -> HttpResponse:
    """A refused form: its region with the errors (HTMX) or the whole page with it, status 422."""
    if is_htmx(request):
        base = _regions(request, case, **page_forms)
        return render(request, fragment, {**base, **context}, status=UNPROCESSABLE)
    return render(
        request,
        "cases/case_detail.html",
        case_page_context(request, case, **page_forms),
        status=UNPROCESSABLE,
    )


def _forbid_if_denied(error: DomainError) -> None:
    if isinstance(error, PermissionDeniedError):
        raise PermissionDenied(error.message) from error


# --- the composer -----------------------------------------------------------------------------


def _send(request: HttpRequest, case: Case, form: ReplyForm) -> Message:
    """Send the reply or note; a macro picked in the composer is applied with the edited text
    (its status and tags too) when the message goes out as the macro would send it."""
    data = form.cleaned_data
    files = [services.AttachmentInput.from_upload(f) for f in data["attachments"]]
    status = form.status_value()
    macro_id = data.get("macro")
    macro = (
        next((m for m in macros.macros_for_user(request.user) if m.pk == macro_id), None)
        if macro_id
        else None
    )
    if macro is not None and macro.is_internal == form.internal and not files:
        with transaction.atomic():
            message = macros.macro_apply(
                case_id=case.pk,
                macro_id=macro.pk,
                by=request.user,
                seen_message_id=form.seen_id(),
                body_override=data["body"],
            )
            if status is not None and status != macro.set_status_id:
                services.case_status_set(case_id=case.pk, by=request.user, status=status)
        return message
    return services.message_reply(
        case_id=case.pk,
        by=request.user,
        body=data["body"],
        internal=form.internal,
        attachments=files,
        seen_message_id=form.seen_id(),
        status=status,
    )


@require_POST
@staff_required()
def case_reply(request: HttpRequest, reference: str) -> HttpResponse:
    """A public reply (``cases.reply_case``) or an internal note (``cases.change_case``)."""
    case = case_for_page(request, reference)
    can = _can(request)
    form = _reply_form(request, case, request.POST, request.FILES, can=can)
    if not (can.note if form.internal else can.reply):
        raise PermissionDenied
    stale: list[Message] = []
    if form.is_valid():
        try:
            message = _send(request, case, form)
        except StaleReplyError as error:
            stale = selectors.case_page_messages(case=case, ids=error.newer_message_ids)
            # Keep the text; the writer has now seen the newer replies, which the warning shows.
            data = request.POST.copy()
            data["seen_message_id"] = str(max(m.pk for m in stale) if stale else 0)
            data.pop("force", None)
            form = _reply_form(request, case, data, can=can)
            form.is_valid()
        except DomainError as error:
            _forbid_if_denied(error)
            add_domain_error(
                form, error, aliases={"case": "__all__", "macro": "__all__", "seen_message_id": "__all__"}
            )
        else:
            if not is_htmx(request):
                messages.success(request, _("Internal note added.") if form.internal else _("Reply sent."))
                return HttpResponseRedirect(f"{case.get_absolute_url()}#message-{message.pk}")
            fresh = case_for_page(request, case.reference)
            context = _regions(request, fresh)
            reset = _reply_form(request, fresh, can=can, seen=context["thread"].newest_id)
            context.update(_composer_context(request, fresh, reply_form=reset), sent=True)
            body = render_to_string("cases/partials/_case_composer.html", context, request)
            body += render_to_string("cases/partials/_case_refresh.html", context, request)
            return HttpResponse(body)
    had_files = bool(request.FILES)
    if is_htmx(request):
        context = _composer_context(request, case, reply_form=form, stale_messages=stale, had_files=had_files)
        body = render_to_string("cases/partials/_case_composer.html", context, request)
        if stale:
            regions = _regions(request, case, seen=_int(request.POST.get("seen_message_id")))
            body += render_to_string("cases/partials/_case_thread.html", {**regions, "oob": True}, request)
        return HttpResponse(body, status=UNPROCESSABLE)
    context = case_page_context(request, case, reply_form=form, stale_messages=stale)
    context["had_files"] = had_files
    return render(request, "cases/case_detail.html", context, status=UNPROCESSABLE)


@require_GET
@staff_required()
def case_macro(request: HttpRequest, reference: str) -> HttpResponse:
    """The composer's text with the picked macro's text (rendered for this case) added at the
    end; the macro's mode and status come along out of band."""
    case = case_for_page(request, reference)
    can = _can(request)
    if not (can.reply or can.note):
        raise PermissionDenied
    form = MacroPickForm(request.GET)
    body = (request.GET.get("body") or "")[:50_000]
    macro = None
    if form.is_valid():
        macro = next(
            (m for m in macros.macros_for_user(request.user) if m.pk == form.cleaned_data["macro_pick"]), None
        )
    if macro is None:
        # Nothing picked (the "Insert macro…" line) or a macro this user may not use: unchanged.
        return render(request, "cases/partials/_case_composer_macro.html", {"body": body, "macro": None})
    text = macros.macro_render(macro=macro, case=case, by=request.user)
    combined = f"{body.rstrip()}\n\n{text}" if body.strip() else text
    mode = NOTE if macro.is_internal or not can.reply else REPLY
    reply_form = _reply_form(request, case, can=can)
    reply_form.initial.update(mode=mode, status=str(macro.set_status_id) if macro.set_status_id else "")
    context = {"body": combined, "case": case, "can": can, "reply_form": reply_form, "macro": macro}
    return render(request, "cases/partials/_case_composer_macro.html", context)


# --- properties and assignment ----------------------------------------------------------------


@require_POST
@staff_required(roles.CASE_CHANGE)
def case_properties(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = _properties_form(request, case, request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.case_update(
                    case_id=case.pk,
                    by=request.user,
                    changes=form.changes(),
                    tags=form.tag_names(),
                    custom_fields=form.custom_values(),
                )
                if form.cleaned_data["status"] != case.status_id:
                    services.case_status_set(
                        case_id=case.pk, by=request.user, status=form.cleaned_data["status"]
                    )
        except DomainError as error:
            _forbid_if_denied(error)
            add_domain_error(form, error, aliases=form.error_aliases())
        else:
            return _done(
                request,
                case,
                main="cases/partials/_case_properties.html",
                main_context={"properties_saved": True},
                skip=("properties",),
                flash="" if is_htmx(request) else _("Saved."),
            )
    return _refused(request, case, "cases/partials/_case_properties.html", {}, properties_form=form)


@require_POST
@staff_required(roles.CASE_ASSIGN)
def case_take(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    try:
        assignment.case_take(case_id=case.pk, by=request.user)
    except DomainError as error:
        _forbid_if_denied(error)
        form = _assign_form(case)
        add_domain_error(form, error, aliases={"case": "__all__", "assignee": "__all__"})
        return _refused(request, case, "cases/partials/_case_assignment.html", {}, assign_form=form)
    return _done(
        request,
        case,
        main="cases/partials/_case_assignment.html",
        skip=("assignment",),
        flash=_("The case is yours."),
    )


@require_POST
@staff_required(roles.CASE_ASSIGN)
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = _assign_form(case, request.POST)
    if form.is_valid():
        try:
            updated = assignment.case_assign(
                case_id=case.pk,
                by=request.user,
                assignee_id=form.cleaned_data["assignee"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            _forbid_if_denied(error)
            add_domain_error(form, error, aliases={"case": "__all__", "team": "__all__"})
        else:
            name = updated.assignee.display_name if updated.assignee else _("nobody")
            return _done(
                request,
                case,
                main="cases/partials/_case_assignment.html",
                skip=("assignment",),
                flash=_("Assigned to %(name)s.") % {"name": name},
            )
    return _refused(request, case, "cases/partials/_case_assignment.html", {}, assign_form=form)


# --- actions in the dialog --------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    title: str
    submit: str
    icon: str
    url: str
    intro: str = ""
    tone: str = "primary"


def _action(
    request: HttpRequest,
    case: Case,
    *,
    action: Action,
    form: Any,
    run: Callable[[dict[str, Any]], str],
    aliases: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET: the form (in the page's dialog with HTMX, else on a page of its own). POST: run the
    service; ``run`` returns the message to show. Refused: the form with errors, status 422."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = run(form.cleaned_data)
            except DomainError as error:
                _forbid_if_denied(error)
                add_domain_error(form, error, aliases={"case": "__all__", **(aliases or {})})
            else:
                return _done(
                    request,
                    case,
                    main="cases/partials/_case_action.html",
                    main_context={"action": asdict(action), "modal": True, "done": done},
                    flash=done,
                    trigger="case-modal-close",
                )
        status = UNPROCESSABLE
    return _render_action(request, case, action=action, form=form, extra=extra, status=status)


def _render_action(
    request: HttpRequest,
    case: Case,
    *,
    action: Action,
    form: Any,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "action": asdict(action),
        "form": form,
        "modal": is_htmx(request),
        **(extra or {}),
    }
    if is_htmx(request):
        return render(request, "cases/partials/_case_action.html", context, status=status)
    context["queue_url"] = _queue_url()
    return render(request, "cases/case_action.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_ASSIGN)
def case_forward(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = ForwardForm(
        request.POST or None,
        teams=selectors.case_page_teams(),
        people=selectors.case_page_people(),
        initial={"team": case.team_id},
    )

    def run(data: dict[str, Any]) -> str:
        updated = assignment.case_forward(
            case_id=case.pk,
            by=request.user,
            note=data["note"],
            team_id=data.get("team"),
            assignee_id=data.get("assignee"),
        )
        who = updated.assignee.display_name if updated.assignee else str(updated.team or "")
        return _("Forwarded to %(who)s.") % {"who": who}

    action = Action(
        title=_("Forward the case"),
        submit=_("Forward"),
        icon="forward",
        url=reverse("cases:case_forward", args=[case.reference]),
        intro=_("The note is kept on the case as an internal note for the person or team taking over."),
    )
    return _action(
        request,
        case,
        action=action,
        form=form,
        run=run,
        aliases={"assignee_id": "assignee", "team_id": "team"},
    )


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_ESCALATE)
def case_escalate(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = EscalateForm(request.POST or None, teams=selectors.case_page_teams())

    def run(data: dict[str, Any]) -> str:
        updated = escalation.case_escalate_to_tech(
            case_id=case.pk, by=request.user, reason=data["reason"], team_id=data.get("team")
        )
        return _("Escalated to %(team)s.") % {"team": updated.team or _("technical support")}

    action = Action(
        title=_("Escalate to technical support"),
        submit=_("Escalate"),
        icon="tools",
        url=reverse("cases:case_escalate", args=[case.reference]),
        intro=_("The case moves to the technical team with your reason; it keeps its SLA."),
        tone="danger",
    )
    return _action(request, case, action=action, form=form, run=run, aliases={"team_id": "team"})


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_ESCALATE)
def case_return(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = ReturnForm(request.POST or None)

    def run(data: dict[str, Any]) -> str:
        updated = escalation.case_return_from_tech(case_id=case.pk, by=request.user, reason=data["reason"])
        return _("Returned to %(team)s.") % {"team": updated.team or _("the team")}

    action = Action(
        title=_("Return from technical support"),
        submit=_("Return"),
        icon="arrow-return-left",
        url=reverse("cases:case_return", args=[case.reference]),
        intro=_("The case goes back to the team it was escalated from, with your reason."),
    )
    return _action(request, case, action=action, form=form, run=run)


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_REPLY)
def case_call(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = CallForm(request.POST or None)

    def run(data: dict[str, Any]) -> str:
        services.call_log(
            case_id=case.pk,
            by=request.user,
            direction=data["direction"],
            duration_seconds=data["duration"],
            summary=data["summary"],
            outcome=data["outcome"],
        )
        return _("Call logged.")

    action = Action(
        title=_("Log a phone call"),
        submit=_("Log the call"),
        icon="telephone-plus",
        url=reverse("cases:case_call", args=[case.reference]),
    )
    return _action(request, case, action=action, form=form, run=run, aliases={"duration_seconds": "duration"})


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_CHANGE)
def case_handover(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = HandoverForm(request.POST or None, people=selectors.case_page_people())

    def run(data: dict[str, Any]) -> str:
        handover.handover_note_add(
            by=request.user, body=data["body"], case_id=case.pk, handed_to_id=data.get("handed_to")
        )
        return _("Handover note saved; the next shift sees it on their dashboard.")

    action = Action(
        title=_("Leave a handover note"),
        submit=_("Save the note"),
        icon="arrow-left-right",
        url=reverse("cases:case_handover", args=[case.reference]),
        intro=_("For the colleague who picks this case up on the next shift."),
    )
    return _action(request, case, action=action, form=form, run=run, aliases={"handed_to_id": "handed_to"})


def _other_case(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_page_get(user=request.user, reference=reference)
    except NotFound:
        raise DomainError(_("There is no case #%(ref)s.") % {"ref": reference}, field="other") from None


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_MERGE)
def case_link(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_page(request, reference)
    form = LinkForm(request.POST or None)

    def run(data: dict[str, Any]) -> str:
        other = _other_case(request, data["other"])
        merge.case_link(case_id=case.pk, other_id=other.pk, by=request.user, kind=data["kind"])
        return _("Linked to #%(ref)s.") % {"ref": other.reference}

    action = Action(
        title=_("Link a related case"),
        submit=_("Link"),
        icon="link-45deg",
        url=reverse("cases:case_link", args=[case.reference]),
    )
    return _action(request, case, action=action, form=form, run=run, aliases={"other_id": "other"})


@require_POST
@staff_required(roles.CASE_MERGE)
def case_unlink(request: HttpRequest, reference: str, other: str) -> HttpResponse:
    case = case_for_page(request, reference)
    other_case = case_for_page(request, other)
    try:
        merge.case_unlink(case_id=case.pk, other_id=other_case.pk, by=request.user)
    except DomainError as error:
        _forbid_if_denied(error)
        if not is_htmx(request):
            messages.error(request, error.message)
            return HttpResponseRedirect(case.get_absolute_url())
        return _refused(request, case, "cases/partials/_case_side.html", {"side_error": error.message})
    return _done(
        request,
        case,
        main="cases/partials/_case_side.html",
        skip=("side",),
        flash=_("Link to #%(ref)s removed.") % {"ref": other_case.reference},
    )


@dataclass(frozen=True)
class MergeSide:
    case: Case
    survives: bool


@dataclass(frozen=True)
class MergePreview:
    sides: list[MergeSide]
    survivor: Case
    other_customer: bool


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_MERGE)
def case_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this case into another: give its number, see both side by side, confirm."""
    case = case_for_page(request, reference)
    form = MergeForm(request.POST or None)
    action = Action(
        title=_("Merge into another case"),
        submit=_("Preview the merge"),
        icon="intersect",
        url=reverse("cases:case_merge", args=[case.reference]),
        intro=_("This case's messages move to the other case, which stays open; this one closes."),
        tone="warning",
    )
    extra: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        status = UNPROCESSABLE
        if form.is_valid():
            data = form.cleaned_data
            try:
                other = _other_case(request, data["other"])
                if other.pk == case.pk:
                    raise DomainError(_("A case cannot be merged into itself."), field="other")
                if data["confirm"]:
                    survivor = merge.case_merge(
                        survivor_id=other.pk,
                        merged_id=case.pk,
                        by=request.user,
                        notify_customer=data["notify_customer"],
                        allow_different_customers=True,  # the preview warned; the user confirmed
                    )
                    messages.success(
                        request, _("#%(ref)s was merged into this case.") % {"ref": case.reference}
                    )
                    return htmx_redirect(request, survivor.get_absolute_url())
                if other.is_merged or case.is_merged:
                    raise DomainError(_("Merged cases cannot be merged again."), field="other")
            except DomainError as error:
                _forbid_if_denied(error)
                add_domain_error(
                    form, error, aliases={"case": "__all__", "merged": "other", "survivor": "other"}
                )
            else:
                # The preview; nothing is written until it is confirmed.
                status = 200
                extra["preview"] = MergePreview(
                    sides=[MergeSide(case, False), MergeSide(other, True)],
                    survivor=other,
                    other_customer=other.customer_id != case.customer_id,
                )
    return _render_action(request, case, action=action, form=form, extra=extra, status=status)


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_MERGE)
def message_split(request: HttpRequest, reference: str, message_id: str) -> HttpResponse:
    case = case_for_page(request, reference)
    try:
        message = selectors.message_of_case(case=case, pk=int(message_id))
    except NotFound:
        raise Http404(_("Message not found.")) from None
    first_line = next((line.strip() for line in message.body.splitlines() if line.strip()), "")
    form = SplitForm(request.POST or None, initial={"subject": first_line[:120] or case.subject})

    def run(data: dict[str, Any]) -> str:
        new = merge.message_split(message_id=message.pk, by=request.user, subject=data["subject"])
        return format_html(
            _("The message is now case {link}."),
            link=format_html(
                '<a class="alert-link" href="{}">#{}</a>', new.get_absolute_url(), new.reference
            ),
        )

    action = Action(
        title=_("Split into a new case"),
        submit=_("Split off"),
        icon="scissors",
        url=reverse("cases:message_split", args=[case.reference, message.pk]),
        intro=_("The message moves to a new case of the same customer, linked to this one."),
    )
    return _action(
        request,
        case,
        action=action,
        form=form,
        run=run,
        aliases={"message": "__all__"},
        extra={"quote": message},
    )


# --- attachments ------------------------------------------------------------------------------


@require_GET
@staff_required()
def attachment_download(request: HttpRequest, reference: str, attachment_id: str) -> FileResponse:
    """The file, always as a download (never rendered inline, whatever its type)."""
    case = case_for_page(request, reference)
    try:
        attachment = selectors.attachment_get_for_api(case=case, pk=int(attachment_id), public_only=False)
    except NotFound:
        raise Http404(_("Attachment not found.")) from None
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    re_path(REF + r"$", case_detail, name="case_detail"),
    re_path(REF + r"history/$", case_history, name="case_history"),
    re_path(REF + r"reply/$", case_reply, name="case_reply"),
    re_path(REF + r"macro/$", case_macro, name="case_macro"),
    re_path(REF + r"properties/$", case_properties, name="case_properties"),
    re_path(REF + r"take/$", case_take, name="case_take"),
    re_path(REF + r"assign/$", case_assign, name="case_assign"),
    re_path(REF + r"forward/$", case_forward, name="case_forward"),
    re_path(REF + r"escalate/$", case_escalate, name="case_escalate"),
    re_path(REF + r"return/$", case_return, name="case_return"),
    re_path(REF + r"call/$", case_call, name="case_call"),
    re_path(REF + r"handover/$", case_handover, name="case_handover"),
    re_path(REF + r"link/$", case_link, name="case_link"),
    re_path(REF + r"links/(?P<other>\d{1,20})/remove/$", case_unlink, name="case_unlink"),
    re_path(REF + r"merge/$", case_merge, name="case_merge"),
    re_path(REF + r"messages/(?P<message_id>\d{1,18})/split/$", message_split, name="message_split"),
    re_path(REF + r"attachments/(?P<attachment_id>\d{1,18})/$", attachment_download, name="attachment"),
]
