"""SLA clocks: policy selection, pause/resume, warnings, breaches, escalation levels and the
resolution follow-up.

services.py calls the hooks below at each step of a case's life, inside its transaction and with
the case row locked; the periodic sweeps (``tasks.py``, every minute and every ten minutes) find
due warnings, breaches, escalations and follow-ups. Every start, pause, resume, warning, breach,
met, cancel and escalation is written to ``SlaEvent``, so a case's SLA history can be audited.

How a clock keeps time
    A clock counts business seconds of its policy's calendar (``businesstime``). While it runs,
    ``due_at`` is the moment its target is used up, and the time consumed so far is
    ``target - business_seconds_between(now, due_at)``. Pausing stores that in
    ``consumed_seconds``; resuming sets ``due_at = now + (target - consumed)`` in business time.
    Met or cancelled clocks keep ``consumed_seconds`` as it was when they stopped.

Rules
    - The policy is the first active one (by position) whose non-empty conditions all hold:
      priority, channel, category, the customer's organisation, and any of the customer's tags
      (the tier). It starts FIRST_RESPONSE and RESOLUTION; a target left empty starts no clock.
      A policy without a calendar counts in the default calendar (24/7 when there is none).
    - A public reply to the customer or an outbound call meets FIRST_RESPONSE and a running
      NEXT_RESPONSE. Messages Frontline writes by itself (``Message.data["automatic"]``, such as
      the resolution follow-up) are never a response.
    - A customer's message once we have answered starts NEXT_RESPONSE (when the policy has one
      and no response clock runs). On a case standing in a pausing status it starts paused: the
      customer's reply normally moves the case back to open, which resumes it.
    - Entering a status with ``pauses_sla`` pauses every running clock; leaving it resumes them.
      Resolved or closed meets RESOLUTION and cancels the others; reopening restarts RESOLUTION
      from the time it had consumed.
    - A clock touched after its due time (paused, met, cancelled) is recorded as breached first,
      so "met late" is never mistaken for "met" when the sweep had not run yet.
    - ``Case.sla_due_at`` is the earliest due time of running clocks (paused ones excluded),
      ``Case.sla_paused`` whether a clock stands paused, ``Case.sla_breached`` whether a clock
      that is still open (running or paused) has breached.

Other writers
    A service that ends a case's SLA without a result (merging it away) calls
    ``clocks_cancel``; one that reads the clocks for display calls ``sla_state`` and
    ``sla_history``.

Escalation
    A breached, running clock fires each level of its case's policy once, when ``after_minutes``
    of business time have passed since the breach. ``EscalationFiring``'s unique (clock, level)
    is inserted in the same transaction as the level's effects, and the case row is locked with
    ``SKIP LOCKED`` on PostgreSQL, so several workers sweeping at once fire each level once.
    notify_lead mentions the leads of the case's team (``Membership.is_lead``; without a team,
    the leads of the assignee's teams); reassign_to_lead assigns the case to the lead of its team
    with the fewest active cases; notify_manager mentions the administrators (role ``admin``):
    Frontline has no hierarchy of teams to find "the leads' lead" in. When nobody fits, the
    administrators are notified, so an escalation never goes unseen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontline.accounts.choices import Role
from frontline.audit import services as audit
from frontline.core import search
from frontline.core.errors import DomainError
from frontline.customers import services as customer_services
from frontline.customers.choices import Channel, Direction, InteractionKind

from . import businesstime, events
from .businesstime import CalendarSnapshot
from .choices import (
    ACTIVE_CATEGORIES,
    DONE_CATEGORIES,
    EscalationAction,
    MessageKind,
    SlaEventKind,
    SlaMetric,
    StatusCategory,
)
from .models import (
    BusinessCalendar,
    Case,
    EscalationFiring,
    EscalationLevel,
    Mention,
    Message,
    SlaClock,
    SlaEvent,
    SlaPolicy,
)

logger = logging.getLogger(__name__)

# Message.data key marking what Frontline wrote by itself; such messages never meet a clock.
AUTOMATIC = "automatic"
FOLLOW_UP = "follow_up"
SYSTEM_AUTHOR = "Frontline"
METRIC_ORDER = (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE, SlaMetric.RESOLUTION)
RESPONSE_METRICS = (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE)
# Channels a written follow-up cannot go out on: it goes by email instead.
_UNWRITTEN_CHANNELS = (Channel.PHONE, Channel.IN_PERSON, Channel.SYSTEM)
SWEEP_BATCH = 500


# --- calendars --------------------------------------------------------------------------------


class Calendars:
    """Calendar snapshots loaded at most once per call (a sweep visits many clocks of few
    calendars). Not shared between calls: an administrator's change applies at once."""

    def __init__(self) -> None:
        self._snapshots: dict[int, CalendarSnapshot] = {}
        self._default_id: int | None = None
        self._default_loaded = False

    def _default(self) -> int | None:
        if not self._default_loaded:
            self._default_id = (
                BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
            )
            self._default_loaded = True
        return self._default_id

    def for_policy(self, policy: SlaPolicy | None) -> CalendarSnapshot:
        """The policy's calendar, else the default calendar, else round the clock."""
        calendar_id = policy.calendar_id if policy is not None else None
        if calendar_id is None:
            calendar_id = self._default()
        if calendar_id is None:
            return businesstime.ALWAYS_OPEN
        if calendar_id not in self._snapshots:
            self._snapshots[calendar_id] = businesstime.snapshot_by_id(calendar_id)
        return self._snapshots[calendar_id]


