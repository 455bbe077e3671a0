"""The bulk case writer writes exactly the rows the cases services write.

Given the demo data set (staff, teams, settings, a few customers) and generated case scripts,
when the scripts are written once through the services (``ServiceWriter``) and once in bulk
(``BulkWriter``), each inside a savepoint that is rolled back, then every row of every table
the cases touch is the same: cases, messages, mentions, timeline entries, audit entries, SLA
clocks and events, escalation firings, tags, search documents, the customers' last contact.
Ids are compared by their order (the two ways allocate different numbers).
"""

from __future__ import annotations

import random
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from frontline.accounts.models import Team, User
from frontline.audit.models import AuditEntry
from frontline.cases import assignment
from frontline.cases.models import Case, EscalationFiring, Mention, Message, Queue, SlaClock, SlaEvent
from frontline.core import search
from frontline.customers.models import Customer, Interaction
from frontline.workspace import demo_cases, demo_data
from frontline.workspace.case_writer import BulkWriter, ServiceWriter, World, load_customers
from frontline.workspace.demo_cases import CaseGenerator, CustomerRef, TeamRef

pytestmark = pytest.mark.django_db(transaction=False)

CUSTOMERS = 40


class _Rollback(Exception):
    pass


@pytest.fixture
def seeded() -> int:
    """The demo data set without generated cases, every queue manual; the last case id."""
    call_command("seed", customers=CUSTOMERS, cases=0, no_progress=True, stdout=StringIO(), stderr=StringIO())
    Queue.objects.update(assignment_mode="manual")
    return Case.objects.aggregate(n=Max("pk"))["n"] or 0


def _scripts(now, *, count: int, teams: dict[str, TeamRef], seed: int = 7) -> tuple[list, list[int]]:
    first = len(demo_data.STORY_CUSTOMERS)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))[first:]
    refs = [
        CustomerRef(c.first_name, c.language, "DE", "example.com")
        for c in Customer.objects.filter(pk__in=ids).order_by("pk")
    ]
    generator = CaseGenerator(
        random.Random(seed),
        now=now,
        start=now - timedelta(days=25),
        customers=refs,
        teams=teams,
        calendar=demo_cases.calendar_snapshot(now),
    )
    scripts = []
    for index, moment in enumerate(generator.moments(count)):
        script = generator.script(index, moment)
        script.reference = str(90_000_000 + index)
        scripts.append(script)
    return scripts, ids


def _manual_teams() -> dict[str, TeamRef]:
    refs = {}
    for spec in demo_data.TEAMS:
        workers = tuple(m for m in spec.members if m != "elias")
        refs[spec.slug] = TeamRef(spec.slug, spec.lead, workers or (spec.lead,), mode="manual")
    return refs


