"""Argon2 in production, and what each role may do."""

from __future__ import annotations

import importlib

import pytest

from frontline.accounts import roles
from frontline.accounts.choices import Role
from frontline.accounts.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_argon2_is_the_default_hasher_in_production_settings():
    production = importlib.import_module("frontline.config.settings")

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_and_checks(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User(username="x")

    user.set_password("a long enough passphrase")

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a long enough passphrase")


A, R, L, T, S, G, P, D, C = (
    Role.AGENT,
    Role.REPORTER,
    Role.LEAD,
    Role.TECH,
    Role.SALES,
    Role.LOGISTICS,
    Role.PRODUCT,
    Role.ADMIN,
    Role.CUSTOMER,
)
MATRIX = {
    roles.WORKSPACE: {A, R, L, T, S, G, P, D},
    roles.CUSTOMER_VIEW: {A, R, L, T, S, G, P, D},
    roles.CUSTOMER_ADD: {A, L, S, D},
    roles.CUSTOMER_CHANGE: {A, R, L, S, D},
    roles.CUSTOMER_MERGE: {A, L, S, D},
    roles.CUSTOMER_IMPORT: {L, D},
    roles.AUDIT_VIEW: {L, D},
    roles.USER_MANAGE: {D},
    roles.CASE_VIEW: {A, R, L, T, S, G, P, D},
    roles.CASE_ADD: {A, R, L, T, S, D},
    roles.CASE_CHANGE: {A, R, L, T, S, G, P, D},
    roles.CASE_REPLY: {A, R, L, T, D},
    roles.CASE_ASSIGN: {A, R, L, T, D},
    roles.CASE_ESCALATE: {A, R, L, T, D},
    roles.CASE_MERGE: {A, L, D},
    roles.CASE_SETTINGS: {L, D},
    roles.STOCK_VIEW: {A, R, L, T, S, G, P, D},
    roles.STOCK_CHANGE: {G, P, D},
    roles.STOCK_IMPORT: {G, D},
    roles.ORDER_VIEW: {A, R, L, T, S, G, P, D},
    roles.ORDER_CHANGE: {L, G, D},
    roles.ORDER_IMPORT: {G, D},
    roles.SHIPMENT_VIEW: {A, R, L, T, S, G, P, D},
    roles.SHIPMENT_CHANGE: {G, D},
    roles.EXCEPTION_WORK: {A, L, G, D},
    roles.SHIPMENT_IMPORT: {G, D},
    roles.CARRIER_SETTINGS: {G, D},
}


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(role):
    user = UserFactory.create(role=role)

    granted = {perm for perm in MATRIX if user.has_perm(perm)}

    assert granted == {perm for perm, allowed in MATRIX.items() if role in allowed}


def test_matrix_covers_every_permission_in_roles_py():
    named = {value for name, value in vars(roles).items() if name.isupper() and isinstance(value, str)}

    assert named == set(MATRIX)


def test_inactive_users_have_no_permissions():
    user = UserFactory.create(role=Role.ADMIN, is_active=False)

    assert [perm for perm in MATRIX if user.has_perm(perm)] == []
    assert user.has_module_perms("accounts") is False


def test_administrators_hold_every_permission_including_model_ones():
    admin = UserFactory.create(role=Role.ADMIN)
    agent = UserFactory.create(role=Role.AGENT)

    assert admin.has_perm("accounts.change_user") and admin.has_module_perms("accounts")
    assert not agent.has_perm("accounts.change_user") and not agent.has_module_perms("accounts")


def test_createsuperuser_makes_an_administrator():
    user = User.objects.create_superuser("root", "root@example.com", "a long enough passphrase")

    assert (user.role, user.is_staff, user.is_superuser) == ("admin", True, True)