# --- policy selection -------------------------------------------------------------------------


def policy_select(case: Case) -> SlaPolicy | None:
    """The first active policy, by position, whose non-empty conditions all match the case."""
    policies = (
        SlaPolicy.objects.filter(is_active=True)
        .prefetch_related("categories", "organisations", "customer_tags")
        .order_by("position", "name")
    )
    organisation_id = case.organisation_id or case.customer.organisation_id
    customer_tags: set[int] | None = None
    for policy in policies:
        if policy.priorities and case.priority not in policy.priorities:
            continue
        if policy.channels and case.channel not in policy.channels:
            continue
        categories = {c.pk for c in policy.categories.all()}
        if categories and case.category_id not in categories:
            continue
        organisations = {o.pk for o in policy.organisations.all()}
        if organisations and organisation_id not in organisations:
            continue
        tags = {t.pk for t in policy.customer_tags.all()}
        if tags:
            if customer_tags is None:
                customer_tags = set(case.customer.tags.values_list("pk", flat=True))
            if not tags & customer_tags:
                continue
        return policy
    return None


def _target(policy: SlaPolicy | None, metric: str) -> int | None:
    if policy is None:
        return None
    return {
        SlaMetric.FIRST_RESPONSE: policy.first_response_minutes,
        SlaMetric.NEXT_RESPONSE: policy.next_response_minutes,
        SlaMetric.RESOLUTION: policy.resolution_minutes,
    }[SlaMetric(metric)]


def _policy(case: Case) -> SlaPolicy | None:
    return case.sla_policy if case.sla_policy_id is not None else None


# --- clock primitives (the case row is locked by the caller) -----------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _event(case: Case, clock: SlaClock | None, kind: str, at: datetime, **data: Any) -> SlaEvent:
    return SlaEvent.objects.create(
        case_id=case.pk,
        clock=clock,
        metric=clock.metric if clock is not None else "",
        kind=kind,
        at=at,
        data=data,
    )


def _open_clocks(case: Case) -> list[SlaClock]:
    return list(SlaClock.objects.filter(case_id=case.pk, stopped_at__isnull=True).order_by("pk"))


def _consumed(clock: SlaClock, cal: CalendarSnapshot, at: datetime) -> int:
    """Business seconds the clock has used up at ``at``."""
    if clock.paused_at is not None or clock.stopped_at is not None:
        return clock.consumed_seconds
    remaining = businesstime.business_seconds_between(cal, at, clock.due_at)
    return max(0, clock.target_minutes * 60 - remaining)


def _start_clock(
    case: Case,
    metric: str,
    minutes: int,
    at: datetime,
    cal: CalendarSnapshot,
    *,
    paused: bool,
    reason: str,
) -> SlaClock:
    clock = SlaClock.objects.create(
        case_id=case.pk,
        metric=metric,
        target_minutes=minutes,
        started_at=at,
        due_at=businesstime.add_business_minutes(cal, at, minutes),
        paused_at=at if paused else None,
    )
    _event(
        case,
        clock,
        SlaEventKind.STARTED,
        at,
        reason=reason,
        target_minutes=minutes,
        due_at=None if paused else _iso(clock.due_at),
        paused=paused,
    )
    return clock


def _catch_breach(case: Case, clock: SlaClock, at: datetime) -> None:
    """A running clock touched after its due time breached then, whether or not the sweep saw it."""
    if (
        clock.stopped_at is None
        and clock.paused_at is None
        and clock.breached_at is None
        and clock.due_at < at
    ):
        clock.breached_at = clock.due_at
        clock.save(update_fields=["breached_at"])
        _event(
            case, clock, SlaEventKind.BREACHED, clock.due_at, due_at=_iso(clock.due_at), detected_at=_iso(at)
        )


def _pause(case: Case, clock: SlaClock, at: datetime, cal: CalendarSnapshot) -> None:
    _catch_breach(case, clock, at)
    consumed = _consumed(clock, cal, at)
    clock.consumed_seconds, clock.paused_at = consumed, at
    clock.save(update_fields=["consumed_seconds", "paused_at"])
    _event(
        case,
        clock,
        SlaEventKind.PAUSED,
        at,
        consumed_seconds=consumed,
        remaining_seconds=clock.target_minutes * 60 - consumed,
    )


