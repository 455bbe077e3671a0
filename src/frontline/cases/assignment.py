"""Work distribution: manual, round-robin and load-based assignment, availability and capacity,
take / assign / forward.

Automatic assignment runs when a case enters a team's queue unassigned (``services.case_create``,
``case_forward`` to a team). It locks the team's ``Queue`` row first, so concurrent intake into one
queue is serialised, and then the chosen agent's row, so two queues sharing an agent cannot push
them past their capacity either. Lock order everywhere: case, queue, user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.accounts import services as account_services
from frontline.accounts.choices import STAFF_ROLES, Availability, Role
from frontline.accounts.models import Membership, Team, User
from frontline.audit import services as audit
from frontline.core.errors import DomainError, FieldErrors, NotFound, PermissionDeniedError

from . import events
from .choices import ACTIVE_CATEGORIES, AssignmentMode
from .errors import CaseStateError
from .models import AgentCapacity, Case, Queue

MAX_CAPACITY = 1000


# --- who may do what --------------------------------------------------------------------------


def is_admin(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMIN))


def leads_team(user: Any, team_id: int) -> bool:
    return Membership.objects.filter(user_id=user.pk, team_id=team_id, is_lead=True).exists()


def _require_perm(by: Any | None, perm: str, message: str) -> None:
    if by is not None and not by.has_perm(perm):
        raise PermissionDeniedError(message)


def _require_team_manager(by: Any | None, team_id: int) -> None:
    """Queue settings and capacities: an administrator, or a lead of the team with the settings
    permission. ``None`` is the system."""
    if by is None or is_admin(by):
        return
    if by.has_perm(roles.CASE_SETTINGS) and leads_team(by, team_id):
        return
    raise PermissionDeniedError(_("Only a lead of this team or an administrator can change this."))


# --- lookups ----------------------------------------------------------------------------------


def _lock_case(case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("status", "merged_into")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case."), field="case")
    return case


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise DomainError(_("Unknown team."), field="team")
    return team


def _refuse_merged(case: Case) -> None:
    if case.merged_into_id is not None:
        assert case.merged_into is not None
        raise CaseStateError(
            _("This case was merged into #%(ref)s; work on that case.") % {"ref": case.merged_into.reference},
            field="case",
        )


def _refuse_done(case: Case) -> None:
    _refuse_merged(case)
    if case.is_done:
        raise CaseStateError(_("This case is resolved or closed; reopen it first."), field="case")


def validate_assignee(*, assignee_id: int, team: Team | None) -> Any:
    """The staff user to assign; refused when inactive, not staff, or outside the case's team."""
    user = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if user is None or not user.is_staff_member:
        raise DomainError(_("Unknown agent."), field="assignee")
    if team is not None and not team.memberships.filter(user_id=user.pk).exists():
        raise DomainError(
            _("%(name)s is not a member of %(team)s.") % {"name": user.get_username(), "team": team.name},
            field="assignee",
        )
    return user


def _send_assigned(case: Case) -> None:
    case_id, assignee_id, team_id = case.pk, case.assignee_id, case.team_id
    transaction.on_commit(
        lambda: events.case_assigned.send(
            sender=Case, case_id=case_id, assignee_id=assignee_id, team_id=team_id
        )
    )


# --- automatic assignment ---------------------------------------------------------------------


def _eligible_members(team_id: int) -> QuerySet[User]:
    """Active staff members (leads included) of the team who are online."""
    return User.objects.filter(
        memberships__team_id=team_id,
        is_active=True,
        role__in=[r.value for r in STAFF_ROLES],
        availability=Availability.ONLINE,
    )


def _active_load() -> Count:
    return Count(
        "assigned_cases",
        filter=Q(
            assigned_cases__status_category__in=[c.value for c in ACTIVE_CATEGORIES],
            assigned_cases__merged_into__isnull=True,
        ),
    )


