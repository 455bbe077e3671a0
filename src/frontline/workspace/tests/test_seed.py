# ruff: noqa: RUF001  (Turkish dotless i in names is meant)
"""``frontline seed``: the demo users and teams, deterministic multilingual customers, refusals."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from frontline.accounts.models import Membership, Team, User
from frontline.audit.models import AuditEntry
from frontline.cases.models import AgentCapacity, Case, Queue
from frontline.core import search
from frontline.customers import selectors
from frontline.customers.models import ContactPoint, Customer, ExternalId, Interaction
from frontline.workspace import demo_data
from frontline.workspace.demo_data import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

CUSTOMERS = 150
CASES = 150
ROLES = {
    "elias": "reporter",
    "isabella": "lead",
    "thomas": "lead",
    "sara": "agent",
    "omar": "tech",
    "sam": "sales",
    "lena": "logistics",
    "paul": "product",
    "admin": "admin",
    "justine": "customer",
    "carlos": "customer",
    "ayse": "customer",
    "agnieszka": "customer",
}
ARABIC = re.compile(r"[\u0600-\u06ff]")
NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)


def seed(**options) -> str:
    out = StringIO()
    options.setdefault("cases", CASES)
    call_command("seed", customers=CUSTOMERS, no_progress=True, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


class _Rollback(Exception):
    pass


def seeded_names() -> list[tuple[str, str]]:
    """Seed inside a savepoint, read the customers' names in creation order, roll back."""
    names: list[tuple[str, str]] = []
    try:
        with transaction.atomic():
            seed()
            names = list(Customer.objects.order_by("pk").values_list("first_name", "last_name"))
            raise _Rollback
    except _Rollback:
        pass
    assert Customer.objects.count() == 0
    return names


class TestDemoUsers:
    def test_every_demo_login_exists_with_its_role_and_the_demo_password(self):
        seed()

        users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
        assert {name: u.role for name, u in users.items()} == ROLES
        assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
        assert (users["isabella"].approval_limit, users["isabella"].approval_currency) == (
            Decimal("500.00"),
            "USD",
        )
        assert users["thomas"].approval_limit == Decimal("250.00")
        assert users["sara"].approval_limit == Decimal("0.00")
        assert (users["admin"].is_superuser, users["admin"].is_staff) == (True, True)
        assert not users["sara"].is_superuser and not users["sara"].is_staff
        assert users["isabella"].get_full_name() == "Isabella Hernández"

    def test_portal_customers_are_linked_to_their_customer_records(self):
        seed()

        justine = Customer.objects.get(user__username="justine")
        assert (justine.full_name, justine.user.email) == (
            "Justine Harrington",
            "justine.harrington@example.com",
        )
        assert Customer.objects.get(user__username="ayse").full_name == "Ayşe Yılmaz"
        assert Customer.objects.get(user__username="carlos").full_name == "Carlos Méndez"
        assert Customer.objects.get(user__username="agnieszka").full_name == "Agnieszka Kowalczyk"
        assert "Case #35551234 opened: Shirt worn out after only 1 week" in justine.interactions.values_list(
            "summary", flat=True
        )

    def test_teams_and_their_leads(self):
        seed()

        leads = {
            (m.team.name, m.team.slug): m.user.username
            for m in Membership.objects.filter(is_lead=True).select_related("team", "user")
        }
        assert leads == {
            ("Customer Service", "customer-service"): "isabella",
            ("Shipments", "shipments"): "thomas",
            ("Technical Support", "tech"): "omar",
            ("Claims", "claims"): "isabella",
            ("Logistics", "logistics"): "lena",
            ("Product Management", "product"): "paul",
            ("Sales", "sales"): "sam",
        }
        assert Team.objects.get(name="Customer Service").members.count() == 10
        assert Team.objects.get(slug="shipments").members.count() == 9  # Thomas and a team of 8 (seed 004)
        queues = {
            q.team.slug: (q.assignment_mode, q.default_capacity) for q in Queue.objects.select_related("team")
        }
        assert queues == {
            "customer-service": ("round_robin", 25),
            "shipments": ("load_based", 20),
            "tech": ("manual", 25),
            "claims": ("manual", 15),
        }
        assert AgentCapacity.objects.get(user__username="todd").capacity == 15
        assert User.objects.get(username="sara").availability == "online"