def _resume(case: Case, clock: SlaClock, at: datetime, cal: CalendarSnapshot) -> None:
    assert clock.paused_at is not None
    remaining = clock.target_minutes * 60 - clock.consumed_seconds
    paused_for = int((at - clock.paused_at).total_seconds())
    clock.due_at = businesstime.add_business_seconds(cal, at, remaining)
    clock.paused_at = None
    clock.save(update_fields=["due_at", "paused_at"])
    _event(
        case,
        clock,
        SlaEventKind.RESUMED,
        at,
        due_at=_iso(clock.due_at),
        remaining_seconds=remaining,
        paused_seconds=paused_for,
    )


def _stop(
    case: Case,
    clock: SlaClock,
    at: datetime,
    cal: CalendarSnapshot,
    *,
    met: bool,
    reason: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Met (``met=True``: in time unless it breached) or cancelled (``met=False``)."""
    _catch_breach(case, clock, at)
    consumed = _consumed(clock, cal, at)
    clock.consumed_seconds = consumed
    clock.stopped_at = at
    clock.paused_at = None
    clock.met = (clock.breached_at is None) if met else None
    clock.save(update_fields=["consumed_seconds", "stopped_at", "paused_at", "met"])
    _event(
        case,
        clock,
        SlaEventKind.MET if met else SlaEventKind.CANCELLED,
        at,
        **{**(data or {}), "reason": reason, "in_time": clock.met, "consumed_seconds": consumed},
    )


def _refresh(case: Case, *extra_fields: str) -> None:
    """Keep the case's SLA summary in step with its open clocks."""
    rows = list(
        SlaClock.objects.filter(case_id=case.pk, stopped_at__isnull=True).values_list(
            "due_at", "paused_at", "breached_at"
        )
    )
    summary = {
        "sla_due_at": min((due for due, paused, _b in rows if paused is None), default=None),
        "sla_paused": any(paused is not None for _d, paused, _b in rows),
        "sla_breached": any(breached is not None for _d, _p, breached in rows),
    }
    fields = list(extra_fields)
    for name, value in summary.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            fields.append(name)
    if fields:
        case.save(update_fields=fields)


def _pauses(case: Case) -> bool:
    """Clocks started now start paused: the status stops the SLA, or the case is done."""
    return bool(case.status.pauses_sla) or case.status_category in DONE_CATEGORIES


# --- hooks called by services.py ----------------------------------------------------------------


def case_opened(*, case: Case, at: datetime) -> None:
    """Choose the policy and start the first-response and resolution clocks."""
    policy = policy_select(case)
    case.sla_policy = policy
    if policy is not None:
        cal = Calendars().for_policy(policy)
        for metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION):
            minutes = _target(policy, metric)
            if minutes is not None:
                _start_clock(case, metric, minutes, at, cal, paused=_pauses(case), reason="opened")
    _refresh(case, "sla_policy")


def _is_automatic(message: Message) -> bool:
    return bool((message.data or {}).get(AUTOMATIC))


def message_added(*, case: Case, message: Message) -> None:
    """A public agent reply (or an outbound call) meets first/next response; a customer message
    starts next response."""
    if message.kind == MessageKind.SYSTEM or _is_automatic(message):
        return
    if message.direction == Direction.OUTBOUND and message.kind in (MessageKind.REPLY, MessageKind.CALL):
        _respond(case, message.created_at, reason=str(message.kind))
    elif message.direction == Direction.INBOUND and message.kind == MessageKind.REPLY:
        _customer_waits(case, message.created_at)


def responded(*, case: Case, at: datetime) -> None:
    """A response other than a written reply (an outbound call) meets the response clocks."""
    _respond(case, at, reason="call")


def _respond(case: Case, at: datetime, *, reason: str) -> None:
    clocks = [c for c in _open_clocks(case) if c.metric in RESPONSE_METRICS]
    if not clocks:
        return
    cal = Calendars().for_policy(_policy(case))
    for clock in clocks:
        _stop(case, clock, at, cal, met=True, reason=reason)
    _refresh(case)


def _customer_waits(case: Case, at: datetime) -> None:
    policy = _policy(case)
    minutes = _target(policy, SlaMetric.NEXT_RESPONSE)
    if minutes is None:
        return
    if any(c.metric in RESPONSE_METRICS for c in _open_clocks(case)):
        return
    answered = (
        case.first_response_at is not None
        or case.last_agent_reply_at is not None
        or case.follow_up_sent_at is not None
        or SlaClock.objects.filter(case_id=case.pk, metric=SlaMetric.FIRST_RESPONSE).exists()
    )
    if not answered:
        return  # the customer's first words: the first-response target (if any) covers them
    cal = Calendars().for_policy(policy)
    _start_clock(
        case, SlaMetric.NEXT_RESPONSE, minutes, at, cal, paused=_pauses(case), reason="customer_message"
    )
    _refresh(case)


