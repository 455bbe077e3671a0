"""The signed-in user of each request, from the shared cache instead of PostgreSQL.

Every signed-in request loads its user (with the two facts of the two-factor policy); with the
queue page served from the cache, that query was the largest part of what remained. The user
row is kept in the shared cache (Redis) for ``TTL_SECONDS`` and dropped as soon as anything it
was built from changes: the user (saved or deleted), their second factors, or their role's
policy. A change made behind the ORM's back (raw SQL) shows within the TTL.

Without a shared cache (tests, SQLite demo) it is off: a per-process cache could not be told
of changes made in another process.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

TTL_SECONDS = 60
PREFIX = "auth:user"


def enabled() -> bool:
    return bool(getattr(settings, "USER_CACHE", False))


def _key(pk: int) -> str:
    return f"{PREFIX}:{pk}"


def get(pk: int) -> Any | None:
    if not enabled():
        return None
    try:
        return cache.get(_key(pk))
    except Exception:
        logger.warning("user cache unavailable", exc_info=True)
        return None


def put(user: Any) -> None:
    if not enabled():
        return
    try:
        cache.set(_key(user.pk), user, TTL_SECONDS)
    except Exception:
        logger.warning("user cache unavailable", exc_info=True)


def forget(*pks: int) -> None:
    """Drop these users now and again after the transaction commits (a request between the two
    could have cached the row as it was before the change)."""
    if not enabled() or not pks:
        return
    keys = [_key(pk) for pk in pks]

    def drop() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("user cache could not be cleared", exc_info=True)

    drop()
    transaction.on_commit(drop)


def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.pk)


def _device_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.user_id)


def _policy_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .models import User

    forget(*User.objects.filter(role=instance.role).values_list("pk", flat=True))


def connect() -> None:
    from .models import RolePolicy, TOTPDevice, User

    for signal in (post_save, post_delete):
        signal.connect(_user_changed, sender=User, dispatch_uid=f"user_cache.user.{signal}")
        signal.connect(_device_changed, sender=TOTPDevice, dispatch_uid=f"user_cache.device.{signal}")
        signal.connect(_policy_changed, sender=RolePolicy, dispatch_uid=f"user_cache.policy.{signal}")
