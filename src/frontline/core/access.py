"""Access checks for views: signed in, then every named permission, else 403.

Apps pass their permission names (``frontline.accounts.roles``); core knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required

View = Callable[..., Any]


def require_permissions(*permissions: str) -> Callable[[View], View]:
    """Anonymous users go to the login page; signed-in users lacking a permission get 403."""

    def decorator(view: View) -> View:
        return login_required(permission_required(list(permissions), raise_exception=True)(view))

    return decorator
