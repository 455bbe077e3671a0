"""The intake pages, thin: the public support form (CSRF, honeypot, rate limit, file limits,
confirmation) and the agents' phone-call log (permissions, caller search, logging a call).
The matching rules themselves are tested in test_services.py."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.cases import services as case_services
from frontline.cases.choices import MessageKind
from frontline.cases.models import Attachment, Case, Message
from frontline.cases.tests.factories import CustomerFactory, UserFactory, make_case
from frontline.customers.models import Customer

pytestmark = pytest.mark.django_db

SUPPORT = "/support/new/"
CALL = "/inbox/call/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # the support form's rate limit counts per address in the cache
    yield
    cache.clear()


def counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Case.objects.count(), Message.objects.count()


def submission(client: Client) -> str:
    page = client.get(SUPPORT).content.decode()
    match = re.search(r'name="submission" value="([0-9a-f]{32})"', page)
    assert match, "the form should carry its submission id"
    return match.group(1)


def support_data(client: Client, **changes):
    data = {
        "name": "Justine Harrington",
        "email": "justine@example.com",
        "subject": "Shirt worn out after one week",
        "message": "The Fancy Shirt T-12377 is worn out.",
        "order_number": "",
        "website": "",
        "submission": submission(client),
    }
    data.update(changes)
    return data


# --- the support form ---------------------------------------------------------------------------


class TestSupportForm:
    def test_the_page_is_public_mobile_friendly_and_csp_clean(self, client):
        response = client.get(reverse("inbox:support_new"))

        page = response.content.decode()
        assert response.status_code == 200
        assert 'name="viewport"' in page
        assert 'name="csrfmiddlewaretoken"' in page
        assert 'enctype="multipart/form-data"' in page
        assert "<script>" not in page and " style=" not in page
        assert re.search(
            r'class="d-none" aria-hidden="true">\s*<div class="mb-3">\s*<label[^>]*>Leave this empty', page
        )
        csp = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp

    def test_a_message_opens_a_web_case_and_shows_its_reference(self, client):
        data = support_data(client, order_number="1001")
        data["attachments"] = [SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")]

        response = client.post(SUPPORT, data)

        case = Case.objects.get()
        assert response.status_code == 302
        thanks = client.get(response["Location"])
        assert f"#{case.reference}" in thanks.content.decode()
        assert (case.channel, case.subject, case.customer.full_name) == (
            "web",
            "Shirt worn out after one week",
            "Justine Harrington",
        )
        message = case.messages.get()
        assert message.body == "Order number: 1001\n\nThe Fancy Shirt T-12377 is worn out."
        assert [a.filename for a in Attachment.objects.filter(message=message)] == ["receipt.pdf"]
        assert case.customer.contact_points.get().normalized == "justine@example.com"

    def test_sending_the_same_form_twice_opens_one_case(self, client):
        data = support_data(client)

        first = client.post(SUPPORT, data)
        second = client.post(SUPPORT, data)

        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        assert counts() == (1, 1, 1)

    def test_a_known_email_is_the_same_customer(self, client):
        justine = CustomerFactory(first_name="Justine", last_name="Harrington", email="Justine@Example.com")

        client.post(SUPPORT, support_data(client, email="justine@example.com"))

        assert Case.objects.get().customer == justine
        assert Customer.objects.count() == 1

    @pytest.mark.parametrize(
        ("changes", "fields"),
        [
            ({"email": "not-an-email"}, {"email"}),
            (
                {"name": "", "email": "", "subject": "", "message": ""},
                {"name", "email", "subject", "message"},
            ),
            ({"subject": "x" * 201}, {"subject"}),
            ({"submission": "forged"}, {"submission"}),
        ],
    )
    def test_bad_input_is_a_form_error_and_nothing_is_written(self, client, changes, fields):
        response = client.post(SUPPORT, support_data(client, **changes))

        assert response.status_code == 422
        assert set(response.context["form"].errors) == fields
        assert counts() == (0, 0, 0)

    def test_an_oversized_attachment_is_refused(self, client, settings):
        settings.CASE_ATTACHMENT_MAX_BYTES = 1024
        data = support_data(client)
        data["attachments"] = [SimpleUploadedFile("photo.png", b"x" * 1025, "image/png")]

        response = client.post(SUPPORT, data)

        assert response.status_code == 422
        assert "photo.png is larger than" in response.context["form"].errors["attachments"][0]
        assert counts() == (0, 0, 0) and Attachment.objects.count() == 0

    def test_too_many_or_disallowed_files_are_refused(self, client, settings):
        settings.CASE_ATTACHMENT_MAX_FILES = 1
        data = support_data(client)
        data["attachments"] = [SimpleUploadedFile(f"note{n}.txt", b"hi", "text/plain") for n in range(2)]
        too_many = client.post(SUPPORT, data)
        data = support_data(client)
        data["attachments"] = [SimpleUploadedFile("run.exe", b"MZ", "application/x-msdownload")]
        bad_type = client.post(SUPPORT, data)

        assert (too_many.status_code, bad_type.status_code) == (422, 422)
        assert "At most 1 files" in too_many.context["form"].errors["attachments"][0]
        assert "not accepted" in bad_type.context["form"].errors["attachments"][0]
        assert counts() == (0, 0, 0)

    def test_the_honeypot_pretends_success_and_writes_nothing(self, client):
        response = client.post(SUPPORT, support_data(client, website="http://spam.example"))

        assert response.status_code == 302
        thanks = client.get(response["Location"]).content.decode()
        assert "we received your message" in thanks and "Your case reference" not in thanks
        assert counts() == (0, 0, 0)

    def test_the_rate_limit_per_address(self, client, settings):
        settings.INBOX_FORM_RATE_LIMIT = 2
        for n in range(2):
            ok = client.post(
                SUPPORT, support_data(client, subject=f"Question {n}"), REMOTE_ADDR="203.0.113.7"
            )
            assert ok.status_code == 302

        refused = client.post(SUPPORT, support_data(client, subject="Third"), REMOTE_ADDR="203.0.113.7")
        other_address = client.post(
            SUPPORT, support_data(client, subject="Elsewhere"), REMOTE_ADDR="198.51.100.1"
        )

        assert refused.status_code == 429
        assert "Too many messages" in refused.content.decode()
        assert other_address.status_code == 302
        assert sorted(Case.objects.values_list("subject", flat=True)) == [
            "Elsewhere",
            "Question 0",
            "Question 1",
        ]

    def test_csrf_is_required(self):
        client = Client(enforce_csrf_checks=True)

        response = client.post(SUPPORT, support_data(client))

        assert response.status_code == 403
        assert counts() == (0, 0, 0)

    def test_a_forged_confirmation_shows_no_reference(self, client):
        response = client.get(reverse("inbox:support_thanks"), {"r": "36100001"})

        assert response.status_code == 200
        assert "Your case reference" not in response.content.decode()

    def test_a_tampered_confirmation_link_shows_no_reference(self, client):
        response = client.post(SUPPORT, support_data(client))
        token = parse_qs(urlsplit(response["Location"]).query)["r"][0]

        tampered = client.get(
            reverse("inbox:support_thanks"), {"r": token[:-1] + ("A" if token[-1] != "A" else "B")}
        )

        assert "Your case reference" not in tampered.content.decode()


# --- the phone-call log -------------------------------------------------------------------------


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def justine():
    return CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+1 555 123 4567"
    )


def call_data(**changes):
    data = {
        "case": "new",
        "subject": "",
        "direction": "inbound",
        "duration": "4:30",
        "summary": "Where is my laptop?",
        "outcome": "callback",
    }
    data.update(changes)
    return data


class TestCallLogAccess:
    def test_anonymous_goes_to_the_login_page(self, client):
        response = client.get(CALL)

        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    @pytest.mark.parametrize("role", [Role.CUSTOMER, Role.SALES, Role.LOGISTICS, Role.PRODUCT])
    def test_roles_that_cannot_reply_get_403(self, client, role, justine):
        client.force_login(UserFactory(role=role))

        page = client.get(CALL)
        post = client.post(CALL, call_data(customer=justine.pk))

        assert (page.status_code, post.status_code) == (403, 403)
        assert Case.objects.count() == 0

    @pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.TECH, Role.REPORTER, Role.ADMIN])
    def test_roles_that_reply_may_log_calls(self, client, role):
        client.force_login(UserFactory(role=role))

        assert client.get(CALL).status_code == 200


class TestCallLog:
    def test_search_by_phone_number_lists_the_caller(self, as_agent, justine):
        CustomerFactory(first_name="Someone", last_name="Else")

        response = as_agent.get(
            CALL, {"q": "+1 (555) 123-4567"}, headers={"HX-Request": "true", "HX-Target": "caller-results"}
        )

        page = response.content.decode()
        assert response.status_code == 200
        assert page.lstrip().startswith('<div id="caller-results"')
        assert f"?customer={justine.pk}" in page and "Someone Else" not in page

    def test_search_by_name_on_the_full_page(self, as_agent, justine):
        response = as_agent.get(CALL, {"q": "harrington"})

        assert response.status_code == 200
        assert "Justine Harrington" in response.content.decode()

    def test_picking_the_caller_shows_their_open_cases(self, as_agent, justine):
        open_case = make_case(customer=justine, subject="Laptop on hold")
        closed = make_case(customer=justine, subject="Old question")
        case_services.case_status_set(case_id=closed.pk, by=None, status="closed")

        response = as_agent.get(CALL, {"customer": justine.pk})

        form = response.context["form"]
        assert [value for value, _label in form.fields["case"].choices] == [str(open_case.pk), "new"]
        assert "Laptop on hold" in response.content.decode()

    def test_logging_on_a_new_case(self, as_agent, agent, justine):
        response = as_agent.post(CALL, call_data(customer=justine.pk, subject="Laptop"))

        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == case.get_absolute_url()
        assert (case.subject, case.channel, case.customer) == ("Laptop", "phone", justine)
        message = case.messages.get()
        assert (message.kind, message.call_duration_seconds, message.call_outcome, message.author) == (
            MessageKind.CALL,
            270,
            "callback",
            agent,
        )

    def test_logging_on_an_open_case(self, as_agent, justine):
        case = make_case(customer=justine)

        as_agent.post(
            CALL, call_data(customer=justine.pk, case=str(case.pk), duration="5", direction="outbound")
        )

        call = case.messages.get(kind=MessageKind.CALL)
        assert (call.call_duration_seconds, call.direction) == (300, "outbound")
        assert Case.objects.count() == 1

    def test_a_new_caller_is_created(self, as_agent):
        response = as_agent.post(CALL, call_data(caller_name="Thomas Berg", caller_phone="+49 40 1234567"))

        assert response.status_code == 302
        customer = Customer.objects.get()
        assert customer.full_name == "Thomas Berg"
        assert Case.objects.get().customer == customer

    @pytest.mark.parametrize(
        ("changes", "fields"),
        [
            ({"duration": "soon", "summary": "", "outcome": "perhaps"}, {"duration", "summary", "outcome"}),
            ({"duration": "1441"}, {"duration"}),
            ({"case": "999999"}, {"case"}),
        ],
    )
    def test_bad_input_is_a_form_error_and_nothing_is_written(self, as_agent, justine, changes, fields):
        before = counts()

        response = as_agent.post(CALL, call_data(customer=justine.pk, **changes))

        assert response.status_code == 422
        assert set(response.context["form"].errors) == fields
        assert counts() == before

    def test_a_new_caller_needs_a_name_or_phone_and_valid_values(self, as_agent):
        empty = as_agent.post(CALL, call_data())
        bad_phone = as_agent.post(CALL, call_data(caller_name="X", caller_phone="12"))

        assert (empty.status_code, bad_phone.status_code) == (422, 422)
        assert set(empty.context["form"].errors) == {"caller_name"}
        assert set(bad_phone.context["form"].errors) == {"caller_phone"}
        assert counts() == (0, 0, 0)

    def test_a_case_of_another_customer_is_refused(self, as_agent, justine):
        other = make_case(customer=CustomerFactory())
        # The case is not among the choices, so the form refuses it before the service would.
        response = as_agent.post(CALL, call_data(customer=justine.pk, case=str(other.pk)))

        assert response.status_code == 422
        assert "case" in response.context["form"].errors
        assert other.messages.count() == 1

    def test_an_unknown_customer_is_404(self, as_agent):
        assert as_agent.get(CALL, {"customer": 987654}).status_code == 404
        assert as_agent.post(CALL, call_data(customer="abc")).status_code == 404
