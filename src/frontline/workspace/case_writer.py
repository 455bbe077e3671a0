"""Turn case scripts (``demo_cases``) into rows, two ways that give the same result.

``ServiceWriter`` replays scripts through the cases services (``case_create``, ``message_reply``,
``message_receive_on_case``, ``call_log``, ``case_status_set``, assignment and escalation), with
the clock set to each step's moment, and runs the SLA and follow-up sweeps at the minutes the
scheduler would have run them. It is exact by construction and takes ~20 ms a case: the seeds'
own cases go this way.

``BulkWriter`` writes the same rows for thousands of cases without the ORM: the case, its
messages and mentions, the customer's timeline entries, the audit trail, the search documents,
and the SLA clocks and events with escalations and the resolution follow-up, computed by
replaying the SLA rules of ``cases.sla`` in memory (with ``cases.businesstime``, the engine's own
arithmetic). ``tests/test_case_writer.py`` writes the same scripts both ways and compares every
row, so the two cannot drift apart unnoticed.

Both run inside the seed's transaction, after the case settings exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import translation
from django.utils.translation import gettext as _

from frontline.accounts.models import Membership, Team
from frontline.audit.models import AuditEntry
from frontline.cases import assignment, businesstime, escalation, services, sla
from frontline.cases.businesstime import CalendarSnapshot
from frontline.cases.choices import (
    ACTIVE_CATEGORIES,
    DONE_CATEGORIES,
    MessageKind,
    SlaEventKind,
    SlaMetric,
    StatusCategory,
)
from frontline.cases.models import (
    Case,
    CaseStatus,
    Category,
    EscalationFiring,
    EscalationLevel,
    Mention,
    Message,
    Queue,
    SlaClock,
    SlaEvent,
    SlaPolicy,
)
from frontline.core import search
from frontline.customers.choices import Channel, Direction, InteractionKind
from frontline.customers.models import ContactPoint, Customer, Interaction

from .demo_cases import CaseScript, Step
from .fast_insert import Pump, RowWriter

MINUTE = 60
SLA_SWEEP_SECONDS = 60
FOLLOW_UP_SWEEP_SECONDS = 600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- the clock ------------------------------------------------------------------------------------


@contextmanager
def story_clock(moment: datetime) -> Iterator[None]:
    """Run code as if it were ``moment``: every ``timezone.now()`` (services, auto_now fields,
    audit rows) answers it. Only for replaying the past in the seed, which runs alone."""
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """The sweeps log what they did; replaying the past, that is noise."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def tick_at_or_after(moment: datetime, interval: int) -> datetime:
    """The first scheduler window start (epoch-aligned, ``interval`` seconds) at or after ``moment``."""
    seconds = (moment - EPOCH).total_seconds()
    ticks = -(-seconds // interval)
    return EPOCH + timedelta(seconds=ticks * interval)


def tick_after(moment: datetime, interval: int) -> datetime:
    """The first window start strictly after ``moment``."""
    tick = tick_at_or_after(moment, interval)
    return tick if tick > moment else tick + timedelta(seconds=interval)


# --- what the sweeps will do next -----------------------------------------------------------------


@dataclass
class ClockView:
    """A clock as the sweeps see it, and what was worked out about it (``memo``)."""

    due_at: datetime
    paused_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    warned_at: datetime | None
    fired: set[int]
    memo: dict[tuple[Any, ...], datetime | None] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyView:
    pk: int
    warn_before_minutes: int
    levels: tuple[tuple[int, int, str], ...]  # (level, after_minutes, action)
    calendar: CalendarSnapshot


def _warn_tick(cal: CalendarSnapshot, earliest: datetime, due: datetime, warn: int) -> datetime | None:
    """The first minute ``t >= earliest`` at which the sweep warns: ``t <= due <= t + warn`` (business)."""
    first = tick_at_or_after(earliest, SLA_SWEEP_SECONDS)
    if first > due:
        return None

    def warns(moment: datetime) -> bool:
        return businesstime.add_business_minutes(cal, moment, warn) >= due

    if warns(first):
        return first
    # Usually the answer is "due minus the warning time" rounded up to the minute; when that
    # lands on an opening time the closed hours before it count as well: search then.
    guess = tick_at_or_after(businesstime.add_business_seconds(cal, due, -warn * 60), SLA_SWEEP_SECONDS)
    before = guess - timedelta(seconds=SLA_SWEEP_SECONDS)
    if first < guess <= due and warns(guess) and not warns(before):
        return guess
    low, high = 0, int((due - first).total_seconds() // MINUTE)  # the answer is in (low, high]
    while high - low > 1:
        middle = (low + high) // 2
        if warns(first + timedelta(minutes=middle)):
            high = middle
        else:
            low = middle
    return first + timedelta(minutes=high)


def next_sweep(
    *,
    clocks: Sequence[ClockView],
    policy: PolicyView | None,
    active: bool,
    follow_up_due_at: datetime | None,
    resolved: bool,
    earliest: datetime,
) -> datetime | None:
    """The first sweep at or after ``earliest`` that changes something on one case: a breach, a
    warning, an escalation level, or closing an unanswered follow-up."""
    moments: list[datetime] = []
    if active:
        for clock in clocks:
            if clock.stopped_at is not None or clock.paused_at is not None:
                continue
            if clock.breached_at is None:
                moments.append(
                    max(tick_after(clock.due_at, SLA_SWEEP_SECONDS), tick_at_or_after(earliest, 60))
                )
                if policy is not None and policy.warn_before_minutes > 0 and clock.warned_at is None:
                    # The first minute that warns does not depend on ``earliest`` once it is past it.
                    warn_key: tuple[Any, ...] = ("warn", clock.due_at, policy.pk)
                    warn = clock.memo.get(warn_key)
                    if warn is None or warn < earliest:
                        warn = _warn_tick(policy.calendar, earliest, clock.due_at, policy.warn_before_minutes)
                        clock.memo[warn_key] = warn
                    if warn is not None:
                        moments.append(warn)
            elif policy is not None:
                for level, after, _action in policy.levels:
                    if level in clock.fired:
                        continue
                    level_key: tuple[Any, ...] = ("level", clock.breached_at, level, policy.pk)
                    if level_key not in clock.memo:
                        clock.memo[level_key] = businesstime.add_business_seconds(
                            policy.calendar, clock.breached_at, after * 60
                        )
                    due = clock.memo[level_key]
                    assert due is not None
                    moments.append(
                        max(tick_at_or_after(due, SLA_SWEEP_SECONDS), tick_at_or_after(earliest, 60))
                    )
    if resolved and follow_up_due_at is not None:
        moments.append(
            max(
                tick_at_or_after(follow_up_due_at, FOLLOW_UP_SWEEP_SECONDS),
                tick_at_or_after(earliest, FOLLOW_UP_SWEEP_SECONDS),
            )
        )
    return min(moments, default=None)


# --- the settings both writers read -----------------------------------------------------------------


@dataclass
class World:
    """Statuses, teams, users, policies and calendars, loaded once."""

    statuses: dict[str, CaseStatus]
    defaults: dict[str, CaseStatus]  # category -> default status
    categories: dict[str, int]
    teams: dict[str, Team]
    leads: dict[int, list[Any]]  # team id -> lead users by username
    members: dict[int, set[int]]
    users: dict[str, Any]
    users_by_id: dict[int, Any]
    managers: list[Any]
    policies: list[SlaPolicy]
    policy_views: dict[int, PolicyView]
    case_type: ContentType
    message_type: ContentType
    queue_modes: dict[int, str] = field(default_factory=dict)

    @property
    def policy_conditions(self) -> list[tuple[SlaPolicy, set[int], set[int], set[int]]]:
        """Each active policy with its category, organisation and customer-tag ids, in order."""
        if not hasattr(self, "_conditions"):
            self._conditions = [
                (
                    p,
                    {c.pk for c in p.categories.all()},
                    {o.pk for o in p.organisations.all()},
                    {t.pk for t in p.customer_tags.all()},
                )
                for p in self.policies
            ]
        return self._conditions

    @classmethod
    def load(cls) -> World:
        statuses = {s.slug: s for s in CaseStatus.objects.all()}
        defaults = {s.category: s for s in statuses.values() if s.is_default}
        teams = {t.slug: t for t in Team.objects.all()}
        leads: dict[int, list[Any]] = {}
        members: dict[int, set[int]] = {}
        for m in Membership.objects.select_related("user").order_by("user__username", "user__pk"):
            members.setdefault(m.team_id, set()).add(m.user_id)
            if m.is_lead and m.user.is_active:
                leads.setdefault(m.team_id, []).append(m.user)
        users = {u.username: u for u in get_user_model().objects.all()}
        policies = list(
            SlaPolicy.objects.filter(is_active=True)
            .prefetch_related("categories", "organisations", "customer_tags")
            .order_by("position", "name")
        )
        calendars = sla.Calendars()
        views = {}
        for policy in SlaPolicy.objects.all():
            levels = tuple(
                EscalationLevel.objects.filter(policy=policy)
                .order_by("level")
                .values_list("level", "after_minutes", "action")
            )
            views[policy.pk] = PolicyView(
                policy.pk, policy.warn_before_minutes, levels, calendars.for_policy(policy)
            )
        return cls(
            statuses=statuses,
            defaults=defaults,
            categories=dict(Category.objects.values_list("slug", "pk")),
            teams=teams,
            leads=leads,
            members=members,
            users=users,
            users_by_id={u.pk: u for u in users.values()},
            managers=sorted(
                (u for u in users.values() if u.role == "admin" and u.is_active),
                key=lambda u: (u.username, u.pk),
            ),
            policies=policies,
            policy_views=views,
            case_type=ContentType.objects.get_for_model(Case),
            message_type=ContentType.objects.get_for_model(Message),
            queue_modes=dict(Queue.objects.values_list("team_id", "assignment_mode")),
        )

    def status(self, slug: str) -> CaseStatus:
        return self.statuses[slug]

    def team_by_id(self, pk: int | None) -> Team | None:
        return next((t for t in self.teams.values() if t.pk == pk), None)


# --- the services way -------------------------------------------------------------------------------


class ServiceWriter:
    """Replays scripts through the services, all of them on one timeline (a sweep at a minute
    sees every case as it was then). Returns the cases in script order."""

    def __init__(self, *, now: datetime, customer_ids: Sequence[int], portal_users: dict[int, Any]) -> None:
        self.now = now
        self.customer_ids = customer_ids
        self.portal_users = portal_users  # customer id -> portal user (writes as themselves)
        self.world = World.load()

    def user(self, username: str) -> Any:
        return self.world.users[username]

    def _portal(self, customer_id: int, channel: str) -> Any | None:
        """A customer with a portal login writes as themselves on the portal; other channels
        arrive through the inbox, without a user."""
        return self.portal_users.get(customer_id) if channel == Channel.PORTAL else None

    def write(self, scripts: Sequence[CaseScript]) -> list[Case]:
        timeline: list[tuple[datetime, int, int]] = []  # (at, script, step index; -1 = open)
        for number, script in enumerate(scripts):
            timeline.append((script.created_at, number, -1))
            timeline += [(step.at, number, index) for index, step in enumerate(script.steps)]
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        cases: dict[int, Case] = {}
        earliest: datetime | None = None
        for at, number, index in timeline:
            if earliest is not None:
                self._sweeps(earliest, until=at, inclusive=False)
            with story_clock(at):
                if index < 0:
                    cases[number] = self._open(scripts[number])
                else:
                    self._step(cases[number], scripts[number].steps[index])
            earliest = at
        if earliest is not None:
            self._sweeps(earliest, until=self.now, inclusive=True)
        return [Case.objects.get(pk=cases[n].pk) for n in range(len(scripts))]

    # -- sweeps -----------------------------------------------------------------------------------
    def _sweeps(self, earliest: datetime, *, until: datetime, inclusive: bool) -> None:
        while True:
            moment = self._next_sweep(earliest)
            if moment is None or moment > until or (moment == until and not inclusive):
                return
            with story_clock(moment), _quiet(sla.logger):
                if moment == tick_at_or_after(moment, FOLLOW_UP_SWEEP_SECONDS):
                    sla.follow_up_sweep(now=moment)
                sla.sla_sweep(now=moment)
            earliest = moment + timedelta(seconds=SLA_SWEEP_SECONDS)

    def _next_sweep(self, earliest: datetime) -> datetime | None:
        moments = []
        fired: dict[int, set[int]] = {}
        for clock_id, level in EscalationFiring.objects.values_list("clock_id", "level"):
            fired.setdefault(clock_id, set()).add(level)
        clocks: dict[int, list[ClockView]] = {}
        for clock in SlaClock.objects.filter(stopped_at__isnull=True):
            clocks.setdefault(clock.case_id, []).append(
                ClockView(
                    clock.due_at,
                    clock.paused_at,
                    clock.stopped_at,
                    clock.breached_at,
                    clock.warned_at,
                    fired.get(clock.pk, set()),
                )
            )
        for case in Case.objects.filter(merged_into__isnull=True).only(
            "pk", "status_category", "sla_policy_id", "follow_up_due_at"
        ):
            policy = self.world.policy_views.get(case.sla_policy_id) if case.sla_policy_id else None
            moment = next_sweep(
                clocks=clocks.get(case.pk, []),
                policy=policy,
                active=case.status_category in ACTIVE_CATEGORIES,
                follow_up_due_at=case.follow_up_due_at,
                resolved=case.status_category == StatusCategory.RESOLVED,
                earliest=earliest,
            )
            if moment is not None:
                moments.append(moment)
        return min(moments, default=None)

    # -- steps ------------------------------------------------------------------------------------
    def _open(self, script: CaseScript) -> Case:
        customer_id = self.customer_ids[script.customer]
        world = self.world
        by = self.user(script.opened_by) if script.opened_by else self._portal(customer_id, script.channel)
        team = world.teams[script.team] if script.team else None
        data = services.CaseInput(
            customer_id=customer_id,
            subject=script.subject,
            body=script.body,
            channel=script.channel,
            priority=script.priority,
            category_id=world.categories[script.category] if script.category else None,
            team_id=team.pk if team else None,
            assignee_id=self.user(script.assignee).pk if script.assignee else None,
            tags=list(script.tags),
            custom_fields=dict(script.custom_fields),
            from_customer=script.from_customer,
            external_id=script.external_id,
            reference=script.reference,
            created_at=script.created_at,
        )
        return services.case_create(by=by, data=data)

    def _step(self, case: Case, step: Step) -> None:
        by = self.user(step.by) if step.by else None
        if step.kind == "receive":
            services.message_receive_on_case(
                case_id=case.pk,
                body=step.body,
                channel=step.channel or case.channel,
                by=self._portal(case.customer_id, step.channel or case.channel),
                at=step.at,
            )
        elif step.kind in ("reply", "note"):
            services.message_reply(
                case_id=case.pk,
                by=by,
                body=step.body,
                internal=step.kind == "note",
                status=step.status or None,
            )
        elif step.kind == "call":
            services.call_log(
                case_id=case.pk,
                by=by,
                direction=step.direction,
                duration_seconds=step.duration,
                summary=step.body,
                outcome=step.outcome,
            )
        elif step.kind == "status":
            services.case_status_set(case_id=case.pk, by=by, status=step.status)
        elif step.kind == "assign":
            if step.assignee == step.by:
                assignment.case_take(case_id=case.pk, by=by)
            else:
                assignment.case_assign(case_id=case.pk, by=by, assignee_id=self.user(step.assignee).pk)
        elif step.kind == "escalate":
            escalation.case_escalate_to_tech(
                case_id=case.pk,
                by=by,
                reason=step.body,
                assignee_id=self.user(step.assignee).pk if step.assignee else None,
            )
        elif step.kind == "return":
            escalation.case_return_from_tech(case_id=case.pk, by=by, reason=step.body)
        elif step.kind == "link":
            from frontline.cases import merge

            other = Case.objects.get(reference=step.body)
            merge.case_link(case_id=case.pk, other_id=other.pk, by=by)
        else:
            raise ValueError(f"unknown step {step.kind!r}")


# --- the bulk way -------------------------------------------------------------------------------------


@dataclass
class CustomerInfo:
    pk: int
    first_name: str
    last_name: str
    organisation_id: int | None
    organisation_name: str
    language: str
    contacts: list[str]  # values in ContactPoint order
    tag_ids: set[int]

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def load_customers(customer_ids: Sequence[int]) -> list[CustomerInfo]:
    """What the cases of these customers need of them (four queries per 2,000)."""
    infos: dict[int, CustomerInfo] = {}
    tags = Customer.tags.through
    for start in range(0, len(customer_ids), 2000):
        chunk = list(customer_ids[start : start + 2000])
        for pk, first, last, org_id, org_name, language in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "first_name", "last_name", "organisation_id", "organisation__name", "language"
        ):
            infos[pk] = CustomerInfo(pk, first, last, org_id, org_name or "", language, [], set())
        for customer_id, value in (
            ContactPoint.objects.filter(customer_id__in=chunk)
            .order_by(*[str(o) for o in ContactPoint._meta.ordering or ()])
            .values_list("customer_id", "value")
        ):
            infos[customer_id].contacts.append(value)
        for customer_id, tag_id in tags.objects.filter(customer_id__in=chunk).values_list(
            "customer_id", "tag_id"
        ):
            infos[customer_id].tag_ids.add(tag_id)
    return [infos[pk] for pk in customer_ids]


@dataclass
class SimClock:
    pk: int
    metric: str
    target_minutes: int
    started_at: datetime
    due_at: datetime
    paused_at: datetime | None = None
    consumed_seconds: int = 0
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    met: bool | None = None
    fired: set[int] = field(default_factory=set)
    memo: dict[tuple[Any, ...], datetime | None] = field(default_factory=dict)

    def view(self) -> ClockView:
        return ClockView(
            self.due_at,
            self.paused_at,
            self.stopped_at,
            self.breached_at,
            self.warned_at,
            self.fired,
            self.memo,
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


_MENTION = services.MENTION


class BulkWriter:
    """Writes scripted cases as rows (see the module docstring). ``write()`` as often as needed,
    then ``close()``."""

    TABLES: tuple[type[models.Model], ...] = (
        Case,
        Case.tags.through,
        Message,
        Mention,
        Interaction,
        AuditEntry,
        SlaClock,
        SlaEvent,
        EscalationFiring,
    )

    def __init__(
        self, *, now: datetime, customers: Sequence[CustomerInfo], world: World | None = None
    ) -> None:
        self.now = now
        self.customers = customers
        self.world = world or World.load()
        self.pump = Pump()
        self.rows = {model: RowWriter(model, pump=self.pump) for model in self.TABLES}
        self.tag_ids: dict[str, int] = {}
        self.case_docs: list[tuple[int, list[str]]] = []
        self.message_docs: list[tuple[int, list[str]]] = []
        self.last_interaction: dict[int, datetime] = {}
        self.last_assigned: dict[int, int] = {}  # team id -> user id (queue.last_assigned)
        self.follow_up_days = int(settings.CASE_FOLLOW_UP_DAYS)
        self.count = 0
        # Staff by lower-cased username, for @mentions (services.mentioned_users).
        self.mentionable = {
            u.username.lower(): u for u in self.world.users.values() if u.is_active and u.role != "customer"
        }

    def tags(self, names: Sequence[str]) -> None:
        from frontline.customers.models import Tag

        self.pump.drain()
        for name in sorted({n.strip().lower()[:50] for n in names if n.strip()}):
            self.tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk

    def write(self, scripts: Sequence[CaseScript]) -> None:
        for script in scripts:
            SimCase(self, script).run()
            self.count += 1
        self._index()

    def _index(self) -> None:
        case_docs, message_docs = self.case_docs, self.message_docs
        self.case_docs, self.message_docs = [], []

        def index() -> None:
            if case_docs:
                search.index_many("case", case_docs)
            if message_docs:
                search.index_many("case_message", message_docs)

        self.pump.submit(index)

    def close(self) -> dict[str, int]:
        self._index()
        try:
            for writer in self.rows.values():
                writer.flush()
            self.pump.drain()
            written = {model._meta.label: writer.close() for model, writer in self.rows.items()}
        finally:
            self.pump.close()
        self._touch_customers()
        for team_id, user_id in self.last_assigned.items():
            Queue.objects.filter(team_id=team_id).update(last_assigned_id=user_id)
        return written

    def abort(self) -> None:
        """Give up: stop the writing thread (the caller's transaction rolls everything back)."""
        with suppress(Exception):  # the error that made us abort is the one to report
            self.pump.close()

    def _touch_customers(self) -> None:
        """``Customer.last_interaction_at``: the newest timeline entry (interaction_record keeps it so)."""
        rows = [(when, pk, when) for pk, when in self.last_interaction.items()]
        table = connection.ops.quote_name(Customer._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET last_interaction_at = %s WHERE id = %s "
                "AND (last_interaction_at IS NULL OR last_interaction_at < %s)",
                rows,
            )

    # -- row helpers ---------------------------------------------------------------------------
    def audit(
        self, *, actor: Any | None, verb: str, case: SimCase, data: dict[str, Any], at: datetime
    ) -> None:
        self.rows[AuditEntry].add(
            created_at=at,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor.get_username() if actor is not None else "system",
            verb=verb,
            target_type_id=self.world.case_type.pk,
            target_id=str(case.pk),
            target_label=f"#{case.reference} {case.subject}"[:200],
            data=data,
            request_id="",
            ip_address=None,
        )

    def interaction(
        self,
        *,
        customer_id: int,
        kind: str,
        summary: str,
        actor: Any | None,
        at: datetime,
        channel: str,
        direction: str,
        is_internal: bool = False,
        body: str = "",
        source_type: ContentType,
        source_id: int,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.rows[Interaction].add(
            customer_id=customer_id,
            kind=kind,
            summary=summary.strip()[:255],
            body=body,
            occurred_at=at,
            channel=channel,
            direction=direction,
            is_internal=is_internal,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor.get_username() if actor is not None else "",
            source_type_id=source_type.pk,
            source_id=str(source_id),
            data=data or {},
            created_at=at,
        )
        if self.last_interaction.get(customer_id) is None or self.last_interaction[customer_id] < at:
            self.last_interaction[customer_id] = at


class SimCase:
    """One case replayed in memory: each method is the in-memory twin of a service step."""

    def __init__(self, writer: BulkWriter, script: CaseScript) -> None:
        self.w = writer
        self.world = writer.world
        self.script = script
        self.customer = writer.customers[script.customer]
        self.pk = writer.rows[Case].reserve()
        self.reference = script.reference
        self.subject = script.subject.strip()
        self.row: dict[str, Any] = {}
        self.clocks: list[SimClock] = []
        self.policy: SlaPolicy | None = None
        self.policy_view: PolicyView | None = None

    # -- the timeline ----------------------------------------------------------------------------
    def run(self) -> None:
        script = self.script
        self.case_create(script.created_at)
        earliest = script.created_at
        for step in script.steps:
            self.sweeps(earliest, until=step.at, inclusive=False)
            self.step(step)
            earliest = step.at
        self.sweeps(earliest, until=self.w.now, inclusive=True)
        self.flush()

    def sweeps(self, earliest: datetime, *, until: datetime, inclusive: bool) -> None:
        while True:
            moment = next_sweep(
                clocks=[c.view() for c in self.clocks if c.stopped_at is None],
                policy=self.policy_view,
                active=self.row["status_category"] in ACTIVE_CATEGORIES,
                follow_up_due_at=self.row["follow_up_due_at"],
                resolved=self.row["status_category"] == StatusCategory.RESOLVED,
                earliest=earliest,
            )
            if moment is None or moment > until or (moment == until and not inclusive):
                return
            if moment == tick_at_or_after(moment, FOLLOW_UP_SWEEP_SECONDS):
                self.follow_up_sweep(moment)
            self.sla_sweep(moment)
            earliest = moment + timedelta(seconds=SLA_SWEEP_SECONDS)

    def step(self, step: Step) -> None:
        by = self.world.users[step.by] if step.by else None
        at = step.at
        if step.kind == "receive":
            self.message_receive_on_case(step.body, step.channel or self.row["channel"], at)
        elif step.kind in ("reply", "note"):
            self.message_reply(by, step.body, internal=step.kind == "note", status=step.status, at=at)
        elif step.kind == "call":
            self.call_log(by, step.direction, step.duration, step.body, step.outcome, at)
        elif step.kind == "status":
            new = self.world.status(step.status)
            if new.pk != self.row["status_id"]:
                self.apply_status(new, by=by, at=at)
        elif step.kind == "assign":
            assert by is not None and step.assignee == step.by, "bulk cases are taken, not assigned"
            self.case_take(by, at)
        elif step.kind == "escalate":
            self.escalate_to_tech(by, step.body, step.assignee, at)
        else:
            raise ValueError(f"the bulk writer does not replay {step.kind!r} steps")

    # -- services.case_create ---------------------------------------------------------------------
    def case_create(self, at: datetime) -> None:
        script, world = self.script, self.world
        by = world.users[script.opened_by] if script.opened_by else None
        team = world.teams[script.team] if script.team else None
        assignee = world.users[script.assignee] if script.assignee else None
        status = world.defaults[StatusCategory.NEW if assignee is None else StatusCategory.OPEN]
        self.status = status
        self.row = {
            "id": self.pk,
            "created_at": at,
            "updated_at": at,
            "reference": script.reference,
            "subject": self.subject,
            "customer_id": self.customer.pk,
            "organisation_id": self.customer.organisation_id,
            "channel": script.channel,
            "category_id": world.categories[script.category] if script.category else None,
            "priority": script.priority,
            "status_id": status.pk,
            "status_category": status.category,
            "team_id": team.pk if team else None,
            "assignee_id": assignee.pk if assignee else None,
            "assigned_at": None,
            "created_by_id": by.pk if by is not None else None,
            "custom_fields": {k: str(v)[:1000] for k, v in script.custom_fields.items()},
            "first_response_at": None,
            "last_customer_message_at": None,
            "last_agent_reply_at": None,
            "last_message_at": None,
            "resolved_at": None,
            "closed_at": None,
            "message_count": 0,
            "escalation_level": 0,
            "escalated_from_team_id": None,
            "escalated_from_assignee_id": None,
            "escalated_at": None,
            "sla_policy_id": None,
            "sla_due_at": None,
            "sla_paused": False,
            "sla_breached": False,
            "follow_up_sent_at": None,
            "follow_up_due_at": None,
        }
        through = Case.tags.through
        for name in sorted({n.strip().lower()[:50] for n in script.tags if n and n.strip()}):
            self.w.rows[through].add(case_id=self.pk, tag_id=self.w.tag_ids[name])
        self.w.audit(
            actor=by,
            verb="case.created",
            case=self,
            data={"reference": self.reference, "channel": script.channel, "customer_id": self.customer.pk},
            at=at,
        )
        self.w.interaction(
            customer_id=self.customer.pk,
            kind=InteractionKind.CASE,
            summary=_("Case #%(ref)s opened: %(subject)s") % {"ref": self.reference, "subject": self.subject},
            actor=by,
            at=at,
            channel=script.channel,
            direction=Direction.INBOUND if script.from_customer else Direction.OUTBOUND,
            source_type=world.case_type,
            source_id=self.pk,
        )
        self.case_opened(at)
        if script.body.strip():
            self.add_message(
                by=by,
                body=script.body,
                kind=MessageKind.REPLY,
                direction=Direction.INBOUND if script.from_customer else Direction.OUTBOUND,
                channel=script.channel,
                external_id=script.external_id,
                at=at,
            )
        if assignee is None and team is not None and script.auto_assignee:
            agent = world.users[script.auto_assignee]
            self.row.update(assignee_id=agent.pk, assigned_at=at, updated_at=at)
            self.w.last_assigned[team.pk] = agent.pk
            self.w.audit(
                actor=by,
                verb="case.assigned",
                case=self,
                data={"mode": script.auto_mode, "assignee_id": agent.pk, "team_id": team.pk},
                at=at,
            )
        parts = [self.reference, self.subject, self.customer.full_name, *self.customer.contacts]
        if self.customer.organisation_id:
            parts.append(self.customer.organisation_name)
        self.w.case_docs.append((self.pk, [p for p in parts if p]))

    # -- services._add_message ----------------------------------------------------------------------
    def add_message(
        self,
        *,
        by: Any | None,
        body: str,
        kind: str,
        direction: str,
        channel: str,
        at: datetime,
        external_id: str = "",
        call_duration_seconds: int | None = None,
        call_outcome: str = "",
    ) -> int:
        text = body.strip()
        message_id = self.w.rows[Message].add(
            case_id=self.pk,
            kind=kind,
            direction=direction,
            channel=channel,
            author_id=by.pk if by is not None else None,
            author_label=(by.get_full_name() or by.get_username()) if by is not None else "",
            body=text,
            external_id=external_id,
            call_duration_seconds=call_duration_seconds,
            call_outcome=call_outcome,
            data={},
            created_at=at,
        )
        if kind in (MessageKind.NOTE, MessageKind.REPLY, MessageKind.CALL) and by is not None:
            for user in self.mentioned(text):
                if user.pk != by.pk:
                    self.w.rows[Mention].add(message_id=message_id, user_id=user.pk, read_at=None)
        row = self.row
        row["message_count"] += 1
        row["last_message_at"] = at
        row["updated_at"] = at
        if direction == Direction.INBOUND:
            row["last_customer_message_at"] = at
        elif kind == MessageKind.REPLY and direction == Direction.OUTBOUND:
            row["last_agent_reply_at"] = at
            if row["first_response_at"] is None:
                row["first_response_at"] = at
        if kind != MessageKind.SYSTEM:
            public = kind == MessageKind.REPLY
            self.w.interaction(
                customer_id=self.customer.pk,
                kind=InteractionKind.CALL if kind == MessageKind.CALL else InteractionKind.MESSAGE,
                summary=f"#{self.reference} {self.subject}",
                body=text[:2000],
                actor=by if by is not None and direction != Direction.INBOUND else None,
                at=at,
                channel=channel,
                direction=direction,
                is_internal=not public,
                source_type=self.world.message_type,
                source_id=message_id,
                data={"case_id": self.pk, "message_kind": kind},
            )
            self.w.message_docs.append((message_id, [text]))
        self.message_added(kind, direction, at)
        return message_id

    def mentioned(self, body: str) -> list[Any]:
        names = {m.group(1).rstrip(".").lower() for m in _MENTION.finditer(body)}
        return sorted((self.w.mentionable[n] for n in names if n in self.w.mentionable), key=lambda u: u.pk)

    # -- services.message_reply / message_receive_on_case / call_log / _apply_status -----------------
    def message_reply(self, by: Any, body: str, *, internal: bool, status: str, at: datetime) -> int:
        message_id = self.add_message(
            by=by,
            body=body,
            kind=MessageKind.NOTE if internal else MessageKind.REPLY,
            direction=Direction.INTERNAL if internal else Direction.OUTBOUND,
            channel=Channel.SYSTEM if internal else self.row["channel"],
            at=at,
        )
        new = self.world.status(status) if status else None
        if new is not None and new.pk != self.row["status_id"]:
            self.apply_status(new, by=by, at=at)
        elif not internal and self.row["status_category"] == StatusCategory.NEW:
            self.apply_status(self.world.defaults[StatusCategory.OPEN], by=by, at=at)
        self.w.audit(
            actor=by,
            verb="case.noted" if internal else "case.replied",
            case=self,
            data={"message_id": message_id, "attachments": 0},
            at=at,
        )
        return message_id

    def message_receive_on_case(self, body: str, channel: str, at: datetime) -> None:
        message_id = self.add_message(
            by=None, body=body, kind=MessageKind.REPLY, direction=Direction.INBOUND, channel=channel, at=at
        )
        category = self.row["status_category"]
        if category in (
            StatusCategory.PENDING_CUSTOMER,
            StatusCategory.RESOLVED,
            StatusCategory.CLOSED,
            StatusCategory.ON_HOLD,
        ):
            reopened = category in (StatusCategory.RESOLVED, StatusCategory.CLOSED)
            self.apply_status(
                self.world.defaults[StatusCategory.OPEN], by=None, at=at, reason="customer_reply"
            )
            if reopened:
                self.w.audit(
                    actor=None, verb="case.reopened", case=self, data={"message_id": message_id}, at=at
                )

    def call_log(
        self, by: Any, direction: str, duration: int, summary: str, outcome: str, at: datetime
    ) -> None:
        message_id = self.add_message(
            by=by,
            body=summary,
            kind=MessageKind.CALL,
            direction=direction,
            channel=Channel.PHONE,
            call_duration_seconds=duration,
            call_outcome=outcome,
            at=at,
        )
        if direction == Direction.OUTBOUND and self.row["first_response_at"] is None:
            self.row["first_response_at"] = at
            self.respond(at, reason="call")
        if direction == Direction.INBOUND and self.row["status_category"] in (
            StatusCategory.PENDING_CUSTOMER,
            StatusCategory.RESOLVED,
        ):
            self.apply_status(self.world.defaults[StatusCategory.OPEN], by=by, at=at, reason="customer_call")
        self.w.audit(
            actor=by,
            verb="case.call_logged",
            case=self,
            data={"message_id": message_id, "direction": direction, "seconds": duration, "outcome": outcome},
            at=at,
        )

    def apply_status(self, status: CaseStatus, *, by: Any | None, at: datetime, reason: str = "") -> None:
        row = self.row
        old_category = row["status_category"]
        old_name = self.status.name
        self.status = status
        row["status_id"], row["status_category"] = status.pk, status.category
        row["updated_at"] = at
        if status.category == StatusCategory.RESOLVED and row["resolved_at"] is None:
            row["resolved_at"] = at
        if status.category == StatusCategory.CLOSED and row["closed_at"] is None:
            row["closed_at"] = at
            row["resolved_at"] = row["resolved_at"] or at
        if status.category in ACTIVE_CATEGORIES:
            row["resolved_at"] = row["closed_at"] = None
            row["follow_up_due_at"] = None
        self.w.audit(
            actor=by,
            verb="case.status_changed",
            case=self,
            data={"from": old_name, "to": status.name, "category": status.category, "reason": reason},
            at=at,
        )
        self.status_changed(old_category, at)
        if status.category == StatusCategory.RESOLVED and old_category != StatusCategory.RESOLVED:
            self.follow_up_start(by, at)

    # -- assignment.case_take, escalation.case_escalate_to_tech ----------------------------------------
    def case_take(self, by: Any, at: datetime) -> None:
        if self.row["assignee_id"] == by.pk:
            return
        previous = self.row["assignee_id"]
        self.row.update(assignee_id=by.pk, assigned_at=at, updated_at=at)
        self.w.audit(
            actor=by,
            verb="case.assigned",
            case=self,
            data={"mode": "take", "changes": {"assignee_id": [previous, by.pk]}},
            at=at,
        )

    def escalate_to_tech(self, by: Any, reason: str, assignee_name: str, at: datetime) -> None:
        world, row = self.world, self.row
        team = escalation_team(world)
        assignee = world.users[assignee_name] if assignee_name else None
        from_team = world.team_by_id(row["team_id"])
        from_assignee_id = row["assignee_id"]
        row.update(
            escalated_from_team_id=row["team_id"],
            escalated_from_assignee_id=from_assignee_id,
            escalated_at=at,
            team_id=team.pk,
            assignee_id=assignee.pk if assignee else None,
            assigned_at=at if assignee is not None else None,
            updated_at=at,
        )
        header = _("Escalated to %(team)s") % {"team": team.name}
        if assignee is not None:
            header += f" (@{assignee.get_username()})"
        text = reason.strip()
        note_id = self.message_reply(by, f"{header}: {text}", internal=True, status="", at=at)
        if assignee is None and world.queue_modes.get(team.pk, "manual") != "manual":
            raise NotImplementedError("bulk escalations go to a manual queue or name the assignee")
        self.w.audit(
            actor=by,
            verb="case.escalated_to_tech",
            case=self,
            data={
                "reason": text,
                "from_team_id": from_team.pk if from_team else None,
                "from_team": from_team.name if from_team else None,
                "from_assignee_id": from_assignee_id,
                "to_team_id": team.pk,
                "to_team": team.name,
                "assignee_id": row["assignee_id"],
                "note_id": note_id,
            },
            at=at,
        )

    # -- sla.py hooks ----------------------------------------------------------------------------------
    def policy_select(self) -> SlaPolicy | None:
        row, customer = self.row, self.customer
        for policy, categories, organisations, tags in self.world.policy_conditions:
            if policy.priorities and row["priority"] not in policy.priorities:
                continue
            if policy.channels and row["channel"] not in policy.channels:
                continue
            if categories and row["category_id"] not in categories:
                continue
            if organisations and (row["organisation_id"] or customer.organisation_id) not in organisations:
                continue
            if tags and not tags & customer.tag_ids:
                continue
            return policy
        return None

    def target(self, metric: str) -> int | None:
        policy = self.policy
        if policy is None:
            return None
        return {
            SlaMetric.FIRST_RESPONSE: policy.first_response_minutes,
            SlaMetric.NEXT_RESPONSE: policy.next_response_minutes,
            SlaMetric.RESOLUTION: policy.resolution_minutes,
        }[SlaMetric(metric)]

    @property
    def cal(self) -> CalendarSnapshot:
        assert self.policy_view is not None
        return self.policy_view.calendar

    def event(self, clock: SimClock | None, kind: str, at: datetime, **data: Any) -> None:
        self.w.rows[SlaEvent].add(
            case_id=self.pk,
            clock_id=clock.pk if clock is not None else None,
            metric=clock.metric if clock is not None else "",
            kind=kind,
            at=at,
            data=data,
        )

    def open_clocks(self) -> list[SimClock]:
        return [c for c in self.clocks if c.stopped_at is None]

    def consumed(self, clock: SimClock, at: datetime) -> int:
        if clock.paused_at is not None or clock.stopped_at is not None:
            return clock.consumed_seconds
        remaining = businesstime.business_seconds_between(self.cal, at, clock.due_at)
        return max(0, clock.target_minutes * 60 - remaining)

    def pauses(self) -> bool:
        return bool(self.status.pauses_sla) or self.row["status_category"] in DONE_CATEGORIES

    def start_clock(self, metric: str, minutes: int, at: datetime, *, paused: bool, reason: str) -> SimClock:
        clock = SimClock(
            pk=self.w.rows[SlaClock].reserve(),
            metric=metric,
            target_minutes=minutes,
            started_at=at,
            due_at=businesstime.add_business_minutes(self.cal, at, minutes),
            paused_at=at if paused else None,
        )
        self.clocks.append(clock)
        self.event(
            clock,
            SlaEventKind.STARTED,
            at,
            reason=reason,
            target_minutes=minutes,
            due_at=None if paused else _iso(clock.due_at),
            paused=paused,
        )
        return clock

    def catch_breach(self, clock: SimClock, at: datetime) -> None:
        if (
            clock.stopped_at is None
            and clock.paused_at is None
            and clock.breached_at is None
            and clock.due_at < at
        ):
            clock.breached_at = clock.due_at
            self.event(
                clock, SlaEventKind.BREACHED, clock.due_at, due_at=_iso(clock.due_at), detected_at=_iso(at)
            )

    def pause(self, clock: SimClock, at: datetime) -> None:
        self.catch_breach(clock, at)
        consumed = self.consumed(clock, at)
        clock.consumed_seconds, clock.paused_at = consumed, at
        self.event(
            clock,
            SlaEventKind.PAUSED,
            at,
            consumed_seconds=consumed,
            remaining_seconds=clock.target_minutes * 60 - consumed,
        )

    def resume(self, clock: SimClock, at: datetime) -> None:
        assert clock.paused_at is not None
        remaining = clock.target_minutes * 60 - clock.consumed_seconds
        paused_for = int((at - clock.paused_at).total_seconds())
        clock.due_at = businesstime.add_business_seconds(self.cal, at, remaining)
        clock.paused_at = None
        self.event(
            clock,
            SlaEventKind.RESUMED,
            at,
            due_at=_iso(clock.due_at),
            remaining_seconds=remaining,
            paused_seconds=paused_for,
        )

    def stop(self, clock: SimClock, at: datetime, *, met: bool, reason: str) -> None:
        self.catch_breach(clock, at)
        consumed = self.consumed(clock, at)
        clock.consumed_seconds = consumed
        clock.stopped_at = at
        clock.paused_at = None
        clock.met = (clock.breached_at is None) if met else None
        self.event(
            clock,
            SlaEventKind.MET if met else SlaEventKind.CANCELLED,
            at,
            reason=reason,
            in_time=clock.met,
            consumed_seconds=consumed,
        )

    def refresh(self) -> None:
        open_clocks = self.open_clocks()
        self.row["sla_due_at"] = min((c.due_at for c in open_clocks if c.paused_at is None), default=None)
        self.row["sla_paused"] = any(c.paused_at is not None for c in open_clocks)
        self.row["sla_breached"] = any(c.breached_at is not None for c in open_clocks)

    def case_opened(self, at: datetime) -> None:
        policy = self.policy_select()
        self.policy = policy
        self.policy_view = self.world.policy_views[policy.pk] if policy is not None else None
        self.row["sla_policy_id"] = policy.pk if policy is not None else None
        if policy is not None:
            for metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION):
                minutes = self.target(metric)
                if minutes is not None:
                    self.start_clock(metric, minutes, at, paused=self.pauses(), reason="opened")
        self.refresh()

    def message_added(self, kind: str, direction: str, at: datetime) -> None:
        if kind == MessageKind.SYSTEM:
            return
        if direction == Direction.OUTBOUND and kind in (MessageKind.REPLY, MessageKind.CALL):
            self.respond(at, reason=str(kind))
        elif direction == Direction.INBOUND and kind == MessageKind.REPLY:
            self.customer_waits(at)

    def respond(self, at: datetime, *, reason: str) -> None:
        clocks = [c for c in self.open_clocks() if c.metric in sla.RESPONSE_METRICS]
        if not clocks:
            return
        for clock in clocks:
            self.stop(clock, at, met=True, reason=reason)
        self.refresh()

    def customer_waits(self, at: datetime) -> None:
        minutes = self.target(SlaMetric.NEXT_RESPONSE)
        if minutes is None:
            return
        if any(c.metric in sla.RESPONSE_METRICS for c in self.open_clocks()):
            return
        row = self.row
        answered = (
            row["first_response_at"] is not None
            or row["last_agent_reply_at"] is not None
            or row["follow_up_sent_at"] is not None
            or any(c.metric == SlaMetric.FIRST_RESPONSE for c in self.clocks)
        )
        if not answered:
            return
        self.start_clock(
            SlaMetric.NEXT_RESPONSE, minutes, at, paused=self.pauses(), reason="customer_message"
        )
        self.refresh()

    def status_changed(self, old_category: str, at: datetime) -> None:
        new_category = self.row["status_category"]
        clocks = self.open_clocks()
        reopening = old_category in DONE_CATEGORIES and new_category not in DONE_CATEGORIES
        if not clocks and not (reopening and self.policy is not None):
            return
        if new_category in DONE_CATEGORIES:
            for clock in clocks:
                self.stop(clock, at, met=clock.metric == SlaMetric.RESOLUTION, reason=new_category)
        else:
            if reopening:
                self.reopen_resolution(clocks, at)
            pauses = bool(self.status.pauses_sla)
            for clock in self.open_clocks():
                if pauses and clock.paused_at is None:
                    self.pause(clock, at)
                elif not pauses and clock.paused_at is not None:
                    self.resume(clock, at)
        self.refresh()

    def reopen_resolution(self, clocks: Sequence[SimClock], at: datetime) -> None:
        minutes = self.target(SlaMetric.RESOLUTION)
        if minutes is None or any(c.metric == SlaMetric.RESOLUTION for c in clocks):
            return
        paused = bool(self.status.pauses_sla)
        done = [c for c in self.clocks if c.metric == SlaMetric.RESOLUTION and c.met is not None]
        if not done:
            self.start_clock(SlaMetric.RESOLUTION, minutes, at, paused=paused, reason="reopened")
            return
        last = max(done, key=lambda c: (c.started_at, c.pk))
        last.stopped_at, last.met, last.target_minutes = None, None, minutes
        last.paused_at = at if paused else None
        if not paused:
            last.due_at = businesstime.add_business_seconds(
                self.cal, at, minutes * 60 - last.consumed_seconds
            )
        self.event(
            last,
            SlaEventKind.STARTED,
            at,
            reason="reopened",
            target_minutes=minutes,
            consumed_seconds=last.consumed_seconds,
            due_at=None if paused else _iso(last.due_at),
            paused=paused,
        )

    # -- sla.follow_up_start / follow_up_sweep ------------------------------------------------------------
    def follow_up_start(self, by: Any | None, at: datetime) -> None:
        days = self.w.follow_up_days
        if days <= 0:
            return
        customer, row = self.customer, self.row
        channel = Channel.EMAIL if row["channel"] in sla._UNWRITTEN_CHANNELS else row["channel"]
        body = follow_up_text(
            language=customer.language,
            first_name=customer.first_name,
            reference=self.reference,
            subject=self.subject,
            days=days,
        )
        message_id = self.w.rows[Message].add(
            case_id=self.pk,
            kind=MessageKind.REPLY,
            direction=Direction.OUTBOUND,
            channel=channel,
            author_id=None,
            author_label=sla.SYSTEM_AUTHOR,
            body=body,
            data={sla.AUTOMATIC: sla.FOLLOW_UP},
            created_at=at,
        )
        row["message_count"] += 1
        row["last_message_at"] = at
        row["updated_at"] = at
        self.w.interaction(
            customer_id=customer.pk,
            kind=InteractionKind.MESSAGE,
            summary=f"#{self.reference} {self.subject}",
            body=body[:2000],
            actor=None,
            at=at,
            channel=channel,
            direction=Direction.OUTBOUND,
            source_type=self.world.message_type,
            source_id=message_id,
            data={"case_id": self.pk, "message_kind": MessageKind.REPLY.value, sla.AUTOMATIC: sla.FOLLOW_UP},
        )
        self.w.message_docs.append((message_id, [body]))
        row["follow_up_sent_at"] = at
        row["follow_up_due_at"] = at + timedelta(days=days)
        self.w.audit(
            actor=by,
            verb="case.follow_up_sent",
            case=self,
            data={"message_id": message_id, "due_at": _iso(row["follow_up_due_at"])},
            at=at,
        )

    def follow_up_sweep(self, now: datetime) -> None:
        row = self.row
        if row["status_category"] != StatusCategory.RESOLVED or row["follow_up_due_at"] is None:
            return
        if row["follow_up_due_at"] > now:
            return
        sent_at, due_at = row["follow_up_sent_at"], row["follow_up_due_at"]
        closed = self.world.defaults[StatusCategory.CLOSED]
        if closed.pk != row["status_id"]:
            self.apply_status(closed, by=None, at=now)
        row["follow_up_due_at"] = None
        self.w.audit(
            actor=None,
            verb="case.auto_closed",
            case=self,
            data={
                "reason": "follow_up_unanswered",
                "follow_up_sent_at": _iso(sent_at),
                "follow_up_due_at": _iso(due_at),
            },
            at=now,
        )

    # -- sla.sla_sweep ----------------------------------------------------------------------------------------
    def sla_sweep(self, now: datetime) -> None:
        if self.row["status_category"] not in ACTIVE_CATEGORIES:
            return
        running = [c for c in self.clocks if c.stopped_at is None and c.paused_at is None]
        for clock in running:
            if clock.breached_at is None and clock.due_at < now:
                clock.breached_at = clock.due_at
                self.event(
                    clock,
                    SlaEventKind.BREACHED,
                    clock.due_at,
                    due_at=_iso(clock.due_at),
                    detected_at=_iso(now),
                )
                self.refresh()
        view = self.policy_view
        if view is not None and view.warn_before_minutes > 0:
            horizon = businesstime.add_business_minutes(view.calendar, now, view.warn_before_minutes)
            for clock in running:
                if clock.warned_at is None and clock.breached_at is None and now <= clock.due_at <= horizon:
                    clock.warned_at = now
                    self.event(
                        clock,
                        SlaEventKind.WARNED,
                        now,
                        due_at=_iso(clock.due_at),
                        remaining_seconds=businesstime.business_seconds_between(self.cal, now, clock.due_at),
                    )
        if view is None:
            return
        for clock in running:
            if clock.breached_at is None or len(clock.fired) >= len(view.levels):
                continue
            in_breach = businesstime.business_seconds_between(view.calendar, clock.breached_at, now)
            for level, after, action in view.levels:
                if level in clock.fired or in_breach < after * 60:
                    continue
                clock.fired.add(level)
                self.w.rows[EscalationFiring].add(clock_id=clock.pk, level=level, action=action, fired_at=now)
                self.fire(clock, level, action, now)

    def fire(self, clock: SimClock, level: int, action: str, now: datetime) -> None:
        world, row = self.world, self.row
        cal = self.cal
        due = clock.due_at.astimezone(cal.tz)
        headline = _("SLA breached: %(metric)s was due %(due)s.") % {
            "metric": SlaMetric(clock.metric).label,
            "due": f"{due:%Y-%m-%d %H:%M} ({cal.time_zone})",
        }
        previous_assignee = row["assignee_id"]
        assignee_id: int | None = None
        leads = world.leads.get(row["team_id"], []) if row["team_id"] is not None else []
        if row["team_id"] is None and row["assignee_id"] is not None:
            raise NotImplementedError("bulk cases always have a team")
        if action == "reassign_to_lead":
            lead = next((u for u in leads if u.pk == row["assignee_id"]), None)
            if lead is None and leads:
                if len(leads) > 1:
                    raise NotImplementedError("bulk teams have one lead (least-loaded needs every case)")
                lead = leads[0]
            if lead is not None and lead.pk != row["assignee_id"]:
                diff = {"assignee_id": [row["assignee_id"], lead.pk]}
                row.update(assignee_id=lead.pk, assigned_at=now, updated_at=now)
                self.w.audit(
                    actor=None,
                    verb="case.assigned",
                    case=self,
                    data={"mode": "manual", "changes": diff},
                    at=now,
                )
            if lead is not None:
                assignee_id = lead.pk
                recipients = [lead]
                what = _("Escalation level %(level)d: reassigned to %(user)s.") % {
                    "level": level,
                    "user": _names([lead]),
                }
            else:
                recipients = world.managers
                what = _("Escalation level %(level)d: no team lead to reassign to; notifying %(users)s.") % {
                    "level": level,
                    "users": _names(recipients),
                }
        elif action == "notify_lead":
            recipients = leads or world.managers
            what = _("Escalation level %(level)d: notifying %(users)s.") % {
                "level": level,
                "users": _names(recipients),
            }
        else:
            recipients = world.managers
            what = _("Escalation level %(level)d: notifying the managers %(users)s.") % {
                "level": level,
                "users": _names(recipients),
            }
        data = {
            "level": level,
            "action": action,
            "metric": clock.metric,
            "clock_id": clock.pk,
            "notified": [u.pk for u in recipients],
            "assignee_id": assignee_id,
            "previous_assignee_id": previous_assignee,
        }
        message_id = self.w.rows[Message].add(
            case_id=self.pk,
            kind=MessageKind.SYSTEM,
            direction=Direction.INTERNAL,
            channel=Channel.SYSTEM,
            author_id=None,
            author_label=sla.SYSTEM_AUTHOR,
            body=f"{headline} {what}",
            data={"escalation": data},
            created_at=now,
        )
        for user in recipients:
            self.w.rows[Mention].add(message_id=message_id, user_id=user.pk, read_at=None)
        row["message_count"] += 1
        row["last_message_at"] = now
        row["updated_at"] = now
        if level > row["escalation_level"]:
            row["escalation_level"] = level
        self.event(clock, SlaEventKind.ESCALATED, now, message_id=message_id, **data)
        self.w.audit(
            actor=None, verb="case.escalated", case=self, data={**data, "message_id": message_id}, at=now
        )

    # -- the end -------------------------------------------------------------------------------------------
    def flush(self) -> None:
        self.w.rows[Case].add(**self.row)
        for clock in self.clocks:
            self.w.rows[SlaClock].add(
                id=clock.pk,
                case_id=self.pk,
                metric=clock.metric,
                target_minutes=clock.target_minutes,
                started_at=clock.started_at,
                due_at=clock.due_at,
                paused_at=clock.paused_at,
                consumed_seconds=clock.consumed_seconds,
                warned_at=clock.warned_at,
                breached_at=clock.breached_at,
                stopped_at=clock.stopped_at,
                met=clock.met,
            )


def _names(users: Sequence[Any]) -> str:
    return ", ".join(f"@{u.get_username()}" for u in users) or "-"


def escalation_team(world: World) -> Team:
    """The technical support team, as ``escalation.tech_team`` finds it."""
    for slug in escalation.TECH_TEAM_SLUGS:
        if slug in world.teams:
            return world.teams[slug]
    raise LookupError("no technical support team")


def follow_up_text(*, language: str, first_name: str, reference: str, subject: str, days: int) -> str:
    """The resolution follow-up question, as ``sla.follow_up_start`` writes it."""
    with translation.override(language or settings.LANGUAGE_CODE):
        greeting = _("Hello %(name)s,") % {"name": first_name} if first_name else _("Hello,")
        return "\n\n".join(
            [
                greeting,
                _(
                    "we have resolved your request #%(reference)s “%(subject)s”. Could you confirm "
                    "that everything works for you now? If it does not, simply reply to this message "
                    "and we will pick it up again."
                )
                % {"reference": reference, "subject": subject},
                _("Without an answer from you we will close the request in %(days)d days.") % {"days": days},
                _("Your support team"),
            ]
        )
