"""Every non-trivial read of cases for the queue, search, dashboards and the customer page.

The queue is the hottest page of the product, so its reads are built for it:

- ``case_queue`` runs **one** SQL statement for a page: the page's ids come from a sub-select
  that walks one of the queue indexes in order (``LIMIT limit + 1`` tells whether a next page
  exists) and the capped total ("1,000+") is a scalar sub-select of the same statement, so no
  ``COUNT(*)`` ever reads more than ``COUNT_CAP`` index entries. The row's joined columns
  (customer, status, team, assignee) come as plain values, not model instances.
- Tags come in one more query for the whole page (``_tags_for``).
- Filter choices (teams, statuses, agents) are cached for ``CHOICES_TTL`` seconds.

Rows are plain frozen dataclasses (``QueueRow``), the same for the page and the API.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.html import escape

from frontline.accounts import roles
from frontline.accounts.choices import STAFF_ROLES
from frontline.accounts.models import Membership, Team, User
from frontline.core import search

from .choices import ACTIVE_CATEGORIES, PRIORITY_RANK
from .filters import (
    BREACHING_HOURS,
    SLA_4H,
    SLA_NONE,
    SLA_OVERDUE,
    SLA_TODAY,
    SORT_DUE,
    TAB_BREACHING,
    TAB_MINE,
    TAB_OPEN,
    TAB_TEAM,
    TAB_UNASSIGNED,
    CaseFilter,
)
from .models import Case, CaseStatus, Category, HandoverNote, Mention, Message, SavedView

#: Totals are counted up to this many rows; more shows as "1,000+".
COUNT_CAP = 1000
#: How many customers a customer text filter ("customer=harr") may match.
CUSTOMER_MATCHES = 500
#: How long the filter choices (teams, statuses, agents) are cached, in seconds.
CHOICES_TTL = 30
CHOICES_KEY = "cases:queue-choices:v1"

_TAGS = Case.tags.through


# --- who sees what -------------------------------------------------------------------------------


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Staff with ``cases.view_case`` see every case; anyone else none (portal customers see
    their own requests in the portal, not here)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(roles.CASE_VIEW):
        return Case.objects.none()
    return Case.objects.all()


def user_team_ids(user: Any) -> list[int]:
    """The ids of the teams ``user`` belongs to (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Membership.objects.filter(user_id=user.pk).order_by("team_id").values_list("team_id", flat=True)
    )


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One case as lists show it."""

    id: int
    reference: str
    subject: str
    customer_id: int
    customer_name: str
    status_id: int
    status_name: str
    status_category: str
    priority: str
    channel: str
    assignee_id: int | None
    assignee_name: str
    team_id: int | None
    team_name: str
    sla_due_at: datetime | None
    sla_breached: bool
    sla_paused: bool
    last_message_at: datetime | None
    message_count: int
    created_at: datetime
    merged_into_id: int | None
    tags: tuple[str, ...] = ()

    @property
    def priority_rank(self) -> int:
        return PRIORITY_RANK.get(self.priority, 0)  # type: ignore[call-overload]


_ROW_COLUMNS = (
    "id",
    "reference",
    "subject",
    "customer_id",
    "customer__first_name",
    "customer__last_name",
    "status_id",
    "status_category",
    "priority",
    "channel",
    "assignee_id",
    "team_id",
    "sla_due_at",
    "sla_breached",
    "sla_paused",
    "last_message_at",
    "message_count",
    "created_at",
    "merged_into_id",
)


def _row(values: Sequence[Any], tags: Mapping[int, tuple[str, ...]], names: QueueChoices) -> QueueRow:
    (
        pk, reference, subject, customer_id, first, last, status_id, category, priority, channel,
        assignee_id, team_id, due, breached, paused, last_message_at, message_count, created_at,
        merged_into_id,
    ) = values[: len(_ROW_COLUMNS)]  # fmt: skip
    customer_name = f"{first} {last}".strip() if (first or last) else f"Customer #{customer_id}"
    return QueueRow(
        id=pk,
        reference=reference,
        subject=subject,
        customer_id=customer_id,
        customer_name=customer_name,
        status_id=status_id,
        status_name=names.status_name(status_id),
        status_category=category,
        priority=priority,
        channel=channel,
        assignee_id=assignee_id,
        assignee_name=names.user_name(assignee_id) if assignee_id is not None else "",
        team_id=team_id,
        team_name=names.team_name(team_id) if team_id is not None else "",
        sla_due_at=due,
        sla_breached=breached,
        sla_paused=paused,
        last_message_at=last_message_at,
        message_count=message_count,
        created_at=created_at,
        merged_into_id=merged_into_id,
        tags=tags.get(pk, ()),
    )


def _tags_for(case_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The tag names of each case (one query for the whole page)."""
    ids = list(case_ids)
    if not ids:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    for case_id, name in (
        _TAGS.objects.filter(case_id__in=ids).order_by("tag__name").values_list("case_id", "tag__name")
    ):
        found[case_id].append(name)
    return {case_id: tuple(names) for case_id, names in found.items()}


