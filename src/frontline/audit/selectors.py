"""Reading the audit log."""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def audit_list(
    *,
    verb: str = "",
    actor_id: int | None = None,
    target_type: str = "",
    target_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> models.QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor", "target_type")
    if verb:
        qs = qs.filter(verb__startswith=verb)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if target_type:
        app_label, _, model = target_type.partition(".")
        qs = qs.filter(target_type__app_label=app_label, target_type__model=model)
    if target_id:
        qs = qs.filter(target_id=target_id)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


def audit_for_object(obj: models.Model, *, limit: int = 50) -> list[AuditEntry]:
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return list(
        AuditEntry.objects.filter(target_type=content_type, target_id=str(obj.pk)).select_related("actor")[
            :limit
        ]
    )


def audit_verbs() -> list[str]:
    return list(AuditEntry.objects.order_by("verb").values_list("verb", flat=True).distinct())
