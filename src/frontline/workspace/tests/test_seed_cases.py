"""``frontline seed``: case settings, the seeds' own cases, the generated volume, macros, handover."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction

from frontline.audit.models import AuditEntry
from frontline.cases.choices import ACTIVE_CATEGORIES
from frontline.cases.models import (
    BusinessCalendar,
    Case,
    CaseLink,
    CaseStatus,
    Category,
    CustomField,
    HandoverNote,
    Macro,
    Mention,
    Message,
    ReferenceSequence,
    SlaClock,
    SlaPolicy,
)
from frontline.cases.numbering import next_reference
from frontline.core import search
from frontline.customers.models import Interaction
from frontline.workspace import demo_cases, demo_data

pytestmark = pytest.mark.django_db

CUSTOMERS = 120
CASES = 400


def seed(cases: int = CASES) -> None:
    call_command(
        "seed", customers=CUSTOMERS, cases=cases, no_progress=True, stdout=StringIO(), stderr=StringIO()
    )


class _Rollback(Exception):
    pass


class TestSettings:
    def test_categories_fields_calendar_and_policies(self):
        seed(cases=0)

        assert list(Category.objects.order_by("name").values_list("name", flat=True)) == sorted(
            c.name for c in demo_cases.CATEGORIES
        )
        assert set(CustomField.objects.values_list("key", "field_type")) == {
            ("order_number", "text"),
            ("product_sku", "text"),
        }
        calendar = BusinessCalendar.objects.get(name=demo_cases.CALENDAR_NAME)
        assert calendar.time_zone == "Europe/Berlin"
        assert sorted(calendar.hours.values_list("weekday", "opens", "closes")) == [
            (day, time(8), time(18)) for day in range(5)
        ]
        year = date.today().year
        assert calendar.holidays.filter(date=date(year, 12, 25)).exists()
        assert calendar.holidays.filter(date=demo_cases.easter(year) + timedelta(days=1)).exists()
        business = SlaPolicy.objects.get(name="Business hours")
        assert (business.calendar, business.priorities, business.first_response_minutes) == (
            calendar,
            ["low", "normal", "high"],
            480,
        )
        assert business.escalation_levels.count() == 3
        default = SlaPolicy.objects.get(name="Default")
        assert default.first_response_minutes == 24 * 60 and not default.priorities
        assert CaseStatus.objects.get(slug="awaiting-approval").category == "on_hold"

    def test_macros_of_every_scope_with_placeholders(self):
        seed(cases=0)

        scopes = {m.scope for m in Macro.objects.all()}
        assert scopes == {"personal", "team", "global"}
        tracking = Macro.objects.get(name="Tracking update")
        assert (tracking.team.slug, tracking.set_status.slug) == ("shipments", "waiting-on-customer")
        assert "{{ customer.first_name }}" in tracking.body and "{{ order.number }}" in tracking.body
        assert "{{ case.reference }}" in Macro.objects.get(name="Thanks for your patience").body


class TestSeedCases:
    def test_the_claims_list_of_seed_003(self):
        seed(cases=0)

        claims = {c.reference: c for c in Case.objects.filter(reference__in=demo_cases.CLAIM_REFERENCES)}
        assert set(claims) == set(demo_cases.CLAIM_REFERENCES)
        justine = claims["35551234"]
        assert (justine.customer.full_name, justine.subject, justine.channel) == (
            "Justine Harrington",
            "Shirt worn out after only 1 week",
            "email",
        )
        assert justine.custom_fields == {"order_number": "SO-204518", "product_sku": "T-12377"}
        assert justine.team.slug == "claims" and justine.category.slug == "claims"
        assert all(c.status.slug == "awaiting-approval" for c in claims.values())
        assert justine.messages.filter(kind="note", body__contains="@isabella").exists()
        assert Mention.objects.filter(message__case=justine, user__username="isabella").exists()
        # Still waiting for approval after a week: the resolution target has breached.
        assert justine.sla_breached
        shirt = Case.objects.get(subject__startswith="Fancy Shirt T-12377")
        assert CaseLink.objects.filter(from_case=shirt, to_case=justine).exists()
        assert shirt.customer.organisation.name == "Fancy Retail Inc."

    def test_the_account_access_request_of_seed_002(self):
        seed(cases=0)

        case = Case.objects.get(customer__user__username="agnieszka")
        verbs = list(AuditEntry.objects.filter(target_id=str(case.pk)).values_list("verb", flat=True))
        assert case.channel == "portal" and case.category.slug == "account-access"
        assert case.messages.filter(kind="note", body__startswith="Identity verified").exists()
        assert "case.escalated_to_tech" in verbs and "case.returned_from_tech" in verbs
        assert case.status_category == "resolved" and case.follow_up_sent_at is not None
        assert case.messages.filter(data__automatic="follow_up").count() == 1
        assert case.messages.filter(kind="call", direction="outbound").exists()
        first = case.messages.order_by("created_at").first()
        assert first.author.username == "agnieszka"  # she wrote on the portal
        assert case.first_response_at is not None
        assert case.first_response_at - case.created_at < timedelta(hours=24)

    def test_shift_handover_for_thomas_team(self):
        seed(cases=0)

        notes = list(HandoverNote.objects.select_related("team", "case", "author"))
        assert len(notes) == len(demo_cases.HANDOVER)
        summary = next(n for n in notes if n.case is None)
        assert (summary.author.username, summary.team.slug, summary.handed_to.username) == (
            "thomas",
            "shipments",
            "jonas",
        )
        assert {n.case.subject for n in notes if n.case} == {
            h.subject for h in demo_cases.HANDOVER if h.subject
        }


class TestGeneratedCases:
    def test_volume_channels_statuses_and_threads(self):
        # Which cases are still new depends on the hour the seed runs (agents answer in office
        # hours): run it early on a Monday, before the office opens, as the demo would be.
        with time_machine.travel(datetime(2026, 11, 30, 6, 30, tzinfo=UTC), tick=True):
            seed()

        cases = Case.objects.all()
        assert cases.count() == CASES
        assert set(cases.values_list("channel", flat=True)) == {
            "email",
            "phone",
            "portal",
            "chat",
            "social",
            "web",
        }
        categories = set(cases.values_list("status_category", flat=True))
        assert {"new", "open", "pending_customer", "resolved", "closed"} <= categories
        assert cases.filter(status_category__in=ACTIVE_CATEGORIES).count() > 10
        assert cases.filter(status_category="closed").count() > CASES / 2
        assert set(cases.values_list("team__slug", flat=True)) == {
            "customer-service",
            "shipments",
            "tech",
            "claims",
        }
        assert cases.filter(escalated_from_team__slug="customer-service", team__slug="tech").exists()
        assert Message.objects.filter(kind="note", mention_rows__isnull=False).exists()
        assert Message.objects.filter(kind="call").exists()
        assert Message.objects.filter(kind="system", data__has_key="escalation").exists()
        assert SlaClock.objects.filter(breached_at__isnull=False).exists()
        assert set(cases.values_list("customer__language", flat=True)) >= {"en", "de", "es", "fr"}
        # Every message is on the customer's timeline, every case and message is searchable.
        from_messages = Interaction.objects.filter(source_type=ContentType.objects.get_for_model(Message))
        assert from_messages.count() == Message.objects.exclude(kind="system").count()
        case = cases.order_by("?").first()
        assert case.pk in search.search_ids("case", case.reference)
        message = Message.objects.exclude(kind="system").order_by("-pk").first()
        assert message.pk in search.search_ids("case_message", message.body[:40])

    def test_every_product_a_case_names_is_in_the_catalogue(self):
        from frontline.catalog.models import Product

        seed()

        named = {sku for sku in Case.objects.values_list("custom_fields__product_sku", flat=True) if sku}
        assert {"T-12377", "BP-4471", "AS-X2-BLK"} <= named
        assert named <= set(Product.objects.values_list("sku", flat=True))

    def test_references_follow_arrival_and_the_counter_moves_past_them(self):
        seed()

        generated = list(
            Case.objects.exclude(reference__in=demo_cases.CLAIM_REFERENCES)
            .order_by("created_at", "pk")
            .values_list("reference", flat=True)
        )
        assert [int(r) for r in generated] == sorted(int(r) for r in generated)
        last = max(int(r) for r in Case.objects.values_list("reference", flat=True))
        assert ReferenceSequence.objects.get(name="case").last_value == last
        assert next_reference() == str(last + 1)

    def test_two_runs_give_the_same_cases(self):
        def run() -> list[tuple[str, str, str, int]]:
            rows: list[tuple[str, str, str, int]] = []
            try:
                with transaction.atomic():
                    seed(cases=120)
                    rows = list(
                        Case.objects.order_by("reference").values_list(
                            "reference", "subject", "status_category", "message_count"
                        )
                    )
                    raise _Rollback
            except _Rollback:
                pass
            return rows

        first, second = run(), run()

        assert len(first) == 120
        assert first == second


class TestGenerator:
    def test_scripts_are_deterministic_and_happen_in_the_past(self):
        now = datetime(2026, 3, 4, 10, tzinfo=UTC)
        teams = {
            spec.slug: demo_cases.TeamRef(
                spec.slug, spec.lead, spec.members or (spec.lead,), mode="round_robin"
            )
            for spec in demo_data.TEAMS
        }
        customers = [demo_cases.CustomerRef("Ana", "es", "ES"), demo_cases.CustomerRef("Jörg", "de", "DE")]

        def draw() -> list[demo_cases.CaseScript]:
            generator = demo_cases.CaseGenerator(
                random.Random(1),
                now=now,
                start=now - timedelta(days=30),
                customers=customers,
                teams=teams,
                calendar=demo_cases.calendar_snapshot(now),
            )
            return [generator.script(i, at) for i, at in enumerate(generator.moments(50))]

        first, second = draw(), draw()

        assert [(s.subject, s.created_at, len(s.steps)) for s in first] == [
            (s.subject, s.created_at, len(s.steps)) for s in second
        ]
        assert all(step.at <= now for s in first for step in s.steps)
        assert [s.created_at for s in first] == sorted(s.created_at for s in first)

    def test_easter_and_holidays(self):
        assert demo_cases.easter(2026) == date(2026, 4, 5)
        assert demo_cases.easter(2027) == date(2027, 3, 28)
        days = dict(demo_cases.holidays([2026]))
        assert days[date(2026, 4, 3)] == "Karfreitag" and days[date(2026, 5, 25)] == "Pfingstmontag"
