"""The admin goes through the services: same rules, same audit rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontline.accounts import lockout, services
from frontline.accounts.choices import Role
from frontline.accounts.models import APIToken, Membership, RolePolicy, Team, TOTPDevice, User
from frontline.audit.models import AuditEntry

from .factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def user_change_data(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "role": user.role,
        "approval_limit": str(user.approval_limit),
        "is_active": "on" if user.is_active else "",
        **inline("memberships", []),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_add_user_uses_the_service(admin_client, admin_user):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "thomas",
            "email": "thomas@example.com",
            "role": "lead",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="thomas")
    assert (user.role, user.is_staff) == ("lead", False)
    assert user.check_password("a long enough passphrase")
    entry = AuditEntry.objects.get(verb="user.created")
    assert (entry.actor, entry.target_id) == (admin_user, str(user.pk))


def test_add_user_with_taken_email_is_refused(admin_client, agent):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "other", "email": "SARA@example.com", "role": "agent", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert User.objects.filter(username="other").count() == 0


def test_change_pages_render(admin_client, agent):
    team = TeamFactory.create()
    MembershipFactory.create(team=team, user=agent)

    assert admin_client.get(f"/admin/accounts/user/{agent.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/accounts/team/{team.pk}/change/").status_code == 200
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
    assert admin_client.get("/admin/accounts/rolepolicy/add/").status_code == 200


def test_change_role_and_limit_go_through_services(admin_client, agent):
    response = admin_client.post(
        f"/admin/accounts/user/{agent.pk}/change/",
        user_change_data(agent, role="lead", approval_limit="300.00", last_name="Lindqvist"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert (agent.role, agent.approval_limit, agent.last_name) == ("lead", Decimal("300.00"), "Lindqvist")
    assert set(AuditEntry.objects.values_list("verb", flat=True)) == {
        "user.profile_updated",
        "user.role_changed",
        "user.approval_limit_set",
    }


def test_last_admin_cannot_be_demoted_in_admin(admin_client, admin_user):
    response = admin_client.post(
        f"/admin/accounts/user/{admin_user.pk}/change/", user_change_data(admin_user, role="agent")
    )

    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"
    assert AuditEntry.objects.count() == 0


def test_user_inline_adds_membership_through_service(admin_client, agent):
    team = TeamFactory.create()
    data = user_change_data(agent)
    data.update(inline("memberships", [{"team": str(team.pk), "is_lead": "on", "user": str(agent.pk)}]))

    response = admin_client.post(f"/admin/accounts/user/{agent.pk}/change/", data)

    assert response.status_code == 302
    assert list(Membership.objects.values_list("team", "user", "is_lead")) == [(team.pk, agent.pk, True)]
    assert AuditEntry.objects.get(verb="team.member_added").data["is_lead"] is True


def test_team_add_and_member_removal(admin_client, agent):
    response = admin_client.post(
        "/admin/accounts/team/add/",
        {
            "name": "Shipments",
            "slug": "shipments",
            "email": "",
            "description": "",
            **inline("memberships", []),
        },
    )
    assert response.status_code == 302
    team = Team.objects.get()
    membership = MembershipFactory.create(team=team, user=agent)

    response = admin_client.post(
        f"/admin/accounts/team/{team.pk}/change/",
        {
            "name": "Shipments",
            "slug": "shipments",
            **inline(
                "memberships",
                [{"id": str(membership.pk), "team": str(team.pk), "user": str(agent.pk), "DELETE": "on"}],
                initial=1,
            ),
        },
    )

    assert response.status_code == 302
    assert Membership.objects.count() == 0
    assert list(AuditEntry.objects.order_by("id").values_list("verb", flat=True)) == [
        "team.created",
        "team.member_removed",
    ]


def test_role_policy_admin(admin_client):
    response = admin_client.post(
        "/admin/accounts/rolepolicy/add/", {"role": "agent", "require_two_factor": "on"}
    )

    assert response.status_code == 302
    assert list(RolePolicy.objects.values_list("role", "require_two_factor")) == [("agent", True)]
    assert AuditEntry.objects.get(verb="role_policy.changed").data == {
        "role": "agent",
        "require_two_factor": [False, True],
    }


def test_revoke_tokens_action(admin_client, agent):
    active, _ = services.api_token_create(user=agent, name="a", by=agent)
    done, _ = services.api_token_create(user=agent, name="b", by=agent)
    services.api_token_revoke(token=done, by=agent)

    response = admin_client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [str(active.pk), str(done.pk)]},
    )

    assert response.status_code == 302
    assert APIToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert AuditEntry.objects.filter(verb="api_token.revoked").count() == 2


def test_token_admin_shows_hash_read_only(admin_client, agent):
    token, _ = services.api_token_create(user=agent, name="a", by=agent)

    page = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/")

    assert page.status_code == 200
    assert token.key_hash in page.text
    assert 'name="key_hash"' not in page.text


def test_turn_off_two_factor_and_lift_lockout_actions(admin_client, agent):
    services.totp_begin(user=agent)
    for _ in range(5):
        lockout.register_failure(username="sara", ip="", reason="password")

    admin_client.post(
        "/admin/accounts/user/", {"action": "turn_off_two_factor", "_selected_action": [str(agent.pk)]}
    )
    admin_client.post(
        "/admin/accounts/user/", {"action": "lift_lockout", "_selected_action": [str(agent.pk)]}
    )

    assert TOTPDevice.objects.count() == 0
    assert AuditEntry.objects.get(verb="totp.disabled").data == {"by_self": False}
    assert lockout.check(username="sara", ip="").locked is False


def test_agents_cannot_use_the_admin(client, agent):
    UserFactory.create(username="x", role=Role.AGENT)
    client.force_login(agent)

    assert client.get("/admin/").status_code == 302