def _search_body(kind: str, object_id: int) -> str | None:
    code = search.KIND_CODES[kind]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT body FROM core_search_document WHERE kind = %s AND object_id = %s", [code, object_id]
            )
        else:
            cursor.execute("SELECT body FROM core_search_fts WHERE rowid = %s", [(code << 40) | object_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _snapshot(after_pk: int) -> dict[str, Any]:
    """Every row the cases with pk > ``after_pk`` produced, ids replaced by their rank."""
    cases = list(Case.objects.filter(pk__gt=after_pk).order_by("pk"))
    case_rank = {c.pk: i for i, c in enumerate(cases)}
    messages = sorted(Message.objects.filter(case__in=cases), key=lambda m: (case_rank[m.case_id], m.pk))
    message_rank = {m.pk: i for i, m in enumerate(messages)}
    clocks = sorted(SlaClock.objects.filter(case__in=cases), key=lambda c: (case_rank[c.case_id], c.pk))
    clock_rank = {c.pk: i for i, c in enumerate(clocks)}

    def plain(obj, skip=("id",)) -> dict[str, Any]:
        return {
            f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip
        }

    def ranked_data(data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in data.items():
            if key in ("message_id", "note_id") and value is not None:
                value = ("message", message_rank.get(value, value))
            elif key == "clock_id" and value is not None:
                value = ("clock", clock_rank.get(value, value))
            elif isinstance(value, dict):
                value = ranked_data(value)
            out[key] = value
        return out

    snapshot: dict[str, Any] = {}
    snapshot["cases"] = [plain(c) for c in cases]
    snapshot["tags"] = sorted(
        (case_rank[c], t)
        for c, t in Case.tags.through.objects.filter(case__in=cases).values_list("case_id", "tag_id")
    )
    snapshot["messages"] = [
        {**plain(m, ("id", "case_id")), "case": case_rank[m.case_id], "data": ranked_data(m.data)}
        for m in messages
    ]
    snapshot["mentions"] = sorted(
        (message_rank[m.message_id], m.user_id, m.read_at)
        for m in Mention.objects.filter(message__in=messages)
    )
    snapshot["clocks"] = [{**plain(c, ("id", "case_id")), "case": case_rank[c.case_id]} for c in clocks]
    snapshot["events"] = [
        {
            **plain(e, ("id", "case_id", "clock_id")),
            "case": case_rank[e.case_id],
            "clock": clock_rank.get(e.clock_id) if e.clock_id is not None else None,
            "data": ranked_data(e.data),
        }
        for e in SlaEvent.objects.filter(case__in=cases).order_by("case_id", "at", "pk")
    ]
    snapshot["firings"] = sorted(
        (clock_rank[f.clock_id], f.level, f.action, f.fired_at)
        for f in EscalationFiring.objects.filter(clock__in=clocks)
    )
    ids = {str(pk) for pk in case_rank} | {str(pk) for pk in message_rank}
    interactions = Interaction.objects.filter(source_id__in=ids, kind__in=["case", "message"]).order_by(
        "customer_id", "occurred_at", "pk"
    )
    snapshot["interactions"] = [
        {
            **plain(i, ("id", "source_id")),
            "source": (
                case_rank.get(int(i.source_id)) if i.kind == "case" else message_rank.get(int(i.source_id))
            ),
            "data": ranked_data(i.data),
        }
        for i in interactions
        if (i.kind == "case" and int(i.source_id) in case_rank)
        or (i.kind != "case" and int(i.source_id) in message_rank)
    ]
    snapshot["audit"] = [
        {**plain(a, ("id", "target_id")), "target": case_rank[int(a.target_id)], "data": ranked_data(a.data)}
        for a in sorted(
            AuditEntry.objects.filter(target_id__in=[str(pk) for pk in case_rank]),
            key=lambda a: (int(a.target_id), a.created_at, a.pk),
        )
        if int(a.target_id) in case_rank and a.target_type.model == "case"
    ]
    snapshot["search"] = [_search_body("case", c.pk) for c in cases] + [
        _search_body("case_message", m.pk) for m in messages
    ]
    customer_ids = {c.customer_id for c in cases}
    snapshot["customers"] = sorted(
        Customer.objects.filter(pk__in=customer_ids).values_list("pk", "last_interaction_at", "updated_at")
    )
    return snapshot


def _write_both(scripts, customer_ids, now, after_pk) -> tuple[dict[str, Any], dict[str, Any]]:
    results = []
    for way in ("services", "bulk"):
        try:
            with transaction.atomic():
                if way == "services":
                    ServiceWriter(now=now, customer_ids=customer_ids, portal_users={}).write(scripts)
                else:
                    writer = BulkWriter(now=now, customers=load_customers(customer_ids), world=World.load())
                    writer.tags([t for s in scripts for t in s.tags])
                    writer.write(scripts)
                    writer.close()
                results.append(_snapshot(after_pk))
                raise _Rollback
        except _Rollback:
            pass
    return results[0], results[1]


def _assert_same(by_services: dict[str, Any], in_bulk: dict[str, Any]) -> None:
    for table in by_services:
        first, second = by_services[table], in_bulk[table]
        assert len(first) == len(second), f"{table}: {len(first)} rows by the services, {len(second)} in bulk"
        for number, (a, b) in enumerate(zip(first, second, strict=True)):
            assert a == b, f"{table} row {number} differs:\nservices: {a}\nbulk:     {b}"


def test_generated_cases_in_bulk_are_the_rows_the_services_write(seeded):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    scripts, customer_ids = _scripts(now, count=60, teams=_manual_teams())
    kinds = {step.kind for s in scripts for step in s.steps}
    assert {"receive", "reply", "note", "call", "assign"} <= kinds

    by_services, in_bulk = _write_both(scripts, customer_ids, now, seeded)

    assert len(by_services["cases"]) == 60
    assert {e["kind"] for e in by_services["events"]} >= {"started", "met", "paused", "resumed"}
    _assert_same(by_services, in_bulk)


def test_breaches_escalations_and_follow_ups_match(seeded):
    # given a team whose answers come late: most first responses breach and escalate
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    scripts, customer_ids = _scripts(now, count=40, teams=_manual_teams(), seed=11)
    for script in scripts:
        late = script.steps[1:] if script.channel == "phone" else script.steps  # keep the phone intake
        for step in late:
            step.at += timedelta(hours=14)
        script.steps = [s for s in script.steps if s.at <= now]

    by_services, in_bulk = _write_both(scripts, customer_ids, now, seeded)

    kinds = {e["kind"] for e in by_services["events"]}
    assert {"breached", "escalated", "warned"} <= kinds
    assert any(m["data"].get("automatic") == "follow_up" for m in by_services["messages"])
    _assert_same(by_services, in_bulk)


def test_automatic_assignment_on_arrival_matches(seeded):
    # given Customer Service distributing round-robin with one agent online
    team = demo_data.TEAMS[0]
    online = User.objects.get(username="sara")
    User.objects.filter(username__in=[*team.members, team.lead]).exclude(pk=online.pk).update(
        availability="offline"
    )
    online.availability = "online"
    online.save(update_fields=["availability"])
    assignment.queue_configure(
        team_id=Team.objects.get(slug=team.slug).pk,
        by=None,
        assignment_mode="round_robin",
        default_capacity=100,
    )
    teams = _manual_teams()
    teams["customer-service"] = TeamRef(
        "customer-service", team.lead, ("sara",), mode="round_robin", capacity=100
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    scripts, customer_ids = _scripts(now, count=40, teams=teams, seed=3)
    scripts = [s for s in scripts if s.team == "customer-service"]
    assert scripts and all(s.auto_assignee == "sara" for s in scripts)

    by_services, in_bulk = _write_both(scripts, customer_ids, now, seeded)

    assert all(c["assignee_id"] is not None for c in by_services["cases"])
    _assert_same(by_services, in_bulk)
