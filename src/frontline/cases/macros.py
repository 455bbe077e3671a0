"""Macros (canned replies): personal, team and global texts with placeholders, and the status and
tags they apply with them.

Placeholders are a small whitelist substituted as plain text (``{{ customer.first_name }}``); the
text is never given to the Django template engine, so a macro cannot reach anything else. An
unknown placeholder is refused when the macro is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.accounts.models import Membership, Team
from frontline.audit import services as audit
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from . import services
from .assignment import is_admin, leads_team
from .choices import MacroScope
from .models import Case, CaseStatus, Macro, Message

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
MAX_BODY = 10_000


def _agent_name(agent: Any | None) -> str:
    if agent is None:
        return ""
    return str(agent.get_full_name() or agent.get_username())


PLACEHOLDERS: dict[str, Callable[[Case, Any | None], str]] = {
    "customer.first_name": lambda case, agent: case.customer.first_name,
    "customer.last_name": lambda case, agent: case.customer.last_name,
    "customer.full_name": lambda case, agent: case.customer.full_name,
    "case.reference": lambda case, agent: case.reference,
    "case.subject": lambda case, agent: case.subject,
    "agent.first_name": lambda case, agent: agent.first_name if agent is not None else "",
    "agent.full_name": lambda case, agent: _agent_name(agent),
    "order.number": lambda case, agent: str(case.custom_fields.get("order_number", "") or ""),
}


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP


# --- placeholders -----------------------------------------------------------------------------


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in ``text`` that are not on the whitelist, in order of appearance."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def _check_placeholders(text: str, field: str) -> None:
    unknown = unknown_placeholders(text)
    if unknown:
        raise DomainError(
            _("Unknown placeholder %(names)s. Use: %(known)s.")
            % {
                "names": ", ".join("{{ " + name + " }}" for name in unknown),
                "known": ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS),
            },
            field=field,
        )


def render_text(text: str, *, case: Case, agent: Any | None) -> str:
    """Substitute the whitelisted placeholders as plain text; anything else is left as written."""

    def substitute(match: re.Match[str]) -> str:
        resolve = PLACEHOLDERS.get(match.group(1))
        return resolve(case, agent) if resolve is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, text)


def macro_render(*, macro: Macro, case: Case, by: Any | None) -> str:
    """The macro's text for this case and agent (``by``)."""
    return render_text(macro.body, case=case, agent=by)


# --- who may see and change what --------------------------------------------------------------


def _team_ids(user: Any) -> list[int]:
    return list(Membership.objects.filter(user_id=user.pk).values_list("team_id", flat=True))


def _visible(user: Any) -> Q:
    return (
        Q(scope=MacroScope.PERSONAL, owner_id=user.pk)
        | Q(scope=MacroScope.TEAM, team__memberships__user_id=user.pk)
        | Q(scope=MacroScope.GLOBAL)
    )


def macros_for_user(user: Any) -> list[Macro]:
    """The macros ``user`` may use: their own, their teams', and everyone's; by name. One query."""
    if user is None or not getattr(user, "is_staff_member", False):
        return []
    return list(
        Macro.objects.filter(_visible(user))
        .select_related("team", "set_status", "owner")
        .distinct()
        .order_by("name", "id")
    )


def _may_manage(by: Any, *, scope: str, owner_id: int | None, team_id: int | None) -> bool:
    """Personal macros: their owner. Team macros: the owner, a lead of the team, an administrator.
    Global macros: the owner or anyone who manages case settings (leads, administrators)."""
    if scope == MacroScope.PERSONAL:
        return owner_id == by.pk
    if owner_id == by.pk or is_admin(by):
        return True
    if scope == MacroScope.TEAM:
        return team_id is not None and leads_team(by, team_id)
    return bool(by.has_perm(roles.CASE_SETTINGS))


def _require_staff(by: Any) -> None:
    if by is None or not getattr(by, "is_staff_member", False):
        raise PermissionDeniedError(_("Only staff can manage macros."))


# --- validation -------------------------------------------------------------------------------


