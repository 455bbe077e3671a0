"""Bearer-token authentication for the API (django-ninja)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from frontline.accounts import services
from frontline.accounts.api_auth import BearerTokenAuth

pytestmark = pytest.mark.django_db


def call(header: str | None):
    headers = {"Authorization": header} if header is not None else {}
    request = RequestFactory().get("/api/v1/anything", headers=headers)
    request.user = AnonymousUser()
    return request, BearerTokenAuth()(request)


def test_valid_token_authenticates_and_sets_request_user(agent):
    _token, raw = services.api_token_create(user=agent, name="t", by=agent)

    request, result = call(f"Bearer {raw}")

    assert result == agent
    assert request.user == agent


def test_scheme_is_case_insensitive(agent):
    _token, raw = services.api_token_create(user=agent, name="t", by=agent)

    assert call(f"bearer {raw}")[1] == agent


def test_revoked_token(agent):
    token, raw = services.api_token_create(user=agent, name="t", by=agent)
    services.api_token_revoke(token=token, by=agent)

    request, result = call(f"Bearer {raw}")

    assert result is None
    assert request.user.is_authenticated is False


def test_expired_token(agent):
    _token, raw = services.api_token_create(
        user=agent, name="t", expires_at=timezone.now() + timedelta(hours=1), by=agent
    )

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert call(f"Bearer {raw}")[1] is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token fl_abc",
        "Basic dXNlcjpwYXNz",
        "Bearer fl_zz_short",
        "Bearer fl_0123456789ab_",
    ],
)
def test_missing_or_malformed_header(agent, header):
    request, result = call(header)

    assert result is None
    assert request.user.is_authenticated is False


def test_openapi_scheme_is_bearer():
    auth = BearerTokenAuth()

    assert (auth.openapi_type, auth.openapi_scheme) == ("http", "bearer")
