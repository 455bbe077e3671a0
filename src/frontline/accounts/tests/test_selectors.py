"""Token authentication, code verification, policy and list selectors."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from frontline.accounts import selectors, services, totp
from frontline.accounts.choices import Role
from frontline.accounts.models import APIToken, TOTPDevice
from frontline.accounts.tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestApiTokenAuthenticate:
    def test_valid_token_returns_its_user_and_stamps_last_used(self, agent):
        _token, raw = services.api_token_create(user=agent, name="t", by=agent)

        assert selectors.api_token_authenticate(raw) == agent
        assert APIToken.objects.get().last_used_at is not None

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret, right prefix
            lambda raw: raw.replace("fl_", "xx_", 1),
            lambda raw: raw + "\n",
            lambda raw: raw.split("_", 2)[0] + "_" + raw.split("_", 2)[1],  # no secret
            lambda raw: "fl_0123456789ab_" + raw.split("_", 2)[2],  # unknown prefix
            lambda raw: "",
            lambda raw: "Bearer " + raw,
        ],
    )
    def test_wrong_or_malformed_tokens_are_refused(self, agent, mangle):
        _token, raw = services.api_token_create(user=agent, name="t", by=agent)

        assert selectors.api_token_authenticate(mangle(raw)) is None
        assert APIToken.objects.get().last_used_at is None

    def test_revoked_token_is_refused(self, agent):
        token, raw = services.api_token_create(user=agent, name="t", by=agent)
        services.api_token_revoke(token=token, by=agent)

        assert selectors.api_token_authenticate(raw) is None

    def test_expired_token_is_refused(self, agent):
        _token, raw = services.api_token_create(
            user=agent, name="t", expires_at=timezone.now() + timedelta(days=1), by=agent
        )

        with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
            assert selectors.api_token_authenticate(raw) is None

    def test_token_of_deactivated_user_is_refused(self, agent):
        _token, raw = services.api_token_create(user=agent, name="t", by=agent)
        agent.is_active = False
        agent.save(update_fields=["is_active"])

        assert selectors.api_token_authenticate(raw) is None

    def test_last_used_at_is_written_at_most_once_a_minute(self, agent, django_assert_num_queries):
        _token, raw = services.api_token_create(user=agent, name="t", by=agent)
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            selectors.api_token_authenticate(raw)
        with time_machine.travel(start + timedelta(seconds=59), tick=False):
            with django_assert_num_queries(1):  # the lookup, no UPDATE
                selectors.api_token_authenticate(raw)
            assert APIToken.objects.get().last_used_at == start
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            selectors.api_token_authenticate(raw)
            assert APIToken.objects.get().last_used_at == start + timedelta(seconds=61)


def _enable_totp(user) -> str:
    _device, secret = services.totp_begin(user=user)
    services.totp_confirm(user=user, code=totp.code_at(secret, time.time() - 30))
    return secret


class TestTotpVerify:
    @pytest.fixture(autouse=True)
    def _frozen_clock(self):
        """Codes change every 30 s: keep every test inside one time step."""
        with time_machine.travel(1_800_000_015.0, tick=False):
            yield

    def test_current_code_is_accepted_once(self, agent):
        secret = _enable_totp(agent)
        code = totp.code_at(secret, time.time())

        assert selectors.totp_verify(user=agent, code=code) is True
        assert selectors.totp_verify(user=agent, code=code) is False

    def test_one_step_of_drift_either_way(self, agent):
        secret = _enable_totp(agent)
        now = time.time()
        TOTPDevice.objects.update(last_used_step=0)

        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now - 30)) is True
        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now + 30)) is True

    def test_codes_outside_the_window_are_refused(self, agent):
        secret = _enable_totp(agent)
        TOTPDevice.objects.update(last_used_step=0)
        now = time.time()

        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now - 90)) is False
        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now + 90)) is False
        assert TOTPDevice.objects.get().last_used_step == 0

    def test_an_older_code_after_a_newer_one_is_refused(self, agent):
        secret = _enable_totp(agent)
        TOTPDevice.objects.update(last_used_step=0)
        now = time.time()
        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now + 30)) is True

        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, now)) is False

    def test_unconfirmed_device_never_verifies(self, agent):
        _device, secret = services.totp_begin(user=agent)

        assert selectors.totp_verify(user=agent, code=totp.code_at(secret, time.time())) is False

    def test_no_device(self, agent):
        assert selectors.totp_verify(user=agent, code="123456") is False


class TestTwoFactorPolicy:
    def test_required_follows_the_role_policy(self, agent):
        assert selectors.two_factor_required(agent) is False
        services.role_policy_set(role=Role.AGENT, require_two_factor=True, by=None)
        assert selectors.two_factor_required(agent) is True
        assert selectors.two_factor_required(UserFactory.create(role=Role.LEAD)) is False

    def test_setup_missing_until_a_device_is_confirmed(self, agent, django_assert_num_queries):
        services.role_policy_set(role=Role.AGENT, require_two_factor=True, by=None)
        with django_assert_num_queries(1):
            assert selectors.two_factor_setup_missing(agent) is True
        services.totp_begin(user=agent)
        assert selectors.two_factor_setup_missing(agent) is True

        TOTPDevice.objects.update(confirmed_at=timezone.now())

        with django_assert_num_queries(1):
            assert selectors.two_factor_setup_missing(agent) is False

    def test_setup_not_missing_without_policy(self, agent):
        assert selectors.two_factor_setup_missing(agent) is False

    def test_status_while_pending_has_qr_and_secret(self, agent):
        _device, secret = services.totp_begin(user=agent)

        status = selectors.two_factor_status(agent)

        assert (status.enabled, status.pending, status.secret) == (False, True, secret)
        assert status.uri == f"otpauth://totp/Frontline:sara?secret={secret}&issuer=Frontline"
        assert status.qr_svg.startswith("<svg ")
        assert "<script" not in status.qr_svg and "style=" not in status.qr_svg
        assert status.grouped_secret == " ".join(secret[i : i + 4] for i in range(0, 32, 4))


class TestLists:
    def test_user_list_staff_excludes_customers_and_inactive(self, agent, customer):
        tech = UserFactory.create(username="omar", role=Role.TECH, first_name="Omar", last_name="B")
        UserFactory.create(username="gone", is_active=False)

        assert list(selectors.user_list_staff()) == [tech, agent]
        assert list(selectors.user_list_staff(role=Role.TECH)) == [tech]
        assert selectors.user_list_staff(include_inactive=True).count() == 3

    def test_user_list_staff_by_team(self, agent):
        team = TeamFactory.create()
        MembershipFactory.create(team=team, user=agent)
        UserFactory.create(username="omar")

        assert list(selectors.user_list_staff(team=team)) == [agent]

    def test_team_list_with_members_has_no_n_plus_one(self, django_assert_num_queries):
        for t in range(3):
            team = TeamFactory.create(name=f"Team {t}")
            for m in range(3):
                MembershipFactory.create(
                    team=team, user=UserFactory.create(username=f"u{t}{m}"), is_lead=m == 2
                )

        with django_assert_num_queries(2):
            teams = selectors.team_list_with_members()
            members = [[(m.user.username, m.is_lead) for m in team.memberships.all()] for team in teams]

        assert [t.name for t in teams] == ["Team 0", "Team 1", "Team 2"]
        assert members[0] == [("u02", True), ("u00", False), ("u01", False)]
