"""The staff shell: role dashboard, quick search, navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.customers import services
from frontline.customers.models import Customer
from frontline.customers.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

# session (none when sessions are cached in Redis), user (with the two-factor policy check);
# permissions come from the role, no query
# the case worker's corner: teams, counters (one query), open handover notes, unread mentions
CASE_WORK_QUERIES = 4


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def lead():
    return UserFactory(username="isabella", role=Role.LEAD)


class TestDashboard:
    def test_agent_sees_customer_counts_recent_customers_interactions_and_own_actions(self, client, agent):
        justine = CustomerFactory(
            first_name="Justine", last_name="Harrington", marketing_consent=True, by=agent
        )
        old = CustomerFactory(first_name="Old", last_name="Timer")
        Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
        services.interaction_log(customer_id=justine.pk, by=agent, kind="call", summary="Where is my order?")
        client.force_login(agent)

        response = client.get(reverse("workspace:home"))

        html = response.content.decode()
        counts = response.context["counts"]
        assert response.status_code == 200
        assert (counts.active, counts.created_since, counts.with_consent) == (2, 1, 1)
        assert [c.pk for c in response.context["recent_customers"]] == [justine.pk, old.pk]
        assert [e.summary for e in response.context["recent_interactions"]] == ["Where is my order?"]
        assert [e.verb for e in response.context["own_audit"]] == [
            "customer.interaction_logged",
            "customer.created",
        ]
        assert "recent_audit" not in response.context
        assert "duplicate_groups" not in response.context
        assert "Where is my order?" in html
        assert reverse("audit:audit_list") not in html

    def test_lead_also_sees_duplicates_and_recent_audit(self, client, agent, lead):
        CustomerFactory(email="same@example.com", by=agent)
        CustomerFactory(email="same@example.com", by=agent)
        client.force_login(lead)

        response = client.get(reverse("workspace:home"))

        assert response.context["duplicate_groups"] == 1
        assert [e.actor_label for e in response.context["recent_audit"]] == ["sara", "sara"]
        assert reverse("customers:duplicate_list") in response.content.decode()

    def test_latest_interactions_are_the_newest_happenings_not_backfilled_history(self, client, agent):
        customer = CustomerFactory()
        services.interaction_log(customer_id=customer.pk, by=agent, kind="call", summary="Today")
        services.interaction_record(
            customer_id=customer.pk, kind="order", summary="Imported old order",
            occurred_at=timezone.now() - timedelta(days=400),
        )  # fmt: skip
        services.customer_update(
            customer_id=customer.pk, by=agent, changes={"job_title": "CEO"}
        )  # bookkeeping
        client.force_login(agent)

        response = client.get(reverse("workspace:home"))

        assert [e.summary for e in response.context["recent_interactions"]] == ["Today", "Imported old order"]

    @pytest.mark.parametrize("role", [Role.CUSTOMER])
    def test_portal_customers_get_403(self, client, role):
        client.force_login(UserFactory(role=role))

        assert client.get(reverse("workspace:home")).status_code == 403
        assert client.get(reverse("workspace:quick_search"), {"q": "x"}).status_code == 403

    def test_anonymous_goes_to_login(self, client):
        response = client.get(reverse("workspace:home"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    @pytest.mark.parametrize("rows", [3, 30])
    def test_query_count_is_fixed(self, client, agent, lead, django_assert_num_queries, rows):
        for i in range(rows):
            customer = CustomerFactory(by=agent, email=f"dup{i % 2}@example.com", org=f"Org {i}")
            services.interaction_log(customer_id=customer.pk, by=agent, kind="call", summary=f"Call {i}")
        client.force_login(agent)
        # own audit, counts, recent customers, recent interactions; case work: teams, case counters
        # (one query), open handover notes, unread mentions
        with django_assert_num_queries(REQUEST_QUERIES + 4 + CASE_WORK_QUERIES):
            client.get(reverse("workspace:home"))
        client.force_login(lead)
        # ... and duplicates count, recent audit
        with django_assert_num_queries(REQUEST_QUERIES + 6 + CASE_WORK_QUERIES):
            client.get(reverse("workspace:home"))


class TestQuickSearch:
    def test_returns_up_to_eight_customers_with_org_email_and_phone(self, client, agent):
        for i in range(10):
            CustomerFactory(
                first_name="Justine",
                last_name=f"Harrington{i}",
                org="Acme Retail",
                phone=f"+1 555 000 {i:04d}",
            )
        client.force_login(agent)

        response = client.get(
            reverse("workspace:quick_search"), {"q": "justine harr"}, headers={"HX-Request": "true"}
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert len(response.context["results"]) == 8
        assert html.count('class="list-group-item list-group-item-action" href="/customers/') == 8
        for text in ("list-group", "Acme Retail", "justine.harrington", "+1 555 000", "q=justine+harr"):
            assert text in html
        assert "<html" not in html

    def test_finds_by_phone_and_external_id(self, client, agent):
        CustomerFactory(
            first_name="Thomas", last_name="Becker", phone="+49 30 1234567", ext={"erp": "SP-4711"}
        )
        client.force_login(agent)

        by_phone = client.get(
            reverse("workspace:quick_search"), {"q": "1234567"}, headers={"HX-Request": "true"}
        )
        by_id = client.get(
            reverse("workspace:quick_search"), {"q": "SP-4711"}, headers={"HX-Request": "true"}
        )

        assert [c.full_name for c in by_phone.context["results"]] == ["Thomas Becker"]
        assert [c.full_name for c in by_id.context["results"]] == ["Thomas Becker"]

    def test_short_query_is_an_empty_fragment(self, client, agent):
        client.force_login(agent)

        response = client.get(reverse("workspace:quick_search"), {"q": "j"}, headers={"HX-Request": "true"})

        assert response.status_code == 200
        assert response.content == b""

    def test_nothing_found(self, client, agent):
        client.force_login(agent)

        response = client.get(reverse("workspace:quick_search"), {"q": "zzz"}, headers={"HX-Request": "true"})

        assert "No customer matches" in response.content.decode()

    def test_without_htmx_redirects_to_the_customer_list(self, client, agent):
        client.force_login(agent)

        response = client.get(reverse("workspace:quick_search"), {"q": "justine h"})

        assert response.status_code == 302
        assert response["Location"] == reverse("customers:customer_list") + "?q=justine+h"


def test_navigation_shows_the_sections_of_the_role(client, agent, lead):
    client.force_login(agent)
    html = client.get(reverse("workspace:home")).content.decode()
    assert reverse("customers:customer_list") in html
    assert reverse("customers:duplicate_list") in html
    assert reverse("audit:audit_list") not in html
    assert 'id="quick-search"' in html

    client.force_login(lead)
    assert reverse("audit:audit_list") in client.get(reverse("workspace:home")).content.decode()


class TestCaseWork:
    """The case worker's dashboard: counters linking to the queue, handover notes, mentions."""

    def test_counters_link_to_the_queue_lists_they_count(self, client, agent):
        from frontline.accounts.tests.factories import MembershipFactory, TeamFactory
        from frontline.cases import services as case_services
        from frontline.cases.tests.factories import make_case

        team = TeamFactory(name="Shipments Desk", slug="desk")
        MembershipFactory(team=team, user=agent)
        lead = UserFactory(username="thomas", role=Role.LEAD)
        make_case(subject="Mine", team_id=team.pk, assignee_id=agent.pk)
        make_case(subject="Waiting", team_id=team.pk)
        mentioned = make_case(subject="Parcel lost")
        case_services.message_reply(
            case_id=mentioned.pk, by=lead, body="@sara please call the carrier", internal=True
        )
        client.force_login(agent)

        response = client.get(reverse("workspace:home"))

        html = response.content.decode()
        counts = response.context["case_counts"]
        assert (counts.mine, counts.team_unassigned, counts.mentions_unread) == (1, 1, 1)
        assert response.context["case_links"]["mine"] == "/cases/?tab=mine"
        assert response.context["case_links"]["team_unassigned"] == "/cases/?tab=team&assignee=none"
        assert response.context["case_links"]["breaching"] == f"/cases/?tab=breaching&team={team.pk}"
        assert "please call the carrier" in html
        assert 'name="availability" value="online"' in html
        assert reverse("cases:queue") in html

    def test_only_those_who_answer_customers_get_the_availability_switch(self, client):
        client.force_login(UserFactory(username="sam", role=Role.SALES))

        response = client.get(reverse("workspace:home"))

        assert response.context["case_counts"].mine == 0
        assert 'name="availability"' not in response.content.decode()


def test_quick_search_opens_a_case_by_reference_and_offers_the_case_search(client, agent):
    from frontline.cases.tests.factories import make_case

    made = make_case(subject="Parcel lost")
    client.force_login(agent)

    response = client.get(
        reverse("workspace:quick_search"), {"q": made.reference}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert f'href="/cases/{made.reference}/"' in html
    assert f"/cases/search/?q={made.reference}" in html
