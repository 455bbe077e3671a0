"""The one definition of case-list filters, shared by the queue page, saved views and the API.

``parse_case_filter(params)`` turns query parameters (a ``QueryDict``, or a plain mapping of a
name to a string or a list of strings) into a typed, validated ``CaseFilter``, or raises
``FieldErrors`` naming every bad parameter. ``CaseFilter.to_params()`` is the reverse: the
canonical parameters (defaults left out), which saved views store and links carry. Nothing
here reads a request or the database; ``selectors.case_queue`` applies a filter.

Parameters (each list-valued one may repeat or be comma-separated, ``status=new,open``):

=============== ===========================================================================
``tab``         ``mine`` | ``team`` (my teams) | ``unassigned`` | ``breaching`` (SLA due within
                ``BREACHING_HOURS`` or overdue) | ``open`` (every active case) | ``all`` (default:
                no scope, any status). The tabs other than ``all`` show active cases only,
                unless ``status`` says otherwise.
``status``      status categories (``new``, ``open``, ``pending_customer``, ``on_hold``,
                ``resolved``, ``closed``), ``active`` (the first four) or ids of statuses
``priority``    ``low`` | ``normal`` | ``high`` | ``urgent``
``team``        team ids, or ``none`` (no team)
``assignee``    user ids, ``me`` or ``none`` (unassigned)
``tag``         tag names (any of them)
``channel``     channels the case came in on
``sla``         ``overdue`` | ``4h`` (due in the next 4 hours) | ``today`` (due later today) |
                ``none`` (no SLA clock running)
``customer``    a customer id, or text that finds customers (name, email, phone)
``created_from``, ``created_to``  dates (YYYY-MM-DD), inclusive
``sort``        ``due`` (SLA due, soonest first, none last; default) | ``-priority`` |
                ``-created`` | ``created`` | ``-updated``
``offset``, ``limit``  the page (``parse_page``)
=============== ===========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontline.core.errors import FieldErrors
from frontline.customers.choices import Channel

from .choices import ACTIVE_CATEGORIES, Priority, StatusCategory

TAB_MINE = "mine"
TAB_TEAM = "team"
TAB_UNASSIGNED = "unassigned"
TAB_BREACHING = "breaching"
TAB_OPEN = "open"
TAB_ALL = ""

#: The queue's tabs, in the order the page shows them (``all`` is the API's default scope).
TABS: dict[str, Any] = {
    TAB_MINE: gettext_lazy("My cases"),
    TAB_TEAM: gettext_lazy("My team's"),
    TAB_UNASSIGNED: gettext_lazy("Unassigned"),
    TAB_BREACHING: gettext_lazy("Breaching soon"),
    TAB_OPEN: gettext_lazy("All open"),
}
#: "Breaching soon": SLA due within this many hours, or already overdue.
BREACHING_HOURS = 4

ACTIVE = "active"
ACTIVE_LIST = tuple(sorted(ACTIVE_CATEGORIES))  # one fixed order: the partial indexes use it
NONE = "none"
ME = "me"

SLA_OVERDUE = "overdue"
SLA_4H = "4h"
SLA_TODAY = "today"
SLA_NONE = "none"
SLA_CHOICES: dict[str, Any] = {
    SLA_OVERDUE: gettext_lazy("Overdue"),
    SLA_4H: gettext_lazy("Due in the next 4 hours"),
    SLA_TODAY: gettext_lazy("Due later today"),
    SLA_NONE: gettext_lazy("No SLA running"),
}

SORT_DUE = "due"
SORTS: dict[str, Any] = {
    SORT_DUE: gettext_lazy("SLA due"),
    "-priority": gettext_lazy("Priority"),
    "-created": gettext_lazy("Newest first"),
    "created": gettext_lazy("Oldest first"),
    "-updated": gettext_lazy("Recently updated"),
}

PAGE_SIZES = (25, 50, 100)
DEFAULT_LIMIT = 50
#: Deeper than this, narrow the filters: offset pages get slower the further they go.
MAX_OFFSET = 10_000

_MAX_VALUES = 50  # per list parameter
_MAX_TEXT = 200
_MAX_ID = 2**63 - 1


class Params(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class CaseFilter:
    """What to list. Empty fields do not filter; ``tab`` scopes (see the module docstring)."""

    tab: str = TAB_ALL
    categories: tuple[str, ...] = ()  # status categories
    status_ids: tuple[int, ...] = ()
    priorities: tuple[str, ...] = ()
    team_ids: tuple[int, ...] = ()
    no_team: bool = False
    assignee_ids: tuple[int, ...] = ()
    assignee_me: bool = False
    unassigned: bool = False
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    sla: str = ""
    customer_id: int | None = None
    customer_query: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = SORT_DUE

    @property
    def status_given(self) -> bool:
        return bool(self.categories or self.status_ids)

    def effective_categories(self) -> tuple[str, ...]:
        """The categories the list is limited to: those asked for, else the tab's (active
        cases on every tab but ``all``), else none (any status). Status ids narrow further."""
        if self.categories:
            return self.categories
        if self.status_ids:
            return ()
        if self.tab != TAB_ALL:
            return ACTIVE_LIST
        return ()

    @property
    def is_filtered(self) -> bool:
        """Whether anything beyond the tab and the sort narrows the list."""
        defaults = CaseFilter()
        return any(
            getattr(self, f.name) != getattr(defaults, f.name)
            for f in fields(self)
            if f.name not in ("tab", "sort")
        )

    def with_tab(self, tab: str) -> CaseFilter:
        return replace(self, tab=tab)

    def to_params(self) -> dict[str, list[str]]:
        """The canonical query parameters: defaults left out, lists in a stable order."""
        params: dict[str, list[str]] = {}
        if self.tab:
            params["tab"] = [self.tab]
        statuses = [*self.categories, *map(str, self.status_ids)]
        if statuses:
            params["status"] = (
                [ACTIVE] if tuple(self.categories) == ACTIVE_LIST and not self.status_ids else statuses
            )
        if self.priorities:
            params["priority"] = list(self.priorities)
        teams = [NONE] if self.no_team else []
        if teams or self.team_ids:
            params["team"] = [*teams, *map(str, self.team_ids)]
        assignees = ([ME] if self.assignee_me else []) + ([NONE] if self.unassigned else [])
        if assignees or self.assignee_ids:
            params["assignee"] = [*assignees, *map(str, self.assignee_ids)]
        if self.tags:
            params["tag"] = list(self.tags)
        if self.channels:
            params["channel"] = list(self.channels)
        if self.sla:
            params["sla"] = [self.sla]
        if self.customer_id is not None:
            params["customer"] = [str(self.customer_id)]
        elif self.customer_query:
            params["customer"] = [self.customer_query]
        if self.created_from:
            params["created_from"] = [self.created_from.isoformat()]
        if self.created_to:
            params["created_to"] = [self.created_to.isoformat()]
        if self.sort != SORT_DUE:
            params["sort"] = [self.sort]
        return params

    def to_query_items(self) -> list[tuple[str, str]]:
        """``to_params()`` as (name, value) pairs, for ``urlencode``."""
        return [(name, value) for name, values in self.to_params().items() for value in values]


# --- parsing ----------------------------------------------------------------------------------


def _raw(params: Params | Mapping[str, Any], name: str) -> list[str]:
    if hasattr(params, "getlist"):
        values: Iterable[Any] = params.getlist(name)
    else:
        value = params.get(name)
        if value is None:
            values = []
        elif isinstance(value, list | tuple):
            values = value
        else:
            values = [value]
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part[:_MAX_TEXT])
    return out


def _single(params: Params | Mapping[str, Any], name: str) -> str:
    values = _raw(params, name)
    return values[-1] if values else ""


def _id(text: str) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= _MAX_ID else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_case_filter(params: Params | Mapping[str, Any]) -> CaseFilter:
    """A validated filter from query parameters; ``FieldErrors`` lists every bad one."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def listed(name: str) -> list[str]:
        values = _raw(params, name)
        if len(values) > _MAX_VALUES:
            bad(name, _("At most %(count)d values.") % {"count": _MAX_VALUES})
            return []
        return values

    tab = _single(params, "tab")
    if tab == "all":
        tab = TAB_ALL
    if tab and tab not in TABS:
        bad("tab", _("Unknown tab %(value)s.") % {"value": tab})
        tab = TAB_ALL

    categories: list[str] = []
    status_ids: list[int] = []
    for value in listed("status"):
        if value == ACTIVE:
            categories += [c for c in ACTIVE_LIST if c not in categories]
        elif value in StatusCategory.values:
            if value not in categories:
                categories.append(value)
        elif (pk := _id(value)) is not None:
            status_ids.append(pk)
        else:
            bad("status", _("Unknown status %(value)s.") % {"value": value})

    priorities = listed("priority")
    for value in priorities:
        if value not in Priority.values:
            bad("priority", _("Unknown priority %(value)s.") % {"value": value})

    team_ids: list[int] = []
    no_team = False
    for value in listed("team"):
        if value == NONE:
            no_team = True
        elif (pk := _id(value)) is not None:
            team_ids.append(pk)
        else:
            bad("team", _("Choose a team (its id) or “none”."))

    assignee_ids: list[int] = []
    assignee_me = unassigned = False
    for value in listed("assignee"):
        if value == ME:
            assignee_me = True
        elif value == NONE:
            unassigned = True
        elif (pk := _id(value)) is not None:
            assignee_ids.append(pk)
        else:
            bad("assignee", _("Choose an agent (their id), “me” or “none”."))

    tags = [t.lower()[:50] for t in listed("tag")]

    channels = listed("channel")
    for value in channels:
        if value not in Channel.values:
            bad("channel", _("Unknown channel %(value)s.") % {"value": value})

    sla = _single(params, "sla")
    if sla and sla not in SLA_CHOICES:
        bad("sla", _("Choose overdue, 4h, today or none."))
        sla = ""

    customer = _single(params, "customer")
    customer_id = _id(customer) if customer else None
    customer_query = "" if customer_id is not None else customer

    created: dict[str, date | None] = {}
    for name in ("created_from", "created_to"):
        text = _single(params, name)
        created[name] = _date(text) if text else None
        if text and created[name] is None:
            bad(name, _("Enter a date as YYYY-MM-DD."))
    if created["created_from"] and created["created_to"] and created["created_from"] > created["created_to"]:
        bad("created_to", _("The end date is before the start date."))

    sort = _single(params, "sort") or SORT_DUE
    if sort not in SORTS:
        bad("sort", _("Unknown sort %(value)s.") % {"value": sort})
        sort = SORT_DUE

    if errors:
        raise FieldErrors(errors)
    return CaseFilter(
        tab=tab,
        categories=tuple(categories),
        status_ids=tuple(status_ids),
        priorities=tuple(priorities),
        team_ids=tuple(team_ids),
        no_team=no_team,
        assignee_ids=tuple(assignee_ids),
        assignee_me=assignee_me,
        unassigned=unassigned,
        tags=tuple(tags),
        channels=tuple(channels),
        sla=sla,
        customer_id=customer_id,
        customer_query=customer_query,
        created_from=created["created_from"],
        created_to=created["created_to"],
        sort=sort,
    )


def parse_page(params: Params | Mapping[str, Any], *, default_limit: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """``(offset, limit)``; ``FieldErrors`` when either is not a whole number in range."""
    errors: dict[str, list[str]] = {}
    offset_text, limit_text = _single(params, "offset"), _single(params, "limit")
    offset = 0
    if offset_text:
        if not offset_text.isascii() or not offset_text.isdigit() or int(offset_text) > MAX_OFFSET:
            errors["offset"] = [
                _("Enter a whole number up to %(max)d; narrow the filters to go further.")
                % {"max": MAX_OFFSET}
            ]
        else:
            offset = int(offset_text)
    limit = default_limit
    if limit_text:
        if limit_text.isascii() and limit_text.isdigit() and int(limit_text) in PAGE_SIZES:
            limit = int(limit_text)
        else:
            errors["limit"] = [
                _("Choose %(sizes)s rows per page.") % {"sizes": ", ".join(map(str, PAGE_SIZES))}
            ]
    if errors:
        raise FieldErrors(errors)
    return offset, limit
