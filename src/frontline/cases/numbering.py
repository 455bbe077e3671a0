"""Case references: short, numeric, unique, handed out in order from one locked counter row."""

from __future__ import annotations

from django.db import transaction

from .models import Case, ReferenceSequence

SEQUENCE = "case"
FIRST = 36_100_000


@transaction.atomic
def next_reference() -> str:
    """The next free reference. Locks the counter row until the caller's transaction ends, so
    concurrent creators queue for a number rather than collide (fine at thousands a minute)."""
    sequence, _ = ReferenceSequence.objects.select_for_update().get_or_create(
        name=SEQUENCE, defaults={"last_value": FIRST}
    )
    value = sequence.last_value + 1
    # A reference given explicitly (an import, the demo's seed cases) may sit ahead of the counter.
    while Case.objects.filter(reference=str(value)).exists():
        value += 1
    sequence.last_value = value
    sequence.save(update_fields=["last_value"])
    return str(value)
