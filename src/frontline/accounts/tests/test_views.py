"""Sign-in with and without a second factor, sign-out, and the profile page, through the test client."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.urls import reverse

from frontline.accounts import services, totp
from frontline.accounts.choices import Role
from frontline.accounts.models import APIToken, TOTPDevice
from frontline.accounts.views import PENDING_KEY
from frontline.audit.models import AuditEntry

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/code/"
PROFILE = "/accounts/profile/"
NOW = 1_800_000_015.0  # inside one 30-second step


def login(client, username="sara", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def authenticated_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def enable_totp(user) -> str:
    _device, secret = services.totp_begin(user=user)
    services.totp_confirm(user=user, code=totp.code_at(secret, time.time() - 30))
    return secret


def test_url_names():
    assert (reverse("accounts:login"), reverse("accounts:logout"), reverse("accounts:profile")) == (
        LOGIN,
        "/accounts/logout/",
        PROFILE,
    )


class TestPasswordLogin:
    def test_login_page_renders(self, client):
        response = client.get(LOGIN)

        assert response.status_code == 200
        assert 'name="username"' in response.text and 'name="password"' in response.text
        assert "<script>" not in response.text and " style=" not in response.text

    def test_staff_go_to_the_workspace(self, client, agent):
        response = login(client)

        assert response.status_code == 302
        assert response.url == reverse("workspace:home")
        assert authenticated_id(client) == str(agent.pk)
        assert AuditEntry.objects.get(verb="auth.login").data == {"two_factor": False}

    def test_customers_go_to_their_profile(self, client, customer):
        response = login(client, username="justine")

        assert response.url == PROFILE
        assert authenticated_id(client) == str(customer.pk)

    def test_safe_next_is_followed_and_unsafe_next_ignored(self, client, agent):
        assert login(client, next="/customers/?q=x").url == "/customers/?q=x"
        client.post("/accounts/logout/")

        assert login(client, next="https://evil.example/").url == reverse("workspace:home")

    def test_wrong_password_and_unknown_user_get_the_same_error(self, client, agent):
        wrong = login(client, password="nope")
        unknown = login(client, username="nobody", password="nope")

        message = "That username and password do not match. Check them and try again."
        assert (wrong.status_code, unknown.status_code) == (422, 422)
        assert message in wrong.text and message in unknown.text
        assert authenticated_id(client) is None

    def test_inactive_user_cannot_log_in(self, client):
        UserFactory.create(username="gone", is_active=False)

        response = login(client, username="gone")

        assert response.status_code == 422
        assert authenticated_id(client) is None

    def test_language_cookie_set_from_profile(self, client):
        UserFactory.create(username="lena", language="de")

        response = login(client, username="lena")

        assert response.cookies["django_language"].value == "de"

    def test_already_signed_in_is_sent_home(self, client, agent):
        client.force_login(agent)

        assert client.get(LOGIN).url == reverse("workspace:home")

    def test_logout_is_post_only(self, client, agent):
        client.force_login(agent)

        assert client.get("/accounts/logout/").status_code == 405
        assert authenticated_id(client) == str(agent.pk)
        response = client.post("/accounts/logout/")
        assert response.url == LOGIN
        assert authenticated_id(client) is None
        assert AuditEntry.objects.filter(verb="auth.logout", actor=agent).count() == 1


class TestSecondFactorLogin:
    def test_password_then_code(self, client, agent, frozen):
        secret = enable_totp(agent)

        step_one = login(client, next="/customers/")

        assert step_one.url == VERIFY
        assert authenticated_id(client) is None
        assert client.session[PENDING_KEY]["user_id"] == agent.pk
        page = client.get(VERIFY)
        assert page.status_code == 200
        assert 'autocomplete="one-time-code"' in page.text

        step_two = client.post(VERIFY, {"code": totp.code_at(secret, time.time())})

        assert step_two.status_code == 302
        assert step_two.url == "/customers/"
        assert authenticated_id(client) == str(agent.pk)
        assert PENDING_KEY not in client.session
        assert AuditEntry.objects.get(verb="auth.login").data == {"two_factor": True}

    def test_session_key_changes_after_password_step(self, client, agent):
        enable_totp(agent)
        client.get(LOGIN)
        before = client.session.session_key

        login(client)

        assert client.session.session_key != before

    def test_wrong_code_is_rejected(self, client, agent, frozen):
        secret = enable_totp(agent)
        login(client)

        response = client.post(VERIFY, {"code": totp.code_at(secret, time.time() - 600)})

        assert response.status_code == 422
        assert "That code is not right, or it was already used." in response.text
        assert authenticated_id(client) is None
        assert client.session[PENDING_KEY]["user_id"] == agent.pk
        failed = AuditEntry.objects.get(verb="auth.login_failed")
        assert failed.data == {"username": "sara", "reason": "code"}

    def test_malformed_code_is_rejected_without_counting(self, client, agent):
        enable_totp(agent)
        login(client)

        response = client.post(VERIFY, {"code": "12ab"})

        assert response.status_code == 422
        assert "Enter the 6 digits your authenticator app shows." in response.text
        assert AuditEntry.objects.filter(verb="auth.login_failed").count() == 0

    def test_reused_code_is_rejected(self, client, agent, frozen):
        secret = enable_totp(agent)
        code = totp.code_at(secret, time.time())
        login(client)
        assert client.post(VERIFY, {"code": code}).status_code == 302
        client.post("/accounts/logout/")

        login(client)
        response = client.post(VERIFY, {"code": code})

        assert response.status_code == 422
        assert authenticated_id(client) is None

    def test_code_attempts_are_rate_limited(self, client, agent, frozen, settings):
        settings.LOGIN_MAX_FAILURES = 3
        secret = enable_totp(agent)
        login(client)
        wrong = totp.code_at(secret, time.time() - 600)

        statuses = [client.post(VERIFY, {"code": wrong}).status_code for _ in range(3)]

        assert statuses == [422, 422, 302]
        assert PENDING_KEY not in client.session
        # the right code cannot be used now: the pending sign-in is gone and the username is locked
        assert client.post(VERIFY, {"code": totp.code_at(secret, time.time())}).url == LOGIN
        assert login(client).status_code == 429
        assert authenticated_id(client) is None

    def test_password_success_does_not_reset_code_failures(self, client, agent, frozen, settings):
        settings.LOGIN_MAX_FAILURES = 3
        secret = enable_totp(agent)
        wrong = totp.code_at(secret, time.time() - 600)
        for _ in range(2):
            login(client)
            client.post(VERIFY, {"code": wrong})

        login(client)
        client.post(VERIFY, {"code": wrong})

        assert login(client).status_code == 429

    def test_verify_without_password_step_goes_to_login(self, client, agent):
        enable_totp(agent)

        assert client.get(VERIFY).url == LOGIN
        assert client.post(VERIFY, {"code": "123456"}).url == LOGIN
        assert authenticated_id(client) is None

    def test_pending_sign_in_expires(self, client, agent):
        secret = enable_totp(agent)
        login(client)
        session = client.session
        session[PENDING_KEY] = {**session[PENDING_KEY], "started": time.time() - 301}
        session.save()

        response = client.post(VERIFY, {"code": totp.code_at(secret, time.time())})

        assert response.url == LOGIN
        assert authenticated_id(client) is None


class TestProfile:
    def test_requires_login(self, client):
        response = client.get(PROFILE)

        assert response.status_code == 302
        assert response.url == f"{LOGIN}?next={PROFILE}"

    def test_shows_details_tokens_and_two_factor(self, client, agent):
        client.force_login(agent)

        response = client.get(PROFILE)

        assert response.status_code == 200
        assert 'value="sara@example.com"' in response.text
        assert 'id="api-tokens"' in response.text
        assert "Set up two-factor authentication" in response.text

    def test_customers_see_the_token_section_too(self, client, customer):
        client.force_login(customer)

        response = client.get(PROFILE)

        assert response.status_code == 200
        assert 'id="api-tokens"' in response.text

    def test_update_profile(self, client, agent):
        client.force_login(agent)

        response = client.post(
            PROFILE,
            {"first_name": "Sara", "last_name": "Lindqvist", "email": "sl@example.com", "language": "fr"},
        )

        assert response.status_code == 302
        agent.refresh_from_db()
        assert (agent.last_name, agent.email, agent.language) == ("Lindqvist", "sl@example.com", "fr")
        assert response.cookies["django_language"].value == "fr"

    def test_invalid_profile_shows_errors_and_saves_nothing(self, client, agent):
        UserFactory.create(username="omar", email="omar@example.com")
        client.force_login(agent)

        response = client.post(PROFILE, {"first_name": "X", "last_name": "", "email": "omar@example.com"})

        assert response.status_code == 422
        assert "Another user already has this email address." in response.text
        agent.refresh_from_db()
        assert (agent.first_name, agent.email) == ("Sara", "sara@example.com")

    def test_create_token_shows_it_once(self, client, agent):
        client.force_login(agent)

        created = client.post("/accounts/profile/tokens/", {"name": "reporting", "expires_in_days": "30"})

        assert created.status_code == 201
        found = re.search(r"fl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", created.text)
        assert found is not None
        raw = found.group(0)
        token = APIToken.objects.get()
        assert token.name == "reporting"
        assert token.expires_at is not None
        assert raw not in client.get(PROFILE).text
        assert f"fl_{token.key_prefix}_…" in client.get(PROFILE).text

    def test_create_token_without_name_fails(self, client, agent):
        client.force_login(agent)

        response = client.post("/accounts/profile/tokens/", {"name": "", "expires_in_days": ""})

        assert response.status_code == 422
        assert APIToken.objects.count() == 0

    def test_revoke_own_token_only(self, client, agent):
        mine, _raw = services.api_token_create(user=agent, name="mine", by=agent)
        other = UserFactory.create(username="omar")
        theirs, _raw = services.api_token_create(user=other, name="theirs", by=other)
        client.force_login(agent)

        assert client.post(f"/accounts/profile/tokens/{theirs.pk}/revoke/").status_code == 404
        response = client.post(f"/accounts/profile/tokens/{mine.pk}/revoke/")

        assert response.url == f"{PROFILE}#api-tokens"
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.revoked_at is not None
        assert theirs.revoked_at is None

    def test_two_factor_setup_confirm_and_disable(self, client, agent, frozen):
        client.force_login(agent)

        assert client.post("/accounts/profile/two-factor/setup/").url == f"{PROFILE}#two-factor"
        page = client.get(PROFILE)
        secret = crypto_secret(agent)
        assert "<svg " in page.text and 'class="segno"' in page.text
        assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page.text

        wrong = client.post(
            "/accounts/profile/two-factor/confirm/", {"code": totp.code_at(secret, NOW - 600)}
        )
        assert wrong.status_code == 422
        assert TOTPDevice.objects.get().is_confirmed is False

        confirmed = client.post("/accounts/profile/two-factor/confirm/", {"code": totp.code_at(secret, NOW)})
        assert confirmed.url == f"{PROFILE}#two-factor"
        assert TOTPDevice.objects.get().is_confirmed is True
        assert "Turn off" in client.get(PROFILE).text

        bad_password = client.post("/accounts/profile/two-factor/disable/", {"password": "nope"})
        assert bad_password.status_code == 422
        assert TOTPDevice.objects.count() == 1

        disabled = client.post("/accounts/profile/two-factor/disable/", {"password": PASSWORD})
        assert disabled.url == f"{PROFILE}#two-factor"
        assert TOTPDevice.objects.count() == 0

    def test_confirm_attempts_are_rate_limited(self, client, agent, frozen, settings):
        settings.LOGIN_MAX_FAILURES = 2
        client.force_login(agent)
        client.post("/accounts/profile/two-factor/setup/")
        secret = crypto_secret(agent)
        wrong = totp.code_at(secret, NOW - 600)

        statuses = [
            client.post("/accounts/profile/two-factor/confirm/", {"code": wrong}).status_code
            for _ in range(2)
        ]
        right = client.post("/accounts/profile/two-factor/confirm/", {"code": totp.code_at(secret, NOW)})

        assert statuses == [422, 422]
        assert right.status_code == 429
        assert TOTPDevice.objects.get().is_confirmed is False

    def test_profile_page_query_count(self, client, agent, django_assert_max_num_queries):
        enable_totp(agent)
        for i in range(5):
            services.api_token_create(user=agent, name=f"t{i}", by=agent)
        client.force_login(agent)

        with django_assert_max_num_queries(8):
            assert client.get(PROFILE).status_code == 200


def crypto_secret(user) -> str:
    from frontline.core import crypto

    return crypto.decrypt(TOTPDevice.objects.get(user=user).encrypted_secret)


def test_customer_role_gets_a_token_through_the_profile_page(client, customer):
    client.force_login(customer)

    response = client.post("/accounts/profile/tokens/", {"name": "my script", "expires_in_days": ""})

    assert response.status_code == 201  # the new token, shown once
    assert APIToken.objects.get().user == customer


def test_admin_role_user_can_reach_the_admin_site(client):
    admin = UserFactory.create(username="root", role=Role.ADMIN)
    client.force_login(admin)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
