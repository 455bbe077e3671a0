"""The exception dashboard: ranking, filters, row actions, permissions, query counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import UserFactory
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.customers import services as customer_services
from frontline.customers.tests.factories import CustomerFactory
from frontline.shipping import impact
from frontline.shipping import services as shipping_services
from frontline.shipping.choices import ExceptionStatus
from frontline.shipping.models import DeliveryException
from frontline.shipping.tests import factories as f
from frontline.workspace.exceptions_views import impact_parts

pytestmark = pytest.mark.django_db

URL = "/exceptions/"
# count + page, customers, their order value, their contacts, linked cases, agents,
# carriers, warehouses
RESULT_QUERIES = 8
# + counts by status, "caught proactively"
PAGE_QUERIES = RESULT_QUERIES + 2


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agent():
    return UserFactory(username="thomas", first_name="Thomas", last_name="Lead", role=Role.AGENT)


def make_exception(
    *,
    status: str = "failed_attempt",
    total: str = "120.00",
    carrier: str = "ups",
    warehouse: str = "BER",
    reason: str = "",
    customer=None,
) -> DeliveryException:
    order = f.order(total=total, promised=date(2026, 5, 13), customer=customer)
    shipment = f.shipment(
        carrier_code=carrier,
        order_obj=order,
        current_edd=date(2026, 5, 12),
        origin_warehouse_id=f.warehouse(warehouse).pk,
    )
    with time_machine.travel(datetime(2026, 5, 12, 8, 5, tzinfo=UTC), tick=False):
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", status, "Carrier says so", reason=reason))
    return DeliveryException.objects.get(shipment=shipment)


def rows(response):
    return [row.exception.pk for row in response.context["rows"]]


class TestPage:
    def test_open_exceptions_highest_impact_first_with_the_parts_of_the_score(self, client, agent):
        small = make_exception(total="20.00")
        big = make_exception(total="900.00", status="exception", reason="carrier_damaged_parcel")
        shipping_services.exception_resolve(
            exception_id=make_exception().pk, by=agent, resolution="reship", note=""
        )
        client.force_login(agent)

        response = client.get(URL)

        html = response.content.decode()
        assert response.status_code == 200
        assert rows(response) == [big.pk, small.pk]
        assert big.impact_score > small.impact_score
        row = response.context["rows"][0]
        assert row.parts_total == big.impact_score
        assert [p.label for p in row.parts] == [
            "Severity",
            "Order value",
            "Customer value (365 days)",
            "Days late",
            "Promise at risk",
            "Customer contacted us",
        ]
        assert f'id="exception-{big.pk}"' in html and "Order value: 20/20" in html
        assert 'href="/exceptions/"' in html  # the nav entry

    def test_fixed_number_of_queries_whatever_the_number_of_exceptions(
        self, client, agent, django_assert_num_queries
    ):
        client.force_login(agent)
        for _ in range(2):
            make_exception()
        with django_assert_num_queries(REQUEST_QUERIES + PAGE_QUERIES):
            assert client.get(URL).status_code == 200
        for n in range(10):
            make_exception(carrier="dhl_express" if n % 2 else "ups", customer=CustomerFactory())
        with django_assert_num_queries(REQUEST_QUERIES + PAGE_QUERIES):
            response = client.get(URL)
        assert len(rows(response)) == 12
        with django_assert_num_queries(REQUEST_QUERIES + RESULT_QUERIES):
            fragment = client.get(
                URL, {"carrier": "ups"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="exception-results"
            )
        assert fragment.status_code == 200 and len(rows(fragment)) == 7
        assert b"<html" not in fragment.content and b'id="exception-results"' in fragment.content

    def test_paginated_in_the_database(self, client, agent):
        for _ in range(27):
            make_exception()
        client.force_login(agent)

        first = client.get(URL)
        second = client.get(URL, {"offset": 25})

        assert (first.context["total"], len(rows(first)), len(rows(second))) == (27, 25, 2)
        assert not set(rows(first)) & set(rows(second))
        assert "?offset=25" in first.content.decode()

    def test_filters_by_carrier_kind_reason_warehouse_status_and_assignee(self, client, agent):
        ups = make_exception(carrier="ups", warehouse="BER")
        dhl = make_exception(carrier="dhl_express", warehouse="HAM")
        damaged = make_exception(status="exception", reason="carrier_damaged_parcel")
        shipping_services.exception_assign(exception_id=dhl.pk, by=agent, assignee_id=agent.pk)
        shipping_services.exception_acknowledge(exception_id=damaged.pk, by=agent)
        client.force_login(agent)
        hamburg = f.warehouse("HAM").pk

        assert set(rows(client.get(URL, {"carrier": "dhl_express"}))) == {dhl.pk}
        assert set(rows(client.get(URL, {"kind": "damaged"}))) == {damaged.pk}
        assert set(rows(client.get(URL, {"reason": "carrier_damaged_parcel"}))) == {damaged.pk}
        assert set(rows(client.get(URL, {"warehouse": hamburg}))) == {dhl.pk}
        assert set(rows(client.get(URL, {"status": "acknowledged"}))) == {damaged.pk}
        assert set(rows(client.get(URL, {"assignee": "me"}))) == {dhl.pk, damaged.pk}
        assert set(rows(client.get(URL, {"assignee": "none"}))) == {ups.pk}
        shipping_services.exception_resolve(exception_id=ups.pk, by=agent, resolution="wait")
        assert set(rows(client.get(URL, {"status": "resolved"}))) == {ups.pk}

    def test_a_filter_value_that_is_no_choice_is_a_form_error(self, client, agent):
        make_exception()
        client.force_login(agent)

        response = client.get(URL, {"carrier": "pigeon", "assignee": "12abc"})

        assert response.status_code == 422
        assert set(response.context["form"].errors) == {"carrier", "assignee"}
        assert len(rows(response)) == 1  # the open list, unfiltered

    def test_shows_that_the_customer_already_contacted_us_since_detection(self, client, agent):
        caller = CustomerFactory(first_name="Justine")
        quiet = CustomerFactory(first_name="Quiet")
        called = make_exception(customer=caller)
        other = make_exception(customer=quiet)
        customer_services.interaction_log(
            customer_id=caller.pk,
            by=agent,
            kind="call",
            summary="Where is it?",
            occurred_at=datetime(2026, 5, 12, 9, tzinfo=UTC),
        )
        customer_services.interaction_log(
            customer_id=quiet.pk,
            by=agent,
            kind="call",
            summary="Before the problem",
            occurred_at=datetime(2026, 5, 11, 9, tzinfo=UTC),
        )
        client.force_login(agent)

        response = client.get(URL)

        by_pk = {row.exception.pk: row for row in response.context["rows"]}
        assert by_pk[called.pk].customer_contacted_at == datetime(2026, 5, 12, 9, tzinfo=UTC)
        assert by_pk[other.pk].customer_contacted is False
        assert response.content.decode().count("Customer contacted us</span>") == 1

    def test_caught_proactively_is_the_share_of_first_contacts_that_were_ours(self, client, agent):
        ours = [make_exception() for _ in range(3)]
        theirs = make_exception()
        make_exception()  # nobody talked yet: not counted
        for exception in ours:
            shipping_services.exception_mark_customer_contacted(
                exception_id=exception.pk, by=agent, proactive=True
            )
        shipping_services.exception_mark_customer_contacted(exception_id=theirs.pk, by=None, proactive=False)
        client.force_login(agent)

        response = client.get(URL)

        caught = response.context["caught"]
        assert (caught.ours, caught.theirs, caught.percent) == (3, 1, 75)
        assert 'id="caught-proactively">75&nbsp;%' in response.content.decode()

    def test_time_to_resolve_averages_the_teams_resolutions_not_deliveries(self, client, agent):
        now = timezone.now()
        fast, slow = make_exception(), make_exception()
        delivered = make_exception()
        make_exception()  # still open: not counted
        for exception, hours in ((fast, 2), (slow, 6)):
            with time_machine.travel(exception.detected_at + timedelta(hours=hours), tick=False):
                shipping_services.exception_resolve(exception_id=exception.pk, by=agent, resolution="reship")
        DeliveryException.objects.filter(pk=delivered.pk).update(
            status=ExceptionStatus.AUTO_RESOLVED, resolved_at=now, resolution="delivered"
        )
        client.force_login(agent)

        response = client.get(URL)

        caught = response.context["caught"]
        assert (caught.resolved, caught.resolution_seconds) == (2, 4 * 3600)
        assert 'id="time-to-resolve">4 h<' in response.content.decode()
        assert "2 resolved, last 30 days" in response.content.decode()


class TestAccess:
    def test_customers_get_403_and_anonymous_users_the_sign_in_page(self, client):
        make_exception()
        assert client.get(URL).status_code == 302
        client.force_login(UserFactory(role=Role.CUSTOMER))
        assert client.get(URL).status_code == 403

    def test_readers_without_exception_work_see_no_actions_and_may_not_act(self, client):
        exception = make_exception()
        client.force_login(UserFactory(role=Role.TECH))

        page = client.get(URL)
        response = client.post(reverse("workspace:exception_acknowledge", args=[exception.pk]))

        assert page.status_code == 200 and "Acknowledge</button>" not in page.content.decode()
        assert response.status_code == 403
        exception.refresh_from_db()
        assert exception.status == ExceptionStatus.OPEN

    def test_the_nav_shows_exceptions_to_shipment_viewers_only(self, client, agent):
        client.force_login(agent)
        assert 'href="/exceptions/"' in client.get("/").content.decode()


class TestActions:
    def test_take_assigns_to_me_and_answers_with_the_row(self, client, agent):
        exception = make_exception()
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_assign", args=[exception.pk]),
            {"assignee": "me"},
            HTTP_HX_REQUEST="true",
        )

        exception.refresh_from_db()
        assert response.status_code == 200 and exception.assigned_to_id == agent.pk
        assert f'<tbody id="exception-{exception.pk}"' in response.content.decode()
        assert "Assigned." in response.content.decode()

    def test_assign_to_someone_who_may_not_work_exceptions_is_a_form_error(self, client, agent):
        exception = make_exception()
        sales = UserFactory(role=Role.SALES)
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_assign", args=[exception.pk]),
            {"assignee": sales.pk},
            HTTP_HX_REQUEST="true",
        )

        assert response.status_code == 422  # not in the menu: not a valid choice
        assert "Select a valid choice" in response.content.decode()
        exception.refresh_from_db()
        assert exception.assigned_to_id is None

    def test_without_htmx_an_action_redirects_back_and_an_error_shows_a_page(self, client, agent):
        exception = make_exception()
        client.force_login(agent)

        done = client.post(reverse("workspace:exception_acknowledge", args=[exception.pk]))
        again = client.post(reverse("workspace:exception_acknowledge", args=[exception.pk]))

        assert done.status_code == 302 and done["Location"] == URL
        assert again.status_code == 422 and "acknowledged already" in again.content.decode()

    def test_acknowledge_sets_the_status_and_takes_an_unassigned_exception(self, client, agent):
        exception = make_exception()
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_acknowledge", args=[exception.pk]), HTTP_HX_REQUEST="true"
        )

        exception.refresh_from_db()
        assert response.status_code == 200
        assert (exception.status, exception.assigned_to_id) == (ExceptionStatus.ACKNOWLEDGED, agent.pk)

    def test_resolve_with_an_outcome_and_a_note(self, client, agent):
        exception = make_exception()
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_resolve", args=[exception.pk]),
            {"resolution": "reship", "note": "Sent a new one with DHL"},
            HTTP_HX_REQUEST="true",
        )

        exception.refresh_from_db()
        assert response.status_code == 200 and "Resolved: Reship." in response.content.decode()
        assert (exception.status, exception.resolution, exception.resolution_note) == (
            ExceptionStatus.RESOLVED,
            "reship",
            "Sent a new one with DHL",
        )

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"resolution": "other", "note": " "}, "note", "Say what was done"),
            ({"resolution": "delivered"}, "resolution", "Select a valid choice"),
            ({"resolution": ""}, "resolution", "This field is required"),
        ],
    )
    def test_bad_resolve_input_is_a_form_error_and_nothing_changes(self, client, agent, data, field, message):
        exception = make_exception()
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_resolve", args=[exception.pk]), data, HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 422
        assert field in response.context["resolve_form"].errors
        assert message in response.content.decode()
        exception.refresh_from_db()
        assert (exception.resolved_at, exception.resolution) == (None, "")

    def test_acting_on_a_resolved_exception_is_refused(self, client, agent):
        exception = make_exception()
        shipping_services.exception_resolve(exception_id=exception.pk, by=agent, resolution="wait")
        client.force_login(agent)

        response = client.post(
            reverse("workspace:exception_assign", args=[exception.pk]),
            {"assignee": "me"},
            HTTP_HX_REQUEST="true",
        )

        assert response.status_code == 422 and "resolved already" in response.content.decode()

    def test_unknown_exception_is_404(self, client, agent):
        client.force_login(agent)
        assert client.post(reverse("workspace:exception_acknowledge", args=[424242])).status_code == 404


@pytest.mark.parametrize(
    "inputs",
    [
        impact.ImpactInputs(
            severity="high",
            order_value=Decimal("900"),
            customer_value=Decimal("3000"),
            delay_days=7,
            promised_date=date(2026, 5, 1),
            customer_contacts=3,
        ),
        impact.ImpactInputs(severity="low"),
        impact.ImpactInputs(
            severity="medium",
            order_value=Decimal("123.45"),
            customer_value=Decimal("777"),
            delay_days=2,
            promised_date=date(2026, 5, 20),
            expected=date(2026, 5, 21),
            customer_contacts=1,
        ),
    ],
)
def test_the_parts_add_up_to_the_shipping_score(inputs):
    today = date(2026, 5, 12)
    parts = impact_parts(inputs, today=today)
    assert min(100, round(sum(p.points for p in parts))) == impact.impact_score(inputs, today=today)


class TestLiveUpdates:
    """Open dashboards hear of exceptions opened, taken and resolved (``workspace/live.py``)."""

    def _heard(self, action) -> list[dict]:
        from asgiref.sync import async_to_sync, sync_to_async
        from channels.layers import get_channel_layer

        async def listen() -> list[dict]:
            layer = get_channel_layer()
            channel = await layer.new_channel()
            await layer.group_add("exceptions-all", channel)
            await sync_to_async(action)()
            heard = []
            while True:
                try:
                    heard.append((await asyncio.wait_for(layer.receive(channel), 0.5))["payload"])
                except TimeoutError:
                    return heard

        return async_to_sync(listen)()

    def test_people_changing_an_exception_are_heard_with_who_did_it(
        self, agent, django_capture_on_commit_callbacks
    ):
        exception = make_exception()

        def work() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                shipping_services.exception_acknowledge(exception_id=exception.pk, by=agent)
            with django_capture_on_commit_callbacks(execute=True):
                shipping_services.exception_resolve(
                    exception_id=exception.pk, by=agent, resolution="wait", note=""
                )

        heard = self._heard(work)

        assert [(m["change"], m["exception_id"], m["actor_id"]) for m in heard] == [
            ("acknowledged", exception.pk, agent.pk),
            ("resolved", exception.pk, agent.pk),
        ]

    def test_the_rules_opening_many_at_once_send_one_message_per_second(
        self, django_capture_on_commit_callbacks
    ):
        from frontline.workspace import live

        live._last_published["at"] = float("-inf")

        def sweep() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                for _ in range(3):
                    make_exception()

        heard = self._heard(sweep)

        assert [(m["change"], m["actor_id"]) for m in heard] == [("opened", None)]

    def test_the_page_listens_and_only_shipment_viewers_may(self, client, agent):
        from frontline.workspace.live import authorize_exceptions_group

        client.force_login(agent)
        html = client.get(URL).content.decode()

        assert 'data-exceptions-group="exceptions-all"' in html and 'id="exceptions-changed"' in html
        assert authorize_exceptions_group(agent, "all")
        assert not authorize_exceptions_group(agent, "7")
        assert not authorize_exceptions_group(UserFactory(role=Role.CUSTOMER), "all")
