"""The case page and its actions: thin view tests. Each action: it works, it is refused without
the permission (403, nothing written), and bad input comes back as a 422 form error with nothing
written. The page runs a fixed number of queries whatever the thread length."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.audit.models import AuditEntry
from frontline.cases import services
from frontline.cases.choices import CustomFieldType, MessageKind, StatusCategory
from frontline.cases.models import (
    Attachment,
    Case,
    CaseLink,
    CaseStatus,
    CustomField,
    HandoverNote,
    Macro,
    Mention,
    Message,
)
from frontline.cases.services import AttachmentInput
from frontline.core.tests.queries import REQUEST_QUERIES

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


def htmx(target: str = "") -> dict[str, str]:
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    return headers


def text(response) -> str:
    return response.content.decode()


def used(response) -> list[str]:
    return [t.name for t in response.templates]


# --- people and cases -----------------------------------------------------------------------


@pytest.fixture
def team():
    return TeamFactory(name="Customer care", slug="customer-care")


@pytest.fixture
def tech_team():
    return TeamFactory(name="Technical support", slug="tech")


@pytest.fixture
def agent(team):
    user = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def colleague(team):
    user = UserFactory(username="omar", role=Role.AGENT, first_name="Omar", last_name="Haddad")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def tech(tech_team):
    user = UserFactory(username="tariq", role=Role.TECH, first_name="Tariq", last_name="Nabil")
    MembershipFactory(team=tech_team, user=user)
    return user


@pytest.fixture
def sales():
    """Staff who may view and change cases, but not reply, assign, escalate or merge."""
    return UserFactory(username="sam", role=Role.SALES, first_name="Sam", last_name="Seller")


@pytest.fixture
def portal_user():
    return UserFactory(username="justine", role=Role.CUSTOMER)


@pytest.fixture
def justine():
    return CustomerFactory(
        first_name="Justine",
        last_name="Harrington",
        email="justine@example.com",
        phone="+1 555 123 4567",
        org="Acme Retail",
        tags=["vip"],
    )


@pytest.fixture
def case(justine, team, agent):
    return make_case(
        customer=justine,
        subject="Cannot log in",
        body="The password reset email never arrives.",
        team_id=team.pk,
        assignee_id=agent.pk,
    )


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


def url(name: str, case: Case, *args: object) -> str:
    return reverse(f"cases:{name}", args=[case.reference, *args])


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Message.objects.count(),
        Attachment.objects.count(),
        CaseLink.objects.count(),
        HandoverNote.objects.count(),
        AuditEntry.objects.count(),
    )


# --- access ---------------------------------------------------------------------------------


def _every_url(case: Case) -> list[tuple[str, str]]:
    message = case.messages.first()
    return [
        ("get", url("case_detail", case)),
        ("post", url("case_reply", case)),
        ("get", url("case_macro", case) + "?macro_pick=1"),
        ("post", url("case_properties", case)),
        ("post", url("case_take", case)),
        ("post", url("case_assign", case)),
        ("get", url("case_forward", case)),
        ("post", url("case_forward", case)),
        ("get", url("case_escalate", case)),
        ("post", url("case_escalate", case)),
        ("get", url("case_return", case)),
        ("post", url("case_return", case)),
        ("get", url("case_call", case)),
        ("post", url("case_call", case)),
        ("get", url("case_handover", case)),
        ("post", url("case_handover", case)),
        ("get", url("case_link", case)),
        ("post", url("case_link", case)),
        ("post", url("case_unlink", case, "1")),
        ("get", url("case_merge", case)),
        ("post", url("case_merge", case)),
        ("get", url("message_split", case, message.pk if message else 1)),
        ("post", url("message_split", case, message.pk if message else 1)),
        ("get", url("attachment", case, 1)),
        ("get", url("case_history", case)),
    ]


class TestAccess:
    def test_a_portal_customer_gets_403_everywhere_even_on_their_own_case(self, client, portal_user, justine):
        justine.user = portal_user
        justine.save(update_fields=["user"])
        mine = make_case(customer=justine)
        client.force_login(portal_user)
        before = counts()

        for method, path in _every_url(mine):
            data = {"body": "hi", "mode": "reply", "reason": "x", "other": mine.reference}
            response = getattr(client, method)(path, data if method == "post" else None)
            assert response.status_code == 403, (method, path, response.status_code)

        assert counts() == before

    def test_anonymous_users_are_sent_to_sign_in(self, client, case):
        for method, path in _every_url(case):
            response = getattr(client, method)(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith(reverse("accounts:login")), path

    def test_every_post_needs_the_csrf_token(self, agent, case):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        before = counts()

        for method, path in _every_url(case):
            if method == "post":
                response = client.post(path, {"body": "hello", "mode": "reply"})
                assert response.status_code == 403, path

        assert counts() == before

    def test_unknown_case_is_404(self, as_agent):
        assert as_agent.get(reverse("cases:case_detail", args=["99999999"])).status_code == 404
        assert as_agent.get(reverse("cases:case_history", args=["99999999"])).status_code == 404

    def test_sales_may_look_and_note_but_not_reply_assign_escalate_or_merge(self, client, sales, case):
        client.force_login(sales)
        before = counts()

        page = client.get(case.get_absolute_url())
        assert page.status_code == 200
        assert 'id="mode-reply"' not in text(page)
        assert 'id="mode-note"' in text(page)
        assert 'id="take-case"' not in text(page)
        assert 'id="action-escalate"' not in text(page)
        assert 'id="action-merge"' not in text(page)
        refused = [
            client.post(url("case_reply", case), {"mode": "reply", "body": "Hello"}),
            client.post(url("case_take", case)),
            client.post(url("case_assign", case), {"assignee": sales.pk}),
            client.post(url("case_escalate", case), {"reason": "broken"}),
            client.post(
                url("case_call", case),
                {"direction": "inbound", "duration": "3", "outcome": "resolved", "summary": "x"},
            ),
            client.post(url("case_merge", case), {"other": case.reference}),
            client.post(url("case_link", case), {"other": case.reference, "kind": "related"}),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused)
        assert counts() == before


# --- the page -------------------------------------------------------------------------------


class TestPage:
    def test_shows_header_thread_in_order_side_panel_and_history(self, as_agent, agent, colleague, case):
        services.message_reply(case_id=case.pk, by=agent, body="Hello Justine, try this link.")
        services.message_reply(
            case_id=case.pk, by=agent, body="@omar can you check the mail logs?", internal=True
        )
        services.call_log(
            case_id=case.pk, by=colleague, direction="outbound", duration_seconds=754,
            summary="Called back, reset worked.", outcome="resolved",
        )  # fmt: skip
        other_open = make_case(customer=case.customer, subject="Invoice copy")

        response = as_agent.get(case.get_absolute_url())

        assert response.status_code == 200
        body = text(response)
        assert "cases/case_detail.html" in used(response)
        assert "Cannot log in" in body and f"#{case.reference}" in body
        thread = body[body.index('id="case-thread"') :]
        positions = [
            thread.index(t) for t in ("password reset email", "try this link", "mail logs", "reset worked")
        ]
        assert positions == sorted(positions)
        assert re.search(r'class="msg msg-note msg-internal[^"]*"', body)
        assert '<span class="mention">@omar</span>' in body
        assert "12:34" in body and "Resolved on the call" in body
        # The customer 360 summary.
        assert reverse("customers:customer_detail", args=[case.customer_id]) in body
        assert "justine@example.com" in body and "+1 555 123 4567" in body and "Acme Retail" in body
        assert f"#{other_open.reference} Invoice copy" in body
        # SLA clocks; the history tab loads when opened.
        assert "First response" in body
        assert re.search(
            rf'id="case-history"[^>]*data-history-url="{url("case_history", case)}" aria-busy', body
        )
        assert "case.created" not in body
        assert f'data-live-group="case-{case.pk}"' in body
        assert f'data-presence-socket="/ws/cases/{case.reference}/presence/"' in body
        assert (
            response.context["reply_form"]["seen_message_id"].value() == case.messages.order_by("-pk")[0].pk
        )

    def test_mentions_are_escaped_and_only_real_mentions_highlighted(self, as_agent, agent, colleague, case):
        services.message_reply(
            case_id=case.pk, by=agent, internal=True, body="<b>@omar</b> and @nobody & <script>x</script>"
        )

        body = text(as_agent.get(case.get_absolute_url()))

        assert '&lt;b&gt;<span class="mention">@omar</span>&lt;/b&gt;' in body
        assert '<span class="mention">@nobody</span>' not in body
        assert "<script>x</script>" not in body

    def test_merged_case_shows_the_banner_and_no_composer(self, as_agent, agent, case, justine):
        from frontline.cases import merge

        survivor = make_case(customer=justine, subject="Login again")
        merge.case_merge(survivor_id=survivor.pk, merged_id=case.pk, by=agent)

        response = as_agent.get(case.get_absolute_url())

        assert "This case was merged into" in text(response)
        assert survivor.get_absolute_url() in text(response)
        assert 'id="reply-form"' not in text(response)

    def test_live_fragment_refreshes_regions_out_of_band_and_marks_new_messages(
        self, as_agent, colleague, case
    ):
        seen = case.messages.get().pk
        services.message_reply(case_id=case.pk, by=colleague, body="I am on it.")

        response = as_agent.get(case.get_absolute_url(), {"seen_message_id": seen}, headers=htmx("case-live"))

        assert used(response)[0] == "cases/partials/_case_refresh.html"
        body = text(response)
        for region in (
            "case-header",
            "case-thread",
            "case-sla",
            "case-side",
            "case-assignment",
        ):
            assert re.search(rf'id="{region}"[^>]*hx-swap-oob="true"', body), region
        assert "msg-new" in body and "One new message arrived" in body
        assert 'id="case-history"' not in body  # case.js reloads an open History tab itself

    def test_history_tab_lists_audit_entries_and_sla_events_newest_first(
        self, as_agent, agent, colleague, case, django_assert_num_queries
    ):
        services.message_reply(case_id=case.pk, by=agent, body="@omar see logs", internal=True)
        services.call_log(
            case_id=case.pk, by=colleague, direction="outbound", duration_seconds=60,
            summary="Called back.", outcome="resolved",
        )  # fmt: skip
        as_agent.get(url("case_history", case))  # warm the content-type cache and the session

        # the request, the case, its audit entries and its SLA events
        with django_assert_num_queries(REQUEST_QUERIES + 3):
            response = as_agent.get(url("case_history", case), headers=htmx("case-history"))

        assert response.status_code == 200
        assert used(response) == ["cases/partials/_case_history.html"]
        body = text(response)
        assert "aria-busy" not in body  # loaded
        verbs = re.findall(r'<code class="history-verb">([^<]+)</code>', body)
        assert verbs.index("case.call_logged") < verbs.index("case.noted") < verbs.index("case.created")
        assert "First response" in body  # the SLA clock started with the case

    def test_earlier_messages_load_on_demand(self, as_agent, agent, case, monkeypatch):
        from frontline.cases import selectors

        for number in range(4):
            services.message_reply(case_id=case.pk, by=agent, body=f"Reply number {number}", internal=True)
        real = selectors.case_page_thread
        monkeypatch.setattr(selectors, "case_page_thread", lambda **kw: real(**{"limit": 2, **kw}))

        page = as_agent.get(case.get_absolute_url())
        thread = text(page).split('id="case-thread"')[1].split('id="case-presence"')[0]
        assert "Reply number 3" in thread and "Reply number 1" not in thread
        earlier = page.context["thread"].earlier_before

        older = as_agent.get(
            case.get_absolute_url(), {"before": earlier}, headers=htmx("case-thread-earlier")
        )

        assert "Reply number 1" in text(older) and "Reply number 0" in text(older)
        assert "Reply number 3" not in text(older)
        assert 'id="case-thread-earlier"' in text(older)  # the first message is older still

    @pytest.mark.parametrize("replies", [2, 30])
    def test_runs_a_fixed_number_of_queries_whatever_the_thread_length(
        self, as_agent, agent, colleague, case, replies, django_assert_num_queries
    ):
        for number in range(replies - 1):
            kind = number % 3
            if kind == 0:
                services.message_reply(
                    case_id=case.pk, by=agent, body=f"Reply {number}",
                    attachments=[AttachmentInput(f"note-{number}.txt", b"hello")],
                )  # fmt: skip
            elif kind == 1:
                services.message_reply(
                    case_id=case.pk, by=colleague, body=f"@sara note {number}", internal=True
                )
            else:
                services.message_receive_on_case(case_id=case.pk, body=f"Customer {number}", channel="email")
        assert case.messages.count() == replies
        if replies > 2:  # and every kind of relation the side panel lists
            from frontline.cases import merge

            for link_kind in ("related", "duplicate"):
                merge.case_link(
                    case_id=case.pk, other_id=make_case(customer=case.customer).pk, by=agent, kind=link_kind
                )
                merge.case_link(
                    case_id=make_case(customer=case.customer).pk, other_id=case.pk, by=agent, kind=link_kind
                )
            merge.case_merge(survivor_id=case.pk, merged_id=make_case(customer=case.customer).pk, by=agent)
            merge.message_split(message_id=case.messages.order_by("pk")[1].pk, by=agent, subject="Split off")
        as_agent.get(case.get_absolute_url())  # warm the content-type cache and the session

        with django_assert_num_queries(PAGE_QUERIES):
            response = as_agent.get(case.get_absolute_url())

        assert response.status_code == 200
        assert len(response.context["thread"].messages) >= replies
        if replies > 2:
            assert len(response.context["relations"]) == 6


# The case page's queries: the session (unless cached) and the user with its two-factor state
# (REQUEST_QUERIES); the case with its header's relations, its tags (2); the thread with
# attachments and mentions (3); statuses, categories and custom fields (3); the customer's primary
# contacts, tags, other open cases, recent timeline (4); the SLA clocks with the policy, calendar,
# hours and holidays (5); linked and family cases (2); handover notes (1); the team's members (1);
# macros (1). The history tab loads on its own (test_history_tab_...).
PAGE_QUERIES = REQUEST_QUERIES + 22


# --- composer -------------------------------------------------------------------------------


class TestReply:
    def test_htmx_reply_is_sent_and_the_composer_comes_back_empty_with_the_thread(self, as_agent, case):
        seen = case.messages.get().pk

        response = as_agent.post(
            url("case_reply", case),
            {"mode": "reply", "body": "Here is a new reset link.", "seen_message_id": seen},
            headers=htmx("case-composer"),
        )

        assert response.status_code == 200
        message = case.messages.get(body="Here is a new reset link.")
        assert (message.kind, message.direction) == (MessageKind.REPLY, "outbound")
        body = text(response)
        assert (
            body.startswith('\n<section id="case-composer"') or 'id="case-composer"' in body.split("\n", 3)[2]
        )
        assert re.search(r'id="case-thread"[^>]*hx-swap-oob="true"', body)
        assert f'name="seen_message_id" value="{message.pk}"' in body
        assert "Here is a new reset link." in body  # in the thread, not the textarea
        assert '<textarea name="body" id="id_body"' in body and "></textarea>" in body

    def test_without_javascript_it_redirects_to_the_message(self, as_agent, case):
        response = as_agent.post(url("case_reply", case), {"mode": "reply", "body": "Plain form"})

        message = case.messages.get(body="Plain form")
        assert response.status_code == 302
        assert response["Location"] == f"{case.get_absolute_url()}#message-{message.pk}"

    def test_note_with_mention_and_status_after_send(self, as_agent, colleague, case):
        pending = CaseStatus.objects.get(category=StatusCategory.PENDING_CUSTOMER, is_default=True)

        response = as_agent.post(
            url("case_reply", case),
            {"mode": "note", "body": "@omar please check", "status": pending.pk},
            headers=htmx("case-composer"),
        )

        assert response.status_code == 200
        note = case.messages.get(kind=MessageKind.NOTE)
        assert Mention.objects.filter(message=note, user=colleague).exists()
        case.refresh_from_db()
        assert case.status_id == pending.pk
        assert '<span class="mention">@omar</span>' in text(response)

    def test_attachments_are_stored_and_downloaded_as_attachments(self, as_agent, case):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        as_agent.post(
            url("case_reply", case), {"mode": "reply", "body": "See attached", "attachments": [upload]}
        )
        attachment = Attachment.objects.get()

        page = as_agent.get(case.get_absolute_url())
        download = as_agent.get(url("attachment", case, attachment.pk))

        assert url("attachment", case, attachment.pk) in text(page)
        assert download.status_code == 200
        assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content) == b"%PDF-1.4 test"

    def test_an_attachment_of_another_case_is_404(self, as_agent, agent, case, justine):
        other = make_case(customer=justine)
        services.message_reply(
            case_id=other.pk, by=agent, body="x", attachments=[AttachmentInput("a.txt", b"secret")]
        )
        attachment = Attachment.objects.get()

        assert as_agent.get(url("attachment", case, attachment.pk)).status_code == 404
        assert as_agent.get(url("attachment", other, attachment.pk)).status_code == 200

    def test_empty_message_is_refused_with_the_error_and_nothing_written(self, as_agent, case):
        before = counts()

        response = as_agent.post(url("case_reply", case), {"mode": "reply", "body": "  "}, headers=htmx())

        assert response.status_code == 422
        assert "Write a message." in text(response)
        assert counts() == before

    def test_oversized_attachment_is_refused_and_the_text_kept(self, as_agent, case, settings):
        from django.core.files.uploadedfile import SimpleUploadedFile

        settings.CASE_ATTACHMENT_MAX_BYTES = 10
        before = counts()
        upload = SimpleUploadedFile("photo.png", b"x" * 11, content_type="image/png")

        response = as_agent.post(
            url("case_reply", case), {"mode": "reply", "body": "Photo attached", "attachments": [upload]}
        )

        assert response.status_code == 422
        assert "photo.png is larger than" in text(response)
        assert ">Photo attached</textarea>" in text(response)
        assert counts() == before

    def test_stale_reply_warns_shows_the_new_reply_keeps_the_text_then_sends_anyway(
        self, as_agent, colleague, case
    ):
        seen = case.messages.get().pk
        crossing = services.message_reply(case_id=case.pk, by=colleague, body="I already sent a link.")
        before = counts()

        warned = as_agent.post(
            url("case_reply", case),
            {"mode": "reply", "body": "Here is a link.", "seen_message_id": seen},
            headers=htmx("case-composer"),
        )

        assert warned.status_code == 422
        body = text(warned)
        assert 'id="stale-warning"' in body and "I already sent a link." in body
        assert ">Here is a link.</textarea>" in body
        assert f'name="seen_message_id" value="{crossing.pk}"' in body
        assert re.search(r'id="case-thread"[^>]*hx-swap-oob="true"', body)
        assert counts() == before

        sent = as_agent.post(
            url("case_reply", case),
            {"mode": "reply", "body": "Here is a link.", "seen_message_id": seen, "force": "1"},
            headers=htmx("case-composer"),
        )

        assert sent.status_code == 200
        assert case.messages.filter(body="Here is a link.").count() == 1

    def test_reply_to_a_merged_case_is_refused(self, as_agent, agent, case, justine):
        from frontline.cases import merge

        survivor = make_case(customer=justine)
        merge.case_merge(survivor_id=survivor.pk, merged_id=case.pk, by=agent)
        before = counts()

        response = as_agent.post(url("case_reply", case), {"mode": "reply", "body": "Hello?"}, headers=htmx())

        assert response.status_code == 422
        assert f"merged into #{survivor.reference}" in text(response)
        assert counts() == before

    def test_macro_text_is_inserted_after_the_typed_text_and_applied_on_send(self, as_agent, agent, case):
        from frontline.cases import macros

        macro = macros.macro_create(
            by=agent, name="Reset link", body="Hello {{ customer.first_name }}, here is your link.",
            scope="personal", add_tags=["password"],
        )  # fmt: skip

        inserted = as_agent.get(
            url("case_macro", case), {"macro_pick": macro.pk, "body": "Hi!"}, headers=htmx("id_body")
        )

        assert inserted.status_code == 200
        assert ">Hi!\n\nHello Justine, here is your link.</textarea>" in text(inserted)
        assert f'id="composer-macro" value="{macro.pk}" hx-swap-oob="true"' in text(inserted)

        as_agent.post(
            url("case_reply", case),
            {"mode": "reply", "body": "Hi!\n\nHello Justine, here is your link.", "macro": macro.pk},
            headers=htmx("case-composer"),
        )

        assert case.messages.filter(body="Hi!\n\nHello Justine, here is your link.").exists()
        assert list(case.tags.values_list("name", flat=True)) == ["password"]
        assert Macro.objects.get(pk=macro.pk).usage_count == 1

    def test_a_macro_of_someone_else_is_not_inserted(self, as_agent, colleague, case):
        from frontline.cases import macros

        theirs = macros.macro_create(by=colleague, name="Mine", body="Private text", scope="personal")

        response = as_agent.get(url("case_macro", case), {"macro_pick": theirs.pk, "body": "Typed"})

        assert "Private text" not in text(response)
        assert ">Typed</textarea>" in text(response)


# --- properties and assignment --------------------------------------------------------------


class TestProperties:
    def test_status_priority_tags_and_custom_fields_are_saved(self, as_agent, case):
        CustomField.objects.create(key="order_number", label="Order number", field_type=CustomFieldType.TEXT)
        pending = CaseStatus.objects.get(category=StatusCategory.PENDING_CUSTOMER, is_default=True)

        response = as_agent.post(
            url("case_properties", case),
            {"status": pending.pk, "priority": "urgent", "category": "", "tags": "Login, vip",
             "cf_order_number": "A-5567"},
            headers=htmx("case-properties"),
        )  # fmt: skip

        assert response.status_code == 200
        case.refresh_from_db()
        assert (case.status_id, case.priority, case.custom_fields) == (
            pending.pk,
            "urgent",
            {"order_number": "A-5567"},
        )
        assert sorted(case.tags.values_list("name", flat=True)) == ["login", "vip"]
        assert re.search(r'id="case-header"[^>]*hx-swap-oob="true"', text(response))
        assert not re.search(r'id="case-properties"[^>]*hx-swap-oob', text(response))

    def test_unknown_status_and_bad_custom_field_are_422_with_errors_and_nothing_written(
        self, as_agent, case
    ):
        CustomField.objects.create(key="units", label="Units", field_type=CustomFieldType.NUMBER)
        case_before = Case.objects.values().get(pk=case.pk)
        before = counts()

        unknown = as_agent.post(
            url("case_properties", case),
            {"status": 999999, "priority": "high", "tags": "", "cf_units": "2"},
            headers=htmx("case-properties"),
        )
        bad_number = as_agent.post(
            url("case_properties", case),
            {"status": case.status_id, "priority": "high", "tags": "", "cf_units": "many"},
            headers=htmx("case-properties"),
        )

        assert (unknown.status_code, bad_number.status_code) == (422, 422)
        assert "Unknown status 999999." in text(unknown)
        assert "Enter a number." in text(bad_number)
        assert Case.objects.values().get(pk=case.pk) == case_before
        assert counts() == before

    def test_without_javascript_a_refusal_shows_the_whole_page(self, as_agent, case):
        response = as_agent.post(url("case_properties", case), {"status": case.status_id, "priority": "asap"})

        assert response.status_code == 422
        assert "cases/case_detail.html" in used(response)
        assert "Select a valid choice." in text(response)


class TestAssignment:
    def test_take(self, client, colleague, case):
        client.force_login(colleague)

        response = client.post(url("case_take", case), headers=htmx("case-assignment"))

        assert response.status_code == 200
        case.refresh_from_db()
        assert case.assignee_id == colleague.pk
        assert "The case is yours." in text(response)

    def test_assign_to_a_member(self, as_agent, colleague, case):
        response = as_agent.post(
            url("case_assign", case), {"assignee": colleague.pk}, headers=htmx("case-assignment")
        )

        assert response.status_code == 200
        case.refresh_from_db()
        assert case.assignee_id == colleague.pk

    def test_assigning_someone_outside_the_team_is_refused(self, as_agent, tech, case):
        before = counts()

        response = as_agent.post(
            url("case_assign", case), {"assignee": tech.pk}, headers=htmx("case-assignment")
        )

        assert response.status_code == 422
        assert "is not a member of Customer care" in text(response)
        case.refresh_from_db()
        assert case.assignee.username == "sara"
        assert counts() == before

    def test_forward_to_a_team_with_a_note(self, as_agent, tech_team, case):
        dialog = as_agent.get(url("case_forward", case), headers=htmx("case-modal-body"))
        assert dialog.status_code == 200 and "Forward the case" in text(dialog)

        response = as_agent.post(
            url("case_forward", case),
            {"team": tech_team.pk, "assignee": "", "note": "Please look at the logs."},
            headers=htmx("case-action"),
        )

        assert response.status_code == 200
        assert response["HX-Trigger"] == "case-modal-close"
        case.refresh_from_db()
        assert case.team_id == tech_team.pk
        assert case.messages.filter(kind=MessageKind.NOTE, body__contains="Please look at the logs.").exists()

    def test_forward_without_a_note_is_refused(self, as_agent, tech_team, case):
        before = counts()

        response = as_agent.post(
            url("case_forward", case), {"team": tech_team.pk, "note": ""}, headers=htmx()
        )

        assert response.status_code == 422
        assert "This field is required." in text(response)
        assert counts() == before


# --- actions in the dialog ------------------------------------------------------------------


class TestEscalation:
    def test_escalate_to_tech_and_return(self, as_agent, tech_team, case):
        escalated = as_agent.post(
            url("case_escalate", case), {"reason": "Mail server rejects"}, headers=htmx()
        )

        assert escalated.status_code == 200
        case.refresh_from_db()
        assert (case.team_id, case.escalated_from_team.slug) == (tech_team.pk, "customer-care")
        assert "With technical support" in text(escalated)

        returned = as_agent.post(url("case_return", case), {"reason": "Fixed the DNS"}, headers=htmx())

        assert returned.status_code == 200
        case.refresh_from_db()
        assert case.team.slug == "customer-care" and case.escalated_from_team_id is None

    def test_escalating_without_a_reason_is_refused(self, as_agent, tech_team, case):
        before = counts()

        response = as_agent.post(url("case_escalate", case), {"reason": ""}, headers=htmx())

        assert response.status_code == 422
        assert "This field is required." in text(response)
        assert counts() == before

    def test_without_javascript_the_action_has_a_page_of_its_own(self, as_agent, case):
        page = as_agent.get(url("case_escalate", case))
        refused = as_agent.post(url("case_escalate", case), {"reason": ""})

        assert page.status_code == 200 and "cases/case_action.html" in used(page)
        assert refused.status_code == 422 and "cases/case_action.html" in used(refused)


class TestCallAndHandover:
    def test_log_a_call(self, as_agent, case):
        response = as_agent.post(
            url("case_call", case),
            {
                "direction": "outbound",
                "duration": "12:30",
                "outcome": "follow_up",
                "summary": "Explained the reset.",
            },
            headers=htmx(),
        )

        assert response.status_code == 200
        call = case.messages.get(kind=MessageKind.CALL)
        assert (call.call_duration_seconds, call.call_outcome, call.direction) == (
            750,
            "follow_up",
            "outbound",
        )

    @pytest.mark.parametrize("duration", ["twelve", "5:75", ""])
    def test_a_bad_duration_is_refused(self, as_agent, case, duration):
        before = counts()

        response = as_agent.post(
            url("case_call", case),
            {"direction": "inbound", "duration": duration, "outcome": "resolved", "summary": "x"},
            headers=htmx(),
        )

        assert response.status_code == 422
        assert "invalid-feedback" in text(response)
        assert counts() == before

    def test_handover_note(self, as_agent, colleague, case):
        response = as_agent.post(
            url("case_handover", case),
            {"body": "Waiting on the DNS fix.", "handed_to": colleague.pk},
            headers=htmx(),
        )

        assert response.status_code == 200
        note = HandoverNote.objects.get()
        assert (note.case_id, note.handed_to_id, note.team.slug) == (case.pk, colleague.pk, "customer-care")
        assert "Waiting on the DNS fix." in text(response)

    def test_handover_to_yourself_is_refused(self, as_agent, agent, case):
        before = counts()

        response = as_agent.post(
            url("case_handover", case), {"body": "x", "handed_to": agent.pk}, headers=htmx()
        )

        assert response.status_code == 422
        assert "Hand over to someone else." in text(response)
        assert counts() == before


class TestMergeLinkSplit:
    def test_merge_previews_then_merges_and_goes_to_the_survivor(self, as_agent, case, justine):
        survivor = make_case(customer=justine, subject="Login problem again")
        before = counts()

        preview = as_agent.post(url("case_merge", case), {"other": f"#{survivor.reference}"}, headers=htmx())

        assert preview.status_code == 200
        assert "Stays (survivor)" in text(preview) and "Login problem again" in text(preview)
        assert 'name="confirm" value="1"' in text(preview)
        assert counts() == before

        merged = as_agent.post(
            url("case_merge", case), {"other": survivor.reference, "confirm": "1"}, headers=htmx()
        )

        assert merged.status_code == 204
        assert merged["HX-Redirect"] == survivor.get_absolute_url()
        case.refresh_from_db()
        assert case.merged_into_id == survivor.pk

    @pytest.mark.parametrize("other", ["99999999", "self", "abc"])
    def test_merge_into_an_unknown_case_itself_or_garbage_is_refused(self, as_agent, case, other):
        before = counts()

        response = as_agent.post(
            url("case_merge", case), {"other": case.reference if other == "self" else other}, headers=htmx()
        )

        assert response.status_code == 422
        assert "invalid-feedback" in text(response)
        assert counts() == before

    def test_link_and_unlink(self, as_agent, case, justine):
        other = make_case(customer=justine, subject="Related order")

        linked = as_agent.post(
            url("case_link", case), {"other": other.reference, "kind": "related"}, headers=htmx()
        )

        assert linked.status_code == 200
        assert CaseLink.objects.filter(from_case=case, to_case=other).exists()
        assert f"#{other.reference} Related order" in text(linked)

        twice = as_agent.post(
            url("case_link", case), {"other": other.reference, "kind": "related"}, headers=htmx()
        )
        assert twice.status_code == 422 and "already linked" in text(twice)

        unlinked = as_agent.post(url("case_unlink", case, other.reference), headers=htmx("case-side"))

        assert unlinked.status_code == 200
        assert not CaseLink.objects.exists()

    def test_split_a_message_into_a_new_case(self, as_agent, agent, case):
        question = services.message_receive_on_case(
            case_id=case.pk, body="Also, my invoice is wrong.", channel="email"
        )

        form = as_agent.get(url("message_split", case, question.pk), headers=htmx("case-modal-body"))
        assert "Also, my invoice is wrong." in text(form)

        response = as_agent.post(
            url("message_split", case, question.pk), {"subject": "Wrong invoice"}, headers=htmx()
        )

        assert response.status_code == 200
        new = Case.objects.get(subject="Wrong invoice")
        question.refresh_from_db()
        assert question.case_id == new.pk
        assert new.get_absolute_url() in text(response)

    def test_splitting_the_only_message_is_refused(self, as_agent, case):
        only = case.messages.get()
        before = counts()

        response = as_agent.post(url("message_split", case, only.pk), {"subject": "New"}, headers=htmx())

        assert response.status_code == 422
        assert "only message of the case" in text(response)
        assert counts() == before

    def test_a_message_of_another_case_cannot_be_split_here(self, as_agent, case, justine):
        other = make_case(customer=justine)

        response = as_agent.get(url("message_split", case, other.messages.get().pk))

        assert response.status_code == 404
