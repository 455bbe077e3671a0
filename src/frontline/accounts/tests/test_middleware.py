"""The role policy "two-factor required" sends staff without a confirmed device to the set-up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.accounts import services
from frontline.accounts.choices import Role
from frontline.accounts.models import TOTPDevice
from frontline.accounts.tests.test_views import enable_totp
from frontline.core.tests.queries import SESSION_QUERIES

pytestmark = pytest.mark.django_db

SETUP = "/accounts/profile/#two-factor"
# Reading the session: a query, unless sessions are cached (cached_db, with Redis).


@pytest.fixture
def policy():
    return services.role_policy_set(role=Role.AGENT, require_two_factor=True, by=None)


@pytest.mark.parametrize("path", ["/", "/customers/", "/admin/", "/accounts/profile/tokens/"])
def test_staff_without_device_are_redirected_to_setup(client, agent, policy, path):
    client.force_login(agent)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == SETUP
    follow = client.get(response.url)
    assert "Your role requires two-factor authentication." in follow.text


def test_post_requests_are_redirected_and_do_nothing(client, agent, policy):
    client.force_login(agent)

    response = client.post("/accounts/profile/tokens/", {"name": "sneaky", "expires_in_days": ""})

    assert response.url == SETUP
    assert agent.api_tokens.count() == 0


def test_htmx_requests_get_hx_redirect(client, agent, policy):
    client.force_login(agent)

    response = client.get("/customers/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == SETUP


@pytest.mark.parametrize("path", ["/accounts/profile/", "/static/frontline/frontline.css", "/api/v1/docs"])
def test_setup_pages_static_and_api_are_exempt(client, agent, policy, path):
    client.force_login(agent)

    assert client.get(path).status_code == 200


def test_setup_and_logout_work(client, agent, policy):
    client.force_login(agent)

    assert client.post("/accounts/profile/two-factor/setup/").url == SETUP
    assert TOTPDevice.objects.filter(user=agent).count() == 1
    assert client.post("/accounts/logout/").url == reverse("accounts:login")


def test_unconfirmed_device_is_not_enough(client, agent, policy):
    services.totp_begin(user=agent)
    client.force_login(agent)

    assert client.get("/").url == SETUP


def test_confirmed_device_passes(client, agent, policy):
    enable_totp(agent)
    client.force_login(agent)

    assert client.get("/").status_code == 200


def test_other_roles_and_customers_are_not_affected(client, policy, customer):
    lead = services.user_create(username="isabella", email="i@example.com", role=Role.LEAD, password="x" * 20)
    services.role_policy_set(role=Role.CUSTOMER, require_two_factor=True, by=None)

    client.force_login(lead)
    assert client.get("/").status_code == 200
    client.force_login(customer)
    # not sent to the set-up: the view itself answers (405: the token form takes POST only)
    assert client.get("/accounts/profile/tokens/").status_code == 405


def test_anonymous_users_are_not_affected(client, policy):
    assert client.get("/accounts/login/").status_code == 200


def test_no_query_of_its_own_per_staff_request(client, agent, django_assert_num_queries):
    client.force_login(agent)

    # session (none when sessions are cached in Redis) + user (which carries the policy check);
    # the view then answers 405 without a query
    with django_assert_num_queries(SESSION_QUERIES + 1):
        assert client.get("/accounts/profile/tokens/").status_code == 405


def test_a_policy_switched_on_applies_to_the_next_request(client, agent):
    client.force_login(agent)
    assert client.get("/").status_code == 200

    services.role_policy_set(role=Role.AGENT, require_two_factor=True, by=None)

    assert client.get("/").url == SETUP


def test_permission_checks_need_no_query(agent, django_assert_num_queries):
    from frontline.accounts import roles
    from frontline.accounts.backends import RoleBackend

    user = RoleBackend().get_user(agent.pk)

    with django_assert_num_queries(0):
        assert user.has_perm(roles.CUSTOMER_VIEW)
        assert user.has_perms([roles.CASE_REPLY, roles.WORKSPACE])
        assert not user.has_perm(roles.USER_MANAGE)
        assert user.has_module_perms("customers")
        assert not user.has_module_perms("accounts")
