"""The audit log page: who may read it, filters, pagination. Read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from frontline.accounts import roles
from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import UserFactory
from frontline.audit import services, views
from frontline.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return UserFactory(username="isabella", role=Role.LEAD)


@pytest.fixture
def entries(lead):
    sara = UserFactory(username="sara", role=Role.AGENT)
    target = UserFactory(username="target", role=Role.AGENT)
    services.record(actor=sara, verb="customer.created", data={"n": 1})
    services.record(actor=lead, verb="customer.merged", target=target, data={"reason": "dup"})
    old = services.record(actor=None, verb="system.cleanup")
    # Back-date it: the log refuses updates, so go around its queryset (test set-up only).
    QuerySet.update(AuditEntry.objects.filter(pk=old.pk), created_at=timezone.now() - timedelta(days=10))
    return {"sara": sara, "target": target}


def verbs(response) -> list[str]:
    return [e.verb for e in response.context["entries"]]


def test_permission_names_match_the_roles_table():
    assert (views.WORKSPACE, views.AUDIT_VIEW) == (roles.WORKSPACE, roles.AUDIT_VIEW)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.LEAD, 200),
        (Role.ADMIN, 200),
        (Role.AGENT, 403),
        (Role.REPORTER, 403),
        (Role.SALES, 403),
        (Role.CUSTOMER, 403),
    ],
)
def test_only_leads_and_admins_read_the_log(client, role, status):
    client.force_login(UserFactory(role=role))

    assert client.get(reverse("audit:audit_list")).status_code == status


def test_lists_entries_newest_first_with_filters(client, lead, entries):
    client.force_login(lead)
    url = reverse("audit:audit_list")

    mine = {"customer.merged", "customer.created", "system.cleanup"}
    assert [v for v in verbs(client.get(url)) if v in mine] == [
        "customer.merged",
        "customer.created",
        "system.cleanup",
    ]
    assert verbs(client.get(url, {"verb": "customer.merged"})) == ["customer.merged"]
    assert verbs(client.get(url, {"actor": "sara"})) == ["customer.created"]
    assert verbs(client.get(url, {"actor": "nobody"})) == []
    assert verbs(client.get(url, {"target_type": "accounts.user", "target_id": entries["target"].pk})) == [
        "customer.merged"
    ]
    today = timezone.localdate()
    assert "system.cleanup" not in verbs(client.get(url, {"since": today.isoformat()}))
    assert verbs(client.get(url, {"until": (today - timedelta(days=5)).isoformat()})) == ["system.cleanup"]


def test_reversed_date_range_is_a_field_error(client, lead, entries):
    client.force_login(lead)
    today = timezone.localdate()

    response = client.get(reverse("audit:audit_list"), {"since": today, "until": today - timedelta(days=1)})

    assert "until" in response.context["form"].errors


def test_pages_of_fifty(client, lead):
    for i in range(60):
        services.record(actor=lead, verb=f"test.v{i:02d}")
    client.force_login(lead)

    first = client.get(reverse("audit:audit_list"), {"verb": "test."})
    second = client.get(reverse("audit:audit_list") + first.context["older_query"])

    assert len(first.context["entries"]) == 50
    assert first.context["newer_query"] == ""
    assert [e.verb for e in second.context["entries"]] == [f"test.v{i:02d}" for i in range(9, -1, -1)]
    assert second.context["older_query"] == ""


def test_htmx_filtering_returns_the_results_only(client, lead, entries):
    client.force_login(lead)

    response = client.get(
        reverse("audit:audit_list"),
        {"verb": "customer.created"},
        headers={"HX-Request": "true", "HX-Target": "audit-results"},
    )

    assert response.templates[0].name == "audit/partials/_audit_results.html"
    assert verbs(response) == ["customer.created"]


def test_read_only(client, lead, entries):
    client.force_login(lead)

    assert client.post(reverse("audit:audit_list")).status_code == 405
