"""The active warehouses and their transit times, kept in each process while they are current.

Availability (the stock page, the API, the orders app) needs both small tables on every call:
two queries and their model instances, about a tenth of the stock search's CPU. They change a
few times a year (an administrator, a service, an import), so each process keeps what it read
and reads them again only when they may have changed:

- the **version** is a token in the shared cache (Redis). Every save or delete of a
  ``Warehouse`` or ``TransitTime`` - through the services, the admin (its forms and inlines),
  fixtures or anything else that saves models - replaces it at once and again after the
  transaction commits (post_save/post_delete receivers, as ``accounts.user_cache`` does: a
  process that read the tables between the two keeps them under a token nobody holds any more);
- a process reads the token *before* the tables, so what it keeps is never older than its token;
  one read of the token per call, no deserialising: the rows stay in the process;
- a transaction that changed these tables neither reads nor fills the cache until it commits: it
  sees its own rows, which a rollback would undo;
- ``MAX_AGE`` bounds what a lost version change (Redis down at the wrong moment) can cost.

``queryset.update()``, ``bulk_create()`` and raw SQL send no signals: nothing writes these tables
that way; code that starts to must call ``changed()``.

It needs a cache shared by every process: with the per-process local-memory cache a change made
in another process (the admin in one web process, a command) could not reach this one's token,
so it is off by default without one. ``CATALOG_WAREHOUSE_CACHE`` (bool) overrides that (tests
turn it on). The instances handed out are shared by every request of the process: read only.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import TransitTime, Warehouse

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:warehouses-version"
#: Seconds a process trusts what it read, even when no change was reported.
MAX_AGE = 300
_PER_PROCESS_BACKENDS = ("LocMemCache", "DummyCache")


@dataclass(frozen=True)
class Warehouses:
    """The active warehouses by code, and the transit times from each (by warehouse id)."""

    active: tuple[Warehouse, ...]
    transit_times: Mapping[int, tuple[TransitTime, ...]]


#: (version token, read at monotonic time, the rows) of this process.
_kept: tuple[str, float, Warehouses] | None = None


def enabled() -> bool:
    setting = getattr(settings, "CATALOG_WAREHOUSE_CACHE", None)
    if setting is not None:
        return bool(setting)
    return not str(settings.CACHES["default"]["BACKEND"]).endswith(_PER_PROCESS_BACKENDS)


def load() -> Warehouses:
    """Both tables from the database. Two queries."""
    active = tuple(Warehouse.objects.filter(is_active=True).order_by("code"))
    transit: dict[int, list[TransitTime]] = defaultdict(list)
    for row in TransitTime.objects.filter(warehouse__is_active=True).order_by():
        transit[row.warehouse_id].append(row)
    return Warehouses(active, {pk: tuple(rows) for pk, rows in transit.items()})


def get() -> Warehouses:
    """The active warehouses and transit times: from this process when its version is current,
    else from the database (two queries)."""
    global _kept
    if not enabled() or _changed_in_this_transaction():
        return load()
    try:
        token = cache.get(VERSION_KEY)
        if token is None:  # first use, evicted or flushed: start a version no process holds
            token = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, token, timeout=None):
                token = cache.get(VERSION_KEY) or token
    except Exception:
        logger.warning("warehouse cache unavailable", exc_info=True)
        return load()
    kept, now = _kept, time.monotonic()
    if kept is not None and kept[0] == token and now - kept[1] < MAX_AGE:
        return kept[2]
    rows = load()
    _kept = (token, now, rows)
    return rows


def _new_version() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("warehouse cache version could not be changed", exc_info=True)


def _changed_in_this_transaction() -> bool:
    """Whether the current transaction changed the tables: its ``_new_version`` is still waiting
    for the commit (Django drops it on rollback, runs it and forgets it on commit)."""
    connection: Any = transaction.get_connection()
    return any(entry[1] is _new_version for entry in connection.run_on_commit)


def changed() -> None:
    """The warehouses or transit times changed: every process reads them again, now and after
    the transaction commits (a process reading between the two keeps a token already replaced)."""
    global _kept
    _kept = None
    _new_version()
    # Once per transaction: a savepoint rollback that drops it also undoes every change since.
    if not _changed_in_this_transaction():
        transaction.on_commit(_new_version)


def _on_change(sender: Any, **kwargs: Any) -> None:
    changed()


def connect() -> None:
    for signal in (post_save, post_delete):
        for model in (Warehouse, TransitTime):
            signal.connect(
                _on_change, sender=model, dispatch_uid=f"catalog.warehouse_cache.{model.__name__}.{signal}"
            )
