"""Filters, permissions and duplicate detection of the customers selectors."""

from __future__ import annotations

import pytest

from frontline.accounts.models import User
from frontline.core.errors import NotFound
from frontline.customers import selectors, services
from frontline.customers.services import ContactInput, CustomerInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> User:
    return User.objects.create(username="sara", role="agent")


def make(agent, first, last, *emails, org="", phone="", ext=None, **extra):
    contacts = [ContactInput(kind="email", value=e) for e in emails]
    if phone:
        contacts.append(ContactInput(kind="phone", value=phone))
    return services.customer_create(
        by=agent,
        data=CustomerInput(
            first_name=first,
            last_name=last,
            contacts=contacts,
            organisation_name=org,
            external_ids=ext or {},
            **extra,
        ),
    )


def names(page: selectors.CustomerPage) -> list[str]:
    return [c.full_name for c in page.customers]


@pytest.fixture
def people(agent):
    return {
        "justine": make(
            agent,
            "Justine",
            "Harrington",
            "justine@example.com",
            org="Acme",
            phone="+1 555 123 4567",
            ext={"shop": "C-1001"},
        ),
        "jose": make(agent, "José", "Álvarez", "jose@ejemplo.es", org="SparePartsPro GmbH", language="es"),
        "amal": make(agent, "أمل", "حداد", "amal@example.ae", language="ar"),
        "thomas": make(
            agent,
            "Thomas",
            "Becker",
            "t.becker@spareparts.example",
            org="SparePartsPro GmbH",
            marketing_consent=True,
        ),
    }


class TestSearch:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("justine", ["Justine Harrington"]),
            ("harr", ["Justine Harrington"]),
            ("jose", ["José Álvarez"]),  # accents are folded
            ("ÁLVAREZ", ["José Álvarez"]),
            ("أمل", ["أمل حداد"]),
            ("justine@example", ["Justine Harrington"]),
            ("5551234", ["Justine Harrington"]),
            ("123 4567", ["Justine Harrington"]),
            ("C-1001", ["Justine Harrington"]),
            ("nobody", []),
            ("", []),
        ],
    )
    def test_search_by_any_key(self, agent, people, query, expected):
        page = selectors.customer_list_for_user(user=agent, filters=selectors.CustomerFilters(query=query))
        if query:
            assert names(page) == expected
            assert page.total == len(expected)

    def test_search_by_organisation_returns_its_people(self, agent, people):
        page = selectors.customer_list_for_user(
            user=agent, filters=selectors.CustomerFilters(query="spareparts")
        )

        assert sorted(names(page)) == ["José Álvarez", "Thomas Becker"]

    def test_search_combined_with_filter(self, agent, people):
        page = selectors.customer_list_for_user(
            user=agent, filters=selectors.CustomerFilters(query="spareparts", marketing_consent=True)
        )

        assert names(page) == ["Thomas Becker"]


class TestList:
    def test_filters_and_order(self, agent, people):
        by_org = selectors.customer_list_for_user(
            user=agent,
            filters=selectors.CustomerFilters(organisation_id=people["jose"].organisation_id, order="-name"),
        )
        by_language = selectors.customer_list_for_user(
            user=agent, filters=selectors.CustomerFilters(language="ar")
        )

        assert sorted(names(by_org)) == ["José Álvarez", "Thomas Becker"]
        assert names(by_language) == ["أمل حداد"]

    def test_sort_by_name_both_ways(self, agent):
        for last in ("Baker", "Adams", "Clark"):
            make(agent, "Kim", last)

        up = selectors.customer_list_for_user(user=agent, filters=selectors.CustomerFilters(order="name"))
        down = selectors.customer_list_for_user(user=agent, filters=selectors.CustomerFilters(order="-name"))

        assert names(up) == ["Kim Adams", "Kim Baker", "Kim Clark"]
        assert names(down) == ["Kim Clark", "Kim Baker", "Kim Adams"]

    def test_pagination_reports_total(self, agent, people):
        page = selectors.customer_list_for_user(
            user=agent, filters=selectors.CustomerFilters(), offset=1, limit=2
        )

        assert page.total == 4
        assert len(page.customers) == 2

    def test_customer_role_sees_only_own_record(self, agent, people):
        portal = User.objects.create(username="justine", role="customer")
        people["justine"].user = portal
        people["justine"].save()

        page = selectors.customer_list_for_user(user=portal, filters=selectors.CustomerFilters())
        searched = selectors.customer_list_for_user(
            user=portal, filters=selectors.CustomerFilters(query="thomas")
        )

        assert names(page) == ["Justine Harrington"]
        assert names(searched) == []
        assert selectors.customer_get_for_user(user=portal, pk=people["justine"].pk) == people["justine"]
        with pytest.raises(NotFound):
            selectors.customer_get_for_user(user=portal, pk=people["thomas"].pk)
        assert selectors.customer_quick_search(user=portal, query="justine") == []


class TestTimeline:
    def test_keyset_pagination_and_filters(self, agent, people):
        customer = people["justine"]
        for index in range(5):
            services.interaction_log(customer_id=customer.pk, by=agent, kind="call", summary=f"call {index}")
        services.interaction_log(customer_id=customer.pk, by=agent, kind="note", summary="internal note")

        first = selectors.customer_timeline(
            customer_id=customer.pk, filters=selectors.TimelineFilters(), limit=3
        )
        older = selectors.customer_timeline(
            customer_id=customer.pk,
            filters=selectors.TimelineFilters(before=first[-1].occurred_at, before_id=first[-1].pk),
            limit=10,
        )
        public = selectors.customer_timeline(
            customer_id=customer.pk, filters=selectors.TimelineFilters(include_internal=False), limit=10
        )

        assert [e.summary for e in first] == ["internal note", "call 4", "call 3"]
        assert [e.summary for e in older] == ["call 2", "call 1", "call 0"]
        assert "internal note" not in [e.summary for e in public]
        assert selectors.customer_timeline_counts(customer_id=customer.pk) == {"call": 5, "note": 1}


class TestDuplicates:
    def test_same_email_and_similar_name(self, agent, people):
        twin = make(agent, "Justin", "Harrington", "JUSTINE@example.com")
        namesake = make(agent, "Justyne", "Harrington")
        make(agent, "Jane", "Harrington")  # same block, name too different

        candidates = selectors.customer_duplicate_candidates(customer=people["justine"])

        assert [(c.customer.pk, c.reasons) for c in candidates] == [
            (twin.pk, ["same email (JUSTINE@example.com)", "similar name (Justin Harrington)"]),
            (namesake.pk, ["similar name (Justyne Harrington)"]),
        ]

    def test_duplicate_pairs(self, agent, people):
        twin = make(agent, "Justin", "Harrington", "justine@example.com")
        make(agent, "Tomas", "Becker")

        pairs = selectors.duplicate_pairs()

        assert (pairs[0].first.pk, pairs[0].second.pk, pairs[0].reason) == (
            people["justine"].pk,
            twin.pk,
            "same email: justine@example.com",
        )
        assert {(p.first.full_name, p.second.full_name) for p in pairs} >= {("Thomas Becker", "Tomas Becker")}
