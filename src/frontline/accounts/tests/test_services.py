"""Rules of the accounts services: given / when / then, exact values, nothing half-written."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.hashers import is_password_usable
from django.utils import timezone

from frontline.accounts import services, totp
from frontline.accounts.choices import Role
from frontline.accounts.models import APIToken, Membership, RolePolicy, Team, TOTPDevice, User
from frontline.audit.models import AuditEntry
from frontline.core import crypto
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from .factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def verbs() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("verb", flat=True))


# --- user_create ---------------------------------------------------------------------------------


class TestUserCreate:
    def test_creates_agent_with_password_and_audit(self, admin_user):
        user = services.user_create(
            username="sara",
            email="Sara@Example.COM",
            role=Role.AGENT,
            password="a long enough passphrase",
            first_name=" Sara ",
            last_name="Lind",
            approval_limit=Decimal("250"),
            by=admin_user,
        )

        user.refresh_from_db()
        assert (user.username, user.email, user.role) == ("sara", "Sara@example.com", "agent")
        assert (user.first_name, user.last_name) == ("Sara", "Lind")
        assert user.approval_limit == Decimal("250.00")
        assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
        assert user.check_password("a long enough passphrase")
        entry = AuditEntry.objects.get(verb="user.created")
        assert (entry.actor, entry.target_id) == (admin_user, str(user.pk))
        assert entry.data == {"role": "agent", "approval_limit": "250.00"}

    def test_admin_role_gets_admin_site_access(self):
        user = services.user_create(username="root", email="root@example.com", role=Role.ADMIN)

        assert user.is_staff is True
        assert user.is_superuser is False

    def test_customer_is_not_staff(self):
        user = services.user_create(username="justine", email="j@example.com", role=Role.CUSTOMER)

        assert user.is_staff is False
        assert user.is_staff_member is False

    def test_without_password_the_password_is_unusable(self):
        user = services.user_create(username="omar", email="omar@example.com", role=Role.TECH)

        assert is_password_usable(user.password) is False

    def test_system_actor_when_by_is_none(self):
        services.user_create(username="omar", email="omar@example.com", role=Role.TECH)

        entry = AuditEntry.objects.get(verb="user.created")
        assert (entry.actor, entry.actor_label) == (None, "system")

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"role": "pirate"}, "role"),
            ({"email": ""}, "email"),
            ({"email": "not-an-email"}, "email"),
            ({"username": ""}, "username"),
            ({"username": "bad name!"}, "username"),
            ({"password": "short"}, "password"),
            ({"password": "12345678901"}, "password"),
            ({"approval_limit": Decimal("-1")}, "approval_limit"),
            ({"approval_limit": Decimal("1.005")}, "approval_limit"),
            ({"approval_limit": "lots"}, "approval_limit"),
            ({"approval_limit": Decimal("10000000000")}, "approval_limit"),
            ({"role": Role.CUSTOMER, "approval_limit": Decimal("5")}, "approval_limit"),
        ],
    )
    def test_invalid_input_creates_nothing(self, kwargs, field):
        args = {"username": "sam", "email": "sam@example.com", "role": Role.SALES, **kwargs}

        with pytest.raises(FieldErrors) as raised:
            services.user_create(**args)

        assert field in raised.value.errors
        assert User.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_username_taken_in_any_case(self, agent):
        with pytest.raises(FieldErrors) as raised:
            services.user_create(username="SARA", email="other@example.com", role=Role.AGENT)

        assert raised.value.errors == {"username": ["This username is taken."]}
        assert User.objects.count() == 1

    def test_email_taken_in_any_case(self, agent):
        with pytest.raises(FieldErrors) as raised:
            services.user_create(username="sara2", email="SARA@example.com", role=Role.AGENT)

        assert raised.value.errors == {"email": ["Another user already has this email address."]}
        assert User.objects.count() == 1

    def test_only_user_managers_may_create_users(self, agent):
        with pytest.raises(PermissionDeniedError):
            services.user_create(username="x", email="x@example.com", role=Role.ADMIN, by=agent)

        assert User.objects.count() == 1
        assert AuditEntry.objects.count() == 0


# --- role and approval limit ---------------------------------------------------------------------


class TestUserUpdateRole:
    def test_agent_becomes_admin_and_gets_admin_site(self, admin_user, agent):
        services.user_update_role(user=agent, role=Role.ADMIN, by=admin_user)

        agent.refresh_from_db()
        assert (agent.role, agent.is_staff) == ("admin", True)
        entry = AuditEntry.objects.get(verb="user.role_changed")
        assert entry.data == {"role": ["agent", "admin"], "is_staff": [False, True]}
        assert entry.actor == admin_user

    def test_admin_becomes_agent_and_loses_admin_site(self, admin_user):
        other = UserFactory.create(username="root", role=Role.ADMIN)

        services.user_update_role(user=other, role=Role.AGENT, by=admin_user)

        other.refresh_from_db()
        assert (other.role, other.is_staff) == ("agent", False)

    def test_becoming_customer_drops_limit_and_teams(self, admin_user):
        lead = UserFactory.create(username="isabella", role=Role.LEAD, approval_limit=Decimal("500"))
        MembershipFactory.create(team__slug="escalations", user=lead)

        services.user_update_role(user=lead, role=Role.CUSTOMER, by=admin_user)

        lead.refresh_from_db()
        assert (lead.role, lead.approval_limit) == ("customer", Decimal("0.00"))
        assert Membership.objects.filter(user=lead).count() == 0
        entry = AuditEntry.objects.get(verb="user.role_changed")
        assert entry.data == {
            "role": ["lead", "customer"],
            "approval_limit": ["500.00", "0.00"],
            "teams_left": ["escalations"],
        }

    def test_same_role_writes_nothing(self, admin_user, agent):
        services.user_update_role(user=agent, role=Role.AGENT, by=admin_user)

        assert AuditEntry.objects.count() == 0

    def test_unknown_role_is_refused(self, admin_user, agent):
        with pytest.raises(DomainError) as raised:
            services.user_update_role(user=agent, role="pirate", by=admin_user)

        assert raised.value.field == "role"
        agent.refresh_from_db()
        assert agent.role == "agent"
        assert AuditEntry.objects.count() == 0

    def test_last_administrator_cannot_be_demoted(self, admin_user):
        with pytest.raises(Conflict) as raised:
            services.user_update_role(user=admin_user, role=Role.AGENT, by=admin_user)

        assert (
            raised.value.message
            == "admin is the last administrator; make someone else an administrator first."
        )
        admin_user.refresh_from_db()
        assert (admin_user.role, admin_user.is_staff) == ("admin", True)
        assert AuditEntry.objects.count() == 0

    def test_non_manager_cannot_change_roles(self, agent):
        other = UserFactory.create(role=Role.TECH)

        with pytest.raises(PermissionDeniedError):
            services.user_update_role(user=other, role=Role.ADMIN, by=agent)

        other.refresh_from_db()
        assert other.role == "tech"


class TestApprovalLimit:
    def test_sets_limit_and_audits_old_and_new(self, admin_user):
        lead = UserFactory.create(role=Role.LEAD, approval_limit=Decimal("100"))

        services.user_set_approval_limit(user=lead, limit="750.5", by=admin_user)

        lead.refresh_from_db()
        assert lead.approval_limit == Decimal("750.50")
        assert AuditEntry.objects.get(verb="user.approval_limit_set").data == {
            "approval_limit": ["100.00", "750.50"]
        }

    @pytest.mark.parametrize("limit", [Decimal("-0.01"), "abc", Decimal("0.001"), Decimal("NaN")])
    def test_invalid_limits_change_nothing(self, admin_user, limit):
        lead = UserFactory.create(role=Role.LEAD, approval_limit=Decimal("100"))

        with pytest.raises(DomainError) as raised:
            services.user_set_approval_limit(user=lead, limit=limit, by=admin_user)

        assert raised.value.field == "approval_limit"
        lead.refresh_from_db()
        assert lead.approval_limit == Decimal("100.00")
        assert AuditEntry.objects.count() == 0

    def test_customers_cannot_have_a_limit(self, admin_user, customer):
        with pytest.raises(DomainError) as raised:
            services.user_set_approval_limit(user=customer, limit=10, by=admin_user)

        assert raised.value.message == "Customers cannot approve claims; their approval limit must be 0."
        customer.refresh_from_db()
        assert customer.approval_limit == Decimal("0")

    def test_non_manager_cannot_set_limits(self, agent):
        with pytest.raises(PermissionDeniedError):
            services.user_set_approval_limit(user=agent, limit=1_000_000, by=agent)

        agent.refresh_from_db()
        assert agent.approval_limit == Decimal("0")


class TestProfileAndActive:
    def test_user_updates_own_profile(self, agent):
        services.user_update_profile(
            user=agent,
            by=agent,
            first_name="Sára",
            last_name="Lind",
            email="sara.lind@example.com",
            language="de",
        )

        agent.refresh_from_db()
        assert (agent.first_name, agent.email, agent.language) == ("Sára", "sara.lind@example.com", "de")
        assert AuditEntry.objects.get(verb="user.profile_updated").data == {
            "first_name": ["Sara", "Sára"],
            "email": ["sara@example.com", "sara.lind@example.com"],
            "language": ["", "de"],
        }

    @pytest.mark.parametrize(
        ("kwargs", "field"), [({"email": "nope"}, "email"), ({"language": "xx"}, "language")]
    )
    def test_invalid_profile_changes_nothing(self, agent, kwargs, field):
        with pytest.raises(FieldErrors) as raised:
            services.user_update_profile(user=agent, by=agent, **kwargs)

        assert list(raised.value.errors) == [field]
        agent.refresh_from_db()
        assert (agent.email, agent.language) == ("sara@example.com", "")
        assert AuditEntry.objects.count() == 0

    def test_cannot_take_another_users_email(self, agent):
        UserFactory.create(username="omar", email="omar@example.com")

        with pytest.raises(FieldErrors) as raised:
            services.user_update_profile(user=agent, by=agent, email="OMAR@example.com")

        assert raised.value.errors == {"email": ["Another user already has this email address."]}

    def test_cannot_edit_someone_elses_profile(self, agent):
        other = UserFactory.create(username="omar")

        with pytest.raises(PermissionDeniedError):
            services.user_update_profile(user=other, by=agent, first_name="Hacked")

        other.refresh_from_db()
        assert other.first_name != "Hacked"

    def test_unchanged_profile_writes_no_audit(self, agent):
        services.user_update_profile(user=agent, by=agent, first_name="Sara")

        assert AuditEntry.objects.count() == 0

    def test_deactivate_and_reactivate(self, admin_user, agent):
        services.user_set_active(user=agent, is_active=False, by=admin_user)
        agent.refresh_from_db()
        assert agent.is_active is False

        services.user_set_active(user=agent, is_active=True, by=admin_user)
        agent.refresh_from_db()
        assert agent.is_active is True
        assert verbs() == ["user.deactivated", "user.activated"]

    def test_cannot_deactivate_self_or_last_admin(self, admin_user):
        with pytest.raises(DomainError):
            services.user_set_active(user=admin_user, is_active=False, by=admin_user)
        with pytest.raises(Conflict):
            services.user_set_active(user=admin_user, is_active=False, by=None)

        admin_user.refresh_from_db()
        assert admin_user.is_active is True
        assert AuditEntry.objects.count() == 0


# --- teams ---------------------------------------------------------------------------------------


class TestTeams:
    def test_create_team_derives_slug(self, admin_user):
        team = services.team_create(name=" Shipments Desk ", by=admin_user, email="ship@example.com")

        assert (team.name, team.slug, team.email) == ("Shipments Desk", "shipments-desk", "ship@example.com")
        assert AuditEntry.objects.get(verb="team.created").data == {
            "name": "Shipments Desk",
            "slug": "shipments-desk",
        }

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": "shipments"}, "name"),
            ({"name": "Other", "slug": "shipments"}, "slug"),
            ({"name": "!!!"}, "slug"),
            ({"name": "Mail", "email": "nope"}, "email"),
        ],
    )
    def test_invalid_team_is_not_created(self, admin_user, kwargs, field):
        TeamFactory.create(name="Shipments", slug="shipments")

        with pytest.raises(FieldErrors) as raised:
            services.team_create(by=admin_user, **kwargs)

        assert field in raised.value.errors
        assert Team.objects.count() == 1
        assert AuditEntry.objects.count() == 0

    def test_update_team(self, admin_user):
        team = TeamFactory.create(name="Shipments", slug="shipments")

        services.team_update(team=team, name="Shipments EU", slug="shipments-eu", by=admin_user)

        team.refresh_from_db()
        assert (team.name, team.slug) == ("Shipments EU", "shipments-eu")
        assert AuditEntry.objects.get(verb="team.updated").data == {
            "name": ["Shipments", "Shipments EU"],
            "slug": ["shipments", "shipments-eu"],
        }

    def test_add_and_remove_member(self, admin_user, agent):
        team = TeamFactory.create(name="Shipments")

        membership = services.team_add_member(team=team, user=agent, is_lead=True, by=admin_user)

        assert (membership.team, membership.user, membership.is_lead) == (team, agent, True)
        services.team_remove_member(team=team, user=agent, by=admin_user)
        assert Membership.objects.count() == 0
        assert verbs() == ["team.member_added", "team.member_removed"]
        added = AuditEntry.objects.get(verb="team.member_added")
        assert added.data == {"user_id": agent.pk, "username": "sara", "is_lead": True}
        assert added.target_id == str(team.pk)

    def test_set_lead(self, admin_user, agent):
        team = TeamFactory.create()
        MembershipFactory.create(team=team, user=agent)

        services.team_member_set_lead(team=team, user=agent, is_lead=True, by=admin_user)

        assert Membership.objects.get(team=team, user=agent).is_lead is True
        assert verbs() == ["team.lead_changed"]

    def test_member_twice_is_a_conflict(self, admin_user, agent):
        team = TeamFactory.create()
        MembershipFactory.create(team=team, user=agent)

        with pytest.raises(Conflict):
            services.team_add_member(team=team, user=agent, by=admin_user)

        assert Membership.objects.count() == 1
        assert AuditEntry.objects.count() == 0

    def test_customers_and_inactive_users_cannot_join(self, admin_user, customer):
        team = TeamFactory.create()
        inactive = UserFactory.create(is_active=False)

        with pytest.raises(DomainError) as raised:
            services.team_add_member(team=team, user=customer, by=admin_user)
        assert raised.value.message == "Customers cannot be members of a team."
        with pytest.raises(DomainError):
            services.team_add_member(team=team, user=inactive, by=admin_user)

        assert Membership.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_removing_a_non_member_is_not_found(self, admin_user, agent):
        with pytest.raises(NotFound):
            services.team_remove_member(team=TeamFactory.create(), user=agent, by=admin_user)

        assert AuditEntry.objects.count() == 0

    def test_only_managers_manage_teams(self, agent):
        with pytest.raises(PermissionDeniedError):
            services.team_create(name="Rogue", by=agent)

        assert Team.objects.count() == 0


# --- API tokens ----------------------------------------------------------------------------------


class TestApiTokens:
    def test_create_returns_raw_token_and_stores_only_its_digest(self, agent):
        token, raw = services.api_token_create(user=agent, name="reporting script", by=agent)

        match = re.fullmatch(r"fl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", raw)
        assert match is not None
        assert token.key_prefix == match.group(1)
        assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
        stored = APIToken.objects.get()
        assert raw not in {stored.key_hash, stored.key_prefix, stored.name}
        assert (stored.user, stored.name, stored.expires_at, stored.revoked_at) == (
            agent,
            "reporting script",
            None,
            None,
        )
        entry = AuditEntry.objects.get(verb="api_token.created")
        assert entry.data == {
            "user_id": agent.pk,
            "username": "sara",
            "name": "reporting script",
            "expires_at": None,
        }
        assert raw not in str(entry.data) and raw not in entry.target_label

    def test_tokens_are_unique(self, agent):
        raws = {services.api_token_create(user=agent, name=f"t{i}", by=agent)[1] for i in range(5)}

        assert len(raws) == 5
        assert APIToken.objects.values("key_prefix").distinct().count() == 5

    def test_admin_can_create_for_others_but_agents_cannot(self, admin_user, agent):
        other = UserFactory.create(username="omar")

        services.api_token_create(user=other, name="by admin", by=admin_user)
        with pytest.raises(PermissionDeniedError):
            services.api_token_create(user=other, name="by agent", by=agent)

        assert list(APIToken.objects.values_list("name", flat=True)) == ["by admin"]

    @pytest.mark.parametrize(
        ("name", "expires_in", "field"),
        [("", None, "name"), ("x" * 101, None, "name"), ("ok", timedelta(seconds=-1), "expires_at")],
    )
    def test_invalid_token_requests_create_nothing(self, agent, name, expires_in, field):
        expires_at = timezone.now() + expires_in if expires_in else None

        with pytest.raises(DomainError) as raised:
            services.api_token_create(user=agent, name=name, expires_at=expires_at, by=agent)

        assert raised.value.field == field
        assert APIToken.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_inactive_users_get_no_tokens_customers_do(self, customer):
        inactive = UserFactory.create(is_active=False)

        # a portal customer's token reaches only their own data (the API scopes it)
        services.api_token_create(user=customer, name="x", by=None)
        APIToken.objects.all().delete()
        with pytest.raises(DomainError):
            services.api_token_create(user=inactive, name="x", by=None)

        assert APIToken.objects.count() == 0

    def test_active_token_limit(self, agent):
        for i in range(services.MAX_ACTIVE_TOKENS):
            services.api_token_create(user=agent, name=f"t{i}", by=agent)

        with pytest.raises(Conflict):
            services.api_token_create(user=agent, name="one too many", by=agent)

        assert APIToken.objects.count() == services.MAX_ACTIVE_TOKENS

    def test_revoke(self, agent):
        token, _raw = services.api_token_create(user=agent, name="t", by=agent)

        services.api_token_revoke(token=token, by=agent)

        token.refresh_from_db()
        assert token.revoked_at is not None
        assert token.is_active is False
        assert verbs() == ["api_token.created", "api_token.revoked"]

    def test_revoke_twice_is_a_conflict(self, agent):
        token, _raw = services.api_token_create(user=agent, name="t", by=agent)
        services.api_token_revoke(token=token, by=agent)
        revoked_at = APIToken.objects.get().revoked_at

        with pytest.raises(Conflict):
            services.api_token_revoke(token=token, by=agent)

        assert APIToken.objects.get().revoked_at == revoked_at
        assert verbs() == ["api_token.created", "api_token.revoked"]

    def test_cannot_revoke_someone_elses_token(self, agent):
        other = UserFactory.create(username="omar")
        token, _raw = services.api_token_create(user=other, name="t", by=other)

        with pytest.raises(PermissionDeniedError):
            services.api_token_revoke(token=token, by=agent)

        assert APIToken.objects.get().revoked_at is None


# --- two-factor ----------------------------------------------------------------------------------


class TestTotp:
    @pytest.fixture(autouse=True)
    def _frozen_clock(self):
        """Codes change every 30 s: keep every test inside one time step."""
        with time_machine.travel(1_800_000_015.0, tick=False):
            yield

    def test_begin_creates_unconfirmed_device_with_encrypted_secret(self, agent):
        device, secret = services.totp_begin(user=agent)

        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        device.refresh_from_db()
        assert device.user == agent
        assert device.is_confirmed is False
        assert secret not in device.encrypted_secret
        assert crypto.decrypt(device.encrypted_secret) == secret
        assert verbs() == ["totp.setup_started"]

    def test_begin_again_replaces_the_unconfirmed_secret(self, agent):
        _device, first = services.totp_begin(user=agent)

        _device, second = services.totp_begin(user=agent)

        assert first != second
        assert TOTPDevice.objects.count() == 1
        assert crypto.decrypt(TOTPDevice.objects.get().encrypted_secret) == second

    def test_confirm_with_current_code(self, agent):
        _device, secret = services.totp_begin(user=agent)
        now = time.time()

        device = services.totp_confirm(user=agent, code=totp.code_at(secret, now))

        device.refresh_from_db()
        assert device.is_confirmed is True
        assert device.last_used_step == int(now // 30)
        assert verbs() == ["totp.setup_started", "totp.enabled"]

    def test_confirm_accepts_spaces_in_the_code(self, agent):
        _device, secret = services.totp_begin(user=agent)
        code = totp.code_at(secret, time.time())

        services.totp_confirm(user=agent, code=f"{code[:3]} {code[3:]}")

        assert TOTPDevice.objects.get().is_confirmed is True

    @pytest.mark.parametrize("code", ["000000x", "", "12345"])
    def test_confirm_with_malformed_code_is_refused(self, agent, code):
        services.totp_begin(user=agent)

        with pytest.raises(DomainError) as raised:
            services.totp_confirm(user=agent, code=code)

        assert (raised.value.field, raised.value.code) == ("code", "invalid_code")
        assert TOTPDevice.objects.get().is_confirmed is False
        assert verbs() == ["totp.setup_started"]

    def test_confirm_with_wrong_code_is_refused(self, agent):
        _device, secret = services.totp_begin(user=agent)
        old_code = totp.code_at(secret, time.time() - 300)

        with pytest.raises(DomainError):
            services.totp_confirm(user=agent, code=old_code)

        assert TOTPDevice.objects.get().is_confirmed is False

    def test_confirm_without_setup(self, agent):
        with pytest.raises(NotFound):
            services.totp_confirm(user=agent, code="123456")

    def test_begin_when_already_on_is_a_conflict(self, agent):
        _device, secret = services.totp_begin(user=agent)
        services.totp_confirm(user=agent, code=totp.code_at(secret, time.time()))

        with pytest.raises(Conflict):
            services.totp_begin(user=agent)

        assert crypto.decrypt(TOTPDevice.objects.get().encrypted_secret) == secret

    def test_disable_by_self_and_by_admin(self, agent, admin_user):
        services.totp_begin(user=agent)
        services.totp_disable(user=agent, by=agent)
        services.totp_begin(user=agent)

        services.totp_disable(user=agent, by=admin_user)

        assert TOTPDevice.objects.count() == 0
        disabled = AuditEntry.objects.filter(verb="totp.disabled").order_by("id")
        assert [e.data for e in disabled] == [{"by_self": True}, {"by_self": False}]

    def test_disable_someone_else_or_nothing(self, agent):
        other = UserFactory.create(username="omar")
        services.totp_begin(user=other)

        with pytest.raises(PermissionDeniedError):
            services.totp_disable(user=other, by=agent)
        with pytest.raises(NotFound):
            services.totp_disable(user=agent, by=agent)

        assert TOTPDevice.objects.filter(user=other).count() == 1


# --- role policy ---------------------------------------------------------------------------------


class TestRolePolicy:
    def test_set_creates_then_changes_policy(self, admin_user):
        services.role_policy_set(role=Role.AGENT, require_two_factor=True, by=admin_user)
        services.role_policy_set(role=Role.AGENT, require_two_factor=False, by=admin_user)

        assert list(RolePolicy.objects.values_list("role", "require_two_factor")) == [("agent", False)]
        assert [e.data for e in AuditEntry.objects.order_by("id")] == [
            {"role": "agent", "require_two_factor": [False, True]},
            {"role": "agent", "require_two_factor": [True, False]},
        ]

    def test_unchanged_policy_writes_nothing(self, admin_user):
        services.role_policy_set(role=Role.LEAD, require_two_factor=True, by=admin_user)

        services.role_policy_set(role=Role.LEAD, require_two_factor=True, by=admin_user)

        assert AuditEntry.objects.count() == 1

    def test_unknown_role_and_non_managers_are_refused(self, agent):
        with pytest.raises(DomainError):
            services.role_policy_set(role="pirate", require_two_factor=True, by=None)
        with pytest.raises(PermissionDeniedError):
            services.role_policy_set(role=Role.AGENT, require_two_factor=False, by=agent)

        assert RolePolicy.objects.count() == 0


def test_factory_password_works(agent):
    assert agent.check_password(PASSWORD)
