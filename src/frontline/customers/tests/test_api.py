"""The customers REST API, through HTTP: auth, permissions, validation, the error shape,
pagination, merge/unmerge, timeline and query counts. Rules themselves are tested in
test_services.py; here we check the API calls them and answers as documented."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.accounts.services import api_token_create, api_token_revoke
from frontline.audit.models import AuditEntry
from frontline.core.tests.queries import SESSION_QUERIES
from frontline.customers import services
from frontline.customers.choices import CustomerStatus
from frontline.customers.models import Address, ContactPoint, Customer, ExternalId, MergeRecord, Organisation
from frontline.customers.services import AddressInput, ContactInput

from .factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
# Reading the session: a query, unless sessions are cached (cached_db, with Redis).


class Api:
    """A JSON client for the API: bearer token by default, or the given Client's session."""

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

    def send(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return getattr(self.client, method)(
            BASE + path, data, content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("patch", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("put", path, body, **kw)

    def delete(self, path: str) -> Any:
        return self.send("delete", path)


def errors(response: Any) -> list[tuple[str, str]]:
    """(field, code) of every error in the response, checking the shape on the way."""
    body = response.json()
    assert set(body) == {"errors"}
    for item in body["errors"]:
        assert set(item) == {"field", "message", "code"} and item["message"]
    return [(item["field"], item["code"]) for item in body["errors"]]


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def api(client, agent):
    _token, raw = api_token_create(user=agent, name="tests", by=agent)
    return Api(client, raw)


@pytest.fixture
def portal_user():
    return UserFactory(username="justine", role=Role.CUSTOMER)


@pytest.fixture
def portal(portal_user):
    """A portal customer's logged-in session (with its CSRF token, so only permissions refuse)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    return Api(client, csrf=_csrf_token(client))


def _csrf_token(client: Client) -> str:
    # The docs page carries the CSRF token for Swagger's "try it out", and sets the cookie.
    page = client.get(f"{BASE}/docs").content.decode()
    match = re.search(r'data-csrf-token="([^"]+)"', page)
    assert match, "the docs page should carry a CSRF token"
    return match.group(1)


def nothing_written() -> None:
    assert Customer.objects.count() == 0
    assert ContactPoint.objects.count() == 0
    assert Organisation.objects.count() == 0
    assert AuditEntry.objects.filter(verb__startswith="customer.").count() == 0


# --- authentication ---------------------------------------------------------------------------


class TestAuthentication:
    def test_no_credentials_is_401_with_the_error_shape(self, client):
        response = client.get(f"{BASE}/customers/")

        assert response.status_code == 401
        assert errors(response) == [("__all__", "not_authenticated")]
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_valid_bearer_token_authenticates(self, api):
        CustomerFactory(first_name="Justine", last_name="Harrington")

        response = api.get("/customers/")

        assert response.status_code == 200
        assert [c["full_name"] for c in response.json()["results"]] == ["Justine Harrington"]

    def test_revoked_token_is_401_even_for_writes(self, client, agent):
        token, raw = api_token_create(user=agent, name="old script", by=agent)
        api_token_revoke(token=token, by=agent)
        revoked = Api(client, raw)

        read = revoked.get("/customers/")
        write = revoked.post("/customers/", {"last_name": "Nobody"})

        assert (read.status_code, write.status_code) == (401, 401)
        assert errors(write) == [("__all__", "not_authenticated")]
        assert Customer.objects.count() == 0

    @pytest.mark.parametrize(
        "header", ["Bearer fl_000000000000_" + "x" * 43, "Bearer nonsense", "Basic dXNlcjpwdw=="]
    )
    def test_unknown_or_malformed_token_is_401(self, client, header):
        response = client.get(f"{BASE}/customers/", headers={"Authorization": header})

        assert response.status_code == 401

    def test_session_reads_without_csrf_but_writes_need_it(self, agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        session = Api(client)

        read = session.get("/customers/")
        refused = session.post("/customers/", {"last_name": "Okafor"})

        assert read.status_code == 200
        assert refused.status_code == 403
        assert errors(refused) == [("__all__", "csrf_failed")]
        assert Customer.objects.count() == 0

        session.csrf = _csrf_token(client)
        accepted = session.post("/customers/", {"last_name": "Okafor"})

        assert accepted.status_code == 201
        assert Customer.objects.get().last_name == "Okafor"


# --- list -------------------------------------------------------------------------------------


class TestList:
    def test_pagination_count_next_previous(self, api):
        for last in ("Adams", "Baker", "Clark", "Davis", "Evans"):
            CustomerFactory(first_name="Pat", last_name=last)

        first = api.get("/customers/", {"limit": 2}).json()
        middle = api.get("/customers/", {"limit": 2, "offset": 2}).json()
        last = api.get("/customers/", {"limit": 2, "offset": 4}).json()

        assert first["count"] == middle["count"] == last["count"] == 5
        assert [c["last_name"] for c in first["results"]] == ["Adams", "Baker"]
        assert [c["last_name"] for c in middle["results"]] == ["Clark", "Davis"]
        assert [c["last_name"] for c in last["results"]] == ["Evans"]
        assert first["previous"] is None
        assert first["next"] == "http://testserver/api/v1/customers/?limit=2&offset=2"
        assert middle["previous"] == "http://testserver/api/v1/customers/?limit=2"
        assert middle["next"] == "http://testserver/api/v1/customers/?limit=2&offset=4"
        assert last["previous"] == "http://testserver/api/v1/customers/?limit=2&offset=2"
        assert last["next"] is None

    def test_links_keep_the_filters(self, api):
        for n in range(3):
            CustomerFactory(first_name=f"Ana{n}", last_name="Silva", language="pt")

        page = api.get("/customers/", {"language": "pt", "limit": 1}).json()

        assert page["count"] == 3
        assert page["next"] == "http://testserver/api/v1/customers/?language=pt&limit=1&offset=1"

    def test_list_item_shape(self, api):
        org = services.organisation_create(by=None, name="Northwind")
        CustomerFactory(
            first_name="Justine",
            last_name="Harrington",
            email="Justine@Example.com",
            phone="+49 30 1234567",
            organisation_id=org.pk,
            tags=["VIP"],
            marketing_consent=True,
        )

        item = api.get("/customers/").json()["results"][0]

        assert {k: v for k, v in item.items() if k not in {"id", "created_at"}} == {
            "first_name": "Justine",
            "last_name": "Harrington",
            "full_name": "Justine Harrington",
            "status": "active",
            "organisation": {"id": org.pk, "name": "Northwind"},
            "email": "Justine@Example.com",
            "phone": "+49 30 1234567",
            "tags": ["vip"],
            "language": "en",
            "marketing_consent": True,
            "last_interaction_at": None,
        }

    def test_filters(self, api):
        north = services.organisation_create(by=None, name="Northwind")
        a = CustomerFactory(
            first_name="Ana", last_name="Lopez", organisation_id=north.pk, tags=["vip"], language="es"
        )
        b = CustomerFactory(first_name="Ben", last_name="Okafor", marketing_consent=True)
        c = CustomerFactory(first_name="Cleo", last_name="Zhang")
        services.customer_update(customer_id=c.pk, by=None, changes={"status": "blocked"})

        def ids(**params: Any) -> list[int]:
            response = api.get("/customers/", params)
            assert response.status_code == 200, response.content
            return [item["id"] for item in response.json()["results"]]

        assert ids() == [a.pk, b.pk]
        assert ids(q="okaf") == [b.pk]
        assert ids(q="ana.lopez@example.com") == [a.pk]
        assert ids(organisation_id=north.pk) == [a.pk]
        assert ids(tag="VIP") == [a.pk]
        assert ids(language="es") == [a.pk]
        assert ids(marketing_consent="true") == [b.pk]
        assert ids(marketing_consent="false") == [a.pk]
        assert ids(status="blocked") == [c.pk]
        assert ids(status="any") == [a.pk, b.pk, c.pk]
        assert ids(order="-name") == [b.pk, a.pk]
        assert ids(order="-created") == [b.pk, a.pk]

    def test_search_pages_and_counts_only_what_the_filters_select(self, api):
        for first in ("Ann", "Ben", "Cid"):
            CustomerFactory(first_name=first, last_name="Smith")
        blocked = CustomerFactory(first_name="Dee", last_name="Smith")
        CustomerFactory(first_name="Eve", last_name="Jones")

        without_blocked = api.get("/customers/", {"q": "smith", "limit": 2}).json()
        services.customer_update(customer_id=blocked.pk, by=None, changes={"status": "blocked"})
        active = api.get("/customers/", {"q": "smith", "limit": 2}).json()
        active_rest = api.get("/customers/", {"q": "smith", "limit": 2, "offset": 2}).json()
        any_status = api.get("/customers/", {"q": "smith", "status": "any"}).json()
        only_blocked = api.get("/customers/", {"q": "smith", "status": "blocked"}).json()

        assert (without_blocked["count"], len(without_blocked["results"])) == (4, 2)
        assert (active["count"], len(active["results"]), active_rest["count"]) == (3, 2, 3)
        # Equal ranks: newest first.
        assert [c["first_name"] for c in active["results"]] == ["Cid", "Ben"]
        assert [c["first_name"] for c in active_rest["results"]] == ["Ann"]
        assert (active["next"] is not None, active_rest["next"]) == (True, None)
        assert any_status["count"] == 4
        assert [c["id"] for c in only_blocked["results"]] == [blocked.pk]

    def test_search_query_count_does_not_grow_with_the_matches(self, agent):
        client = Client()
        client.force_login(agent)

        def search_queries(params: dict[str, Any]) -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/customers/", params)
            assert response.status_code == 200
            return len(queries)

        for n in range(3):
            CustomerFactory(first_name=f"Ann{n}", last_name="Smith", tags=["vip"])
        with_3 = (search_queries({"q": "smith"}), search_queries({"q": "smith", "tag": "vip"}))
        for n in range(27):
            CustomerFactory(first_name=f"Bob{n}", last_name="Smith", tags=["vip"])
        with_30 = (search_queries({"q": "smith"}), search_queries({"q": "smith", "tag": "vip"}))

        # Both: session (unless cached), user, then the page's rows, primary contacts and tags.
        # Plain search: any blocked customer?, index page, index count. With a filter: index
        # candidates, which of them the filter keeps.
        assert with_3 == with_30 == (7 + SESSION_QUERIES, 6 + SESSION_QUERIES)

    @pytest.mark.parametrize(
        ("params", "field", "code"),
        [
            ({"limit": 0}, "limit", "greater_than_equal"),
            ({"limit": 201}, "limit", "less_than_equal"),
            ({"limit": "ten"}, "limit", "int_parsing"),
            ({"offset": -1}, "offset", "greater_than_equal"),
            ({"order": "shoe_size"}, "order", "enum"),
            ({"status": "gone"}, "status", "enum"),
            ({"organisation_id": 2**64}, "organisation_id", "less_than_equal"),
            ({"marketing_consent": "maybe"}, "marketing_consent", "bool_parsing"),
        ],
    )
    def test_bad_query_parameters_are_422_naming_the_parameter(self, api, params, field, code):
        response = api.get("/customers/", params)

        assert response.status_code == 422
        assert errors(response) == [(field, code)]

    def test_query_count_does_not_grow_with_the_page(self, agent):
        client = Client()
        client.force_login(agent)  # session auth: no token bookkeeping in the count
        org = services.organisation_create(by=None, name="Northwind")

        def list_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/customers/", {"limit": 50})
            assert response.status_code == 200
            return len(queries)

        for n in range(3):
            CustomerFactory(phone=f"+1 555 010 {n:04d}", organisation_id=org.pk, tags=["vip", "b2b"])
        with_3 = list_queries()
        for n in range(27):
            CustomerFactory(phone=f"+1 555 020 {n:04d}", organisation_id=org.pk, tags=["vip", "b2b"])
        with_30 = list_queries()

        # session (unless cached), user, count, page, primary contacts, tags
        assert with_3 == with_30 == 5 + SESSION_QUERIES


# --- detail -----------------------------------------------------------------------------------


class TestDetail:
    def test_full_profile(self, api):
        org = services.organisation_create(by=None, name="Northwind")
        customer = CustomerFactory(
            first_name="Justine",
            last_name="Harrington",
            email="justine@example.com",
            phone="+49 30 1234567",
            organisation_id=org.pk,
            job_title="Buyer",
            language="de",
            time_zone="Europe/Berlin",
            preferred_channel="phone",
            notes="Prefers mornings.",
            tags=["vip"],
            address=AddressInput(
                line1="Unter den Linden 1", city="Berlin", country="de", postal_code="10117"
            ),
            ext={"Shop": "C-1042"},
        )
        email, phone = customer.contact_points.order_by("kind")
        address, ext = customer.addresses.get(), customer.external_ids.get()

        response = api.get(f"/customers/{customer.pk}")

        assert response.status_code == 200
        body = response.json()
        assert body["contacts"] == [
            {
                "id": email.pk,
                "kind": "email",
                "value": "justine@example.com",
                "normalized": "justine@example.com",
                "platform": "",
                "label": "",
                "is_primary": True,
                "verified_at": None,
            },
            {
                "id": phone.pk,
                "kind": "phone",
                "value": "+49 30 1234567",
                "normalized": "+49301234567",
                "platform": "",
                "label": "",
                "is_primary": True,
                "verified_at": None,
            },
        ]
        assert body["addresses"] == [
            {
                "id": address.pk,
                "kind": "shipping",
                "line1": "Unter den Linden 1",
                "line2": "",
                "city": "Berlin",
                "region": "",
                "postal_code": "10117",
                "country": "DE",
                "is_primary": True,
            }
        ]
        assert body["external_ids"] == [{"id": ext.pk, "system": "shop", "value": "C-1042"}]
        assert body["preferences"] == {
            "language": "de",
            "time_zone": "Europe/Berlin",
            "preferred_channel": "phone",
            "marketing_consent": False,
            "marketing_consent_at": None,
        }
        assert (body["organisation"], body["tags"], body["notes"], body["job_title"]) == (
            {"id": org.pk, "name": "Northwind"},
            ["vip"],
            "Prefers mornings.",
            "Buyer",
        )
        assert (body["status"], body["merged_into_id"], body["has_portal_account"]) == ("active", None, False)

    def test_unknown_customer_is_404(self, api):
        response = api.get("/customers/424242")

        assert response.status_code == 404
        assert errors(response) == [("customer", "not_found")]

    @pytest.mark.parametrize("path", ["/customers/0", f"/customers/{2**63}"])
    def test_out_of_range_id_is_422_not_500(self, api, path):
        response = api.get(path)

        assert response.status_code == 422
        assert errors(response)[0][0] == "customer_id"

    def test_query_count_does_not_grow_with_the_profile(self, agent):
        client = Client()
        client.force_login(agent)
        small = CustomerFactory()
        big = CustomerFactory(
            phone="+1 555 0100",
            tags=[f"tag{n}" for n in range(10)],
            contacts=[ContactInput(kind="email", value=f"alias{n}@example.com") for n in range(10)],
            ext={f"system{n}": f"id{n}" for n in range(10)},
        )
        for n in range(10):
            services.address_add(
                customer_id=big.pk,
                by=None,
                address=AddressInput(line1=f"{n} Main St", city="Springfield", country="US"),
            )

        def detail_queries(customer: Customer) -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{BASE}/customers/{customer.pk}")
            assert response.status_code == 200
            return len(queries)

        # session (unless cached), user, customer + organisation, contacts, addresses, tags, external ids
        assert detail_queries(small) == detail_queries(big) == 6 + SESSION_QUERIES


# --- create -----------------------------------------------------------------------------------


class TestCreate:
    def test_creates_the_customer_and_answers_its_profile(self, api, agent):
        response = api.post(
            "/customers/",
            {
                "first_name": "Justine",
                "last_name": "Harrington",
                "organisation_name": "Northwind",
                "contacts": [
                    {"kind": "email", "value": "justine@example.com"},
                    {"kind": "social", "value": "@justine", "platform": "instagram"},
                ],
                "addresses": [{"line1": "1 Main St", "city": "Springfield", "country": "US"}],
                "tags": ["VIP"],
                "external_ids": {"shop": "C-1"},
                "preferred_channel": "chat",
                "marketing_consent": True,
            },
        )

        assert response.status_code == 201, response.content
        body = response.json()
        customer = Customer.objects.get()
        assert body["id"] == customer.pk
        assert [(c["kind"], c["value"], c["is_primary"]) for c in body["contacts"]] == [
            ("email", "justine@example.com", True),
            ("social", "@justine", True),
        ]
        assert body["organisation"]["name"] == "Northwind"
        assert body["tags"] == ["vip"]
        assert body["preferences"]["preferred_channel"] == "chat"
        assert body["preferences"]["marketing_consent_at"] is not None
        entry = AuditEntry.objects.get(verb="customer.created")
        assert (entry.actor, entry.target_id) == (agent, str(customer.pk))

    @pytest.mark.parametrize(
        ("payload", "status", "expected"),
        [
            pytest.param({}, 400, [("last_name", "invalid")], id="missing-name-and-contacts"),
            pytest.param(
                {"first_name": " ", "contacts": []}, 400, [("last_name", "invalid")], id="blank-name"
            ),
            pytest.param(
                {"last_name": "X", "contacts": [{"kind": "email", "value": "not-an-email"}]},
                400,
                [("contacts[0]", "invalid")],
                id="bad-email",
            ),
            pytest.param(
                {"last_name": "X", "preferred_channel": "pigeon"},
                422,
                [("preferred_channel", "enum")],
                id="unknown-preferred-channel",
            ),
            pytest.param({"first_name": 123}, 422, [("first_name", "string_type")], id="number-for-name"),
            pytest.param(
                {"last_name": "X", "marketing_consent": "maybe"},
                422,
                [("marketing_consent", "bool_parsing")],
                id="not-a-boolean",
            ),
            pytest.param(
                {"last_name": "X", "contacts": "a@b.c"},
                422,
                [("contacts", "list_type")],
                id="contacts-not-list",
            ),
            pytest.param(
                {"last_name": "X", "contacts": [{"kind": "email", "value": None}]},
                422,
                [("contacts[0].value", "string_type")],
                id="null-contact-value",
            ),
            pytest.param(
                {
                    "last_name": "X",
                    "contacts": [{"kind": "email", "value": "a@b.co"}, {"kind": "fax", "value": "1"}],
                },
                422,
                [("contacts[1].kind", "enum")],
                id="unknown-contact-kind",
            ),
            pytest.param(
                {"last_name": "X", "addresses": [{"line1": "1 Main St", "city": "Springfield"}]},
                422,
                [("addresses[0].country", "missing")],
                id="address-without-country",
            ),
            pytest.param(
                {"last_name": "X", "external_ids": {"shop": 5}},
                422,
                [("external_ids.shop", "string_type")],
                id="external-id-number",
            ),
            pytest.param(
                {"last_name": "X", "time_zone": "Mars/Olympus"},
                400,
                [("time_zone", "invalid")],
                id="unknown-time-zone",
            ),
            pytest.param(
                {"last_name": "X", "organisation_id": 999},
                404,
                [("organisation_id", "not_found")],
                id="unknown-organisation",
            ),
            pytest.param(
                {"last_name": "X", "firstname": "typo"},
                422,
                [("firstname", "extra_forbidden")],
                id="unknown-field",
            ),
            pytest.param(["Justine"], 422, [("body", "model_attributes_type")], id="array-body"),
            pytest.param(
                {"first_name": 1, "last_name": 2},
                422,
                [("first_name", "string_type"), ("last_name", "string_type")],
                id="every-bad-field-named",
            ),
        ],
    )
    def test_bad_payload_names_the_field_and_writes_nothing(self, api, payload, status, expected):
        response = api.post("/customers/", payload)

        assert response.status_code == status, response.content
        assert errors(response) == expected
        nothing_written()

    @pytest.mark.parametrize("raw", ['{"last_name": "X",}', "{", "last_name=X", b"\xff\xfe"])
    def test_malformed_json_is_400_and_writes_nothing(self, api, raw):
        response = api.post("/customers/", raw=raw)

        assert response.status_code == 400
        assert errors(response) == [("body", "malformed_json")]
        nothing_written()

    def test_missing_body_is_422(self, api):
        response = api.post("/customers/")

        assert response.status_code == 422
        assert errors(response) == [("body", "missing")]
        nothing_written()

    def test_roles_without_add_permission_are_403(self, client):
        reporter = UserFactory(role=Role.REPORTER)
        _token, raw = api_token_create(user=reporter, name="t", by=reporter)

        response = Api(client, raw).post("/customers/", {"last_name": "X"})

        assert response.status_code == 403
        assert errors(response) == [("__all__", "permission_denied")]
        nothing_written()


# --- update -----------------------------------------------------------------------------------


class TestUpdate:
    def test_changes_only_the_fields_sent(self, api, agent):
        customer = CustomerFactory(
            first_name="Justine", last_name="Harrington", job_title="Buyer", tags=["vip"]
        )

        response = api.patch(f"/customers/{customer.pk}", {"last_name": "Smith", "marketing_consent": True})

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["first_name"], body["last_name"], body["job_title"], body["tags"]) == (
            "Justine",
            "Smith",
            "Buyer",
            ["vip"],
        )
        assert body["preferences"]["marketing_consent"] is True
        entry = AuditEntry.objects.get(verb="customer.updated")
        assert entry.actor == agent
        assert entry.data["changes"] == {
            "last_name": ["Harrington", "Smith"],
            "marketing_consent": [False, True],
        }

    def test_organisation_and_tags(self, api):
        org = services.organisation_create(by=None, name="Northwind")
        customer = CustomerFactory(tags=["vip"])

        linked = api.patch(
            f"/customers/{customer.pk}", {"organisation_id": org.pk, "tags": ["b2b", "Wholesale"]}
        )
        unlinked = api.patch(f"/customers/{customer.pk}", {"organisation_id": None})

        assert linked.json()["organisation"] == {"id": org.pk, "name": "Northwind"}
        assert linked.json()["tags"] == ["b2b", "wholesale"]
        assert unlinked.json()["organisation"] is None

    @pytest.mark.parametrize(
        ("payload", "status", "expected"),
        [
            ({"first_name": None}, 422, [("first_name", "string_type")]),
            ({"status": "merged"}, 422, [("status", "enum")]),
            ({"preferred_channel": "fax"}, 422, [("preferred_channel", "enum")]),
            ({"time_zone": "Nowhere/Land"}, 400, [("time_zone", "invalid")]),
            ({"language": "x"}, 422, [("language", "string_too_short")]),
            ({"pk": 5}, 422, [("pk", "extra_forbidden")]),
        ],
    )
    def test_bad_changes_are_refused_and_change_nothing(self, api, payload, status, expected):
        customer = CustomerFactory(first_name="Justine")

        response = api.patch(f"/customers/{customer.pk}", payload)

        assert response.status_code == status
        assert errors(response) == expected
        customer.refresh_from_db()
        assert (customer.first_name, customer.status, customer.time_zone) == ("Justine", "active", "UTC")
        assert not AuditEntry.objects.filter(verb="customer.updated").exists()

    def test_merged_customer_is_409(self, api):
        survivor, merged = CustomerFactory(), CustomerFactory()
        services.customer_merge(survivor_id=survivor.pk, merged_id=merged.pk, by=None)

        response = api.patch(f"/customers/{merged.pk}", {"first_name": "New"})

        assert response.status_code == 409
        assert errors(response) == [("customer", "merged")]


# --- merge ------------------------------------------------------------------------------------


class TestMerge:
    def test_merge_and_reverse_are_audited(self, api, agent):
        survivor = CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")
        duplicate = CustomerFactory(first_name="Justine", last_name="Harington", email="jh@work.example")

        merged = api.post(
            f"/customers/{survivor.pk}/merge", {"merged_id": duplicate.pk, "reason": "same person"}
        )

        assert merged.status_code == 201, merged.content
        record = MergeRecord.objects.get()
        body = merged.json()
        assert (body["id"], body["survivor_id"], body["merged_id"]) == (record.pk, survivor.pk, duplicate.pk)
        assert (body["merged_by"], body["reason"], body["reversed_at"]) == ("sara", "same person", None)
        moved_contact = ContactPoint.objects.get(normalized="jh@work.example")
        assert body["moved"]["contact_points"] == [moved_contact.pk]
        profile = api.get(f"/customers/{survivor.pk}").json()
        assert [c["value"] for c in profile["contacts"]] == ["justine@example.com", "jh@work.example"]
        assert api.get(f"/customers/{duplicate.pk}").json()["merged_into_id"] == survivor.pk
        entry = AuditEntry.objects.get(verb="customer.merged")
        assert (entry.actor, entry.target_id, entry.data["merge_id"]) == (agent, str(survivor.pk), record.pk)

        reversed_ = api.post(f"/customers/merges/{record.pk}/reverse")

        assert reversed_.status_code == 200, reversed_.content
        assert reversed_.json()["reversed_by"] == "sara"
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.merged_into_id) == (CustomerStatus.ACTIVE, None)
        assert [c["value"] for c in api.get(f"/customers/{survivor.pk}").json()["contacts"]] == [
            "justine@example.com"
        ]
        entry = AuditEntry.objects.get(verb="customer.unmerged")
        assert (entry.actor, entry.data["merge_id"]) == (agent, record.pk)

    def test_reversing_twice_is_409(self, api):
        survivor, duplicate = CustomerFactory(), CustomerFactory()
        record = services.customer_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, by=None)
        services.customer_unmerge(merge_id=record.pk, by=None)

        response = api.post(f"/customers/merges/{record.pk}/reverse")

        assert response.status_code == 409
        assert errors(response) == [("merge_id", "reversed")]

    @pytest.mark.parametrize(
        ("target", "status", "expected"),
        [
            ("self", 400, [("merged_id", "invalid")]),
            ("missing", 404, [("merged_id", "not_found")]),
        ],
    )
    def test_refusals_change_nothing(self, api, target, status, expected):
        survivor = CustomerFactory()
        merged_id = survivor.pk if target == "self" else 999_999

        response = api.post(f"/customers/{survivor.pk}/merge", {"merged_id": merged_id})

        assert response.status_code == status
        assert errors(response) == expected
        assert not MergeRecord.objects.exists()
        assert not AuditEntry.objects.filter(verb="customer.merged").exists()

    def test_unknown_merge_is_404(self, api):
        response = api.post("/customers/merges/77/reverse")

        assert response.status_code == 404
        assert errors(response) == [("merge_id", "not_found")]

    def test_roles_without_merge_permission_are_403(self, client):
        reporter = UserFactory(role=Role.REPORTER)
        _token, raw = api_token_create(user=reporter, name="t", by=reporter)
        survivor, duplicate = CustomerFactory(), CustomerFactory()

        response = Api(client, raw).post(f"/customers/{survivor.pk}/merge", {"merged_id": duplicate.pk})

        assert response.status_code == 403
        assert not MergeRecord.objects.exists()


# --- timeline and duplicates ------------------------------------------------------------------


class TestTimeline:
    @pytest.fixture
    def customer(self, agent):
        customer = CustomerFactory()
        base = timezone.now() - timedelta(days=10)
        for day, (kind, channel, internal) in enumerate(
            [
                ("call", "phone", False),
                ("email", "email", False),
                ("note", "system", True),
                ("chat", "chat", False),
            ]
        ):
            services.interaction_record(
                customer_id=customer.pk,
                kind=kind,
                channel=channel,
                is_internal=internal,
                summary=f"{kind} on day {day}",
                occurred_at=base + timedelta(days=day),
                actor=agent,
            )
        return customer

    def test_newest_first_with_filters(self, api, customer):
        every = api.get(f"/customers/{customer.pk}/timeline").json()
        calls_and_chats = api.get(f"/customers/{customer.pk}/timeline", {"kind": ["call", "chat"]}).json()
        by_email = api.get(f"/customers/{customer.pk}/timeline", {"channel": "email"}).json()

        assert [e["summary"] for e in every["results"]] == [
            "chat on day 3",
            "note on day 2",
            "email on day 1",
            "call on day 0",
        ]
        assert (every["next_cursor"], every["next"]) == (None, None)
        assert [e["kind"] for e in calls_and_chats["results"]] == ["chat", "call"]
        assert [e["kind"] for e in by_email["results"]] == ["email"]
        assert every["results"][0]["actor"] == "sara"

    def test_cursor_pages_through_everything_once(self, api, customer):
        first = api.get(f"/customers/{customer.pk}/timeline", {"limit": 3}).json()
        second = api.get(
            f"/customers/{customer.pk}/timeline", {"limit": 3, "before": first["next_cursor"]}
        ).json()

        assert [e["summary"] for e in first["results"]] == [
            "chat on day 3",
            "note on day 2",
            "email on day 1",
        ]
        assert (
            first["next"]
            == f"http://testserver/api/v1/customers/{customer.pk}/timeline?limit=3&before={first['next_cursor']}"
        )
        assert [e["summary"] for e in second["results"]] == ["call on day 0"]
        assert second["next_cursor"] is None

    @pytest.mark.parametrize(
        ("params", "field"), [({"before": "garbage!"}, "before"), ({"kind": "dance"}, "kind[0]")]
    )
    def test_bad_parameters(self, api, customer, params, field):
        response = api.get(f"/customers/{customer.pk}/timeline", params)

        assert response.status_code in (400, 422)
        assert errors(response)[0][0] == field

    def test_unknown_customer_is_404(self, api):
        assert api.get("/customers/999/timeline").status_code == 404


class TestDuplicates:
    def test_same_email_and_similar_name(self, api):
        customer = CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")
        same_email = CustomerFactory(first_name="J", last_name="H", email="JUSTINE@example.com")
        similar = CustomerFactory(first_name="Justine", last_name="Harrington", email="other@example.com")
        CustomerFactory(first_name="Someone", last_name="Else")

        response = api.get(f"/customers/{customer.pk}/duplicates")

        assert response.status_code == 200
        assert [(d["customer"]["id"], d["reasons"], d["score"]) for d in response.json()] == [
            (same_email.pk, ["same email (JUSTINE@example.com)"], 1.0),
            (similar.pk, ["similar name (Justine Harrington)"], 1.0),
        ]


# --- contact points, addresses, external ids --------------------------------------------------


class TestContactsAddressesExternalIds:
    def test_add_set_primary_and_remove_a_contact(self, api, agent):
        customer = CustomerFactory(email="first@example.com")

        added = api.post(
            f"/customers/{customer.pk}/contacts",
            {"kind": "email", "value": "second@example.com", "label": "work"},
        )
        point_id = added.json()["id"]
        primary = api.post(f"/customers/{customer.pk}/contacts/{point_id}/primary")
        removed = api.delete(f"/customers/{customer.pk}/contacts/{point_id}")

        assert added.status_code == 201
        assert (added.json()["is_primary"], added.json()["label"]) == (False, "work")
        assert (primary.status_code, primary.json()["is_primary"]) == (200, True)
        assert (removed.status_code, removed.content) == (204, b"")
        assert list(customer.contact_points.values_list("value", "is_primary")) == [
            ("first@example.com", True)
        ]
        assert list(
            AuditEntry.objects.filter(verb__startswith="customer.contact")
            .order_by("id")
            .values_list("verb", flat=True)
        ) == ["customer.contact_added", "customer.contact_primary", "customer.contact_removed"]

    def test_contact_errors(self, api):
        customer = CustomerFactory(email="first@example.com")
        other = CustomerFactory()

        duplicate = api.post(
            f"/customers/{customer.pk}/contacts", {"kind": "email", "value": "FIRST@example.com"}
        )
        bad_phone = api.post(f"/customers/{customer.pk}/contacts", {"kind": "phone", "value": "12"})
        not_theirs = api.delete(f"/customers/{other.pk}/contacts/{customer.contact_points.get().pk}")

        assert (duplicate.status_code, errors(duplicate)) == (409, [("value", "conflict")])
        assert (bad_phone.status_code, errors(bad_phone)) == (400, [("value", "invalid")])
        assert (not_theirs.status_code, errors(not_theirs)) == (404, [("contact_id", "not_found")])
        assert customer.contact_points.count() == 1

    def test_add_and_remove_an_address(self, api):
        customer = CustomerFactory()

        added = api.post(
            f"/customers/{customer.pk}/addresses",
            {"kind": "billing", "line1": "1 Main St", "city": "Springfield", "country": "us"},
        )
        removed = api.delete(f"/customers/{customer.pk}/addresses/{added.json()['id']}")

        assert added.status_code == 201
        assert {k: added.json()[k] for k in ("kind", "country", "is_primary")} == {
            "kind": "billing",
            "country": "US",
            "is_primary": True,
        }
        assert removed.status_code == 204
        assert not Address.objects.exists()

    def test_bad_address_is_refused(self, api):
        customer = CustomerFactory()

        response = api.post(
            f"/customers/{customer.pk}/addresses", {"line1": "1 Main St", "city": "X", "country": "1A"}
        )

        assert response.status_code == 400
        assert errors(response) == [("addresses.country", "invalid")]
        assert not Address.objects.exists()

    def test_set_change_and_remove_an_external_id(self, api):
        customer = CustomerFactory()
        other = CustomerFactory(ext={"erp": "E-9"})

        created = api.put(f"/customers/{customer.pk}/external-ids/Shop", {"value": "C-1"})
        changed = api.put(f"/customers/{customer.pk}/external-ids/shop", {"value": "C-2"})
        clash = api.put(f"/customers/{customer.pk}/external-ids/erp", {"value": "E-9"})
        removed = api.delete(f"/customers/{customer.pk}/external-ids/shop")
        missing = api.delete(f"/customers/{customer.pk}/external-ids/shop")

        assert (created.status_code, created.json()["system"], created.json()["value"]) == (
            200,
            "shop",
            "C-1",
        )
        assert changed.json() == {"id": created.json()["id"], "system": "shop", "value": "C-2"}
        assert (clash.status_code, errors(clash)) == (409, [("external_ids", "conflict")])
        assert removed.status_code == 204
        assert (missing.status_code, errors(missing)) == (404, [("system", "not_found")])
        assert list(ExternalId.objects.values_list("customer_id", "system")) == [(other.pk, "erp")]


# --- organisations ----------------------------------------------------------------------------


class TestOrganisations:
    def test_create_and_list(self, api, agent):
        created = api.post("/organisations/", {"name": "Northwind", "domain": "Northwind.example"})
        api.post("/organisations/", {"name": "Acme"})
        api.post("/organisations/", {"name": "Contoso"})

        assert created.status_code == 201
        assert {k: created.json()[k] for k in ("name", "domain")} == {
            "name": "Northwind",
            "domain": "northwind.example",
        }
        page = api.get("/organisations/", {"limit": 2}).json()
        assert [o["name"] for o in page["results"]] == ["Acme", "Contoso"]
        assert (page["count"], page["next"]) == (
            3,
            "http://testserver/api/v1/organisations/?limit=2&offset=2",
        )
        assert [o["name"] for o in api.get("/organisations/", {"q": "north"}).json()["results"]] == [
            "Northwind"
        ]
        assert (
            AuditEntry.objects.get(verb="organisation.created", target_id=str(created.json()["id"])).actor
            == agent
        )

    def test_duplicate_or_blank_name(self, api):
        api.post("/organisations/", {"name": "Northwind"})

        duplicate = api.post("/organisations/", {"name": "northwind"})
        blank = api.post("/organisations/", {"name": ""})

        assert (duplicate.status_code, errors(duplicate)) == (409, [("name", "conflict")])
        assert (blank.status_code, errors(blank)) == (422, [("name", "string_too_short")])
        assert Organisation.objects.count() == 1


# --- portal customers -------------------------------------------------------------------------


class TestPortalCustomer:
    @pytest.fixture
    def own(self, portal_user):
        customer = CustomerFactory(
            first_name="Justine", last_name="Harrington", notes="Difficult.", tags=["vip"]
        )
        Customer.objects.filter(pk=customer.pk).update(user=portal_user)  # their portal login
        services.interaction_record(
            customer_id=customer.pk, kind="email", channel="email", summary="Order question"
        )
        services.interaction_record(
            customer_id=customer.pk, kind="note", summary="Staff only", is_internal=True
        )
        return customer

    def test_list_returns_only_their_own_record(self, portal, own):
        CustomerFactory(first_name="Someone", last_name="Else")

        page = portal.get("/customers/").json()

        assert page["count"] == 1
        assert [c["id"] for c in page["results"]] == [own.pk]
        assert page["results"][0]["tags"] is None

    def test_search_finds_their_own_record_only(self, portal, own):
        for n in range(60):  # more better-ranked matches than a page holds
            CustomerFactory(first_name="Justine", last_name=f"Harrington{n}")

        page = portal.get("/customers/", {"q": "justine harrington"}).json()

        assert (page["count"], [c["id"] for c in page["results"]]) == (1, [own.pk])

    def test_reads_own_profile_without_staff_notes(self, portal, own):
        body = portal.get(f"/customers/{own.pk}").json()

        assert (body["id"], body["has_portal_account"], body["notes"], body["tags"]) == (
            own.pk,
            True,
            None,
            None,
        )

    def test_other_customers_are_404(self, portal, own):
        other = CustomerFactory()

        detail = portal.get(f"/customers/{other.pk}")
        timeline = portal.get(f"/customers/{other.pk}/timeline")

        assert (detail.status_code, timeline.status_code) == (404, 404)
        assert errors(detail) == [("customer", "not_found")]

    def test_customer_token_reads_only_their_own_record(self, portal_user, own):
        from frontline.accounts.services import api_token_create

        _token, raw = api_token_create(user=portal_user, name="my script", by=portal_user)
        api = Api(Client(), token=raw)
        other = CustomerFactory()

        assert [c["id"] for c in api.get("/customers/").json()["results"]] == [own.pk]
        assert api.get(f"/customers/{own.pk}").status_code == 200
        assert api.get(f"/customers/{other.pk}").status_code == 404
        assert api.patch(f"/customers/{own.pk}", {"notes": "x"}).status_code == 403

    def test_timeline_hides_internal_entries(self, portal, own):
        body = portal.get(f"/customers/{own.pk}/timeline").json()

        assert [e["summary"] for e in body["results"]] == ["Order question"]

    @pytest.mark.parametrize(
        ("method", "path", "payload"),
        [
            ("post", "/customers/", {"last_name": "New"}),
            ("patch", "/customers/{own}", {"first_name": "Changed"}),
            ("post", "/customers/{own}/merge", {"merged_id": 1}),
            ("post", "/customers/{own}/contacts", {"kind": "email", "value": "new@example.com"}),
            ("post", "/customers/{own}/addresses", {"line1": "1 Main St", "city": "X", "country": "US"}),
            ("put", "/customers/{own}/external-ids/shop", {"value": "1"}),
            ("post", "/organisations/", {"name": "Mine"}),
        ],
    )
    def test_every_write_is_403_and_changes_nothing(self, portal, own, method, path, payload):
        before = (Customer.objects.count(), ContactPoint.objects.count(), AuditEntry.objects.count())

        response = getattr(portal, method)(path.format(own=own.pk), payload)

        assert response.status_code == 403
        assert errors(response) == [("__all__", "permission_denied")]
        own.refresh_from_db()
        assert own.first_name == "Justine"
        assert (Customer.objects.count(), ContactPoint.objects.count(), AuditEntry.objects.count()) == before

    def test_staff_only_reads_are_403(self, portal, own):
        assert portal.get(f"/customers/{own.pk}/duplicates").status_code == 403
        assert portal.get("/organisations/").status_code == 403
