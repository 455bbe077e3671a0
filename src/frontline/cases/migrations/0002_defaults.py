"""The statuses every installation starts with (one default per category), a 24/7 calendar and
the default SLA policy of seed 002: first response within 24 hours."""

from django.db import migrations

STATUSES = [
    # name, slug, category, pauses_sla, position
    ("New", "new", "new", False, 10),
    ("Open", "open", "open", False, 20),
    ("Waiting on customer", "waiting-on-customer", "pending_customer", True, 30),
    ("On hold", "on-hold", "on_hold", False, 40),
    ("Resolved", "resolved", "resolved", True, 50),
    ("Closed", "closed", "closed", True, 60),
]


def create_defaults(apps, schema_editor):
    CaseStatus = apps.get_model("cases", "CaseStatus")
    BusinessCalendar = apps.get_model("cases", "BusinessCalendar")
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    EscalationLevel = apps.get_model("cases", "EscalationLevel")
    ReferenceSequence = apps.get_model("cases", "ReferenceSequence")
    for name, slug, category, pauses, position in STATUSES:
        CaseStatus.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": category,
                "is_default": True,
                "pauses_sla": pauses,
                "position": position,
            },
        )
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Around the clock", defaults={"time_zone": "UTC", "is_default": True}
    )
    policy, created = SlaPolicy.objects.get_or_create(
        name="Default",
        defaults={
            "position": 1000,
            "calendar": calendar,
            "first_response_minutes": 24 * 60,
            "next_response_minutes": 24 * 60,
            "resolution_minutes": 5 * 24 * 60,
            "warn_before_minutes": 120,
        },
    )
    if created:
        for level, after, action in [
            (1, 0, "notify_lead"),
            (2, 240, "reassign_to_lead"),
            (3, 480, "notify_manager"),
        ]:
            EscalationLevel.objects.create(policy=policy, level=level, after_minutes=after, action=action)
    ReferenceSequence.objects.get_or_create(name="case", defaults={"last_value": 36_100_000})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