def status_changed(*, case: Case, old_category: str, at: datetime) -> None:
    """Pause in statuses that pause the SLA, resume when leaving them, stop on resolve/close,
    restart resolution on reopen."""
    new_category = case.status_category
    policy = _policy(case)
    clocks = _open_clocks(case)
    reopening = old_category in DONE_CATEGORIES and new_category not in DONE_CATEGORIES
    if not clocks and not (reopening and policy is not None):
        return
    cal = Calendars().for_policy(policy)
    if new_category in DONE_CATEGORIES:
        for clock in clocks:
            _stop(case, clock, at, cal, met=clock.metric == SlaMetric.RESOLUTION, reason=new_category)
    else:
        if reopening:
            _reopen_resolution(case, policy, clocks, at, cal)
        pauses = bool(case.status.pauses_sla)
        for clock in _open_clocks(case):
            if pauses and clock.paused_at is None:
                _pause(case, clock, at, cal)
            elif not pauses and clock.paused_at is not None:
                _resume(case, clock, at, cal)
    _refresh(case)


def _reopen_resolution(
    case: Case, policy: SlaPolicy | None, clocks: Sequence[SlaClock], at: datetime, cal: CalendarSnapshot
) -> None:
    """Reopened: resolution runs again from the time it had consumed when the case was resolved."""
    minutes = _target(policy, SlaMetric.RESOLUTION)
    if minutes is None or any(c.metric == SlaMetric.RESOLUTION for c in clocks):
        return
    paused = bool(case.status.pauses_sla)
    last = (
        SlaClock.objects.filter(case_id=case.pk, metric=SlaMetric.RESOLUTION, met__isnull=False)
        .order_by("-started_at", "-pk")
        .first()
    )
    if last is None:
        _start_clock(case, SlaMetric.RESOLUTION, minutes, at, cal, paused=paused, reason="reopened")
        return
    last.stopped_at, last.met, last.target_minutes = None, None, minutes
    last.paused_at = at if paused else None
    if not paused:
        last.due_at = businesstime.add_business_seconds(cal, at, minutes * 60 - last.consumed_seconds)
    last.save(update_fields=["stopped_at", "met", "target_minutes", "paused_at", "due_at"])
    _event(
        case,
        last,
        SlaEventKind.STARTED,
        at,
        reason="reopened",
        target_minutes=minutes,
        consumed_seconds=last.consumed_seconds,
        due_at=None if paused else _iso(last.due_at),
        paused=paused,
    )


def policy_reapply(*, case: Case, at: datetime) -> None:
    """Priority, category or channel changed: re-select the policy and retarget open clocks,
    keeping the time they consumed. A metric the new policy has no target for is cancelled; a
    target the old policy lacked starts now (first response only while nobody has answered)."""
    old = _policy(case)
    new = policy_select(case)
    if (new.pk if new else None) == (old.pk if old else None):
        return
    case.sla_policy = new
    clocks = _open_clocks(case)
    calendars = Calendars()
    old_cal, new_cal = calendars.for_policy(old), calendars.for_policy(new)
    policy_name = new.name if new is not None else None
    for clock in clocks:
        minutes = _target(new, clock.metric)
        if minutes is None:
            _stop(case, clock, at, old_cal, met=False, reason="policy_changed")
        else:
            _retarget(case, clock, minutes, at, old_cal, new_cal, policy_name)
    if new is not None and case.status_category in ACTIVE_CATEGORIES:
        running = {c.metric for c in clocks if _target(new, c.metric) is not None}
        first = _target(new, SlaMetric.FIRST_RESPONSE)
        if (
            first is not None
            and SlaMetric.FIRST_RESPONSE not in running
            and case.first_response_at is None
            and not SlaClock.objects.filter(case_id=case.pk, metric=SlaMetric.FIRST_RESPONSE).exists()
        ):
            _start_clock(
                case,
                SlaMetric.FIRST_RESPONSE,
                first,
                at,
                new_cal,
                paused=_pauses(case),
                reason="policy_changed",
            )
        resolution = _target(new, SlaMetric.RESOLUTION)
        if resolution is not None and SlaMetric.RESOLUTION not in running:
            _start_clock(
                case,
                SlaMetric.RESOLUTION,
                resolution,
                at,
                new_cal,
                paused=_pauses(case),
                reason="policy_changed",
            )
    _refresh(case, "sla_policy")