def _rows_by_ids(qs: QuerySet[Case], ids: Sequence[int]) -> dict[int, QueueRow]:
    """Rows for ``ids`` (those ``qs`` lets through), by id, with their tags: two queries."""
    if not ids:
        return {}
    values = list(qs.filter(pk__in=ids).values_list(*_ROW_COLUMNS))
    tags = _tags_for(v[0] for v in values)
    names = queue_choices()
    return {v[0]: _row(v, tags, names) for v in values}


# --- the queue -----------------------------------------------------------------------------------


def _priority_rank() -> models.Case:
    return models.Case(
        *[models.When(priority=value, then=models.Value(rank)) for value, rank in PRIORITY_RANK.items()],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


_DUE_ASC = F("sla_due_at").asc(nulls_last=True)
ORDERINGS: dict[str, tuple[Any, ...]] = {
    SORT_DUE: (_DUE_ASC, "id"),
    "-priority": (F("priority_rank").desc(), _DUE_ASC, "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-updated": ("-updated_at", "-id"),
}


def _end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time.min)
    return timezone.make_aware(tomorrow, timezone.get_current_timezone())


def _start_of(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered_cases(
    *,
    user: Any,
    filters: CaseFilter,
    team_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The cases ``filters`` select among those ``user`` may see (a WHERE clause, unordered).

    Tabs and filters map onto the queue indexes: the assignee / team / active-by-due indexes
    (``case_active_*_due_idx``, ``case_*_queue_idx``). ``team_ids`` (the user's teams) saves a
    query when the caller already has them. A customer text filter runs one search query.
    """
    qs = cases_visible_to(user)
    now = now or timezone.now()
    categories = filters.effective_categories()
    if categories:
        qs = qs.filter(status_category__in=categories)
    if filters.status_ids:
        qs = qs.filter(status_id__in=filters.status_ids)
        if not categories:
            # Their categories too, so the category indexes narrow the search.
            known = queue_choices().status_categories
            if all(pk in known for pk in filters.status_ids):
                qs = qs.filter(status_category__in=sorted({known[pk] for pk in filters.status_ids}))

    tab = filters.tab
    if tab == TAB_MINE:
        qs = qs.filter(assignee_id=user.pk)
    elif tab == TAB_TEAM:
        teams = list(team_ids) if team_ids is not None else user_team_ids(user)
        qs = qs.filter(team_id__in=teams) if teams else qs.none()
    elif tab == TAB_UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif tab == TAB_BREACHING:
        qs = qs.filter(sla_due_at__lt=now + timedelta(hours=BREACHING_HOURS))

    if filters.priorities:
        qs = qs.filter(priority__in=filters.priorities)
    if filters.team_ids or filters.no_team:
        team_q = Q(team_id__in=filters.team_ids) if filters.team_ids else Q()
        if filters.no_team:
            team_q |= Q(team__isnull=True)
        qs = qs.filter(team_q)
    if filters.assignee_ids or filters.assignee_me or filters.unassigned:
        people = [*filters.assignee_ids, *([user.pk] if filters.assignee_me else [])]
        assignee_q = Q(assignee_id__in=people) if people else Q()
        if filters.unassigned:
            assignee_q |= Q(assignee__isnull=True)
        qs = qs.filter(assignee_q)
    if filters.tags:
        qs = qs.filter(Exists(_TAGS.objects.filter(case_id=OuterRef("pk"), tag__name__in=filters.tags)))
    if filters.channels:
        qs = qs.filter(channel__in=filters.channels)
    if filters.sla == SLA_OVERDUE:
        qs = qs.filter(sla_due_at__lt=now)
    elif filters.sla == SLA_4H:
        qs = qs.filter(sla_due_at__gte=now, sla_due_at__lt=now + timedelta(hours=4))
    elif filters.sla == SLA_TODAY:
        qs = qs.filter(sla_due_at__gte=now, sla_due_at__lt=_end_of_today(now))
    elif filters.sla == SLA_NONE:
        qs = qs.filter(sla_due_at__isnull=True)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    elif filters.customer_query:
        customer_ids = search.search_ids("customer", filters.customer_query, limit=CUSTOMER_MATCHES)
        qs = qs.filter(customer_id__in=customer_ids) if customer_ids else qs.none()
    if filters.created_from:
        qs = qs.filter(created_at__gte=_start_of(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_start_of(filters.created_to + timedelta(days=1)))
    return qs


def _ordered(qs: QuerySet[Case], sort: str) -> QuerySet[Case]:
    if sort == "-priority":
        qs = qs.annotate(priority_rank=_priority_rank())
    return qs.order_by(*ORDERINGS.get(sort, ORDERINGS[SORT_DUE]))


def _capped_count_sql(qs: QuerySet[Case], cap: int) -> tuple[str, tuple[Any, ...]]:
    """``SELECT COUNT(*)`` over at most ``cap`` rows of ``qs``, as SQL for a scalar sub-select."""
    sql, params = qs.order_by().values("pk")[:cap].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) capped", tuple(params)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    offset: int
    limit: int
    total: int  # counted up to COUNT_CAP + 1
    has_next: bool

    @property
    def total_capped(self) -> bool:
        """More rows than were counted: show "1,000+"."""
        return self.total > COUNT_CAP

    @property
    def shown_total(self) -> int:
        return min(self.total, COUNT_CAP)


def case_queue(
    *,
    user: Any,
    filters: CaseFilter,
    offset: int = 0,
    limit: int = 50,
    team_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue: one query for the rows and the capped total, one for their tags."""
    qs = filtered_cases(user=user, filters=filters, team_ids=team_ids, now=now)
    page_ids = _ordered(qs, filters.sort).values("pk")[offset : offset + limit + 1]
    try:
        count_sql, count_params = _capped_count_sql(qs, COUNT_CAP + 1)
    except EmptyResultSet:
        return QueuePage([], offset, limit, 0, False)
    rows_qs = _ordered(Case.objects.filter(pk__in=page_ids), filters.sort).annotate(
        capped_total=RawSQL(count_sql, count_params)  # our own compiled SQL and its params
    )
    try:
        values = list(rows_qs.values_list(*_ROW_COLUMNS, "capped_total"))
    except EmptyResultSet:
        values = []
    has_next = len(values) > limit
    values = values[:limit]
    total = int(values[0][-1]) if values else (0 if offset == 0 else _count(qs, COUNT_CAP + 1))
    tags = _tags_for(v[0] for v in values)
    names = queue_choices()
    return QueuePage([_row(v, tags, names) for v in values], offset, limit, total, has_next)


def _count(qs: QuerySet[Case], cap: int) -> int:
    return qs.order_by().values("pk")[:cap].count()


def capped_counts(querysets: Mapping[str, QuerySet[Any]], *, cap: int = COUNT_CAP + 1) -> dict[str, int]:
    """Several capped counts in one query: ``{name: count up to cap}``."""
    parts: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    result: dict[str, int] = {}
    for name, qs in querysets.items():
        try:
            sql, qparams = qs.order_by().values("pk")[:cap].query.sql_with_params()
        except EmptyResultSet:
            result[name] = 0
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{len(parts)})")
        params.extend(qparams)
        names.append(name)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        result.update({name: int(value) for name, value in zip(names, row, strict=True)})
    return {name: result[name] for name in querysets}


def queue_tab_counts(
    *, user: Any, team_ids: Sequence[int] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """How many active cases each tab holds (capped at ``COUNT_CAP + 1``), in one query."""
    now = now or timezone.now()
    teams = list(team_ids) if team_ids is not None else user_team_ids(user)
    tabs = (TAB_MINE, TAB_TEAM, TAB_UNASSIGNED, TAB_BREACHING, TAB_OPEN)
    return capped_counts(
        {tab: filtered_cases(user=user, filters=CaseFilter(tab=tab), team_ids=teams, now=now) for tab in tabs}
    )


# --- filter choices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueChoices:
    """What the filter and bulk-action menus offer, and the names rows show: (id, label) pairs.

    Rows take status, team and assignee names from here rather than from joins, which keeps the
    queue's statement small (cheap to plan and run)."""

    teams: list[tuple[int, str]]
    statuses: list[tuple[int, str, str]]  # id, name, category (active statuses)
    agents: list[tuple[int, str]]  # active staff
    categories: list[tuple[int, str]]
    status_names: dict[int, str]  # every status, inactive ones included
    status_categories: dict[int, str]
    user_names: dict[int, str]  # every staff user, inactive ones included
    team_names: dict[int, str]
    # The agents as escaped ``<option>``s (a long list), so a page only marks the chosen one.
    agent_options: dict[int, str]

    def team_name(self, team_id: int) -> str:
        return self.team_names.get(team_id, "")

    def status_name(self, status_id: int) -> str:
        return self.status_names.get(status_id, "")

    def user_name(self, user_id: int) -> str:
        return self.user_names.get(user_id, f"#{user_id}")


def queue_choices() -> QueueChoices:
    """Teams, statuses, staff and case categories; cached ``CHOICES_TTL`` seconds (four small
    queries when the cache is cold, none otherwise)."""
    cached = cache.get(CHOICES_KEY)
    if isinstance(cached, QueueChoices):
        return cached
    statuses = list(
        CaseStatus.objects.order_by("position", "name").values_list("pk", "name", "category", "is_active")
    )
    staff = list(
        User.objects.filter(role__in=[r.value for r in STAFF_ROLES])
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "first_name", "last_name", "username", "is_active")
    )
    user_names = {pk: f"{first} {last}".strip() or username for pk, first, last, username, _active in staff}
    teams = list(Team.objects.order_by("name").values_list("pk", "name"))
    choices = QueueChoices(
        teams=teams,
        statuses=[(pk, name, category) for pk, name, category, active in statuses if active],
        agents=[(pk, user_names[pk]) for pk, _f, _l, _u, active in staff if active],
        categories=list(Category.objects.filter(is_active=True).order_by("name").values_list("pk", "name")),
        status_names={pk: name for pk, name, _c, _a in statuses},
        status_categories={pk: category for pk, _n, category, _a in statuses},
        user_names=user_names,
        team_names=dict(teams),
        agent_options={
            pk: f'<option value="{pk}">{escape(user_names[pk])}</option>'
            for pk, _f, _l, _u, active in staff
            if active
        },
    )
    cache.set(CHOICES_KEY, choices, CHOICES_TTL)
    return choices


def queue_choices_clear() -> None:
    cache.delete(CHOICES_KEY)


# --- saved views ---------------------------------------------------------------------------------


def saved_views_for_user(user: Any, *, team_ids: Sequence[int] | None = None) -> list[SavedView]:
    """The user's own views and those shared with their teams, by position and name (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(roles.CASE_VIEW):
        return []
    teams = list(team_ids) if team_ids is not None else user_team_ids(user)
    return list(
        SavedView.objects.filter(Q(owner_id=user.pk) | Q(team_id__in=teams))
        .select_related("team", "owner")
        .order_by("position", "name", "id")
    )


def saved_view_get_for_user(*, user: Any, pk: int, team_ids: Sequence[int] | None = None) -> SavedView | None:
    return next((view for view in saved_views_for_user(user, team_ids=team_ids) if view.pk == pk), None)


# --- search --------------------------------------------------------------------------------------

#: How many best hits of each kind (case documents, messages) a search merges.
SEARCH_CANDIDATES = 300
# Reciprocal-rank fusion: score = sum of weight / (K + rank) over the lists a case is found in.
_RRF_K = 20
_CASE_WEIGHT = 1.5  # reference, subject, customer: stronger evidence than one message
_MESSAGE_WEIGHT = 1.0


@dataclass(frozen=True)
class SearchHit:
    row: QueueRow
    score: float
    matched_case: bool  # the reference, subject or customer matched
    message_id: int | None  # the best matching message, if any
    message_body: str = ""
    message_kind: str = ""
    message_at: datetime | None = None


@dataclass
class SearchPage:
    query: str
    hits: list[SearchHit]
    offset: int
    limit: int
    total: int
    total_capped: bool  # the index had more candidates than were merged
    has_next: bool = False


def reference_of(text: str) -> str:
    """The case reference ``text`` names ("36100042", "#36100042"), else ""."""
    value = text.strip().lstrip("#").strip()
    return value if value.isascii() and value.isdigit() and len(value) <= 20 else ""


def case_find_by_reference(*, user: Any, text: str) -> str:
    """The reference of the visible case ``text`` names exactly, else "" (one query, or none)."""
    reference = reference_of(text)
    if not reference:
        return ""
    found = cases_visible_to(user).filter(reference=reference).values_list("reference", flat=True).first()
    return found or ""


def case_search(*, user: Any, query: str, offset: int = 0, limit: int = 25) -> SearchPage:
    """Cases matching ``query`` in their reference, subject, customer (name, email, phone) or
    the text of their messages, best first.

    Both index kinds give their ``SEARCH_CANDIDATES`` best hits; message hits count for their
    case; the two rankings are fused (reciprocal rank, a case-level match weighing more) and one
    page is loaded. Fixed queries: two index searches, message-to-case, rows, tags, snippets.
    """
    query = query.strip()[:200]
    if not query or not getattr(user, "is_authenticated", False) or not user.has_perm(roles.CASE_VIEW):
        return SearchPage(query, [], offset, limit, 0, False)
    case_ids = search.search_ids("case", query, limit=SEARCH_CANDIDATES)
    message_ids = search.search_ids("case_message", query, limit=SEARCH_CANDIDATES)
    message_case: dict[int, int] = (
        dict(Message.objects.filter(pk__in=message_ids).values_list("pk", "case_id")) if message_ids else {}
    )
    scores: dict[int, float] = defaultdict(float)
    matched_case: set[int] = set()
    best_message: dict[int, int] = {}
    for rank, case_id in enumerate(case_ids):
        scores[case_id] += _CASE_WEIGHT / (_RRF_K + rank)
        matched_case.add(case_id)
    for rank, hit_id in enumerate(message_ids):
        owner = message_case.get(hit_id)
        if owner is None:
            continue
        # Several matching messages raise a case, with diminishing returns.
        weight = _MESSAGE_WEIGHT / (_RRF_K + rank)
        scores[owner] += weight if owner not in best_message else weight / 3
        best_message.setdefault(owner, hit_id)
    ranked = sorted(scores, key=lambda pk: (-scores[pk], -pk))
    capped = len(case_ids) >= SEARCH_CANDIDATES or len(message_ids) >= SEARCH_CANDIDATES
    page_ids = ranked[offset : offset + limit]
    rows = _rows_by_ids(cases_visible_to(user), page_ids)
    snippets: dict[int | None, tuple[str, str, datetime | None]] = {}
    wanted = [best_message[pk] for pk in page_ids if pk in best_message]
    if wanted:
        snippets = {
            pk: (body, kind, at)
            for pk, body, kind, at in Message.objects.filter(pk__in=wanted).values_list(
                "pk", "body", "kind", "created_at"
            )
        }
    hits = []
    for pk in page_ids:
        row = rows.get(pk)
        if row is None:
            continue
        message_id = best_message.get(pk)
        body, kind, at = snippets[message_id] if message_id in snippets else ("", "", None)
        hits.append(
            SearchHit(
                row=row,
                score=round(scores[pk], 6),
                matched_case=pk in matched_case,
                message_id=message_id,
                message_body=body,
                message_kind=kind,
                message_at=at,
            )
        )
    return SearchPage(query, hits, offset, limit, len(ranked), capped, has_next=offset + limit < len(ranked))


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(c))
    return folded[:1] if folded else ch


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (so positions still match ``text``)."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


def snippet(text: str, query: str, *, width: int = 180) -> tuple[str, list[tuple[int, int]]]:
    """An excerpt of ``text`` around the first word of ``query`` it contains, and the
    (start, end) spans of the query's words in the excerpt, for highlighting. Like the index,
    a query word matches the start of a word, without regard to case or accents."""
    text = " ".join(text.split())
    folded = _fold(text)
    patterns = [re.compile(r"(?<!\w)" + re.escape(term)) for term in search.words(query) if term]
    spans = [(m.start(), m.end()) for pattern in patterns for m in pattern.finditer(folded)]
    first = min((a for a, _b in spans), default=0)
    start = max(first - width // 3, 0)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(start + width, len(text))
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in _merge_spans(spans) if a >= start and b <= end]
    return prefix + text[start:end] + suffix, inside


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# --- the customer page and dashboards ------------------------------------------------------------


@dataclass
class CustomerCases:
    rows: list[QueueRow]
    active: int
    total: int


def cases_for_customer(*, user: Any, customer_id: int, limit: int = 10) -> CustomerCases:
    """The customer's newest cases, and how many they have (active / all, capped): two queries."""
    qs = cases_visible_to(user).filter(customer_id=customer_id)
    ids = list(qs.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])
    counts = capped_counts({"active": qs.filter(status_category__in=sorted(ACTIVE_CATEGORIES)), "total": qs})
    rows = _rows_by_ids(qs, ids) if ids else {}
    return CustomerCases([rows[pk] for pk in ids if pk in rows], counts["active"], counts["total"])


@dataclass(frozen=True)
class DashboardCounts:
    mine: int
    team_unassigned: int
    breaching: int
    mentions_unread: int
    team_ids: tuple[int, ...]

    @property
    def cap(self) -> int:
        return COUNT_CAP


def dashboard_filters(team_ids: Sequence[int]) -> dict[str, CaseFilter]:
    """The queue filters behind the dashboard's counters (so a counter and the list it links
    to always agree)."""
    teams = tuple(team_ids)
    return {
        "mine": CaseFilter(tab=TAB_MINE),
        "team_unassigned": CaseFilter(tab=TAB_TEAM, unassigned=True),
        # Breaching soon in my teams, or everywhere for someone in no team.
        "breaching": CaseFilter(tab=TAB_BREACHING, team_ids=teams),
    }


def dashboard_counts(*, user: Any, team_ids: Sequence[int], now: datetime | None = None) -> DashboardCounts:
    """The case worker's counters, capped at ``COUNT_CAP + 1``, in one query."""
    now = now or timezone.now()
    querysets: dict[str, QuerySet[Any]] = {
        name: filtered_cases(user=user, filters=f, team_ids=team_ids, now=now)
        for name, f in dashboard_filters(team_ids).items()
    }
    querysets["mentions_unread"] = Mention.objects.filter(user_id=user.pk, read_at__isnull=True)
    counts = capped_counts(querysets)
    return DashboardCounts(
        mine=counts["mine"],
        team_unassigned=counts["team_unassigned"],
        breaching=counts["breaching"],
        mentions_unread=counts["mentions_unread"],
        team_ids=tuple(team_ids),
    )


def mentions_unread_for_user(*, user: Any, limit: int = 10) -> list[Mention]:
    """The user's unread @mentions, newest first, with message, case and author (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Mention.objects.filter(user_id=user.pk, read_at__isnull=True)
        .select_related("message__case", "message__author")
        .order_by("-id")[:limit]
    )


# --- api -----------------------------------------------------------------------------------------
# Reads of the REST API (api.py): the portal customer's own cases, the case detail, the thread,
# attachments, and references to ids. Each runs a fixed number of queries whatever the data size.

#: Filters only staff may use (they would tell a customer how staff file their cases).
PORTAL_HIDDEN_FILTERS = ("tab", "team", "assignee", "tag", "sla", "customer")


def portal_customer_of(user: Any) -> Any:
    """The customer record of a portal user; PermissionDeniedError for anyone else."""
    from django.utils.translation import gettext

    from frontline.core.errors import PermissionDeniedError
    from frontline.customers.models import Customer

    customer = None
    if getattr(user, "is_authenticated", False) and not getattr(user, "is_staff_member", False):
        customer = Customer.objects.filter(user_id=user.pk).first()
    if customer is None:
        raise PermissionDeniedError(gettext("You do not have permission to do this."))
    return customer


def cases_visible_to_api(user: Any) -> QuerySet[Case]:
    """Staff who may view cases: every case. A portal customer: the cases of their own customer
    record. Anyone else: none."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user.has_perm(roles.CASE_VIEW):
        return Case.objects.all()
    if getattr(user, "is_staff_member", False):
        return Case.objects.none()
    return Case.objects.filter(customer__user_id=user.pk)


def case_get_for_api(
    *, user: Any, reference: str | None = None, pk: int | None = None, field: str = "case"
) -> Case:
    """The case with everything its API detail shows (relations, tags, links): four queries.
    NotFound naming ``field`` when it does not exist or the caller may not see it."""
    from frontline.core.errors import NotFound

    from .models import CaseLink

    qs = (
        cases_visible_to_api(user)
        .select_related(
            "status",
            "category",
            "customer",
            "organisation",
            "team",
            "assignee",
            "created_by",
            "merged_into",
            "parent",
            "escalated_from_team",
            "sla_policy",
        )
        .prefetch_related(
            "tags",
            models.Prefetch("links_out", queryset=CaseLink.objects.select_related("to_case").order_by("id")),
            models.Prefetch("links_in", queryset=CaseLink.objects.select_related("from_case").order_by("id")),
        )
    )
    lookup = {"pk": pk} if pk is not None else {"reference": (reference or "").strip()}
    case = qs.filter(**lookup).first()
    if case is None:
        raise NotFound("Case not found.", field=field)
    return case


def case_ids_for_api(*, user: Any, references: Sequence[str]) -> dict[str, int]:
    """{reference: id} of the visible cases among ``references`` (one query)."""
    wanted = [r.strip() for r in references if r and r.strip()]
    if not wanted:
        return {}
    return dict(cases_visible_to_api(user).filter(reference__in=wanted).values_list("reference", "pk"))


def _portal_filtered(user: Any, filters: CaseFilter, query: str) -> QuerySet[Case]:
    qs = cases_visible_to_api(user)
    categories = filters.categories or ()
    if categories:
        qs = qs.filter(status_category__in=categories)
    if filters.status_ids:
        qs = qs.filter(status_id__in=filters.status_ids)
        if not categories:
            # Their categories too, so the category indexes narrow the search.
            known = queue_choices().status_categories
            if all(pk in known for pk in filters.status_ids):
                qs = qs.filter(status_category__in=sorted({known[pk] for pk in filters.status_ids}))
    if filters.priorities:
        qs = qs.filter(priority__in=filters.priorities)
    if filters.channels:
        qs = qs.filter(channel__in=filters.channels)
    if filters.created_from:
        qs = qs.filter(created_at__gte=_start_of(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_start_of(filters.created_to + timedelta(days=1)))
    query = query.strip()
    if query:
        reference = reference_of(query)
        qs = qs.filter(Q(subject__icontains=query) | (Q(reference=reference) if reference else Q(pk__in=[])))
    return qs


def case_list_for_api(
    *, user: Any, filters: CaseFilter, query: str = "", offset: int = 0, limit: int = 50
) -> QueuePage:
    """One page of cases for the API, as queue rows.

    Staff: without ``query``, the queue itself (``case_queue``: one statement and the tags). With
    ``query``, the search ranking (``case_search``); other filters then narrow its candidates
    (``SEARCH_CANDIDATES`` of each kind at most): one more query.
    A portal customer: their own cases, filtered by status, priority, channel and dates, and
    ``query`` in the subject or the exact reference; newest first unless sorted.
    """
    if user.has_perm(roles.CASE_VIEW):
        if not query.strip():
            return case_queue(user=user, filters=filters, offset=offset, limit=limit)
        from dataclasses import replace

        plain = replace(filters, sort=SORT_DUE) == CaseFilter()
        if plain:
            found = case_search(user=user, query=query, offset=offset, limit=limit)
            return QueuePage([hit.row for hit in found.hits], offset, limit, found.total, found.has_next)
        candidates = case_search(user=user, query=query, offset=0, limit=SEARCH_CANDIDATES)
        kept = set(
            filtered_cases(user=user, filters=filters)
            .filter(pk__in=[hit.row.id for hit in candidates.hits])
            .values_list("pk", flat=True)
        )
        rows = [hit.row for hit in candidates.hits if hit.row.id in kept]
        return QueuePage(rows[offset : offset + limit], offset, limit, len(rows), offset + limit < len(rows))
    qs = _portal_filtered(user, filters, query)
    sort = filters.sort if filters.sort != SORT_DUE else "-created"
    page_ids = list(_ordered(qs, sort).values_list("pk", flat=True)[offset : offset + limit + 1])
    has_next = len(page_ids) > limit
    page_ids = page_ids[:limit]
    total = _count(qs, COUNT_CAP + 1) if (offset or has_next) else offset + len(page_ids)
    by_id = _rows_by_ids(Case.objects.all(), page_ids)
    return QueuePage([by_id[pk] for pk in page_ids if pk in by_id], offset, limit, total, has_next)


def messages_for_api(
    *, case: Case, public_only: bool, after: tuple[datetime, int] | None = None, limit: int = 50
) -> list[Message]:
    """The thread oldest first from after the ``(created_at, id)`` cursor, with authors,
    attachments and mentions: four queries. ``public_only``: public replies only (portal)."""
    qs = Message.objects.filter(case_id=case.pk)
    if public_only:
        from .choices import MessageKind

        qs = qs.filter(kind=MessageKind.REPLY)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk))
    return list(
        qs.select_related("author")
        .prefetch_related(
            "attachments",
            models.Prefetch("mention_rows", queryset=Mention.objects.select_related("user").order_by("id")),
        )
        .order_by("created_at", "id")[:limit]
    )


def message_get_for_api(*, pk: int) -> Message:
    """One message as the API shows it, with its case's reference."""
    return (
        Message.objects.select_related("author", "case")
        .prefetch_related(
            "attachments",
            models.Prefetch("mention_rows", queryset=Mention.objects.select_related("user").order_by("id")),
        )
        .get(pk=pk)
    )


def message_of_case(*, case: Case, pk: int) -> Message:
    from frontline.core.errors import NotFound

    message = Message.objects.filter(case_id=case.pk, pk=pk).first()
    if message is None:
        raise NotFound("No such message on this case.", field="message")
    return message


def attachment_get_for_api(*, case: Case, pk: int, public_only: bool) -> Any:
    """An attachment of a message of ``case`` (of a public reply when ``public_only``)."""
    from frontline.core.errors import NotFound

    from .choices import MessageKind
    from .models import Attachment

    qs = Attachment.objects.filter(pk=pk, message__case_id=case.pk)
    if public_only:
        qs = qs.filter(message__kind=MessageKind.REPLY)
    attachment = qs.first()
    if attachment is None:
        raise NotFound("No such attachment on this case.", field="attachment")
    return attachment


def statuses_for_api() -> list[CaseStatus]:
    return list(CaseStatus.objects.filter(is_active=True).order_by("position", "name"))


def categories_for_api() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("name"))