class TestCustomers:
    def test_two_runs_on_fresh_databases_give_the_same_customers(self):
        first = seeded_names()
        second = seeded_names()

        assert len(first) == CUSTOMERS
        assert first == second
        assert first[:3] == [("Justine", "Harrington"), ("Camille", "Laurent"), ("Carlos", "Méndez")]

    def test_customers_are_multilingual_with_contacts_timelines_and_search(self):
        output = seed()

        assert output.startswith("Seeded scale demo in ")
        assert Customer.objects.count() == CUSTOMERS
        assert set(Customer.objects.values_list("language", flat=True)) == {
            "en",
            "es",
            "de",
            "fr",
            "ar",
            "tr",
            "pl",
            "ja",
        }
        assert any(ARABIC.search(c.full_name) for c in Customer.objects.filter(language="ar"))
        per_customer = [c.contact_points.count() for c in Customer.objects.prefetch_related("contact_points")]
        assert min(per_customer) >= 1 and max(per_customer) <= 3
        assert ContactPoint.objects.filter(kind="email", is_primary=True).count() > CUSTOMERS * 0.8
        assert ExternalId.objects.filter(system="shop").count() > CUSTOMERS * 0.7
        channels = set(Interaction.objects.values_list("channel", flat=True))
        assert {"email", "phone", "chat", "portal", "social"} <= channels
        for customer in Customer.objects.filter(last_interaction_at__isnull=True):
            pytest.fail(f"{customer} has no timeline")
        justine = Customer.objects.get(user__username="justine")
        assert search.search_ids("customer", "justine harr")[:2] == sorted(
            Customer.objects.filter(
                first_name="Justine", last_name__in=["Harrington", "Harington"]
            ).values_list("pk", flat=True)
        )
        assert justine.pk in search.search_ids("customer", "C-10001")

    def test_duplicates_page_has_the_planted_pairs(self):
        seed()

        pairs = selectors.duplicate_pairs(limit=10)

        first = pairs[0]
        assert (first.first.full_name, first.second.full_name) == ("Justine Harrington", "Justine Harington")
        # The twin shares her email and her phone; which one the page names first is up to the database.
        assert first.reason in ("same email: justine.harrington@example.com", "same phone: +14155550134")

    def test_the_run_is_audited_once(self):
        seed()

        entry = AuditEntry.objects.get(verb="workspace.seeded")
        assert (entry.data["scale"], entry.data["customers"], entry.data["seed"]) == (
            "demo",
            CUSTOMERS,
            demo_data.SEED,
        )
        assert AuditEntry.objects.filter(verb="user.created").count() == len(demo_data.STAFF) + 4
        assert entry.data["cases"] == CASES


class TestRefusals:
    def test_a_second_run_does_nothing(self):
        seed()

        output = seed()

        assert "The demo data set is already loaded (scale demo, 150 customers" in output
        assert Customer.objects.count() == CUSTOMERS
        assert Case.objects.count() == CASES

    def test_a_database_with_customers_or_demo_users_is_refused(self):
        User.objects.create(username="sara", role="agent")

        with pytest.raises(CommandError) as exc:
            seed()

        assert exc.value.returncode == 1
        assert str(exc.value).startswith(
            "This database already has data (users sara). The seed only fills an empty"
        )
        assert Customer.objects.count() == 0

    def test_too_few_customers_is_a_usage_error(self):
        with pytest.raises(CommandError, match="at least 20"):
            call_command("seed", customers=5, stdout=StringIO())


class TestDemoData:
    def test_generator_is_deterministic_and_emails_are_unique(self):
        def draw():
            rng = random.Random(demo_data.SEED)
            generator = demo_data.CustomerGenerator(rng, now=NOW, agents=("sara",), organisations=3)
            return [generator.customer() for _ in range(300)]

        first, second = draw(), draw()

        assert [(c.first_name, c.last_name, c.email) for c in first] == [
            (c.first_name, c.last_name, c.email) for c in second
        ]
        emails = [c.email for c in first if c.email]
        assert len(emails) == len(set(emails))
        assert all(2 <= len(c.interactions) <= 15 for c in first)

    def test_names_become_ascii_for_emails_and_polish_surnames_agree(self):
        assert demo_data.ascii_slug("Jürgen Weiß") == "jurgenweiss"
        assert demo_data.ascii_slug("Łukasz Kılıç") == "lukaszkilic"
        assert demo_data.ascii_slug("Satō") == "sato"
        assert demo_data.feminine_polish("Wiśniewski") == "Wiśniewska"
        assert demo_data.feminine_polish("Nowak") == "Nowak"