def _round_robin_order(queue: Queue) -> list[int]:
    """Online members in a stable order (username, id), starting after the last one served."""
    members = list(_eligible_members(queue.team_id).order_by("username", "id").values_list("pk", "username"))
    if not members:
        return []
    last = queue.last_assigned
    if last is None:
        return [pk for pk, _name in members]
    key = (last.get_username(), last.pk)
    start = next((i for i, (pk, name) in enumerate(members) if (name, pk) > key), 0)
    rotated = members[start:] + members[:start]
    return [pk for pk, _name in rotated]


def _load_based_order(queue: Queue) -> list[int]:
    """Online members below capacity: fewest active cases first, then who got a case longest ago
    (never first), then id. One query for every member's load."""
    rows = (
        _eligible_members(queue.team_id)
        .annotate(
            load=_active_load(),
            last_got=Max(Coalesce("assigned_cases__assigned_at", "assigned_cases__created_at")),
            cap=Coalesce("case_capacity__capacity", Value(queue.default_capacity)),
        )
        .filter(load__lt=F("cap"))
        .order_by("load", F("last_got").asc(nulls_first=True), "id")
        .values_list("pk", flat=True)
    )
    return list(rows)


def _claim(user_id: int, *, mode: str, capacity_default: int) -> User | None:
    """Lock the agent and check, under the lock, that they are still online and (load-based)
    still below capacity: another queue may have given them a case meanwhile."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or not user.is_staff_member or user.availability != Availability.ONLINE:
        return None
    if mode == AssignmentMode.LOAD_BASED:
        capacity = AgentCapacity.objects.filter(user_id=user_id).values_list("capacity", flat=True).first()
        limit = capacity if capacity is not None else capacity_default
        load = Case.objects.filter(
            assignee_id=user_id,
            status_category__in=[c.value for c in ACTIVE_CATEGORIES],
            merged_into__isnull=True,
        ).count()
        if load >= limit:
            return None
    return user


@transaction.atomic
def auto_assign(*, case: Case, by: Any | None) -> Any | None:
    """Assign an unassigned case by its team's queue mode; returns the agent, or None when the
    queue is manual (or has no settings) or nobody is eligible: the case then waits in the team
    queue. The status stays as it is (a new case stays new until the first response)."""
    if case.team_id is None or case.assignee_id is not None or case.merged_into_id is not None:
        return None
    if case.status_category not in ACTIVE_CATEGORIES:
        return None
    queue = (
        Queue.objects.select_for_update(of=("self",))
        .select_related("last_assigned")
        .filter(team_id=case.team_id)
        .first()
    )
    if queue is None or queue.assignment_mode == AssignmentMode.MANUAL:
        return None
    mode = queue.assignment_mode
    order = _round_robin_order(queue) if mode == AssignmentMode.ROUND_ROBIN else _load_based_order(queue)
    agent = None
    for user_id in order:
        agent = _claim(user_id, mode=mode, capacity_default=queue.default_capacity)
        if agent is not None:
            break
    if agent is None:
        return None
    now = timezone.now()
    case.assignee, case.assigned_at = agent, now
    case.save(update_fields=["assignee", "assigned_at", "updated_at"])
    queue.last_assigned = agent
    queue.save(update_fields=["last_assigned", "updated_at"])
    audit.record(
        actor=by,
        verb="case.assigned",
        target=case,
        data={"mode": mode, "assignee_id": agent.pk, "team_id": case.team_id},
    )
    _send_assigned(case)
    return agent


# --- manual assignment ------------------------------------------------------------------------


def _note(case: Case, *, by: Any | None, body: str) -> None:
    from . import services  # services imports this module

    services.message_reply(case_id=case.pk, by=by, body=body, internal=True)


def _set_owner(case: Case, *, team: Team | None, assignee: Any | None) -> dict[str, Any]:
    """Put the case in ``team`` with ``assignee``; returns the audit diff (empty: no change)."""
    before = {"team_id": case.team_id, "assignee_id": case.assignee_id}
    after = {"team_id": team.pk if team else None, "assignee_id": assignee.pk if assignee else None}
    diff = audit.changes(before, after)
    if not diff:
        return diff
    fields = ["team", "assignee", "updated_at"]
    case.team = team
    if before["assignee_id"] != after["assignee_id"]:
        case.assignee = assignee
        case.assigned_at = timezone.now() if assignee is not None else None
        fields.append("assigned_at")
    case.save(update_fields=fields)
    return diff


@transaction.atomic
def case_assign(
    *,
    case_id: int,
    by: Any | None,
    assignee_id: int | None,
    team_id: int | None = None,
    note: str = "",
) -> Case:
    """Assign, reassign or unassign (``assignee_id=None``) a case, optionally moving it to another
    team's queue (``team_id``). The assignee must be an active staff member of the case's (new)
    team. A ``note`` is kept as an internal note on the case."""
    _require_perm(by, roles.CASE_ASSIGN, _("You cannot assign cases."))
    case = _lock_case(case_id)
    _refuse_merged(case)
    team = _team(team_id) if team_id is not None else case.team
    assignee = validate_assignee(assignee_id=assignee_id, team=team) if assignee_id is not None else None
    diff = _set_owner(case, team=team, assignee=assignee)
    if note.strip():
        _note(case, by=by, body=note)
    if not diff:
        return case
    audit.record(
        actor=by,
        verb="case.assigned" if assignee is not None else "case.unassigned",
        target=case,
        data={"mode": AssignmentMode.MANUAL.value, "changes": diff},
    )
    _send_assigned(case)
    return case


@transaction.atomic
def case_take(*, case_id: int, by: Any) -> Case:
    """Assign the case to myself. Only staff who may assign cases, on an active unmerged case of a
    team they belong to (or of no team)."""
    if by is None or not getattr(by, "is_staff_member", False):
        raise PermissionDeniedError(_("Only staff can take cases."))
    _require_perm(by, roles.CASE_ASSIGN, _("You cannot take cases."))
    case = _lock_case(case_id)
    _refuse_done(case)
    if case.assignee_id == by.pk:
        return case
    validate_assignee(assignee_id=by.pk, team=case.team)
    previous = case.assignee_id
    case.assignee, case.assigned_at = by, timezone.now()
    case.save(update_fields=["assignee", "assigned_at", "updated_at"])
    audit.record(
        actor=by,
        verb="case.assigned",
        target=case,
        data={"mode": "take", "changes": {"assignee_id": [previous, by.pk]}},
    )
    _send_assigned(case)
    return case


def _forward_team(case: Case, *, team_id: int | None, assignee: Any | None) -> Team | None:
    """Where a forwarded case goes: the named team; else the case's team when the person is in
    it (or no person is named); else the person's only team."""
    if team_id is not None:
        return _team(team_id)
    if assignee is None or case.team is None:
        return case.team
    if case.team.memberships.filter(user_id=assignee.pk).exists():
        return case.team
    teams = list(Team.objects.filter(memberships__user_id=assignee.pk)[:2])
    if len(teams) == 1:
        return teams[0]
    raise DomainError(
        _("%(name)s is not in %(team)s; choose which team gets the case.")
        % {"name": assignee.get_username(), "team": case.team.name},
        field="team",
    )


