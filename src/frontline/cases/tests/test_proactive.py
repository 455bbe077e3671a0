"""One-click proactive case for a delivery exception, its draft, and "caught proactively"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import MembershipFactory, TeamFactory, UserFactory
from frontline.cases import proactive, services
from frontline.cases.models import Case
from frontline.core.errors import Conflict, DomainError, PermissionDeniedError
from frontline.customers import services as customer_services
from frontline.customers.tests.factories import CustomerFactory
from frontline.shipping import services as shipping_services
from frontline.shipping.choices import ExceptionStatus
from frontline.shipping.models import DeliveryException
from frontline.shipping.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agent():
    user = UserFactory(username="thomas", first_name="Thomas", role=Role.AGENT)
    MembershipFactory(user=user, team=TeamFactory(name="Shipments", slug="shipments"))
    return user


@pytest.fixture
def customer():
    return CustomerFactory(first_name="Justine", last_name="Harrington")


@pytest.fixture
def exception(customer):
    order = f.order(customer=customer, total="240.00", promised=date(2026, 5, 13))
    shipment = f.shipment(order_obj=order, current_edd=date(2026, 5, 12))
    with time_machine.travel(datetime(2026, 5, 12, 8, 5, tzinfo=UTC), tick=False):  # detected at 08:05
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "failed_attempt", "Nobody home"))
    return DeliveryException.objects.get(shipment=shipment)


def reply(case, by, body="Hello", internal=False):
    return services.message_reply(case_id=case.pk, by=by, body=body, internal=internal)


class TestService:
    def test_opens_an_outbound_case_for_the_orders_customer_linked_to_the_exception(
        self, agent, customer, exception
    ):
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        exception.refresh_from_db()
        assert exception.case_id == case.pk
        assert case.customer_id == customer.pk
        assert case.subject == f"Your order {exception.order.number}: we missed you"
        assert (case.channel, case.team.slug, case.assignee_id, case.created_by_id) == (
            "email",
            "shipments",
            agent.pk,
            agent.pk,
        )
        assert list(case.tags.values_list("name", flat=True)) == ["proactive"]
        assert case.message_count == 0  # the agent sends the draft, nothing went out yet
        assert exception.customer_notified_at is None and exception.contacted_first is None

    def test_a_second_call_returns_the_linked_case(self, agent, exception):
        first = proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        second = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        assert second.pk == first.pk
        assert Case.objects.count() == 1

    def test_a_resolved_exception_without_a_case_gets_none(self, agent, exception):
        shipping_services.exception_resolve(exception_id=exception.pk, by=agent, resolution="wait")

        with pytest.raises(Conflict):
            proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        assert Case.objects.count() == 0

    def test_no_order_means_no_customer_to_write_to(self, agent):
        shipment = f.shipment()
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "exception", "Held"))
        exception = DeliveryException.objects.get(shipment=shipment)

        with pytest.raises(DomainError) as caught:
            proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        assert caught.value.field == "exception"
        assert Case.objects.count() == 0

    def test_a_user_who_may_not_open_cases_is_refused(self, exception):
        logistics = UserFactory(role=Role.PRODUCT)

        with pytest.raises(PermissionDeniedError):
            proactive.case_open_proactive(exception_id=exception.pk, by=logistics)
        assert Case.objects.count() == 0

    def test_the_draft_says_what_happened_where_the_order_is_and_what_next(self, agent, exception):
        sentence = proactive.order_sentence(exception.order_id)
        draft = proactive.proactive_draft(
            exception=exception, order=exception.order, sentence=sentence, agent=agent
        )

        number = exception.order.number
        assert draft.startswith("Hello Justine,\n\nThe carrier tried to deliver your order")
        assert sentence.startswith(f"Your order {number}")
        assert sentence in draft
        assert "Let us know a day or a safe place" in draft
        assert draft.endswith("Kind regards,\nThomas")


class TestCaughtProactively:
    def test_our_reply_before_any_contact_from_them_is_caught_proactively(
        self, agent, exception, django_capture_on_commit_callbacks
    ):
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent, "Your parcel missed you")

        exception.refresh_from_db()
        assert exception.contacted_first is True
        assert exception.status == ExceptionStatus.CUSTOMER_NOTIFIED
        assert exception.customer_notified_at == datetime(2026, 5, 12, 12, tzinfo=UTC)
        assert exception.customer_contacts == 0

    def test_when_they_called_first_our_reply_notifies_but_is_not_proactive(
        self, agent, customer, exception, django_capture_on_commit_callbacks
    ):
        customer_services.interaction_log(
            customer_id=customer.pk,
            by=agent,
            kind="call",
            summary="Where is my parcel?",
            occurred_at=datetime(2026, 5, 12, 9, tzinfo=UTC),
        )
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent)

        exception.refresh_from_db()
        assert exception.contacted_first is False
        assert exception.customer_contacted_us_at == datetime(2026, 5, 12, 9, tzinfo=UTC)
        assert exception.customer_contacts == 1
        assert exception.customer_notified_at == datetime(2026, 5, 12, 12, tzinfo=UTC)

    def test_a_call_before_the_exception_was_detected_does_not_count(
        self, agent, customer, exception, django_capture_on_commit_callbacks
    ):
        customer_services.interaction_log(
            customer_id=customer.pk,
            by=agent,
            kind="call",
            summary="Can I change my order?",
            occurred_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
        )
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent)

        exception.refresh_from_db()
        assert exception.contacted_first is True

    def test_an_internal_note_notifies_nobody_and_a_second_reply_changes_nothing(
        self, agent, exception, django_capture_on_commit_callbacks
    ):
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)

        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent, "checking with UPS", internal=True)
        exception.refresh_from_db()
        assert (exception.customer_notified_at, exception.contacted_first) == (None, None)

        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent, "first")
        with time_machine.travel(datetime(2026, 5, 12, 13, tzinfo=UTC), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                reply(case, agent, "second")
        exception.refresh_from_db()
        assert exception.customer_notified_at == datetime(2026, 5, 12, 12, tzinfo=UTC)
        assert exception.customer_contacts == 0


class TestView:
    def test_post_opens_the_case_and_shows_it_with_the_draft_in_the_composer(self, client, agent, exception):
        client.force_login(agent)
        url = reverse("cases:proactive_case", args=[exception.pk])

        response = client.post(url)

        assert response.status_code == 302 and response["Location"] == url
        case = Case.objects.get()
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 200
        assert f"#{case.reference}" in html or case.reference in html
        assert "Hello Justine," in html and "The carrier tried to deliver your order" in html
        assert f'action="{reverse("cases:case_reply", args=[case.reference])}"' in html

    def test_a_second_click_opens_the_same_case(self, client, agent, exception):
        client.force_login(agent)
        url = reverse("cases:proactive_case", args=[exception.pk])

        client.post(url)
        response = client.post(url)

        assert response.status_code == 302
        assert Case.objects.count() == 1

    def test_once_notified_the_page_is_the_plain_case_page(
        self, client, agent, exception, django_capture_on_commit_callbacks
    ):
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        with django_capture_on_commit_callbacks(execute=True):
            reply(case, agent)
        client.force_login(agent)

        response = client.get(reverse("cases:proactive_case", args=[exception.pk]))

        assert response.status_code == 302 and response["Location"] == case.get_absolute_url()

    @pytest.mark.parametrize("role", [Role.PRODUCT, Role.LOGISTICS, Role.CUSTOMER])
    def test_users_who_may_not_open_cases_get_403_and_nothing_is_created(self, client, exception, role):
        client.force_login(UserFactory(role=role))

        response = client.post(reverse("cases:proactive_case", args=[exception.pk]))

        assert response.status_code == 403
        assert Case.objects.count() == 0
        exception.refresh_from_db()
        assert exception.case_id is None

    def test_anonymous_users_go_to_sign_in(self, client, exception):
        response = client.post(reverse("cases:proactive_case", args=[exception.pk]))

        assert response.status_code == 302 and "/login" in response["Location"]
        assert Case.objects.count() == 0

    def test_an_unknown_exception_is_404(self, client, agent):
        client.force_login(agent)

        assert client.post(reverse("cases:proactive_case", args=[999999])).status_code == 404

    def test_an_exception_without_order_goes_back_to_the_dashboard_with_the_reason(self, client, agent):
        shipment = f.shipment()
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "exception", "Held"))
        exception = DeliveryException.objects.get(shipment=shipment)
        client.force_login(agent)

        response = client.post(reverse("cases:proactive_case", args=[exception.pk]), follow=True)

        assert response.redirect_chain[-1][0] == reverse("workspace:exceptions")
        assert "belongs to no order" in response.content.decode()
        assert Case.objects.count() == 0

    def test_get_before_any_case_is_404(self, client, agent, exception):
        client.force_login(agent)

        assert client.get(reverse("cases:proactive_case", args=[exception.pk])).status_code == 404


class TestOrderPanel:
    """The case page's "Orders" panel (``cases/order_panel.py``), loaded after the page."""

    @pytest.fixture
    def order_field(self):
        from frontline.cases.models import CustomField

        return CustomField.objects.create(key="order_number", label="Order number", field_type="text")

    def test_the_proactive_case_names_its_order_and_the_panel_reads_it_out(
        self, client, agent, customer, exception, order_field
    ):
        older = f.order(customer=customer, total="15.00", placed_at=datetime(2026, 4, 1, tzinfo=UTC))
        f.order(total="99.00")  # someone else's
        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        client.force_login(agent)

        page = client.get(case.get_absolute_url()).content.decode()
        response = client.get(reverse("cases:case_orders", args=[case.reference]))

        assert case.custom_fields == {"order_number": exception.order.number}
        assert reverse("cases:case_orders", args=[case.reference]) in page
        panel = response.context["panel"]
        assert panel.order == exception.order
        assert "delivery" in panel.sentence.lower() or exception.order.number in panel.sentence
        assert [o.pk for o in panel.recent.rows] == [exception.order.pk, older.pk]
        html = response.content.decode()
        assert 'id="case-order-sentence"' in html and older.number in html

    def test_an_order_number_of_another_customer_shows_no_order(self, client, agent, customer, order_field):
        from frontline.cases.tests.factories import make_case

        stranger = f.order(total="99.00")
        case = make_case(customer=customer, custom_fields={"order_number": stranger.number})
        client.force_login(agent)

        response = client.get(reverse("cases:case_orders", args=[case.reference]))

        assert response.status_code == 200
        assert response.context["panel"].order is None
        assert stranger.number not in response.content.decode()

    def test_a_fixed_number_of_queries_whatever_the_orders(
        self, client, agent, customer, exception, order_field, django_assert_num_queries
    ):
        from frontline.core.tests.queries import REQUEST_QUERIES

        case = proactive.case_open_proactive(exception_id=exception.pk, by=agent)
        for _ in range(8):
            f.order(customer=customer)
        client.force_login(agent)
        url = reverse("cases:case_orders", args=[case.reference])
        client.get(url)

        # the case, the order with its lines, holds and history, its shipments with their
        # carriers and items, the newest orders and the counts by status
        with django_assert_num_queries(REQUEST_QUERIES + 9):
            client.get(url)

    @pytest.mark.parametrize("role", [Role.CUSTOMER])
    def test_who_may_not_see_orders_gets_403(self, client, customer, role):
        from frontline.cases.tests.factories import make_case

        case = make_case(customer=customer)
        client.force_login(UserFactory(role=role))

        assert client.get(reverse("cases:case_orders", args=[case.reference])).status_code == 403

    def test_a_case_the_user_may_not_see_is_404(self, client, agent):
        client.force_login(agent)

        assert client.get(reverse("cases:case_orders", args=["99999"])).status_code == 404
