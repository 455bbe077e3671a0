"""Who may listen to a customer's live updates, and what is pushed."""

from __future__ import annotations

from typing import Any

from frontline.accounts import roles


def authorize_customer_group(user: Any, key: str) -> bool:
    """Staff with the view permission; a portal customer only for their own record."""
    if not key.isdigit():
        return False
    if user.has_perm(roles.CUSTOMER_VIEW):
        return True
    from .models import Customer

    return Customer.objects.filter(pk=int(key), user=user).exists()
