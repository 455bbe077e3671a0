"""Work distribution: manual, round-robin and load-based assignment, availability and capacity,
take / assign / forward."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from frontline.accounts.models import Team
from frontline.core.errors import DomainError

from .models import Case


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


def auto_assign(*, case: Case, by: Any | None) -> Any | None:
    """Assign a new case by its team's queue mode; returns the agent or None (manual mode)."""
    return None
