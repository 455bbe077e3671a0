"""The statuses every installation has, one default per category (also created by migration
0002). ``ensure_default_statuses`` puts back any that are missing — e.g. after a test flush
or an admin's clean-up — so a case can always be opened."""

from __future__ import annotations

from .choices import StatusCategory
from .models import CaseStatus

DEFAULT_STATUSES = [
    # name, slug, category, pauses_sla, position
    ("New", "new", StatusCategory.NEW, False, 10),
    ("Open", "open", StatusCategory.OPEN, False, 20),
    ("Waiting on customer", "waiting-on-customer", StatusCategory.PENDING_CUSTOMER, True, 30),
    ("On hold", "on-hold", StatusCategory.ON_HOLD, False, 40),
    ("Resolved", "resolved", StatusCategory.RESOLVED, True, 50),
    ("Closed", "closed", StatusCategory.CLOSED, True, 60),
]


def ensure_default_statuses() -> None:
    for name, slug, category, pauses, position in DEFAULT_STATUSES:
        if CaseStatus.objects.filter(category=category, is_active=True).exists():
            continue
        has_default = CaseStatus.objects.filter(category=category, is_default=True).exists()
        CaseStatus.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": category,
                "is_default": not has_default,
                "pauses_sla": pauses,
                "position": position,
                "is_active": True,
            },
        )
