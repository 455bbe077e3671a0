"""Authentication backend: Django's model backend for passwords, permissions from the role.

Frontline grants permissions by role (``roles.py``), never per user or group: the admin site
offers neither. So ``has_perm`` answers from the role table in memory - no query, however many
checks a page makes. Administrators (role ``admin``, or superusers) hold every permission: they
run the admin site (users, teams, policies, SLA policies, channels, carriers, templates).

Loading the signed-in user (``get_user``, once per request) also reads, in the same query,
whether their role requires two-factor authentication and whether they have a confirmed
authenticator, so ``TwoFactorMiddleware`` needs no query of its own (``two_factor_setup_missing``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, QuerySet

from . import user_cache
from .choices import Role
from .models import RolePolicy, TOTPDevice, User
from .roles import permissions_for_role

#: Annotations set by ``get_user``: (the role requires 2FA, the user has a confirmed device).
REQUIRES_TWO_FACTOR = "role_requires_two_factor"
HAS_TWO_FACTOR = "has_confirmed_two_factor"


def _is_administrator(user_obj: Any) -> bool:
    return bool(user_obj.is_active and (user_obj.is_superuser or getattr(user_obj, "role", "") == Role.ADMIN))


def users_with_two_factor_state() -> QuerySet[User]:
    """Users, each with the two facts the two-factor policy check needs."""
    return User.objects.annotate(
        **{
            REQUIRES_TWO_FACTOR: Exists(
                RolePolicy.objects.filter(role=OuterRef("role"), require_two_factor=True)
            ),
            HAS_TWO_FACTOR: Exists(
                TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False)
            ),
        }
    )


def two_factor_setup_missing(user: Any) -> bool | None:
    """What the user's own row said when it was loaded (None: loaded some other way)."""
    required = getattr(user, REQUIRES_TWO_FACTOR, None)
    if required is None:
        return None
    return bool(required) and not getattr(user, HAS_TWO_FACTOR, False)


_USER_SQL: dict[str, tuple[str, tuple[Any, ...]]] = {}
_SENTINEL = 987_654_321_987


def _user_sql() -> tuple[str, tuple[Any, ...]]:
    """The SQL of ``users_with_two_factor_state().filter(pk=...)`` and its parameters but the
    last (the id), compiled once per database vendor: building the query costs more CPU than
    running it, and it runs on every signed-in request."""
    from django.db import connection

    compiled = _USER_SQL.get(connection.vendor)
    if compiled is None:
        sql, params = users_with_two_factor_state().filter(pk=_SENTINEL).order_by().query.sql_with_params()
        if not params or params[-1] != _SENTINEL or _SENTINEL in params[:-1]:  # pragma: no cover
            raise RuntimeError(f"unexpected user query parameters: {params!r}")
        compiled = _USER_SQL[connection.vendor] = (sql, tuple(params[:-1]))
    return compiled


def _user_id(user_id: Any) -> int | None:
    try:
        return int(user_id)
    except (TypeError, ValueError):
        return None


class RoleBackend(ModelBackend):
    # --- users ---------------------------------------------------------------------------------
    def get_user(self, user_id: Any) -> User | None:
        pk = _user_id(user_id)
        if pk is None:
            return None
        user = user_cache.get(pk)
        if user is None:
            sql, params = _user_sql()
            user = next(iter(User.objects.raw(sql, [*params, pk])), None)
            if user is not None:
                user_cache.put(user)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: Any) -> User | None:
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.get_user)(user_id)

    # --- permissions: the role's, from memory -----------------------------------------------------
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        role = Role.ADMIN if _is_administrator(user_obj) else getattr(user_obj, "role", "")
        return set(permissions_for_role(role))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        if _is_administrator(user_obj):
            return True
        if user_obj.is_anonymous or obj is not None:
            return False
        return perm in permissions_for_role(getattr(user_obj, "role", ""))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if _is_administrator(user_obj):
            return True
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in permissions_for_role(getattr(user_obj, "role", "")))