@transaction.atomic
def case_forward(
    *,
    case_id: int,
    by: Any,
    note: str,
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> Case:
    """Hand a case to a person or a team with a note (required), kept as an internal note that
    mentions the person (who is notified). Forwarded to a team without a person, the case enters
    that team's queue unassigned, and the team's automatic assignment (if any) picks an agent."""
    _require_perm(by, roles.CASE_ASSIGN, _("You cannot forward cases."))
    if not note.strip():
        raise DomainError(_("Say why you forward the case."), field="note")
    if team_id is None and assignee_id is None:
        raise DomainError(_("Choose a person or a team to forward to."), field="assignee")
    case = _lock_case(case_id)
    _refuse_done(case)
    person = None
    if assignee_id is not None:
        person = validate_assignee(assignee_id=assignee_id, team=None)
    team = _forward_team(case, team_id=team_id, assignee=person)
    if person is not None:
        validate_assignee(assignee_id=person.pk, team=team)
    if person is not None and person.pk == case.assignee_id and team == case.team:
        raise DomainError(
            _("The case is already with %(name)s.") % {"name": person.get_username()}, field="assignee"
        )
    before = {"team_id": case.team_id, "assignee_id": case.assignee_id}
    _set_owner(case, team=team, assignee=person)
    if person is not None:
        header = _("Forwarded to @%(user)s") % {"user": person.get_username()}
        if team is not None:
            header += f" ({team.name})"
    else:
        header = _("Forwarded to %(team)s") % {"team": team.name if team else "-"}
    _note(case, by=by, body=f"{header}: {note.strip()}")
    audit.record(
        actor=by,
        verb="case.forwarded",
        target=case,
        data={
            "from": before,
            "to": {"team_id": case.team_id, "assignee_id": case.assignee_id},
            "note": note.strip(),
        },
    )
    if person is not None or auto_assign(case=case, by=by) is None:
        _send_assigned(case)  # auto_assign sends its own
    return case


# --- availability, capacity, queue settings ---------------------------------------------------


def availability_set(*, user_id: int, by: Any | None, availability: str) -> Any:
    """Online / away / offline (only online agents get cases automatically)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."), field="user")
    return account_services.user_set_availability(user=user, availability=availability, by=by)


@transaction.atomic
def capacity_set(*, user_id: int, by: Any | None, capacity: int | None) -> AgentCapacity | None:
    """An agent's own limit of active cases for load-based assignment; ``None`` goes back to each
    queue's default. A lead of one of the agent's teams or an administrator sets it."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or not user.is_staff_member:
        raise NotFound(_("No such agent."), field="user")
    if by is not None and not is_admin(by):
        team_ids = list(Membership.objects.filter(user_id=user.pk).values_list("team_id", flat=True))
        if not (by.has_perm(roles.CASE_SETTINGS) and any(leads_team(by, t) for t in team_ids)):
            raise PermissionDeniedError(_("Only a lead of the agent's team or an administrator can do this."))
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY
    ):
        raise DomainError(
            _("Enter a whole number between 0 and %(max)d.") % {"max": MAX_CAPACITY}, field="capacity"
        )
    row = AgentCapacity.objects.select_for_update().filter(user_id=user.pk).first()
    before = row.capacity if row is not None else None
    if before == capacity:
        return row
    if capacity is None:
        assert row is not None
        row.delete()
        row = None
    elif row is None:
        row = AgentCapacity.objects.create(user=user, capacity=capacity)
    else:
        row.capacity = capacity
        row.save(update_fields=["capacity"])
    audit.record(actor=by, verb="case.capacity_set", target=user, data={"capacity": [before, capacity]})
    return row