def clocks_cancel(*, case: Case, at: datetime, reason: str, data: dict[str, Any] | None = None) -> list[int]:
    """Stop every open clock of the case without a result (merge, deletion of a duplicate…):
    neither met nor missed. Each gets a CANCELLED event with ``reason`` and ``data``; the
    summary on the case is cleared. Returns the ids of the cancelled clocks. The caller holds
    the case row locked, as for every hook here."""
    clocks = _open_clocks(case)
    if not clocks:
        return []
    cal = Calendars().for_policy(_policy(case))
    for clock in clocks:
        _stop(case, clock, at, cal, met=False, reason=reason, data=data)
    _refresh(case)
    return [clock.pk for clock in clocks]


def _retarget(
    case: Case,
    clock: SlaClock,
    minutes: int,
    at: datetime,
    old_cal: CalendarSnapshot,
    new_cal: CalendarSnapshot,
    policy_name: str | None,
) -> None:
    consumed = _consumed(clock, old_cal, at)
    previous = clock.target_minutes
    clock.target_minutes, clock.consumed_seconds = minutes, consumed
    fields = ["target_minutes", "consumed_seconds"]
    if clock.paused_at is None:
        clock.due_at = businesstime.add_business_seconds(new_cal, at, minutes * 60 - consumed)
        fields.append("due_at")
        if clock.breached_at is not None and clock.due_at >= at:
            clock.breached_at = None  # the new target gives more time: no longer in breach
            fields.append("breached_at")
        if clock.warned_at is not None and clock.due_at >= at and clock.breached_at is None:
            clock.warned_at = None
            fields.append("warned_at")
    clock.save(update_fields=fields)
    _event(
        case,
        clock,
        SlaEventKind.STARTED,
        at,
        reason="policy_changed",
        policy=policy_name,
        previous_target_minutes=previous,
        target_minutes=minutes,
        consumed_seconds=consumed,
        due_at=None if clock.paused_at is not None else _iso(clock.due_at),
    )


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockState:
    """One SLA target of a case as the UI and API show it."""

    metric: str
    label: str
    target_minutes: int
    started_at: datetime
    # When the target runs out; None while paused (it moves on resume).
    due_at: datetime | None
    # Business seconds left (negative: overdue by that much); frozen while paused or stopped.
    remaining_seconds: int
    paused: bool
    breached: bool
    warned: bool
    # True met in time, False met late, None while running or when cancelled.
    met: bool | None
    stopped_at: datetime | None

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def cancelled(self) -> bool:
        return self.stopped_at is not None and self.met is None


def sla_state(case: Case, *, now: datetime | None = None) -> list[ClockState]:
    """The current clock of every metric the case has had (the open one, else the latest), in
    the order first response, next response, resolution."""
    now = now or timezone.now()
    latest: dict[str, SlaClock] = {}
    for clock in SlaClock.objects.filter(case_id=case.pk).order_by("started_at", "pk"):
        current = latest.get(clock.metric)
        if current is None or current.stopped_at is not None or clock.stopped_at is None:
            latest[clock.metric] = clock
    cal: CalendarSnapshot | None = None
    states = []
    for metric in METRIC_ORDER:
        if metric not in latest:
            continue
        clock = latest[metric]
        running = clock.stopped_at is None and clock.paused_at is None
        if running and cal is None:
            cal = Calendars().for_policy(_policy(case))
        if running:
            assert cal is not None
            remaining = businesstime.business_seconds_between(cal, now, clock.due_at)
        else:
            remaining = clock.target_minutes * 60 - clock.consumed_seconds
        states.append(
            ClockState(
                metric=clock.metric,
                label=str(SlaMetric(clock.metric).label),
                target_minutes=clock.target_minutes,
                started_at=clock.started_at,
                due_at=None if clock.paused_at is not None else clock.due_at,
                remaining_seconds=remaining,
                paused=clock.paused_at is not None,
                breached=clock.breached_at is not None or (running and clock.due_at < now),
                warned=clock.warned_at is not None,
                met=clock.met,
                stopped_at=clock.stopped_at,
            )
        )
    return states


@dataclass(frozen=True)
class SlaHistoryEntry:
    at: datetime
    metric: str
    metric_label: str
    kind: str
    kind_label: str
    data: dict[str, Any] = field(default_factory=dict)


def sla_history(case: Case) -> list[SlaHistoryEntry]:
    """Every SLA event of the case, oldest first."""
    return [
        SlaHistoryEntry(
            at=event.at,
            metric=event.metric,
            metric_label=str(SlaMetric(event.metric).label) if event.metric else "",
            kind=event.kind,
            kind_label=str(SlaEventKind(event.kind).label),
            data=dict(event.data),
        )
        for event in SlaEvent.objects.filter(case_id=case.pk).order_by("at", "pk")
    ]


# --- system messages --------------------------------------------------------------------------


