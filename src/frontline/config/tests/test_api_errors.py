"""The API's plumbing: one error shape for every failure, and docs that work offline under our CSP."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from frontline.core.api import field_from_loc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (["body", "payload", "contacts", 0, "value"], "contacts[0].value"),
        (["body", "payload", "external_ids", "shop"], "external_ids.shop"),
        (["body", "payload", "first_name"], "first_name"),
        (["body", "payload"], "body"),
        (["query", "limit"], "limit"),
        (["query", "kind", 2], "kind[2]"),
        (["path", "customer_id"], "customer_id"),
        (["contacts", 1, "kind"], "contacts[1].kind"),
        ([], "__all__"),
    ],
)
def test_field_from_loc(loc, field):
    assert field_from_loc(loc) == field


def _errors(response):
    body = response.json()
    assert list(body) == ["errors"]
    return [(e["field"], e["code"]) for e in body["errors"]]


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/nothing-here", "/api/v1/customers/abc", "/api/v1/customers/1/nope"]
)
def test_unknown_api_paths_are_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert _errors(response) == [("__all__", "not_found")]


def test_wrong_method_is_json_405(client):
    response = client.put("/api/v1/customers/", "{}", content_type="application/json")

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    assert _errors(response) == [("__all__", "method_not_allowed")]


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert (schema["info"]["title"], schema["info"]["version"]) == ("Frontline API", "1")
    assert set(schema["components"]["securitySchemes"]) == {"BearerTokenAuth", "SessionCsrfAuth"}
    assert "/api/v1/customers/" in schema["paths"]


class TestDocs:
    @pytest.fixture
    def page(self, client):
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        return response

    def test_every_asset_is_ours_and_is_served(self, client, page):
        html = page.content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)

        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        assert sorted(assets) == [
            "/static/ninja/favicon.png",
            "/static/ninja/favicon.svg",
            "/static/ninja/swagger-ui-bundle.js",
            "/static/ninja/swagger-ui-init.js",
            "/static/ninja/swagger-ui.css",
        ]
        for asset in assets:
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert b"".join(response.streaming_content), asset

    def test_page_needs_no_inline_script_or_style(self, page):
        html = page.content.decode()
        csp = page["Content-Security-Policy"]

        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        # The only inline <script> is a JSON data block, which CSP does not execute or block.
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline == [' type="application/json" id="swagger-settings"']
        assert "<style" not in html and " style=" not in html

    def test_swagger_reads_our_schema_and_calls_no_validator(self, page):
        html = page.content.decode()
        settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))

        assert settings["url"] == "/api/v1/openapi.json"
        assert settings["validatorUrl"] is None

    def test_docs_carry_a_csrf_token_for_session_try_it_out(self):
        client = Client(enforce_csrf_checks=True)

        html = client.get("/api/v1/docs").content.decode()

        assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', html)
        assert 'data-api-csrf="true"' in html
        assert "csrftoken" in client.cookies


def test_operation_ids_are_unique(client):
    # Operation ids are the view functions' names (stable in the snapshot); two routers must
    # not reuse one, or Swagger's deep links and generated clients collide.
    schema = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]

    assert len(ids) == len(set(ids))
