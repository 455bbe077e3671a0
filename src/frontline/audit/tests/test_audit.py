"""The audit log is append-only and carries the request context."""

import pytest

from frontline.accounts.models import User
from frontline.audit import selectors, services
from frontline.audit.models import AppendOnlyError, AuditEntry
from frontline.core.request_context import client_ip_var, request_id_var

pytestmark = pytest.mark.django_db


def test_record_keeps_actor_target_data_and_request_context():
    user = User.objects.create(username="admin", role="admin")
    id_token = request_id_var.set("req-12345678")
    ip_token = client_ip_var.set("127.0.0.1")
    try:
        entry = services.record(
            actor=user, verb="user.updated", target=user, data={"role": ["agent", "admin"]}
        )
    finally:
        request_id_var.reset(id_token)
        client_ip_var.reset(ip_token)

    entry.refresh_from_db()
    assert (entry.actor, entry.actor_label, entry.verb) == (user, "admin", "user.updated")
    assert (entry.target_type.model, entry.target_id, entry.target_label) == ("user", str(user.pk), "admin")
    assert entry.data == {"role": ["agent", "admin"]}
    assert (entry.request_id, entry.ip_address) == ("req-12345678", "127.0.0.1")


def test_system_actor():
    entry = services.record(actor=None, verb="system.tick")

    assert entry.actor is None and entry.actor_label == "system"


def test_entries_cannot_be_updated_or_deleted():
    entry = services.record(actor=None, verb="x.y")

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(verb="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().verb == "x.y"


def test_changes_lists_only_what_differs():
    assert services.changes({"a": 1, "b": "x"}, {"a": 2, "b": "x"}) == {"a": [1, 2]}


def test_filters():
    user = User.objects.create(username="lena", role="logistics")
    services.record(actor=user, verb="customer.created", target=user)
    services.record(actor=None, verb="customer.merged")
    services.record(actor=None, verb="auth.login")

    assert [e.verb for e in selectors.audit_list(verb="customer.")] == ["customer.merged", "customer.created"]
    assert [e.verb for e in selectors.audit_list(actor_id=user.pk)] == ["customer.created"]
    assert [e.verb for e in selectors.audit_list(target_type="accounts.user", target_id=str(user.pk))] == [
        "customer.created"
    ]
    assert selectors.audit_verbs() == ["auth.login", "customer.created", "customer.merged"]
