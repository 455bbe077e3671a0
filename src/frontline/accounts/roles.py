"""What each role may do, as Django permission names.

Frontline grants permissions by role rather than per user: ``user.has_perm("customers.merge_customer")``
asks this table (through ``RoleBackend``). Superusers may do everything. Permission names are
plain strings so this module imports no other app.
"""

from __future__ import annotations

from .choices import Role

WORKSPACE = "workspace.use_workspace"  # any staff page
CUSTOMER_VIEW = "customers.view_customer"
CUSTOMER_ADD = "customers.add_customer"
CUSTOMER_CHANGE = "customers.change_customer"
CUSTOMER_MERGE = "customers.merge_customer"
CUSTOMER_IMPORT = "customers.import_customer"
AUDIT_VIEW = "audit.view_auditentry"
USER_MANAGE = "accounts.manage_users"

_STAFF_BASE = {WORKSPACE, CUSTOMER_VIEW}
_CUSTOMER_EDIT = {CUSTOMER_ADD, CUSTOMER_CHANGE, CUSTOMER_MERGE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset(_STAFF_BASE | _CUSTOMER_EDIT),
    Role.REPORTER: frozenset(_STAFF_BASE | {CUSTOMER_CHANGE}),
    Role.LEAD: frozenset(_STAFF_BASE | _CUSTOMER_EDIT | {CUSTOMER_IMPORT, AUDIT_VIEW}),
    Role.TECH: frozenset(_STAFF_BASE),
    Role.SALES: frozenset(_STAFF_BASE | _CUSTOMER_EDIT),
    Role.LOGISTICS: frozenset(_STAFF_BASE),
    Role.PRODUCT: frozenset(_STAFF_BASE),
    Role.ADMIN: frozenset(_STAFF_BASE | _CUSTOMER_EDIT | {CUSTOMER_IMPORT, AUDIT_VIEW, USER_MANAGE}),
    Role.CUSTOMER: frozenset(),
}


def permissions_for_role(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
