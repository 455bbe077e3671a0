"""Suite-wide pytest hooks: tests marked ``postgres`` / ``redis`` run only where those exist.

``make test`` runs on SQLite without Redis; ``make test-pg`` sets ``DATABASE_URL`` to
PostgreSQL and ``REDIS_URL`` and runs the same suite plus the marked tests.
"""

from __future__ import annotations

import os

import pytest


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _database_is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (make test-pg)")
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL=redis://... (make test-pg)")