@transaction.atomic
def queue_configure(*, team_id: int, by: Any | None, assignment_mode: str, default_capacity: int) -> Queue:
    """How the team's new cases are distributed, and the default limit of active cases per agent."""
    team = _team(team_id)
    _require_team_manager(by, team.pk)
    errors: dict[str, list[str]] = {}
    if assignment_mode not in AssignmentMode.values:
        errors["assignment_mode"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(AssignmentMode.values)}
        ]
    if (
        isinstance(default_capacity, bool)
        or not isinstance(default_capacity, int)
        or not 1 <= default_capacity <= MAX_CAPACITY
    ):
        errors["default_capacity"] = [
            _("Enter a whole number between 1 and %(max)d.") % {"max": MAX_CAPACITY}
        ]
    if errors:
        raise FieldErrors(errors)
    queue = Queue.objects.select_for_update().filter(team=team).first()
    before = (
        {"assignment_mode": queue.assignment_mode, "default_capacity": queue.default_capacity}
        if queue is not None
        else {"assignment_mode": None, "default_capacity": None}
    )
    after = {"assignment_mode": assignment_mode, "default_capacity": default_capacity}
    diff = audit.changes(before, after)
    if queue is None:
        queue = Queue.objects.create(team=team, **after)
    elif diff:
        queue.assignment_mode, queue.default_capacity = assignment_mode, default_capacity
        queue.save(update_fields=["assignment_mode", "default_capacity", "updated_at"])
    if diff:
        audit.record(
            actor=by, verb="queue.configured", target=queue, data={"team_id": team.pk, "changes": diff}
        )
    return queue
