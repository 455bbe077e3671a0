"""Suite-wide pytest hooks: tests marked ``postgres`` / ``redis`` run only where those exist.

``make test`` runs on SQLite without Redis; ``make test-pg`` sets ``DATABASE_URL`` to
PostgreSQL and ``REDIS_URL`` and runs the same suite plus the marked tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _database_is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (make test-pg)")
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL=redis://... (make test-pg)")


@pytest.fixture(autouse=True)
def _fresh_content_type_cache() -> Iterator[None]:
    """Transactional tests flush the database, and the flush recreates content types with new
    ids: the process-wide ContentType cache must not carry stale ids into the next test."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test restores the migrations' data (statuses, SLA defaults) with
    ``serialized_rollback``: one without it would let its flush recreate content types, and the
    next serialized restore would collide with them."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
