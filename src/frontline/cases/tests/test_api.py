"""The cases REST API, through HTTP: permissions per role, the portal customer's view, bad
payloads naming their field, conflicts, pagination and query counts. The rules themselves are
tested with the services; here we check the API calls them and answers as documented."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from frontline.accounts.choices import Role
from frontline.accounts.services import api_token_create
from frontline.audit.models import AuditEntry
from frontline.cases import services
from frontline.cases.choices import MessageKind, StatusCategory
from frontline.cases.merge import case_link, case_merge
from frontline.cases.models import Attachment, Case, CaseLink, Category, CustomField, Macro, Message
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.customers.models import Customer

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


class Api:
    """A JSON client for the API: bearer token, or the given Client's session (with CSRF)."""

    def __init__(self, client: Client, token: str | None = None, csrf: str | None = None) -> None:
        self.client, self.token, self.csrf = client, token, csrf

    def _headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self._headers())

    def send(self, method: str, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return getattr(self.client, method)(
            BASE + path, data, content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("post", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.send("patch", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.send("put", path, body)

    def delete(self, path: str) -> Any:
        return self.send("delete", path)

    def multipart(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(BASE + path, data, headers=self._headers())


def errors(response: Any) -> list[tuple[str, str]]:
    """(field, code) of every error in the response, checking the shape on the way."""
    body = response.json()
    assert set(body) <= {"errors", "newer_message_ids"}, body
    for item in body["errors"]:
        assert set(item) == {"field", "message", "code"} and item["message"]
    return [(item["field"], item["code"]) for item in body["errors"]]


def fields(response: Any) -> set[str]:
    return {name for name, _code in errors(response)}


def token_api(client: Client, user: Any) -> Api:
    _token, raw = api_token_create(user=user, name="tests", by=user)
    return Api(client, raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def team():
    return TeamFactory(name="Support", slug="support")


@pytest.fixture
def tech_team():
    return TeamFactory(name="Technical support", slug="tech")


@pytest.fixture
def agent(team):
    user = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def api(client, agent):
    return token_api(client, agent)


@pytest.fixture
def justine():
    return CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")


@pytest.fixture
def case(justine):
    return make_case(customer=justine, subject="Shirt worn out", body="After one week.")


def as_role(role: str, **kwargs: Any) -> Api:
    return token_api(Client(), UserFactory(role=role, **kwargs))


# --- authentication and the settings lists -------------------------------------------------------


class TestBasics:
    def test_no_credentials_is_401(self, client):
        response = client.get(f"{BASE}/cases/")

        assert response.status_code == 401
        assert errors(response) == [("__all__", "not_authenticated")]

    def test_statuses_in_order_with_their_categories(self, api):
        body = api.get("/cases/statuses").json()

        assert [(s["slug"], s["category"]) for s in body] == [
            ("new", "new"),
            ("open", "open"),
            ("waiting-on-customer", "pending_customer"),
            ("on-hold", "on_hold"),
            ("resolved", "resolved"),
            ("closed", "closed"),
        ]
        assert body[2]["pauses_sla"] is True

    def test_active_categories(self, api):
        Category.objects.create(name="Delivery", slug="delivery")
        Category.objects.create(name="Old", slug="old", is_active=False)

        assert [c["slug"] for c in api.get("/cases/categories").json()] == ["delivery"]

    def test_unknown_reference_is_404_and_malformed_is_422(self, api):
        missing = api.get("/cases/99999999")
        malformed = api.get("/cases/abc%20def")

        assert (missing.status_code, errors(missing)) == (404, [("case", "not_found")])
        assert malformed.status_code == 422


# --- list -------------------------------------------------------------------------------------


class TestList:
    def test_item_shape(self, api, case, agent, team):
        services.case_update(case_id=case.pk, by=agent, changes={"priority": "high"}, tags=["VIP", "shirt"])

        item = api.get("/cases/").json()["results"][0]

        assert {
            k: v for k, v in item.items() if k not in {"created_at", "last_message_at", "sla_due_at"}
        } == {
            "reference": case.reference,
            "subject": "Shirt worn out",
            "status": {"id": case.status_id, "name": "New", "category": "new"},
            "priority": "high",
            "channel": "web",
            "customer": {"id": case.customer_id, "name": "Justine Harrington"},
            "team": None,
            "assignee": None,
            "tags": ["shirt", "vip"],
            "sla_breached": False,
            "sla_paused": False,
            "message_count": 1,
            "merged": False,
        }
        assert item["sla_due_at"] is not None

    def test_filters(self, api, agent, team, justine):
        other = CustomerFactory(first_name="Other", last_name="Person")
        mine = make_case(
            customer=justine, subject="Mine", team_id=team.pk, assignee_id=agent.pk, priority="urgent"
        )
        tagged = make_case(customer=other, subject="Tagged", channel="email", tags=["vip"])
        done = make_case(customer=other, subject="Done")
        services.case_status_set(case_id=done.pk, by=agent, status="resolved")

        def refs(**params: Any) -> list[str]:
            response = api.get("/cases/", params)
            assert response.status_code == 200, response.content
            return sorted(item["reference"] for item in response.json()["results"])

        assert refs() == sorted([mine.reference, tagged.reference, done.reference])
        assert refs(status="resolved") == [done.reference]
        assert refs(status="active") == sorted([mine.reference, tagged.reference])
        assert refs(priority="urgent") == [mine.reference]
        assert refs(team=team.pk) == [mine.reference]
        assert refs(team="none", status="active") == [tagged.reference]
        assert refs(assignee="me") == [mine.reference]
        assert refs(assignee="none", status="new,open") == [tagged.reference]
        assert refs(tag="VIP") == [tagged.reference]
        assert refs(channel="email") == [tagged.reference]
        assert refs(customer=justine.pk) == [mine.reference]
        assert refs(customer="other person") == sorted([tagged.reference, done.reference])
        assert refs(tab="mine") == [mine.reference]
        assert refs(sla="none") == [done.reference]
        assert refs(sla="overdue") == []

    def test_search_ranks_and_narrows(self, api, justine):
        zipper = make_case(customer=justine, subject="Broken zipper", body="The zipper broke on day one.")
        make_case(customer=justine, subject="Late parcel", body="Nothing arrived.")

        found = api.get("/cases/", {"q": "zipper"}).json()
        narrowed = api.get("/cases/", {"q": "zipper", "status": "closed"}).json()
        by_reference = api.get("/cases/", {"q": zipper.reference}).json()

        assert [i["reference"] for i in found["results"]] == [zipper.reference]
        assert found["count"] == 1
        assert narrowed["results"] == [] and narrowed["count"] == 0
        assert [i["reference"] for i in by_reference["results"]] == [zipper.reference]

    def test_pagination(self, api, justine):
        cases = [make_case(customer=justine, subject=f"Case {n}") for n in range(5)]
        refs = [c.reference for c in sorted(cases, key=lambda c: -c.pk)]

        first = api.get("/cases/", {"limit": 2, "sort": "-created"}).json()
        last = api.get("/cases/", {"limit": 2, "offset": 4, "sort": "-created"}).json()

        assert (first["count"], first["count_capped"]) == (5, False)
        assert [i["reference"] for i in first["results"]] == refs[:2]
        assert first["previous"] is None
        assert first["next"] == "http://testserver/api/v1/cases/?limit=2&sort=-created&offset=2"
        assert [i["reference"] for i in last["results"]] == refs[4:]
        assert last["next"] is None
        assert last["previous"] == "http://testserver/api/v1/cases/?limit=2&offset=2&sort=-created"

    @pytest.mark.parametrize(
        ("params", "status", "expected"),
        [
            ({"status": "gone"}, 400, [("status", "invalid")]),
            (
                {"priority": "asap", "channel": "pigeon"},
                400,
                [("priority", "invalid"), ("channel", "invalid")],
            ),
            ({"sla": "yesterday"}, 400, [("sla", "invalid")]),
            ({"created_from": "2026-13-01"}, 400, [("created_from", "invalid")]),
            ({"sort": "shoe_size"}, 400, [("sort", "invalid")]),
            ({"limit": 0}, 422, [("limit", "greater_than_equal")]),
            ({"limit": 101}, 422, [("limit", "less_than_equal")]),
            ({"offset": -1}, 422, [("offset", "greater_than_equal")]),
            ({"q": "x" * 201}, 422, [("q", "string_too_long")]),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, api, params, status, expected):
        response = api.get("/cases/", params)

        assert response.status_code == status
        assert errors(response) == expected

    def test_query_count_does_not_grow_with_the_page(self, agent, team, justine):
        client = Client()
        client.force_login(agent)  # session auth: no token bookkeeping in the count

        def list_queries(params: dict[str, Any]) -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/cases/", params)
            assert response.status_code == 200
            return len(queries)

        def add(n: int) -> None:
            for i in range(n):
                make_case(customer=justine, subject=f"Case {i}", team_id=team.pk, tags=["vip", f"t{i % 3}"])

        add(3)
        list_queries({})  # warms the cache of the queue's names (statuses, teams, agents)
        with_3 = (list_queries({}), list_queries({"status": "active", "tag": "vip", "sort": "-priority"}))
        add(27)
        with_30 = (list_queries({}), list_queries({"status": "active", "tag": "vip", "sort": "-priority"}))

        # session (unless cached) and user with its two-factor state, then the page with its
        # capped count (one statement) and its tags; the queue's names come from the cache.
        assert with_3 == with_30 == (REQUEST_QUERIES + 2, REQUEST_QUERIES + 2)


# --- detail -----------------------------------------------------------------------------------


class TestDetail:
    def test_full_detail_with_sla(self, api, case, agent, team):
        services.case_update(case_id=case.pk, by=agent, changes={}, tags=["vip"])

        body = api.get(f"/cases/{case.reference}").json()

        assert body["reference"] == case.reference
        assert body["status"] == {"id": case.status_id, "slug": "new", "name": "New", "category": "new"}
        assert body["customer"] == {"id": case.customer_id, "name": "Justine Harrington"}
        assert (body["tags"], body["custom_fields"], body["links"], body["merged_into"]) == (
            ["vip"],
            {},
            [],
            None,
        )
        assert [c["metric"] for c in body["sla"]] == ["first_response", "resolution"]
        assert body["sla"][0]["target_minutes"] == 24 * 60

    def test_query_count_does_not_grow_with_the_case(self, agent, team, justine):
        client = Client()
        client.force_login(agent)
        small = make_case(customer=justine, subject="Small")
        big = make_case(
            customer=justine, subject="Big", team_id=team.pk, assignee_id=agent.pk, tags=["a", "b", "c"]
        )
        for n in range(5):
            services.message_reply(case_id=big.pk, by=agent, body=f"Note {n}", internal=True)
        for n in range(3):
            other = make_case(customer=justine, subject=f"Related {n}")
            case_link(case_id=big.pk, other_id=other.pk, by=agent)

        def detail_queries(reference: str) -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/cases/{reference}")
            assert response.status_code == 200
            return len(queries)

        # The same statements for a bare case and one with an assignee, tags, notes and links
        # (session, user, permissions, the case with its relations, tags, links both ways, SLA).
        assert detail_queries(small.reference) == detail_queries(big.reference)


# --- create -------------------------------------------------------------------------------------


class TestCreate:
    def test_staff_open_a_case_for_a_customer(self, api, agent, team, justine):
        category = Category.objects.create(name="Product quality", slug="quality")

        response = api.post(
            "/cases/",
            {
                "customer_id": justine.pk,
                "subject": "Shirt worn out",
                "body": "Customer called about T-12377.",
                "channel": "phone",
                "priority": "high",
                "category_id": category.pk,
                "team_id": team.pk,
                "assignee_id": agent.pk,
                "tags": ["Quality"],
                "attachments": [{"filename": "photo.png", "content_base64": b64(b"\x89PNG...")}],
            },
        )

        assert response.status_code == 201, response.content
        body = response.json()
        case = Case.objects.get(reference=body["reference"])
        assert (case.channel, case.priority, case.category, case.team, case.assignee) == (
            "phone",
            "high",
            category,
            team,
            agent,
        )
        assert body["assignee"]["username"] == "sara" and body["tags"] == ["quality"]
        assert body["created_by"]["username"] == "sara"
        message = case.messages.get()
        assert message.direction == "inbound"
        assert Attachment.objects.get(message=message).content_type == "image/png"

    @pytest.mark.parametrize(
        ("payload", "status", "expected"),
        [
            ({"customer_id": None}, 400, {"customer_id"}),
            ({"customer_id": 0, "subject": "x"}, 422, {"customer_id"}),
            ({"subject": ""}, 422, {"subject"}),
            ({"priority": "asap"}, 422, {"priority"}),
            ({"channel": "pigeon"}, 422, {"channel"}),
            ({"colour": "red"}, 422, {"colour"}),
            ({"category_id": 987654}, 400, {"category"}),
            ({"team_id": 987654}, 400, {"team"}),
            (
                {"attachments": [{"filename": "a.png", "content_base64": "not base64!"}]},
                422,
                {"attachments[0].content_base64"},
            ),
            ({"attachments": [{"filename": "a.exe", "content_base64": b64(b"MZ")}]}, 400, {"attachments"}),
        ],
    )
    def test_bad_payload_names_the_field_and_writes_nothing(self, api, justine, payload, status, expected):
        body = {"customer_id": justine.pk, "subject": "Question", **payload}

        response = api.post("/cases/", body)

        assert response.status_code == status, response.content
        assert fields(response) == expected
        assert Case.objects.count() == 0

    def test_assignee_outside_the_team_is_refused(self, api, team, justine):
        outsider = UserFactory(username="omar", role=Role.TECH)

        response = api.post(
            "/cases/",
            {"customer_id": justine.pk, "subject": "x", "team_id": team.pk, "assignee_id": outsider.pk},
        )

        assert response.status_code == 400
        assert errors(response) == [("assignee", "invalid")]
        assert Case.objects.count() == 0

    def test_oversized_attachment_is_refused(self, api, justine, settings):
        settings.CASE_ATTACHMENT_MAX_BYTES = 10

        response = api.post(
            "/cases/",
            {
                "customer_id": justine.pk,
                "subject": "x",
                "attachments": [{"filename": "a.png", "content_base64": b64(b"x" * 11)}],
            },
        )

        assert response.status_code == 400
        assert errors(response) == [("attachments", "too_large")]
        assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)

    def test_required_custom_field(self, api, justine):
        CustomField.objects.create(key="order_number", label="Order number", field_type="text", required=True)

        missing = api.post("/cases/", {"customer_id": justine.pk, "subject": "x"})
        given = api.post(
            "/cases/", {"customer_id": justine.pk, "subject": "x", "custom_fields": {"order_number": "1001"}}
        )

        assert (missing.status_code, fields(missing)) == (400, {"custom_fields.order_number"})
        assert given.status_code == 201 and given.json()["custom_fields"] == {"order_number": "1001"}


# --- update and status --------------------------------------------------------------------------


class TestUpdate:
    def test_changes_only_the_fields_sent(self, api, case):
        response = api.patch(f"/cases/{case.reference}", {"priority": "urgent", "tags": ["a", "B"]})

        assert response.status_code == 200
        case.refresh_from_db()
        assert (case.subject, case.priority) == ("Shirt worn out", "urgent")
        assert response.json()["tags"] == ["a", "b"]
        assert AuditEntry.objects.filter(verb="case.updated", target_id=str(case.pk)).count() == 1

    def test_custom_fields_merge_and_category_clears(self, api, case):
        CustomField.objects.create(key="order_number", label="Order", field_type="text")
        CustomField.objects.create(key="size", label="Size", field_type="choice", choices=["S", "M"])
        category = Category.objects.create(name="Delivery", slug="delivery")
        api.patch(
            f"/cases/{case.reference}", {"custom_fields": {"order_number": "1"}, "category_id": category.pk}
        )

        body = api.patch(
            f"/cases/{case.reference}", {"custom_fields": {"size": "M"}, "category_id": None}
        ).json()

        assert body["custom_fields"] == {"order_number": "1", "size": "M"}
        assert body["category"] is None

    @pytest.mark.parametrize(
        ("payload", "status", "expected"),
        [
            ({"priority": "asap"}, 422, {"priority"}),
            ({"subject": ""}, 422, {"subject"}),
            ({"subject": None}, 422, {"subject"}),
            ({"status": "closed"}, 422, {"status"}),
            ({"custom_fields": {"nope": 1}}, 400, {"custom_fields.nope"}),
        ],
    )
    def test_bad_changes_are_refused_and_change_nothing(self, api, case, payload, status, expected):
        response = api.patch(f"/cases/{case.reference}", payload)

        assert response.status_code == status, response.content
        assert fields(response) == expected
        case.refresh_from_db()
        assert (case.subject, case.priority, case.custom_fields) == ("Shirt worn out", "normal", {})

    def test_set_status_by_slug_or_id(self, api, case):
        by_slug = api.post(f"/cases/{case.reference}/status", {"status": "waiting-on-customer"})
        resolved = services.status_for(StatusCategory.RESOLVED)
        by_id = api.post(f"/cases/{case.reference}/status", {"status": str(resolved.pk)})

        assert by_slug.json()["status"]["category"] == "pending_customer"
        assert by_id.json()["status"]["slug"] == "resolved"
        assert by_id.json()["resolved_at"] is not None

    def test_unknown_status_is_refused(self, api, case):
        response = api.post(f"/cases/{case.reference}/status", {"status": "sleeping"})

        assert response.status_code == 400
        assert errors(response) == [("status", "invalid")]
        case.refresh_from_db()
        assert case.status_category == StatusCategory.NEW


# --- messages -----------------------------------------------------------------------------------


class TestMessages:
    def test_reply_and_note(self, api, case, agent):
        reply = api.post(
            f"/cases/{case.reference}/messages",
            {"body": "We are on it, @sara.", "status": "waiting-on-customer"},
        )
        note = api.post(f"/cases/{case.reference}/messages", {"body": "Check the batch.", "internal": True})

        assert (reply.status_code, note.status_code) == (201, 201)
        assert (reply.json()["kind"], reply.json()["direction"], reply.json()["author"]["username"]) == (
            "reply",
            "outbound",
            "sara",
        )
        assert (note.json()["kind"], note.json()["channel"]) == ("note", "system")
        case.refresh_from_db()
        assert case.status_category == StatusCategory.PENDING_CUSTOMER
        assert case.first_response_at is not None

    def test_thread_with_cursor(self, api, case, agent):
        for n in range(3):
            services.message_reply(case_id=case.pk, by=agent, body=f"Reply {n}")

        first = api.get(f"/cases/{case.reference}/messages", {"limit": 2}).json()
        rest = api.get(
            f"/cases/{case.reference}/messages", {"limit": 2, "after": first["next_cursor"]}
        ).json()

        assert [m["body"] for m in first["results"]] == ["After one week.", "Reply 0"]
        assert [m["body"] for m in rest["results"]] == ["Reply 1", "Reply 2"]
        assert rest["next_cursor"] is None
        bad = api.get(f"/cases/{case.reference}/messages", {"after": "garbage"})
        assert (bad.status_code, errors(bad)) == (400, [("after", "invalid_cursor")])

    def test_stale_reply_is_409_with_the_newer_messages(self, api, case, agent):
        seen = case.messages.get().pk
        newer = services.message_receive_on_case(case_id=case.pk, body="Hello? Anyone?", channel="email")
        colleague = UserFactory(username="isabella", role=Role.LEAD)
        theirs = services.message_reply(case_id=case.pk, by=colleague, body="Answered by Isabella.")

        response = api.post(
            f"/cases/{case.reference}/messages", {"body": "Late answer", "seen_message_id": seen}
        )

        assert response.status_code == 409
        assert errors(response) == [("seen_message_id", "stale_reply")]
        assert response.json()["newer_message_ids"] == [newer.pk, theirs.pk]
        assert not Message.objects.filter(body="Late answer").exists()

    def test_reply_to_a_merged_case_is_409(self, api, case, justine, agent):
        survivor = make_case(customer=justine, subject="Survivor")
        case_merge(survivor_id=survivor.pk, merged_id=case.pk, by=agent)

        response = api.post(f"/cases/{case.reference}/messages", {"body": "Hello"})

        assert response.status_code == 409
        assert errors(response) == [("case", "case_state")]
        assert response.json()["newer_message_ids"] == []
        assert not Message.objects.filter(body="Hello").exists()

    def test_a_message_needs_text_or_files(self, api, case):
        response = api.post(f"/cases/{case.reference}/messages", {"body": "  "})

        assert (response.status_code, errors(response)) == (400, [("body", "invalid")])

    def test_multipart_upload(self, api, case):
        response = api.multipart(
            f"/cases/{case.reference}/messages/upload",
            {
                "body": "See the label.",
                "files": [SimpleUploadedFile("label.pdf", b"%PDF-1.4", "application/pdf")],
            },
        )

        assert response.status_code == 201, response.content
        attachment = response.json()["attachments"][0]
        assert (attachment["filename"], attachment["size"]) == ("label.pdf", 8)
        download = api.client.get(attachment["url"], headers=api._headers())
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"%PDF-1.4"
        assert download["Content-Disposition"].startswith("attachment")

    def test_oversized_upload_is_refused_before_anything_is_written(self, api, case, settings):
        settings.CASE_ATTACHMENT_MAX_BYTES = 4
        response = api.multipart(
            f"/cases/{case.reference}/messages/upload",
            {"body": "Big", "files": [SimpleUploadedFile("big.pdf", b"%PDF-1.4", "application/pdf")]},
        )

        assert response.status_code == 400
        assert errors(response) == [("files[0]", "too_large")]
        assert (case.messages.count(), Attachment.objects.count()) == (1, 0)

    def test_call_log(self, api, case):
        response = api.post(
            f"/cases/{case.reference}/calls",
            {
                "direction": "outbound",
                "duration_seconds": 120,
                "summary": "Called back.",
                "outcome": "resolved",
            },
        )
        bad = api.post(
            f"/cases/{case.reference}/calls",
            {"direction": "sideways", "duration_seconds": -1, "summary": "", "outcome": "maybe"},
        )

        assert response.status_code == 201
        assert response.json()["call"] == {"duration_seconds": 120, "outcome": "resolved"}
        assert bad.status_code == 422
        assert fields(bad) == {"direction", "duration_seconds", "summary", "outcome"}
        assert case.messages.filter(kind=MessageKind.CALL).count() == 1

    def test_split_a_message_into_a_new_case(self, api, case):
        second = services.message_receive_on_case(
            case_id=case.pk, body="Also: my invoice is wrong.", channel="email"
        )

        response = api.post(
            f"/cases/{case.reference}/messages/{second.pk}/split", {"subject": "Invoice wrong"}
        )

        assert response.status_code == 201
        new = Case.objects.get(reference=response.json()["reference"])
        assert new.subject == "Invoice wrong" and Message.objects.get(pk=second.pk).case == new
        assert [link["reference"] for link in response.json()["links"]] == [case.reference]

    def test_split_of_a_message_of_another_case_is_404(self, api, case, justine):
        other = make_case(customer=justine)

        response = api.post(
            f"/cases/{case.reference}/messages/{other.messages.get().pk}/split", {"subject": "x"}
        )

        assert (response.status_code, errors(response)) == (404, [("message", "not_found")])


# --- assignment, escalation, merge, links, bulk, SLA, macros ------------------------------------


class TestWork:
    def test_assign_take_forward(self, api, case, agent, team):
        colleague = UserFactory(username="isabella", role=Role.LEAD)
        MembershipFactory(team=team, user=colleague)

        assigned = api.post(
            f"/cases/{case.reference}/assign", {"assignee_id": colleague.pk, "team_id": team.pk}
        )
        taken = api.post(f"/cases/{case.reference}/take")
        forwarded = api.post(
            f"/cases/{case.reference}/forward", {"note": "Your call", "assignee_id": colleague.pk}
        )

        assert assigned.json()["assignee"]["username"] == "isabella"
        assert taken.json()["assignee"]["username"] == "sara"
        assert forwarded.json()["assignee"]["username"] == "isabella"
        assert case.messages.filter(kind=MessageKind.NOTE, body__contains="Your call").exists()

    def test_assignment_to_an_agent_outside_the_team_is_refused(self, api, case, team):
        outsider = UserFactory(username="omar", role=Role.TECH)

        response = api.post(
            f"/cases/{case.reference}/assign", {"assignee_id": outsider.pk, "team_id": team.pk}
        )

        assert response.status_code == 400
        assert errors(response) == [("assignee", "invalid")]
        case.refresh_from_db()
        assert (case.assignee, case.team) == (None, None)

    def test_forward_needs_a_note(self, api, case, agent):
        response = api.post(f"/cases/{case.reference}/forward", {"assignee_id": agent.pk})

        assert (response.status_code, fields(response)) == (422, {"note"})

    def test_escalate_to_tech_and_back(self, api, case, agent, team, tech_team):
        api.post(f"/cases/{case.reference}/assign", {"assignee_id": agent.pk, "team_id": team.pk})

        escalated = api.post(f"/cases/{case.reference}/escalate", {"reason": "Login service fails"})
        again = api.post(f"/cases/{case.reference}/escalate", {"reason": "Again"})
        returned = api.post(f"/cases/{case.reference}/return", {"reason": "Fixed the token store"})

        assert escalated.status_code == 200
        assert escalated.json()["team"]["name"] == "Technical support"
        assert escalated.json()["escalated_at"] is not None
        assert (again.status_code, errors(again)) == (409, [("case", "already_escalated")])
        assert returned.json()["team"]["name"] == "Support"
        assert returned.json()["assignee"]["username"] == "sara"

    def test_merge_then_reply_to_the_merged_case_is_409(self, api, case, justine):
        survivor = make_case(customer=justine, subject="Survivor")

        merged = api.post(f"/cases/{survivor.reference}/merge", {"merged_reference": case.reference})
        twice = api.post(f"/cases/{survivor.reference}/merge", {"merged_reference": case.reference})
        reply = api.post(f"/cases/{case.reference}/messages", {"body": "Hello"})

        assert merged.status_code == 200 and merged.json()["message_count"] >= 2
        case.refresh_from_db()
        assert case.merged_into == survivor
        assert api.get(f"/cases/{case.reference}").json()["merged_into"] == survivor.reference
        assert (twice.status_code, fields(twice)) == (409, {"merged"})
        assert reply.status_code == 409

    def test_merge_of_an_unknown_case_is_404(self, api, case):
        response = api.post(f"/cases/{case.reference}/merge", {"merged_reference": "99999999"})

        assert (response.status_code, errors(response)) == (404, [("merged_reference", "not_found")])

    def test_link_and_unlink(self, api, case, justine):
        other = make_case(customer=justine, subject="Related")

        linked = api.post(
            f"/cases/{case.reference}/links", {"other_reference": other.reference, "kind": "duplicate"}
        )
        twice = api.post(f"/cases/{other.reference}/links", {"other_reference": case.reference})
        unlinked = api.delete(f"/cases/{other.reference}/links/{case.reference}")
        gone = api.delete(f"/cases/{other.reference}/links/{case.reference}")

        assert linked.status_code == 201
        assert linked.json()["links"] == [
            {"reference": other.reference, "subject": "Related", "kind": "duplicate", "direction": "out"}
        ]
        assert (twice.status_code, unlinked.status_code, gone.status_code) == (409, 204, 404)
        assert CaseLink.objects.count() == 0

    def test_bulk_status_reports_each_case(self, api, case, justine):
        other = make_case(customer=justine, subject="Other")

        response = api.post(
            "/cases/bulk",
            {
                "references": [case.reference, other.reference, "99999999"],
                "action": "status",
                "params": {"status": "resolved"},
            },
        )

        assert response.status_code == 200
        assert response.json() == {
            "done": [case.reference, other.reference],
            "failed": [{"reference": "99999999", "message": "No such case."}],
        }
        assert set(Case.objects.values_list("status_category", flat=True)) == {"resolved"}

    @pytest.mark.parametrize(
        ("payload", "status", "expected"),
        [
            ({"action": "explode"}, 422, {"action"}),
            ({"action": "status"}, 400, {"params.status"}),
            ({"action": "status", "params": {"status": "sleeping"}}, 400, {"status"}),
            ({"action": "tag", "params": {"colour": "red"}}, 422, {"params.colour"}),
            ({"references": [], "action": "tag"}, 422, {"references"}),
        ],
    )
    def test_bulk_bad_payloads(self, api, case, payload, status, expected):
        response = api.post("/cases/bulk", {"references": [case.reference], **payload})

        assert response.status_code == status, response.content
        assert fields(response) == expected
        case.refresh_from_db()
        assert case.status_category == StatusCategory.NEW

    def test_sla_state_and_history(self, api, case):
        body = api.get(f"/cases/{case.reference}/sla").json()

        assert body["policy"] == "Default"
        assert [c["metric"] for c in body["clocks"]] == ["first_response", "resolution"]
        assert {(e["metric"], e["kind"]) for e in body["history"]} >= {
            ("first_response", "started"),
            ("resolution", "started"),
        }

    def test_macros_list_and_apply(self, api, case, agent):
        macro = Macro.objects.create(
            name="Thanks",
            body="Hello {{ customer.first_name }}, case #{{ case.reference }}.",
            scope="global",
            add_tags=["macro"],
        )
        Macro.objects.create(
            name="Someone's own", body="x", scope="personal", owner=UserFactory(username="isabella")
        )

        listed = api.get("/cases/macros").json()
        applied = api.post(f"/cases/{case.reference}/macros/{macro.pk}/apply", {})
        unknown = api.post(f"/cases/{case.reference}/macros/987654/apply", {})

        assert [m["name"] for m in listed] == ["Thanks"]
        assert applied.status_code == 201
        assert applied.json()["body"] == f"Hello Justine, case #{case.reference}."
        assert (unknown.status_code, errors(unknown)) == (404, [("macro", "not_found")])

    def test_availability(self, api, agent):
        response = api.put("/cases/availability", {"availability": "online"})
        bad = api.put("/cases/availability", {"availability": "asleep"})

        assert response.json() == {"username": "sara", "availability": "online"}
        assert (bad.status_code, fields(bad)) == (422, {"availability"})
        agent.refresh_from_db()
        assert agent.availability == "online"


# --- permissions per role -------------------------------------------------------------------------

STAFF_ACTIONS: list[tuple[str, str, Any, str]] = [
    # method, path, payload, permission the role needs
    ("post", "/cases/", {"customer_id": "{customer}", "subject": "x"}, "add"),
    ("patch", "/cases/{ref}", {"priority": "high"}, "change"),
    ("post", "/cases/{ref}/status", {"status": "open"}, "change"),
    ("post", "/cases/{ref}/messages", {"body": "Public"}, "reply"),
    ("post", "/cases/{ref}/messages", {"body": "Note", "internal": True}, "change"),
    (
        "post",
        "/cases/{ref}/calls",
        {"direction": "inbound", "duration_seconds": 1, "summary": "x", "outcome": "resolved"},
        "reply",
    ),
    ("post", "/cases/{ref}/take", None, "assign"),
    ("post", "/cases/{ref}/escalate", {"reason": "x"}, "escalate"),
    ("post", "/cases/{ref}/links", {"other_reference": "{other}"}, "merge"),
    ("get", "/cases/macros", None, "reply"),
]
ROLE_GRANTS = {
    Role.AGENT: {"add", "change", "reply", "assign", "escalate", "merge"},
    Role.LEAD: {"add", "change", "reply", "assign", "escalate", "merge"},
    Role.ADMIN: {"add", "change", "reply", "assign", "escalate", "merge"},
    Role.TECH: {"add", "change", "reply", "assign", "escalate"},
    Role.REPORTER: {"add", "change", "reply", "assign", "escalate"},
    Role.SALES: {"add", "change"},
    Role.LOGISTICS: {"change"},
    Role.PRODUCT: {"change"},
}


@pytest.mark.parametrize("role", list(ROLE_GRANTS))
@pytest.mark.parametrize(("method", "path", "payload", "needs"), STAFF_ACTIONS)
def test_each_role_gets_exactly_its_permissions(
    client, justine, tech_team, role, method, path, payload, needs
):
    case = make_case(customer=justine)
    other = make_case(customer=justine)
    api = as_role(role)
    text = (
        json.dumps(payload).replace('"{customer}"', str(justine.pk)).replace("{other}", other.reference)
        if payload
        else None
    )

    response = api.send(method, path.format(ref=case.reference), json.loads(text) if text else None)

    if needs in ROLE_GRANTS[role]:
        assert response.status_code in (200, 201), (role, path, response.content)
    else:
        assert response.status_code == 403, (role, path, response.content)
        assert errors(response) == [("__all__", "permission_denied")]


@pytest.mark.parametrize("role", list(ROLE_GRANTS))
def test_every_staff_role_reads_cases(justine, role):
    case = make_case(customer=justine)
    api = as_role(role)

    assert api.get("/cases/").status_code == 200
    assert api.get(f"/cases/{case.reference}").status_code == 200
    assert api.get(f"/cases/{case.reference}/messages").status_code == 200
    assert api.get(f"/cases/{case.reference}/sla").status_code == 200


# --- portal customers ---------------------------------------------------------------------------


def _csrf_token(client: Client) -> str:
    page = client.get(f"{BASE}/docs").content.decode()
    match = re.search(r'data-csrf-token="([^"]+)"', page)
    assert match
    return match.group(1)


class TestPortalCustomer:
    @pytest.fixture
    def portal_user(self):
        return UserFactory(username="justine", role=Role.CUSTOMER)

    @pytest.fixture
    def own(self, justine, portal_user):
        Customer.objects.filter(pk=justine.pk).update(user=portal_user)
        return justine

    @pytest.fixture
    def portal(self, portal_user, own):
        client = Client(enforce_csrf_checks=True)
        client.force_login(portal_user)
        return Api(client, csrf=_csrf_token(client))

    @pytest.fixture
    def own_case(self, own, agent):
        case = make_case(customer=own, subject="My shirt", body="Worn out.")
        services.message_reply(case_id=case.pk, by=agent, body="Internal: difficult customer", internal=True)
        services.message_reply(case_id=case.pk, by=agent, body="We are sorry!")
        services.case_update(case_id=case.pk, by=agent, changes={}, tags=["difficult"])
        return case

    def test_lists_only_their_own_cases_without_staff_fields(self, portal, own_case):
        make_case(customer=CustomerFactory(), subject="Someone else's")

        page = portal.get("/cases/").json()

        assert [i["reference"] for i in page["results"]] == [own_case.reference]
        item = page["results"][0]
        assert (item["tags"], item["team"], item["assignee"], item["sla_due_at"]) == (None, None, None, None)

    @pytest.mark.parametrize("name", ["tag", "team", "assignee", "tab", "sla", "customer"])
    def test_staff_filters_are_403(self, portal, own_case, name):
        response = portal.get("/cases/", {name: "difficult"})

        assert response.status_code == 403
        assert errors(response) == [(name, "permission_denied")]

    def test_reads_own_case_and_public_messages_only(self, portal, own_case):
        detail = portal.get(f"/cases/{own_case.reference}").json()
        thread = portal.get(f"/cases/{own_case.reference}/messages").json()

        assert (detail["tags"], detail["sla"], detail["links"], detail["custom_fields"]) == (
            None,
            None,
            None,
            None,
        )
        assert [m["body"] for m in thread["results"]] == ["Worn out.", "We are sorry!"]
        assert all(m["author"] is None and m["mentions"] is None for m in thread["results"])

    def test_other_customers_cases_are_404(self, portal, own):
        other = make_case(customer=CustomerFactory())

        for response in (
            portal.get(f"/cases/{other.reference}"),
            portal.get(f"/cases/{other.reference}/messages"),
            portal.post(f"/cases/{other.reference}/messages", {"body": "Hi"}),
        ):
            assert (response.status_code, errors(response)) == (404, [("case", "not_found")])
        assert other.messages.count() == 1

    def test_replies_as_an_inbound_portal_message(self, portal, own_case, portal_user):
        response = portal.post(f"/cases/{own_case.reference}/messages", {"body": "Still worn out."})

        assert response.status_code == 201, response.content
        message = Message.objects.get(pk=response.json()["id"])
        assert (message.kind, message.direction, message.channel, message.author) == (
            "reply",
            "inbound",
            "portal",
            portal_user,
        )

    @pytest.mark.parametrize("extra", [{"internal": True}, {"status": "closed"}, {"seen_message_id": 1}])
    def test_staff_fields_of_a_message_are_403(self, portal, own_case, extra):
        response = portal.post(f"/cases/{own_case.reference}/messages", {"body": "x", **extra})

        assert response.status_code == 403
        assert own_case.messages.count() == 3

    def test_reply_to_a_closed_case_is_409(self, portal, own_case, agent):
        services.case_status_set(case_id=own_case.pk, by=agent, status="closed")

        response = portal.post(f"/cases/{own_case.reference}/messages", {"body": "Hello?"})

        assert (response.status_code, errors(response)) == (409, [("case", "case_state")])
        own_case.refresh_from_db()
        assert own_case.status_category == StatusCategory.CLOSED

    def test_opens_a_case_for_themselves_on_the_portal(self, portal, own, portal_user):
        response = portal.post("/cases/", {"subject": "Cannot log in", "body": "Password reset fails."})

        assert response.status_code == 201, response.content
        case = Case.objects.get(reference=response.json()["reference"])
        assert (case.customer, case.channel, case.created_by) == (own, "portal", None)
        assert case.messages.get().direction == "inbound"

    @pytest.mark.parametrize(
        "extra",
        [{"customer_id": 1}, {"team_id": 1}, {"priority": "urgent"}, {"tags": ["x"]}, {"channel": "email"}],
    )
    def test_staff_fields_of_a_new_case_are_403(self, portal, own, extra):
        response = portal.post("/cases/", {"subject": "x", **extra})

        assert response.status_code == 403
        assert fields(response) == set(extra)
        assert Case.objects.count() == 0

    def test_a_customer_user_without_a_customer_record_is_403(self, justine):
        stranger = UserFactory(username="stranger", role=Role.CUSTOMER)
        client = Client(enforce_csrf_checks=True)
        client.force_login(stranger)
        api = Api(client, csrf=_csrf_token(client))

        assert api.get("/cases/").status_code == 403
        assert api.post("/cases/", {"subject": "x"}).status_code == 403

    @pytest.mark.parametrize(
        ("method", "path", "payload"),
        [
            ("patch", "/cases/{ref}", {"priority": "high"}),
            ("post", "/cases/{ref}/status", {"status": "closed"}),
            ("post", "/cases/{ref}/assign", {"assignee_id": None}),
            ("post", "/cases/{ref}/take", None),
            ("post", "/cases/{ref}/forward", {"note": "x", "team_id": 1}),
            ("post", "/cases/{ref}/escalate", {"reason": "x"}),
            ("post", "/cases/{ref}/return", {"reason": "x"}),
            ("post", "/cases/{ref}/merge", {"merged_reference": "1"}),
            ("post", "/cases/{ref}/links", {"other_reference": "1"}),
            ("delete", "/cases/{ref}/links/1", None),
            (
                "post",
                "/cases/{ref}/calls",
                {"direction": "inbound", "duration_seconds": 1, "summary": "x", "outcome": "resolved"},
            ),
            ("post", "/cases/bulk", {"references": ["1"], "action": "tag"}),
            ("get", "/cases/{ref}/sla", None),
            ("get", "/cases/macros", None),
            ("get", "/cases/statuses", None),
            ("put", "/cases/availability", {"availability": "online"}),
        ],
    )
    def test_every_staff_action_is_403_and_changes_nothing(self, portal, own_case, method, path, payload):
        before = (Case.objects.count(), Message.objects.count(), AuditEntry.objects.count())

        response = portal.send(method, path.format(ref=own_case.reference), payload)

        assert response.status_code == 403, response.content
        assert errors(response) == [("__all__", "permission_denied")]
        assert (Case.objects.count(), Message.objects.count(), AuditEntry.objects.count()) == before

    def test_attachments_of_internal_notes_are_404(self, portal, own_case, agent):
        note = services.message_reply(
            case_id=own_case.pk,
            by=agent,
            body="Internal photo",
            internal=True,
            attachments=[services.AttachmentInput("x.png", b"\x89PNG", "image/png")],
        )
        attachment = note.attachments.get()

        response = portal.get(f"/cases/{own_case.reference}/attachments/{attachment.pk}")

        assert (response.status_code, errors(response)) == (404, [("attachment", "not_found")])

    def test_list_query_count_is_fixed(self, portal_user, own, agent):
        client = Client()
        client.force_login(portal_user)

        def list_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/cases/")
            assert response.status_code == 200
            return len(queries)

        make_case(customer=own)
        list_queries()  # warms the cache of the queue's names
        with_1 = list_queries()
        for _ in range(10):
            make_case(customer=own)
        assert list_queries() == with_1
