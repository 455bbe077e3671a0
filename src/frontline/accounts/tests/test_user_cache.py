"""The signed-in user from the shared cache: served without a query, dropped on every change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from frontline.accounts.backends import RoleBackend
from frontline.accounts.choices import Role
from frontline.accounts.models import RolePolicy, TOTPDevice

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def user_cache_on(settings):
    settings.USER_CACHE = True
    cache.clear()
    yield
    cache.clear()


def test_the_second_load_costs_no_query(django_assert_num_queries):
    user = UserFactory(role=Role.AGENT)
    backend = RoleBackend()
    backend.get_user(user.pk)

    with django_assert_num_queries(0):
        again = backend.get_user(user.pk)

    assert again.pk == user.pk and again.role == Role.AGENT


def test_a_deactivated_or_changed_user_is_read_afresh(django_capture_on_commit_callbacks):
    user = UserFactory(role=Role.AGENT)
    backend = RoleBackend()
    backend.get_user(user.pk)

    with django_capture_on_commit_callbacks(execute=True):
        user.role = Role.LEAD
        user.save(update_fields=["role"])
    assert backend.get_user(user.pk).role == Role.LEAD

    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None


def test_a_new_second_factor_or_role_policy_is_seen_at_once(django_capture_on_commit_callbacks):
    from frontline.accounts.backends import two_factor_setup_missing

    user = UserFactory(role=Role.AGENT)
    backend = RoleBackend()
    assert two_factor_setup_missing(backend.get_user(user.pk)) is False

    with django_capture_on_commit_callbacks(execute=True):
        RolePolicy.objects.update_or_create(role=Role.AGENT, defaults={"require_two_factor": True})
    assert two_factor_setup_missing(backend.get_user(user.pk)) is True

    with django_capture_on_commit_callbacks(execute=True):
        TOTPDevice.objects.create(user=user, encrypted_secret="x", confirmed_at=timezone.now())
    assert two_factor_setup_missing(backend.get_user(user.pk)) is False


def test_off_without_a_shared_cache(settings, django_assert_num_queries):
    settings.USER_CACHE = False
    user = UserFactory()
    backend = RoleBackend()
    backend.get_user(user.pk)

    with django_assert_num_queries(1):
        backend.get_user(user.pk)
