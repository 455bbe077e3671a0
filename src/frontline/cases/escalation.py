"""Escalation to technical support and back (seed 002).

An agent hands a case that needs technical work to the technical support team with a reason;
the case remembers the team and agent it came from, and goes back to them with another reason
when technical support is done. Both steps leave an internal note with the reason in the thread
and an audit row in the case history. The SLA is not touched: the case keeps its policy and its
clocks run on (escalating is no excuse to stop the customer's clock).

SLA escalation levels (notify lead, reassign, notify manager) are run by the sweep in sla.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.accounts.models import Team
from frontline.audit import services as audit
from frontline.core.errors import DomainError, NotFound, PermissionDeniedError

from . import assignment, events, services
from .choices import StatusCategory
from .errors import CaseStateError
from .models import Case

# The team a case goes to when no team is named: the first of these slugs that exists.
TECH_TEAM_SLUGS = ("tech", "technical-support")


def tech_team() -> Team | None:
    """The technical support team: a team with slug ``tech`` or ``technical-support``."""
    teams = {t.slug: t for t in Team.objects.filter(slug__in=TECH_TEAM_SLUGS)}
    return next((teams[slug] for slug in TECH_TEAM_SLUGS if slug in teams), None)


def _require(by: Any | None) -> None:
    if by is not None and not by.has_perm(roles.CASE_ESCALATE):
        raise PermissionDeniedError(_("You cannot escalate cases."))


def _reason(reason: str, *, missing: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise DomainError(missing, field="reason")
    return cleaned


def _lock(case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("status", "team", "merged_into", "escalated_from_team")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case."), field="case")
    return case


def _refuse_merged_or_closed(case: Case) -> None:
    if case.merged_into is not None:
        raise CaseStateError(
            _("This case was merged into #%(ref)s; work on that case.") % {"ref": case.merged_into.reference},
            field="case",
            code="merged",
        )
    if case.status_category == StatusCategory.CLOSED:
        raise CaseStateError(_("This case is closed."), field="case", code="closed")


def _send(case: Case) -> None:
    case_id, assignee_id, team_id = case.pk, case.assignee_id, case.team_id
    transaction.on_commit(
        lambda: events.case_updated.send(
            sender=Case, case_id=case_id, fields=["assignee", "escalated_at", "team"]
        )
    )
    transaction.on_commit(
        lambda: events.case_assigned.send(
            sender=Case, case_id=case_id, assignee_id=assignee_id, team_id=team_id
        )
    )


@transaction.atomic
def case_escalate_to_tech(
    *,
    case_id: int,
    by: Any,
    reason: str,
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> Case:
    """Hand the case to technical support: the team ``team_id``, by default the team with slug
    ``tech`` / ``technical-support``. It enters that team's queue unassigned (the queue's
    automatic assignment, if any, picks an agent) unless ``assignee_id`` names a member.

    Refused: no reason; a merged, resolved or closed case; a case already escalated (return it
    first); no technical support team; the case already in that team.
    """
    _require(by)
    text = _reason(reason, missing=_("Say why the case goes to technical support."))
    case = _lock(case_id)
    _refuse_merged_or_closed(case)
    if case.status_category == StatusCategory.RESOLVED:
        raise CaseStateError(
            _("This case is resolved; reopen it before escalating."), field="case", code="resolved"
        )
    if case.escalated_at is not None:
        raise CaseStateError(
            _("This case is already with technical support since %(when)s.")
            % {"when": timezone.localtime(case.escalated_at).strftime("%Y-%m-%d %H:%M")},
            field="case",
            code="already_escalated",
        )
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise DomainError(_("Unknown team."), field="team")
    else:
        team = tech_team()
        if team is None:
            raise DomainError(
                _(
                    "There is no technical support team: create a team with the slug “tech”, or choose a team."
                ),
                field="team",
            )
    if team.pk == case.team_id:
        raise DomainError(_("The case is already with %(team)s.") % {"team": team.name}, field="team")
    assignee = (
        assignment.validate_assignee(assignee_id=assignee_id, team=team) if assignee_id is not None else None
    )

    now = timezone.now()
    from_team, from_assignee_id = case.team, case.assignee_id
    case.escalated_from_team = from_team
    case.escalated_from_assignee_id = from_assignee_id
    case.escalated_at = now
    case.team = team
    case.assignee = assignee
    case.assigned_at = now if assignee is not None else None
    case.save(
        update_fields=[
            "escalated_from_team",
            "escalated_from_assignee",
            "escalated_at",
            "team",
            "assignee",
            "assigned_at",
            "updated_at",
        ]
    )
    header = _("Escalated to %(team)s") % {"team": team.name}
    if assignee is not None:
        header += f" (@{assignee.get_username()})"
    note = services.message_reply(case_id=case.pk, by=by, body=f"{header}: {text}", internal=True)
    audit.record(
        actor=by,
        verb="case.escalated_to_tech",
        target=case,
        data={
            "reason": text,
            "from_team_id": from_team.pk if from_team else None,
            "from_team": from_team.name if from_team else None,
            "from_assignee_id": from_assignee_id,
            "to_team_id": team.pk,
            "to_team": team.name,
            "assignee_id": case.assignee_id,
            "note_id": note.pk,
        },
    )
    if assignee is None:
        assignment.auto_assign(case=case, by=by)
    _send(case)
    case.refresh_from_db()
    return case


@transaction.atomic
def case_return_from_tech(*, case_id: int, by: Any, reason: str) -> Case:
    """Give an escalated case back to the team it came from, and to the agent who had it when
    they are still an active member of that team (else it waits in the team's queue).

    Refused: no reason; a merged or closed case; a case that is not escalated. A resolved case
    may go back (technical support solved it; the first team follows up with the customer).
    """
    _require(by)
    text = _reason(reason, missing=_("Say what technical support found or did."))
    case = _lock(case_id)
    _refuse_merged_or_closed(case)
    if case.escalated_at is None:
        raise CaseStateError(
            _("This case is not with technical support."), field="case", code="not_escalated"
        )
    tech = case.team
    back_team = case.escalated_from_team
    back_assignee = None
    if case.escalated_from_assignee_id is not None:
        try:
            back_assignee = assignment.validate_assignee(
                assignee_id=case.escalated_from_assignee_id, team=back_team
            )
        except DomainError:
            back_assignee = None  # left the team or the company meanwhile
    case.team = back_team
    case.assignee = back_assignee
    case.assigned_at = timezone.now() if back_assignee is not None else None
    case.escalated_from_team = None
    case.escalated_from_assignee = None
    case.escalated_at = None
    case.save(
        update_fields=[
            "escalated_from_team",
            "escalated_from_assignee",
            "escalated_at",
            "team",
            "assignee",
            "assigned_at",
            "updated_at",
        ]
    )
    target = back_team.name if back_team is not None else _("no team")
    header = _("Returned from %(tech)s to %(team)s") % {"tech": tech.name if tech else "-", "team": target}
    if back_assignee is not None:
        header += f" (@{back_assignee.get_username()})"
    note = services.message_reply(case_id=case.pk, by=by, body=f"{header}: {text}", internal=True)
    audit.record(
        actor=by,
        verb="case.returned_from_tech",
        target=case,
        data={
            "reason": text,
            "from_team_id": tech.pk if tech else None,
            "from_team": tech.name if tech else None,
            "to_team_id": back_team.pk if back_team else None,
            "to_team": back_team.name if back_team else None,
            "assignee_id": case.assignee_id,
            "note_id": note.pk,
        },
    )
    if back_assignee is None and case.status_category != StatusCategory.RESOLVED:
        assignment.auto_assign(case=case, by=by)
    _send(case)
    case.refresh_from_db()
    return case
