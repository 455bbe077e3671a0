"""Sign-in lockout: per username and per client address, in the cache, with audit rows."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from frontline.accounts import lockout
from frontline.audit.models import AuditEntry

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_LOCKOUT_SECONDS = 900


def fail(username: str = "sara", ip: str = IP, **kwargs) -> lockout.LockState:
    return lockout.register_failure(username=username, ip=ip, reason="password", **kwargs)


class TestCounting:
    def test_four_failures_do_not_lock(self):
        states = [fail() for _ in range(4)]

        assert [s.locked for s in states] == [False] * 4
        assert lockout.check(username="sara", ip=IP) == lockout.UNLOCKED
        assert lockout.failures(username="sara", ip=IP) == {"user": 4, "ip": 4}

    def test_fifth_failure_locks_for_the_lockout_time(self, agent):
        for _ in range(4):
            fail(user=agent)

        state = fail(user=agent)

        assert state == lockout.LockState(locked=True, retry_after=900)
        assert lockout.check(username="sara", ip="198.51.100.1").locked is True
        assert lockout.check(username="SARA ", ip="198.51.100.1").locked is True  # case and spaces ignored
        locked = AuditEntry.objects.filter(verb="auth.locked_out").order_by("id")
        assert [e.data for e in locked] == [
            {"username": "sara", "scope": "user", "seconds": 900, "failures": 5},
            {"username": "sara", "scope": "ip", "seconds": 900, "failures": 5, "ip": IP},
        ]
        assert all(e.target_id == str(agent.pk) for e in locked)
        assert AuditEntry.objects.filter(verb="auth.login_failed").count() == 5

    def test_lock_expires(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            for _ in range(5):
                fail()
        with time_machine.travel(start + timedelta(seconds=899), tick=False):
            assert lockout.check(username="sara", ip=IP).retry_after == 1
        with time_machine.travel(start + timedelta(seconds=901), tick=False):
            assert lockout.check(username="sara", ip=IP) == lockout.UNLOCKED

    def test_failures_outside_the_window_are_forgotten(self, settings):
        # Real time, not a frozen clock: Redis expires keys on its own clock.
        settings.LOGIN_FAILURE_WINDOW_SECONDS = 1
        for _ in range(4):
            fail()
        time.sleep(1.2)
        state = fail()

        assert state.locked is False
        assert lockout.failures(username="sara", ip=IP) == {"user": 1, "ip": 1}

    def test_success_resets_the_username_count_but_not_the_address(self, agent):
        for _ in range(4):
            fail()

        lockout.register_success(user=agent, ip=IP, two_factor=False)

        assert lockout.failures(username="sara", ip=IP) == {"user": 0, "ip": 4}
        entry = AuditEntry.objects.get(verb="auth.login")
        assert (entry.actor, entry.data) == (agent, {"two_factor": False})

    def test_address_locks_across_usernames(self):
        for name in ["a", "b", "c", "d"]:
            fail(username=name)

        state = fail(username="e")

        assert state.locked is True
        assert lockout.check(username="somebody-new", ip=IP).locked is True
        assert lockout.check(username="somebody-new", ip="198.51.100.1").locked is False
        assert lockout.check(username="a", ip="198.51.100.1").locked is False

    def test_per_address_limit_can_be_raised(self, settings):
        settings.LOGIN_MAX_FAILURES_PER_IP = 20
        for name in ["a", "b", "c", "d", "e", "f"]:
            fail(username=name)

        assert lockout.check(username="new", ip=IP) == lockout.UNLOCKED

    def test_unlock(self):
        for _ in range(5):
            fail()

        lockout.unlock(username="sara", ip=IP)

        assert lockout.check(username="sara", ip=IP) == lockout.UNLOCKED
        assert lockout.failures(username="sara", ip=IP) == {"user": 0, "ip": 0}

    def test_retry_after_minutes_rounds_up(self):
        assert lockout.LockState(locked=True, retry_after=61).retry_after_minutes == 2
        assert lockout.LockState(locked=True, retry_after=5).retry_after_minutes == 1


class TestLoginView:
    def post(self, client, username="sara", password="wrong password", ip=IP):
        return client.post(
            reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    def test_five_failures_lock_even_the_right_password(self, client, agent):
        for _ in range(4):
            assert self.post(client).status_code == 422

        fifth = self.post(client)
        after = self.post(client, password=PASSWORD)

        assert fifth.status_code == 429
        assert "Sign-in is blocked for 15 more minutes" in fifth.text
        assert after.status_code == 429
        assert "_auth_user_id" not in client.session
        assert AuditEntry.objects.filter(verb="auth.login").count() == 0
        # refused attempts while locked are not counted or logged again
        assert AuditEntry.objects.filter(verb="auth.login_failed").count() == 5

    def test_success_resets_the_count(self, client, agent):
        for _ in range(4):
            self.post(client)
        assert self.post(client, password=PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))

        for _ in range(4):
            assert self.post(client, ip="198.51.100.9").status_code == 422

        assert lockout.check(username="sara", ip="198.51.100.9") == lockout.UNLOCKED

    def test_lock_per_address(self, client, agent):
        for name in ["nobody1", "nobody2", "nobody3", "nobody4", "nobody5"]:
            self.post(client, username=name)

        blocked = self.post(client, password=PASSWORD)
        elsewhere = self.post(client, password=PASSWORD, ip="198.51.100.1")

        assert blocked.status_code == 429
        assert elsewhere.status_code == 302

    def test_unknown_usernames_lock_the_same_way(self, client):
        responses = [self.post(client, username="ghost") for _ in range(6)]

        assert [r.status_code for r in responses] == [422, 422, 422, 422, 429, 429]
        entry = AuditEntry.objects.filter(verb="auth.login_failed").order_by("id")[0]
        assert (entry.target_id, entry.data) == ("", {"username": "ghost", "reason": "password"})
