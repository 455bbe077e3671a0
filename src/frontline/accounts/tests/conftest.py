from __future__ import annotations

import pytest
from django.core.cache import cache

from frontline.accounts.choices import Role

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Lockout counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(db):
    return UserFactory.create(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")


@pytest.fixture
def admin_user(db):
    return UserFactory.create(username="admin", role=Role.ADMIN, first_name="Ada", last_name="Admin")


@pytest.fixture
def customer(db):
    return UserFactory.create(
        username="justine", role=Role.CUSTOMER, first_name="Justine", last_name="Harrington"
    )