def handover_notes_written_by(*, user: Any, limit: int = 10) -> list[HandoverNote]:
    """The user's own latest handover notes (acknowledged or not), newest first: one query."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        HandoverNote.objects.filter(author_id=user.pk)
        .select_related("case", "team", "handed_to", "acknowledged_by")
        .order_by("-created_at", "-id")[:limit]
    )


# --- case page --------------------------------------------------------------------------------
# Reads of the case page (case_views.py): the case with everything its header shows, the thread,
# the customer summary, links, history and the choices of its forms. Each runs a fixed number of
# queries whatever the length of the thread or the size of the customer's history.


def case_page_get(*, user: Any, reference: str) -> Case:
    """The case with its header's relations, for staff who may view cases; NotFound otherwise
    (a user without the permission learns nothing about which references exist)."""
    from frontline.core.errors import NotFound

    case = (
        cases_visible_to(user)
        .select_related(
            "status",
            "customer__organisation",
            "organisation",
            "category",
            "team",
            "assignee",
            "merged_into",
            "escalated_from_team",
        )
        .prefetch_related("tags")
        .filter(reference=reference)
        .order_by()[:1]  # unique: no ORDER BY, which is costly to compile this wide
    )
    if not case:
        raise NotFound("Case not found.", field="case")
    return case[0]


@dataclass(frozen=True)
class CaseThread:
    """Messages oldest to newest; ``earlier_before`` is the id to load older ones from (0: none);
    ``newest_id`` is what the composer reports as seen."""

    messages: list[Message]
    earlier_before: int
    newest_id: int


def case_page_thread(*, case: Case, before_id: int | None = None, limit: int = 100) -> CaseThread:
    """The newest ``limit`` messages (or those before ``before_id``) with authors, attachments
    and mentioned users: four queries however long the thread."""
    qs = (
        Message.objects.filter(case_id=case.pk)
        .select_related("author")
        .prefetch_related(
            "attachments",
            models.Prefetch("mention_rows", queryset=Mention.objects.select_related("user").order_by("id")),
        )
    )
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return CaseThread(
        messages=rows,
        earlier_before=rows[0].pk if more and rows else 0,
        newest_id=max((m.pk for m in rows), default=0),
    )


def case_page_messages(*, case: Case, ids: list[int]) -> list[Message]:
    """Given messages of the case (the replies a stale-reply warning shows), oldest first."""
    return list(
        Message.objects.filter(case_id=case.pk, pk__in=ids[:20])
        .select_related("author")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class CaseCustomerSummary:
    customer: Any
    email: str
    phone: str
    open_cases: list[Case]
    more_open_cases: bool
    recent: list[Any]


def case_page_customer(*, case: Case, open_limit: int = 5, recent_limit: int = 5) -> CaseCustomerSummary:
    """The customer 360 summary beside the thread: primary email and phone, organisation, tags,
    their other open cases and the newest timeline entries. Four queries."""
    from frontline.customers.choices import ContactKind
    from frontline.customers.models import ContactPoint
    from frontline.customers.selectors import TimelineFilters, customer_timeline, primary_value

    customer = case.customer
    models.prefetch_related_objects(
        [customer],
        models.Prefetch(
            "contact_points",
            queryset=ContactPoint.objects.filter(
                is_primary=True, kind__in=[ContactKind.EMAIL, ContactKind.PHONE]
            ),
            to_attr="primary_contacts",
        ),
        "tags",
    )
    others = list(
        Case.objects.filter(customer_id=customer.pk, status_category__in=sorted(ACTIVE_CATEGORIES))
        .exclude(pk=case.pk)
        .select_related("status")
        .only(*_related_case_fields())
        .order_by("-created_at", "-id")[: open_limit + 1]
    )
    return CaseCustomerSummary(
        customer=customer,
        email=primary_value(customer, ContactKind.EMAIL),
        phone=primary_value(customer, ContactKind.PHONE),
        open_cases=others[:open_limit],
        more_open_cases=len(others) > open_limit,
        recent=customer_timeline(customer_id=customer.pk, filters=TimelineFilters(), limit=recent_limit),
    )


@dataclass(frozen=True)
class CaseRelation:
    kind: str  # a LinkKind value, or "merged_from" / "parent" / "child"
    label: str
    case: Case
    removable: bool  # a link that case_unlink can take away


def case_page_relations(*, case: Case) -> list[CaseRelation]:
    """Linked cases (both directions), cases merged into this one, parent and children. Two
    queries."""
    from django.utils.translation import gettext as _

    from .choices import LinkKind
    from .models import CaseLink

    relations: list[CaseRelation] = []
    links = (
        CaseLink.objects.filter(Q(from_case_id=case.pk) | Q(to_case_id=case.pk))
        .select_related("from_case__status", "to_case__status")
        .only(
            "kind",
            "from_case_id",
            "to_case_id",
            *_related_case_fields("from_case__"),
            *_related_case_fields("to_case__"),
        )
        .order_by("created_at", "id")
    )
    for link in links:
        outgoing = link.from_case_id == case.pk
        other = link.to_case if outgoing else link.from_case
        label = str(LinkKind(link.kind).label) if link.kind in LinkKind.values else link.kind
        if not outgoing and link.kind == LinkKind.DUPLICATE:
            label = _("Has duplicate")
        elif not outgoing and link.kind == LinkKind.CAUSED_BY:
            label = _("Caused")
        relations.append(CaseRelation(link.kind, label, other, True))
    family = Case.objects.filter(Q(merged_into_id=case.pk) | Q(parent_id=case.pk) | Q(pk=case.parent_id or 0))
    for other in (
        family.select_related("status")
        .only(*_related_case_fields(), "merged_into_id", "parent_id")
        .order_by("created_at", "id")
    ):
        if other.merged_into_id == case.pk:
            relations.append(CaseRelation("merged_from", _("Merged into this case"), other, False))
        elif other.pk == case.parent_id:
            relations.append(CaseRelation("parent", _("Split from"), other, False))
        else:
            relations.append(CaseRelation("child", _("Split off"), other, False))
    return relations


def _related_case_fields(prefix: str = "") -> list[str]:
    """What the side panel shows of another case (a narrow select compiles and loads faster)."""
    return [
        prefix + f for f in ("reference", "subject", "status_category", "status__name", "status__category")
    ]


def case_page_handover_notes(*, case: Case, limit: int = 5) -> list[Any]:
    return list(
        HandoverNote.objects.filter(case_id=case.pk)
        .select_related("author", "handed_to")
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class CaseHistoryEntry:
    at: datetime
    source: str  # "audit" or "sla"
    actor: str
    verb: str
    detail: str


def case_page_history(*, case: Case, limit: int = 60) -> list[CaseHistoryEntry]:
    """The case's audit entries and SLA events (pauses, breaches, escalations), newest first."""
    from frontline.audit.selectors import audit_for_object

    from .sla import sla_history

    entries = [
        CaseHistoryEntry(
            at=entry.created_at,
            source="audit",
            actor=entry.actor_label or "system",
            verb=entry.verb,
            detail=_audit_detail(entry.data or {}),
        )
        for entry in audit_for_object(case, limit=limit)
    ]
    for event in sla_history(case)[-limit:]:
        entries.append(
            CaseHistoryEntry(
                at=event.at,
                source="sla",
                actor="SLA",
                verb=f"{event.metric_label or 'SLA'}: {event.kind_label}",
                detail=_audit_detail(event.data or {}),
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _audit_detail(data: dict[str, Any]) -> str:
    parts = []
    changes = data.get("changes")
    if isinstance(changes, dict):
        for name, pair in sorted(changes.items()):
            if isinstance(pair, list | tuple) and len(pair) == 2:
                parts.append(f"{name}: {_short(pair[0])} → {_short(pair[1])}")
            else:
                parts.append(name)
    for key in (
        "from",
        "to",
        "reason",
        "note",
        "assignee",
        "team",
        "level",
        "outcome",
        "merged_into",
        "survivor",
    ):
        value = data.get(key)
        if value not in (None, "", [], {}):
            parts.append(f"{key}: {_short(value)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value in (None, ""):
        return "—"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


@dataclass(frozen=True)
class CasePageOptions:
    """What the properties form and the composer offer."""

    statuses: list[Any]
    categories: list[Any]
    custom_fields: list[Any]


def case_page_form_options() -> CasePageOptions:
    from .models import CustomField

    return CasePageOptions(
        statuses=list(CaseStatus.objects.filter(is_active=True).order_by("position", "name")),
        categories=list(Category.objects.filter(is_active=True).order_by("name")),
        custom_fields=list(CustomField.objects.filter(is_active=True).order_by("position", "label")),
    )


def case_page_people(*, team_id: int | None = None) -> list[tuple[int, str]]:
    """Active staff as ``(id, "Name (@username)")``: the members of ``team_id``, or everyone."""
    users = User.objects.filter(is_active=True, role__in=[r.value for r in STAFF_ROLES])
    if team_id is not None:
        users = users.filter(memberships__team_id=team_id)
    rows = users.order_by("first_name", "last_name", "username").values_list(
        "pk", "first_name", "last_name", "username"
    )
    return [
        (pk, f"{first} {last} (@{username})".strip() if (first or last) else f"@{username}")
        for pk, first, last, username in rows
    ]


def case_page_teams() -> list[tuple[int, str]]:
    return list(Team.objects.order_by("name").values_list("pk", "name"))
