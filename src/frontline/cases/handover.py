"""Shift handover (seed 004): notes an agent leaves on cases and a shift summary for the team,
shown on the next shift's dashboard until someone acknowledges them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Membership, Team
from frontline.audit import services as audit
from frontline.core.errors import DomainError, FieldErrors, NotFound, PermissionDeniedError

from .assignment import is_admin, validate_assignee
from .errors import CaseStateError
from .models import Case, HandoverNote

MAX_BODY = 5000
OPEN_LIMIT = 100


def _require_staff(by: Any) -> None:
    if by is None or not getattr(by, "is_staff_member", False):
        raise PermissionDeniedError(_("Only staff can write handover notes."))


def _is_member(user: Any, team_id: int) -> bool:
    return Membership.objects.filter(user_id=user.pk, team_id=team_id).exists()


@transaction.atomic
def handover_note_add(
    *,
    by: Any,
    body: str,
    case_id: int | None = None,
    team_id: int | None = None,
    handed_to_id: int | None = None,
) -> HandoverNote:
    """A note on a case (for the case's team unless ``team_id`` says otherwise) or, without a
    case, a shift summary for a team the author belongs to. ``handed_to_id`` names the colleague
    who takes over."""
    _require_staff(by)
    errors: dict[str, list[str]] = {}
    text = (body or "").strip()
    if not text:
        errors["body"] = [_("Write the note.")]
    elif len(text) > MAX_BODY:
        errors["body"] = [_("At most %(count)d characters.") % {"count": MAX_BODY}]
    case: Case | None = None
    if case_id is not None:
        case = Case.objects.select_related("team", "merged_into").filter(pk=case_id).first()
        if case is None:
            errors["case"] = [_("No such case.")]
    team: Team | None = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            errors["team"] = [_("Unknown team.")]
    elif case is not None:
        team = case.team
    elif case_id is None:
        errors["team"] = [_("Choose the team the shift summary is for.")]
    if errors:
        raise FieldErrors(errors)
    if case is not None and case.merged_into_id is not None:
        assert case.merged_into is not None
        raise CaseStateError(
            _("This case was merged into #%(ref)s; leave the note there.")
            % {"ref": case.merged_into.reference},
            field="case",
        )
    if case is None and team is not None and not _is_member(by, team.pk) and not is_admin(by):
        raise DomainError(_("You can only leave a shift summary for a team you belong to."), field="team")
    handed_to = None
    if handed_to_id is not None:
        try:
            handed_to = validate_assignee(assignee_id=handed_to_id, team=None)
        except DomainError as error:
            raise DomainError(error.message, field="handed_to") from None
        if handed_to.pk == by.pk:
            raise DomainError(_("Hand over to someone else."), field="handed_to")
    note = HandoverNote.objects.create(author=by, team=team, case=case, handed_to=handed_to, body=text)
    audit.record(
        actor=by,
        verb="handover.note_added",
        target=case if case is not None else note,
        data={
            "note_id": note.pk,
            "case_id": case.pk if case else None,
            "team_id": team.pk if team else None,
            "handed_to_id": handed_to.pk if handed_to else None,
        },
    )
    return note


def _may_acknowledge(user: Any, note: HandoverNote) -> bool:
    if note.handed_to_id == user.pk or note.author_id == user.pk or is_admin(user):
        return True
    return note.team_id is not None and _is_member(user, note.team_id)


@transaction.atomic
def handover_acknowledge(*, note_id: int, by: Any) -> HandoverNote:
    """Mark a note read for the shift: whoever it was handed to, a member of its team, its author
    (withdrawing it) or an administrator. Acknowledging twice changes nothing."""
    _require_staff(by)
    note = HandoverNote.objects.select_for_update().filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("No such handover note."), field="note")
    if not _may_acknowledge(by, note):
        raise PermissionDeniedError(_("This note is not for you or your team."))
    if note.acknowledged_at is not None:
        return note
    note.acknowledged_at = timezone.now()
    note.acknowledged_by = by
    note.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(
        actor=by,
        verb="handover.note_acknowledged",
        target=note,
        data={"note_id": note.pk, "case_id": note.case_id, "team_id": note.team_id},
    )
    return note


def handover_notes_open_for(user: Any, *, limit: int = OPEN_LIMIT) -> list[HandoverNote]:
    """Unacknowledged notes for the user's teams or handed to them, not their own, newest first,
    with case (and its customer), author, team and colleague loaded: one query."""
    if user is None or not getattr(user, "is_staff_member", False):
        return []
    teams = Membership.objects.filter(user_id=user.pk).values("team_id")
    return list(
        HandoverNote.objects.filter(acknowledged_at__isnull=True)
        .filter(Q(team_id__in=teams) | Q(handed_to_id=user.pk))
        .exclude(author_id=user.pk)
        .select_related("case", "case__customer", "case__status", "author", "team", "handed_to")
        .order_by("-created_at", "-id")[:limit]
    )
