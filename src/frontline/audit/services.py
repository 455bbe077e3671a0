"""Writing the audit log. Call ``record`` inside the service's transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from frontline.core.request_context import current_client_ip, current_request_id

from .models import AuditEntry


def record(
    *,
    actor: Any | None,
    verb: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. ``actor`` is a user or None for the system."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor=actor if is_user else None,
        actor_label=actor.get_username() if actor is not None and is_user else "system",
        verb=verb,
        data=data or {},
        request_id=current_request_id(),
        ip_address=current_client_ip() or None,
    )
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        entry.target_id = str(target.pk)
        entry.target_label = str(target)[:200]
    entry.save()
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
