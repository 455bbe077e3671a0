"""Saved queue views: a named set of filters, personal or shared with one of the owner's teams.

Writes only (reads are ``selectors.saved_views_for_user``). Each write is audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.accounts.models import Membership
from frontline.audit import services as audit
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from . import queue_cache
from .filters import CaseFilter, parse_case_filter
from .models import SavedView

MAX_VIEWS_PER_USER = 50


def _require_viewer(by: Any) -> None:
    if by is None or not getattr(by, "is_staff_member", False) or not by.has_perm(roles.CASE_VIEW):
        raise PermissionDeniedError(_("Only staff who work cases can save queue views."))


@transaction.atomic
def saved_view_create(*, by: Any, name: str, filters: CaseFilter, team_id: int | None = None) -> SavedView:
    """Save ``filters`` as ``name``: for ``by`` alone, or shared with a team ``by`` belongs to."""
    _require_viewer(by)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the view a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if team_id is not None and not Membership.objects.filter(user_id=by.pk, team_id=team_id).exists():
        errors["team"] = [_("You can only share a view with a team you belong to.")]
    if errors:
        raise FieldErrors(errors)
    params = filters.to_params()
    parse_case_filter(params)  # what is stored must read back
    same = SavedView.objects.filter(owner_id=by.pk, name__iexact=name)
    same = same.filter(team_id=team_id) if team_id is not None else same.filter(team__isnull=True)
    if same.exists():
        raise Conflict(_("You already have a view with this name here."), field="name")
    if SavedView.objects.filter(owner_id=by.pk).count() >= MAX_VIEWS_PER_USER:
        raise DomainError(
            _("You have %(count)d saved views; delete one first.") % {"count": MAX_VIEWS_PER_USER},
            field="name",
        )
    last = SavedView.objects.filter(owner_id=by.pk).aggregate(last=Max("position"))["last"]
    view = SavedView.objects.create(
        name=name, owner=by, team_id=team_id, filters=params, position=min((last or 0) + 1, 32_000)
    )
    audit.record(
        actor=by,
        verb="case.saved_view_created",
        target=view,
        data={"name": name, "team_id": team_id, "filters": params},
    )
    transaction.on_commit(queue_cache.bump)  # the queue pages list the saved views
    return view


@transaction.atomic
def saved_view_delete(*, view_id: int, by: Any) -> str:
    """Delete a view: its owner, or (for a view shared with a team) someone who manages case
    settings and belongs to that team. Returns the view's name."""
    _require_viewer(by)
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None:
        raise NotFound(_("No such view."), field="view")
    if view.owner_id != by.pk:
        may = (
            view.team_id is not None
            and by.has_perm(roles.CASE_SETTINGS)
            and Membership.objects.filter(user_id=by.pk, team_id=view.team_id).exists()
        )
        if not may:
            raise PermissionDeniedError(_("Only the owner of this view can delete it."))
    name = view.name
    audit.record(
        actor=by,
        verb="case.saved_view_deleted",
        target=view,
        data={"name": name, "team_id": view.team_id, "filters": view.filters},
    )
    view.delete()
    transaction.on_commit(queue_cache.bump)
    return name