def _post(
    case: Case,
    *,
    kind: str,
    direction: str,
    channel: str,
    body: str,
    at: datetime,
    data: dict[str, Any],
    mention: Sequence[Any] = (),
) -> Message:
    """A message written by Frontline itself (no author), with mentions that notify."""
    message = Message.objects.create(
        case_id=case.pk,
        kind=kind,
        direction=direction,
        channel=channel,
        author=None,
        author_label=SYSTEM_AUTHOR,
        body=body,
        data=data,
        created_at=at,
    )
    Mention.objects.bulk_create([Mention(message=message, user=user) for user in mention])
    case.message_count += 1
    case.last_message_at = at
    case.save(update_fields=["message_count", "last_message_at", "updated_at"])
    case_id, message_id = case.pk, message.pk
    transaction.on_commit(
        lambda: events.message_added.send(
            sender=Message, case_id=case_id, message_id=message_id, kind=kind, direction=direction
        )
    )
    for user in mention:
        transaction.on_commit(_mentioned(case_id, message_id, int(user.pk)))
    return message


def _mentioned(case_id: int, message_id: int, user_id: int) -> Callable[[], None]:
    def send() -> None:
        events.user_mentioned.send(sender=Message, case_id=case_id, message_id=message_id, user_id=user_id)

    return send


# --- resolution follow-up -----------------------------------------------------------------------


def follow_up_start(*, case: Case, by: Any | None, at: datetime) -> None:
    """On resolve: ask the customer to confirm; no reply by the due date closes the case.

    The question is a public reply written by Frontline (no author, ``data["automatic"]``): it
    reaches the customer like any reply but is not an agent's response: it neither meets a
    clock, nor sets first-response or last-agent-reply times, nor changes the status.
    ``CASE_FOLLOW_UP_DAYS = 0`` switches the follow-up off (resolved cases then stay resolved).
    """
    days = int(settings.CASE_FOLLOW_UP_DAYS)
    if days <= 0 or case.merged_into_id is not None:
        return
    customer = case.customer
    channel = Channel.EMAIL if case.channel in _UNWRITTEN_CHANNELS else case.channel
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        greeting = (
            _("Hello %(name)s,") % {"name": customer.first_name} if customer.first_name else _("Hello,")
        )
        body = "\n\n".join(
            [
                greeting,
                _(
                    "we have resolved your request #%(reference)s “%(subject)s”. Could you confirm "
                    "that everything works for you now? If it does not, simply reply to this message "
                    "and we will pick it up again."
                )
                % {"reference": case.reference, "subject": case.subject},
                _("Without an answer from you we will close the request in %(days)d days.") % {"days": days},
                _("Your support team"),
            ]
        )
    message = _post(
        case,
        kind=MessageKind.REPLY,
        direction=Direction.OUTBOUND,
        channel=channel,
        body=body,
        at=at,
        data={AUTOMATIC: FOLLOW_UP},
    )
    customer_services.interaction_record(
        customer_id=case.customer_id,
        kind=InteractionKind.MESSAGE,
        summary=f"#{case.reference} {case.subject}",
        body=body[:2000],
        occurred_at=at,
        channel=channel,
        direction=Direction.OUTBOUND,
        source=message,
        data={"case_id": case.pk, "message_kind": MessageKind.REPLY.value, AUTOMATIC: FOLLOW_UP},
    )
    search.index_document("case_message", message.pk, [body])
    case.follow_up_sent_at = at
    case.follow_up_due_at = at + timedelta(days=days)
    case.save(update_fields=["follow_up_sent_at", "follow_up_due_at"])
    audit.record(
        actor=by,
        verb="case.follow_up_sent",
        target=case,
        data={"message_id": message.pk, "due_at": _iso(case.follow_up_due_at)},
    )


def follow_up_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> int:
    """Close resolved cases whose follow-up went unanswered; returns how many were closed."""
    from . import services  # services imports this module

    now = now or timezone.now()
    due = Case.objects.filter(
        status_category=StatusCategory.RESOLVED,
        follow_up_due_at__lte=now,
        merged_into__isnull=True,
    )
    closed = 0
    for case_id, _pk in _keyset(due, batch):
        with transaction.atomic():
            case = _lock_case(case_id)
            if (
                case is None
                or case.status_category != StatusCategory.RESOLVED
                or case.follow_up_due_at is None
                or case.follow_up_due_at > now
            ):
                continue
            sent_at, due_at = case.follow_up_sent_at, case.follow_up_due_at
            services.case_status_set(
                case_id=case.pk, by=None, status=services.status_for(StatusCategory.CLOSED)
            )
            Case.objects.filter(pk=case.pk).update(follow_up_due_at=None)
            audit.record(
                actor=None,
                verb="case.auto_closed",
                target=case,
                data={
                    "reason": "follow_up_unanswered",
                    "follow_up_sent_at": _iso(sent_at),
                    "follow_up_due_at": _iso(due_at),
                },
            )
            closed += 1
    return closed