def _status(value: int | str | CaseStatus | None) -> CaseStatus | None:
    if value is None or value == "":
        return None
    if isinstance(value, CaseStatus):
        return value
    lookup = {"pk": value} if isinstance(value, int) else {"slug": value}
    status = CaseStatus.objects.filter(is_active=True, **lookup).first()
    if status is None:
        raise DomainError(_("Unknown status %(value)s.") % {"value": value}, field="set_status")
    return status


def _tags(names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        names = [names]
    return sorted({str(n).strip().lower()[:50] for n in names if n and str(n).strip()})


def _clean_text(*, name: str | None, body: str | None, errors: dict[str, list[str]]) -> None:
    if name is not None:
        if not name.strip():
            errors["name"] = [_("Give the macro a name.")]
        elif len(name.strip()) > 100:
            errors["name"] = [_("At most 100 characters.")]
    if body is not None:
        if not body.strip():
            errors["body"] = [_("Write the text of the macro.")]
        elif len(body) > MAX_BODY:
            errors["body"] = [_("At most %(count)d characters.") % {"count": MAX_BODY}]
        else:
            try:
                _check_placeholders(body, "body")
            except DomainError as error:
                errors["body"] = [error.message]


def _name_taken(
    *, name: str, scope: str, owner_id: int | None, team_id: int | None, exclude: int | None
) -> bool:
    same = Macro.objects.filter(name__iexact=name, scope=scope)
    if scope == MacroScope.PERSONAL:
        same = same.filter(owner_id=owner_id)
    elif scope == MacroScope.TEAM and team_id is not None:
        same = same.filter(team_id=team_id)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    return same.exists()


def _snapshot(macro: Macro) -> dict[str, Any]:
    return {
        "name": macro.name,
        "body": macro.body,
        "set_status": macro.set_status.slug if macro.set_status else None,
        "add_tags": list(macro.add_tags),
        "is_internal": macro.is_internal,
    }


# --- writes -----------------------------------------------------------------------------------


@transaction.atomic
def macro_create(
    *,
    by: Any,
    name: str,
    body: str,
    scope: str,
    team_id: int | None = None,
    set_status: int | str | CaseStatus | None = None,
    add_tags: Iterable[str] = (),
    is_internal: bool = False,
) -> Macro:
    """A personal macro (any staff), a team macro (a lead of the team, an administrator) or a
    global one (leads and administrators)."""
    _require_staff(by)
    errors: dict[str, list[str]] = {}
    _clean_text(name=name, body=body, errors=errors)
    team: Team | None = None
    if scope not in MacroScope.values:
        errors["scope"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(MacroScope.values)}]
    elif scope == MacroScope.TEAM:
        team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
        if team is None:
            errors["team"] = [_("Choose the team that shares this macro.")]
    elif team_id is not None:
        errors["team"] = [_("Only team macros belong to a team.")]
    try:
        status = _status(set_status)
    except DomainError as error:
        errors["set_status"] = [error.message]
        status = None
    if errors:
        raise FieldErrors(errors)
    if not _may_manage(
        by, scope=scope, owner_id=by.pk if scope == MacroScope.PERSONAL else None, team_id=team_id
    ):
        raise PermissionDeniedError(_("Only a team lead or an administrator can share macros with others."))
    name = name.strip()
    if _name_taken(name=name, scope=scope, owner_id=by.pk, team_id=team_id, exclude=None):
        raise Conflict(_("A macro with this name already exists here."), field="name")
    macro = Macro.objects.create(
        name=name,
        body=body.strip(),
        scope=scope,
        owner=by,
        team=team,
        set_status=status,
        add_tags=_tags(add_tags),
        is_internal=is_internal,
    )
    audit.record(
        actor=by,
        verb="macro.created",
        target=macro,
        data={"scope": scope, "team_id": team_id, **_snapshot(macro)},
    )
    return macro


def _lock_macro(macro_id: int) -> Macro:
    macro = (
        Macro.objects.select_for_update(of=("self",)).select_related("set_status").filter(pk=macro_id).first()
    )
    if macro is None:
        raise NotFound(_("No such macro."), field="macro")
    return macro


