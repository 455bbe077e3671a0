"""Who may open the staff case pages: one decorator shared by the queue and the case page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frontline.accounts import roles
from frontline.core.access import require_permissions


def staff_required(*permissions: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in (else the login page), staff who may view cases, and ``permissions`` (else 403)."""
    return require_permissions(roles.WORKSPACE, roles.CASE_VIEW, *permissions)