# --- the sweep ------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    escalated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _lock_case(case_id: int) -> Case | None:
    """Lock a case for the sweep, or None when another transaction holds it (PostgreSQL: SKIP
    LOCKED; the next sweep comes back to it) or it is gone."""
    return (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("status", "sla_policy")
        .filter(pk=case_id)
        .first()
    )


def _keyset(queryset: QuerySet[Any], batch: int, field: str = "pk") -> Iterator[tuple[int, int]]:
    """(pk, ``field``) of every row, in keyset batches by pk (rows change while we walk them)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", field)[:batch])
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _running() -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        stopped_at__isnull=True,
        paused_at__isnull=True,
        case__status_category__in=[c.value for c in ACTIVE_CATEGORIES],
        case__merged_into__isnull=True,
    )


def sla_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> SweepResult:
    """Breaches, then warnings, then escalations due at ``now``. Safe to run on several workers
    at once and to repeat: each warning, breach and escalation level happens once per clock."""
    now = now or timezone.now()
    calendars = Calendars()
    result = SweepResult()
    result.breached = _sweep(
        _running().filter(breached_at__isnull=True, due_at__lt=now), batch, lambda c: _breach(c, now)
    )
    for policy in SlaPolicy.objects.filter(warn_before_minutes__gt=0):
        horizon = businesstime.add_business_minutes(
            calendars.for_policy(policy), now, policy.warn_before_minutes
        )
        candidates = _running().filter(
            case__sla_policy=policy,
            warned_at__isnull=True,
            breached_at__isnull=True,
            due_at__gte=now,
            due_at__lte=horizon,
        )
        result.warned += _sweep(candidates, batch, lambda c: _warn(c, now, calendars))
    result.escalated = _sweep(_escalation_candidates(), batch, lambda c: _escalate(c, now, calendars))
    if result.breached or result.warned or result.escalated:
        logger.info("SLA sweep at %s: %s", now.isoformat(), result.as_dict())
    return result


def _sweep(candidates: QuerySet[SlaClock], batch: int, handle: Callable[[SlaClock], int]) -> int:
    """Run ``handle`` on each candidate clock in a transaction of its own, with its case locked
    and the clock read again under the lock."""
    done = 0
    for clock_id, case_id in _keyset(candidates, batch, "case_id"):
        with transaction.atomic():
            case = _lock_case(case_id)
            if case is None:
                continue
            clock = candidates.filter(pk=clock_id).first()
            if clock is None:
                continue
            clock.case = case
            done += handle(clock)
    return done


def _breach(clock: SlaClock, now: datetime) -> int:
    # The conditional update is the claim: of two sweeps only one changes the row.
    claimed = SlaClock.objects.filter(pk=clock.pk, breached_at__isnull=True).update(breached_at=clock.due_at)
    if not claimed:
        return 0
    clock.breached_at = clock.due_at
    _event(
        clock.case,
        clock,
        SlaEventKind.BREACHED,
        clock.due_at,
        due_at=_iso(clock.due_at),
        detected_at=_iso(now),
    )
    _refresh(clock.case)
    return 1


def _warn(clock: SlaClock, now: datetime, calendars: Calendars) -> int:
    claimed = SlaClock.objects.filter(pk=clock.pk, warned_at__isnull=True).update(warned_at=now)
    if not claimed:
        return 0
    cal = calendars.for_policy(_policy(clock.case))
    _event(
        clock.case,
        clock,
        SlaEventKind.WARNED,
        now,
        due_at=_iso(clock.due_at),
        remaining_seconds=businesstime.business_seconds_between(cal, now, clock.due_at),
    )
    return 1


def _escalation_candidates() -> QuerySet[SlaClock]:
    """Breached running clocks whose case's policy has levels that have not all fired."""
    levels = (
        EscalationLevel.objects.filter(policy_id=OuterRef("case__sla_policy_id"))
        .order_by()
        .values("policy_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    fired = (
        EscalationFiring.objects.filter(clock_id=OuterRef("pk"))
        .order_by()
        .values("clock_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _running()
        .filter(breached_at__isnull=False, case__sla_policy__isnull=False)
        .annotate(levels=Coalesce(Subquery(levels), 0), fired=Coalesce(Subquery(fired), 0))
        .filter(fired__lt=F("levels"))
    )


def _escalate(clock: SlaClock, now: datetime, calendars: Calendars) -> int:
    case = clock.case
    policy = _policy(case)
    if policy is None or clock.breached_at is None:
        return 0
    cal = calendars.for_policy(policy)
    in_breach = businesstime.business_seconds_between(cal, clock.breached_at, now)
    fired = set(EscalationFiring.objects.filter(clock_id=clock.pk).values_list("level", flat=True))
    count = 0
    for level in EscalationLevel.objects.filter(policy_id=policy.pk).order_by("level"):
        if level.level in fired or in_breach < level.after_minutes * 60:
            continue
        try:
            with transaction.atomic():
                EscalationFiring.objects.create(clock=clock, level=level.level, action=level.action)
        except IntegrityError:
            continue  # another worker fired this level
        _fire(case, clock, level, now, cal)
        count += 1
    return count


# --- escalation actions -------------------------------------------------------------------------


def _users() -> Any:
    return get_user_model().objects


def _team_leads(case: Case) -> list[Any]:
    """Leads of the case's team; without a team, the leads of the assignee's teams."""
    if case.team_id is not None:
        team_filter = Q(memberships__team_id=case.team_id)
    elif case.assignee_id is not None:
        team_filter = Q(memberships__team__memberships__user_id=case.assignee_id)
    else:
        return []
    return list(
        _users()
        .filter(team_filter, memberships__is_lead=True, is_active=True)
        .distinct()
        .order_by("username", "pk")
    )


def _managers() -> list[Any]:
    return list(_users().filter(role=Role.ADMIN, is_active=True).order_by("username", "pk"))


def _least_loaded(users: Sequence[Any]) -> Any:
    active = Q(
        assigned_cases__status_category__in=[c.value for c in ACTIVE_CATEGORIES],
        assigned_cases__merged_into__isnull=True,
    )
    return (
        _users()
        .filter(pk__in=[u.pk for u in users])
        .annotate(load=Count("assigned_cases", filter=active))
        .order_by("load", "username", "pk")
        .first()
    )


def _names(users: Sequence[Any]) -> str:
    return ", ".join(f"@{u.get_username()}" for u in users) or "-"


def _fire(case: Case, clock: SlaClock, level: EscalationLevel, now: datetime, cal: CalendarSnapshot) -> None:
    from . import assignment  # assignment imports services, which imports this module

    due = clock.due_at.astimezone(cal.tz)
    headline = _("SLA breached: %(metric)s was due %(due)s.") % {
        "metric": SlaMetric(clock.metric).label,
        "due": f"{due:%Y-%m-%d %H:%M} ({cal.time_zone})",
    }
    previous_assignee = case.assignee_id
    assignee_id: int | None = None
    action = level.action
    if action == EscalationAction.REASSIGN_TO_LEAD:
        leads = _team_leads(case)
        lead = next((u for u in leads if u.pk == case.assignee_id), None) or (
            _least_loaded(leads) if leads else None
        )
        if lead is not None and lead.pk != case.assignee_id:
            try:
                with transaction.atomic():
                    assignment.case_assign(case_id=case.pk, by=None, assignee_id=lead.pk)
            except DomainError as error:
                logger.warning("escalation of case %s: cannot assign %s: %s", case.pk, lead.pk, error)
                lead = None
            else:
                case.refresh_from_db(fields=["assignee", "assigned_at", "team"])
        if lead is not None:
            assignee_id = lead.pk
            recipients = [lead]
            what = _("Escalation level %(level)d: reassigned to %(user)s.") % {
                "level": level.level,
                "user": _names([lead]),
            }
        else:
            recipients = _managers()
            what = _("Escalation level %(level)d: no team lead to reassign to; notifying %(users)s.") % {
                "level": level.level,
                "users": _names(recipients),
            }
    elif action == EscalationAction.NOTIFY_LEAD:
        recipients = _team_leads(case) or _managers()
        what = _("Escalation level %(level)d: notifying %(users)s.") % {
            "level": level.level,
            "users": _names(recipients),
        }
    else:
        recipients = _managers()
        what = _("Escalation level %(level)d: notifying the managers %(users)s.") % {
            "level": level.level,
            "users": _names(recipients),
        }
    data = {
        "level": level.level,
        "action": action,
        "metric": clock.metric,
        "clock_id": clock.pk,
        "notified": [u.pk for u in recipients],
        "assignee_id": assignee_id,
        "previous_assignee_id": previous_assignee,
    }
    message = _post(
        case,
        kind=MessageKind.SYSTEM,
        direction=Direction.INTERNAL,
        channel=Channel.SYSTEM,
        body=f"{headline} {what}",
        at=now,
        data={"escalation": data},
        mention=recipients,
    )
    if level.level > case.escalation_level:
        case.escalation_level = level.level
        case.save(update_fields=["escalation_level", "updated_at"])
    _event(case, clock, SlaEventKind.ESCALATED, now, message_id=message.pk, **data)
    audit.record(actor=None, verb="case.escalated", target=case, data={**data, "message_id": message.pk})
    case_id, level_number = case.pk, level.level
    transaction.on_commit(
        lambda: events.case_escalated.send(sender=Case, case_id=case_id, level=level_number, action=action)
    )
