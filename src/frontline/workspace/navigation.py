"""The role-aware navigation shell: which sections a user sees, in order.

Each entry names the permission that opens it; a user sees exactly the sections their role
grants. Later apps add their sections here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from frontline.accounts import roles

StrOrPromise = str | Promise


@dataclass(frozen=True)
class NavEntry:
    label: StrOrPromise
    url_name: str
    icon: str
    permission: str
    prefix: str  # the section is active when the path starts with this


SECTIONS: tuple[NavEntry, ...] = (
    NavEntry(_("Dashboard"), "workspace:home", "speedometer2", roles.WORKSPACE, "/$"),
    NavEntry(_("Cases"), "cases:queue", "inboxes", roles.CASE_VIEW, "/cases/"),
    NavEntry(_("Log a call"), "inbox:call_log", "telephone", roles.CASE_REPLY, "/inbox/call/"),
    NavEntry(_("Customers"), "customers:customer_list", "people", roles.CUSTOMER_VIEW, "/customers/"),
    NavEntry(_("Orders"), "orders:tracker", "receipt", roles.ORDER_VIEW, "/orders/"),
    NavEntry(_("Stock"), "catalog:stock_levels", "box-seam", roles.STOCK_VIEW, "/stock/"),
    NavEntry(
        _("Exceptions"), "workspace:exceptions", "exclamation-triangle", roles.SHIPMENT_VIEW, "/exceptions/"
    ),
)

#: Tools used now and then, in the user menu so the bar keeps the daily sections on one line.
USER_MENU: tuple[NavEntry, ...] = (
    NavEntry(
        _("Duplicate customers"),
        "customers:duplicate_list",
        "intersect",
        roles.CUSTOMER_MERGE,
        "/customers/duplicates/",
    ),
    NavEntry(_("Audit log"), "audit:audit_list", "journal-text", roles.AUDIT_VIEW, "/audit/"),
    NavEntry(
        _("Profile, security and API tokens"), "accounts:profile", "person-gear", "", "/accounts/profile/"
    ),
    NavEntry(_("API documentation"), "api:openapi-view", "braces", roles.WORKSPACE, "/api/v1/docs"),
    NavEntry(_("Administration"), "admin:index", "gear", roles.USER_MANAGE, "/admin/"),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    active: bool


def _visible(request: HttpRequest, entries: tuple[NavEntry, ...]) -> list[NavItem]:
    user = request.user
    path = request.path
    items = []
    for entry in entries:
        if entry.permission and not user.has_perm(entry.permission):
            continue
        active = path == "/" if entry.prefix == "/$" else path.startswith(entry.prefix)
        items.append(NavItem(str(entry.label), reverse(entry.url_name), entry.icon, active))
    # Only the most specific matching section is highlighted.
    actives = [i for i in items if i.active]
    if len(actives) > 1:
        keep = max(actives, key=lambda i: len(i.url))
        items = [NavItem(i.label, i.url, i.icon, i is keep) for i in items]
    return items


def navigation_for(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {}
    if not user.has_perm(roles.WORKSPACE):
        return {"nav_items": [], "nav_user_items": _visible(request, USER_MENU), "nav_home_url": "/"}
    return {
        "nav_items": _visible(request, SECTIONS),
        "nav_user_items": _visible(request, USER_MENU),
        "nav_home_url": reverse("workspace:home"),
        "nav_quick_search": reverse("workspace:quick_search") if user.has_perm(roles.CUSTOMER_VIEW) else "",
    }
