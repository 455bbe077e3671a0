"""The audit log, read-only, for team leads and administrators."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontline.core.access import require_permissions
from frontline.core.htmx import wants_fragment

from . import selectors
from .forms import AuditFilterForm

# The permission names of frontline.accounts.roles (WORKSPACE, AUDIT_VIEW); audit sits below
# accounts in the layers, so it names them itself (tests check they agree).
WORKSPACE = "workspace.use_workspace"
AUDIT_VIEW = "audit.view_auditentry"
PAGE_SIZE = 50


def _target_types() -> list[tuple[str, str]]:
    labels = [config.label for config in apps.get_app_configs() if config.name.startswith("frontline.")]
    return [
        (f"{ct.app_label}.{ct.model}", f"{ct.app_label} · {ct.name}")
        for ct in ContentType.objects.filter(app_label__in=labels).order_by("app_label", "model")
    ]


@require_GET
@require_permissions(WORKSPACE, AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, verbs=selectors.audit_verbs(), target_types=_target_types())
    form.is_valid()  # invalid filters are dropped, valid ones apply
    offset = form.value("offset", 0)
    actor_name = form.value("actor", "")
    actor_id = None
    unknown_actor = False
    if actor_name:
        user_model = get_user_model()
        actor_id = (
            user_model._default_manager.filter(**{user_model.USERNAME_FIELD: actor_name})
            .values_list("pk", flat=True)
            .first()
        )
        unknown_actor = actor_id is None
    entries = []
    if not unknown_actor:
        qs = selectors.audit_list(
            verb=form.value("verb", ""),
            actor_id=actor_id,
            target_type=form.value("target_type", ""),
            target_id=form.value("target_id", ""),
            since=form.value("since"),
            until=form.value("until"),
        )
        entries = list(qs[offset : offset + PAGE_SIZE + 1])  # one more tells if there is a next page
    has_next = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    params = request.GET.copy()
    params.pop("offset", None)

    def page_query(new_offset: int) -> str:
        query = params.copy()
        if new_offset:
            query["offset"] = str(new_offset)
        return f"?{query.urlencode()}"

    context = {
        "form": form,
        "entries": entries,
        "unknown_actor": unknown_actor,
        "offset": offset,
        "first_row": offset + 1,
        "last_row": offset + len(entries),
        "newer_query": page_query(max(offset - PAGE_SIZE, 0)) if offset else "",
        "older_query": page_query(offset + PAGE_SIZE) if has_next else "",
    }
    if wants_fragment(request, "audit-results"):
        return render(request, "audit/partials/_audit_results.html", context)
    return render(request, "audit/audit_list.html", context)
