"""Bulk actions on many cases: assign, status, tag, merge.

Every case goes through the same single-case service as the one-case action (so it is audited and
its SLA and events follow), each in its own savepoint: a case that fails is reported with the
reason and the others are kept. Parameters shared by all cases (the status, the assignee…) are
checked once before any case is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.accounts.models import Team
from frontline.audit import services as audit
from frontline.core.errors import DomainError, NotFound, PermissionDeniedError

from . import assignment, merge, services
from .models import Case, CaseStatus

MAX_CASES = 500
ACTIONS = ("assign", "status", "tag", "merge")
_PERMISSION = {
    "assign": roles.CASE_ASSIGN,
    "status": roles.CASE_CHANGE,
    "tag": roles.CASE_CHANGE,
    "merge": roles.CASE_MERGE,
}


@dataclass
class BulkResult:
    """Ids of the cases the action was done on, and the reason for each case it failed on."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


# --- parameters -------------------------------------------------------------------------------


def _ids(values: Any) -> list[int]:
    if not isinstance(values, list | tuple):
        raise DomainError(_("Give a list of case ids."), field="case_ids")
    ids: list[int] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(_("Case ids are whole numbers."), field="case_ids")
        if value not in ids:
            ids.append(value)
    if not ids:
        raise DomainError(_("Select at least one case."), field="case_ids")
    if len(ids) > MAX_CASES:
        raise DomainError(_("At most %(count)d cases at a time.") % {"count": MAX_CASES}, field="case_ids")
    return ids


def _optional_id(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("Give the id as a whole number."), field=key.removesuffix("_id"))
    return value


def _tag_list(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DomainError(_("Give the tags as a list of names."), field=key)
    return sorted({v.strip().lower()[:50] for v in value if v.strip()})


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


# --- one function per action: checks the shared parameters, returns what to do per case ----------

Step = Callable[[int], None]


def _assign(by: Any, params: dict[str, Any], ids: list[int]) -> tuple[list[int], Step]:
    assignee_id = _optional_id(params, "assignee_id")
    team_id = _optional_id(params, "team_id")
    note = str(params.get("note") or "")
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise DomainError(_("Unknown team."), field="team")
    if assignee_id is not None:
        assignment.validate_assignee(assignee_id=assignee_id, team=team)

    def step(case_id: int) -> None:
        assignment.case_assign(case_id=case_id, by=by, assignee_id=assignee_id, team_id=team_id, note=note)

    return ids, step


def _status(by: Any, params: dict[str, Any], ids: list[int]) -> tuple[list[int], Step]:
    value = params.get("status")
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise DomainError(_("Choose the status."), field="status")
    lookup = {"pk": value} if isinstance(value, int) else {"slug": value}
    status = CaseStatus.objects.filter(is_active=True, **lookup).first()
    if status is None:
        raise DomainError(_("Unknown status %(value)s.") % {"value": value}, field="status")

    def step(case_id: int) -> None:
        services.case_status_set(case_id=case_id, by=by, status=status)

    return ids, step


def _tag(by: Any, params: dict[str, Any], ids: list[int]) -> tuple[list[int], Step]:
    add, remove = _tag_list(params, "add"), _tag_list(params, "remove")
    if not add and not remove:
        raise DomainError(_("Name the tags to add or remove."), field="add")

    def step(case_id: int) -> None:
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise NotFound(_("No such case."), field="case")
        current = set(case.tags.values_list("name", flat=True))
        wanted = (current | set(add)) - set(remove)
        if wanted != current:
            services.case_update(case_id=case_id, by=by, changes={}, tags=sorted(wanted))

    return ids, step


def _merge(by: Any, params: dict[str, Any], ids: list[int]) -> tuple[list[int], Step]:
    survivor_id = _optional_id(params, "survivor_id")
    if survivor_id is None:
        survivor_id = ids[0]
    if not Case.objects.filter(pk=survivor_id).exists():
        raise DomainError(_("No such case."), field="survivor")
    notify = bool(params.get("notify_customer", False))
    allow_different = bool(params.get("allow_different_customers", False))

    def step(case_id: int) -> None:
        merge.case_merge(
            survivor_id=survivor_id,
            merged_id=case_id,
            by=by,
            notify_customer=notify,
            allow_different_customers=allow_different,
        )

    return [i for i in ids if i != survivor_id], step


_ACTIONS: dict[str, Callable[[Any, dict[str, Any], list[int]], tuple[list[int], Step]]] = {
    "assign": _assign,
    "status": _status,
    "tag": _tag,
    "merge": _merge,
}


@transaction.atomic
def cases_bulk(*, by: Any | None, case_ids: list[int], action: str, params: dict[str, Any]) -> BulkResult:
    """Do ``action`` on every case in ``case_ids`` (at most 500):

    - ``assign``: ``assignee_id`` and/or ``team_id`` (both None unassigns), optional ``note``;
    - ``status``: ``status`` (id or slug);
    - ``tag``: ``add`` and/or ``remove`` (lists of tag names);
    - ``merge``: all into ``survivor_id`` (default: the first id), optional ``notify_customer``
      and ``allow_different_customers``.

    Returns the ids done and, per failed id, the reason. Wrong parameters fail the whole request.
    """
    if action not in _ACTIONS:
        raise DomainError(
            _("Unknown action %(action)s; choose one of: %(choices)s.")
            % {"action": action, "choices": ", ".join(ACTIONS)},
            field="action",
        )
    if by is not None and not by.has_perm(_PERMISSION[action]):
        raise PermissionDeniedError(_("You cannot do this on cases."))
    ids = _ids(case_ids)
    targets, step = _ACTIONS[action](by, dict(params or {}), ids)
    result = BulkResult()
    for case_id in targets:
        try:
            with transaction.atomic():
                step(case_id)
        except DomainError as error:
            result.failed[case_id] = error.message
        else:
            result.done.append(case_id)
    audit.record(
        actor=by,
        verb="case.bulk",
        data={
            "action": action,
            "params": {k: _plain(v) for k, v in (params or {}).items() if k != "note"},
            "done": result.done,
            "failed": {str(k): v for k, v in result.failed.items()},
        },
    )
    return result