@transaction.atomic
def macro_update(
    *,
    macro_id: int,
    by: Any,
    name: str | None = None,
    body: str | None = None,
    set_status: int | str | CaseStatus | _Keep | None = KEEP,
    add_tags: Iterable[str] | None = None,
    is_internal: bool | None = None,
) -> Macro:
    """Change a macro; arguments left out (None, or ``KEEP`` for ``set_status``) stay as they are,
    ``set_status=None`` removes the status change."""
    _require_staff(by)
    macro = _lock_macro(macro_id)
    if not _may_manage(by, scope=macro.scope, owner_id=macro.owner_id, team_id=macro.team_id):
        raise PermissionDeniedError(_("You cannot change this macro."))
    errors: dict[str, list[str]] = {}
    _clean_text(name=name, body=body, errors=errors)
    status = macro.set_status
    if set_status is not KEEP:
        try:
            status = _status(set_status)
        except DomainError as error:
            errors["set_status"] = [error.message]
    if errors:
        raise FieldErrors(errors)
    before = _snapshot(macro)
    if name is not None:
        if _name_taken(
            name=name.strip(),
            scope=macro.scope,
            owner_id=macro.owner_id,
            team_id=macro.team_id,
            exclude=macro.pk,
        ):
            raise Conflict(_("A macro with this name already exists here."), field="name")
        macro.name = name.strip()
    if body is not None:
        macro.body = body.strip()
    macro.set_status = status
    if add_tags is not None:
        macro.add_tags = _tags(add_tags)
    if is_internal is not None:
        macro.is_internal = is_internal
    diff = audit.changes(before, _snapshot(macro))
    if not diff:
        return macro
    macro.save()
    audit.record(actor=by, verb="macro.updated", target=macro, data={"changes": diff})
    return macro


@transaction.atomic
def macro_delete(*, macro_id: int, by: Any) -> None:
    _require_staff(by)
    macro = _lock_macro(macro_id)
    if not _may_manage(by, scope=macro.scope, owner_id=macro.owner_id, team_id=macro.team_id):
        raise PermissionDeniedError(_("You cannot delete this macro."))
    audit.record(
        actor=by,
        verb="macro.deleted",
        target=macro,
        data={"scope": macro.scope, "team_id": macro.team_id, **_snapshot(macro)},
    )
    macro.delete()


@transaction.atomic
def macro_apply(
    *,
    case_id: int,
    macro_id: int,
    by: Any,
    seen_message_id: int | None = None,
    body_override: str | None = None,
) -> Message:
    """Post the macro's text on the case (a public reply, or an internal note for an internal
    macro) through ``services.message_reply``, set its status and add its tags through the same
    services as by hand, and count the use. ``body_override`` is the text as the agent edited it
    in the composer (its placeholders are filled in too)."""
    _require_staff(by)
    macro = Macro.objects.filter(_visible(by), pk=macro_id).select_related("set_status").distinct().first()
    if macro is None:
        raise NotFound(_("No such macro."), field="macro")
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("No such case."), field="case")
    if body_override is not None:
        _check_placeholders(body_override, "body")
        text = render_text(body_override, case=case, agent=by)
    else:
        text = macro_render(macro=macro, case=case, by=by)
    message = services.message_reply(
        case_id=case.pk,
        by=by,
        body=text,
        internal=macro.is_internal,
        seen_message_id=seen_message_id,
        status=macro.set_status.pk if macro.set_status is not None and macro.set_status.is_active else None,
    )
    if macro.add_tags:
        locked = Case.objects.select_for_update().get(pk=case.pk)
        current = list(locked.tags.values_list("name", flat=True))
        wanted = sorted(set(current) | set(macro.add_tags))
        if wanted != sorted(current):
            services.case_update(case_id=case.pk, by=by, changes={}, tags=wanted)
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    audit.record(
        actor=by,
        verb="macro.applied",
        target=case,
        data={"macro_id": macro.pk, "message_id": message.pk, "edited": body_override is not None},
    )
    return message
