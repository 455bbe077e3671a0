"""Authentication backend: Django's model backend plus permissions granted by role.

Administrators (role ``admin``) hold every permission, like superusers: they run the admin site
(users, teams, policies, and later SLA policies, channels, carriers, templates). The ADMIN entry
in ``roles.py`` lists what their workspace shows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .choices import Role
from .roles import permissions_for_role


def _is_administrator(user_obj: Any) -> bool:
    return bool(user_obj.is_active and (user_obj.is_superuser or getattr(user_obj, "role", "") == Role.ADMIN))


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        granted = set(super().get_all_permissions(user_obj, obj))
        return granted | set(permissions_for_role(getattr(user_obj, "role", "")))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        if _is_administrator(user_obj):
            return True
        return perm in self.get_all_permissions(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if _is_administrator(user_obj):
            return True
        return super().has_module_perms(user_obj, app_label)
