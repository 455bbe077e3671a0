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
CASE_VIEW = "cases.view_case"
CASE_ADD = "cases.add_case"
CASE_CHANGE = "cases.change_case"  # status, fields, tags, internal notes
CASE_REPLY = "cases.reply_case"  # public replies to the customer, phone log
CASE_ASSIGN = "cases.assign_case"  # take, assign, forward, bulk assign
CASE_ESCALATE = "cases.escalate_case"
CASE_MERGE = "cases.merge_case"  # merge, split, link
CASE_SETTINGS = "cases.manage_case_settings"  # statuses, SLA policies, calendars, team macros
STOCK_VIEW = "catalog.view_product"  # products, warehouses, stock levels, inbound restocks
STOCK_CHANGE = "catalog.change_stocklevel"  # adjust, count, transfer, receive inbound, edit products
STOCK_IMPORT = "catalog.import_product"  # import products and stock (discrepancy report first)
ORDER_VIEW = "orders.view_order"
ORDER_CHANGE = "orders.change_order"  # holds, releases, cancellations
ORDER_IMPORT = "orders.import_order"
SHIPMENT_VIEW = "shipping.view_shipment"  # shipments, tracking events, exceptions
SHIPMENT_CHANGE = "shipping.change_shipment"  # refresh tracking, manual events
EXCEPTION_WORK = "shipping.work_exception"  # assign, acknowledge, resolve delivery exceptions
SHIPMENT_IMPORT = "shipping.import_shipment"
CARRIER_SETTINGS = "shipping.manage_carriers"  # carriers, accounts (credentials), status overrides

_STAFF_BASE = {WORKSPACE, CUSTOMER_VIEW, CASE_VIEW, STOCK_VIEW, ORDER_VIEW, SHIPMENT_VIEW}
_LOGISTICS_WORK = {STOCK_CHANGE, STOCK_IMPORT, ORDER_CHANGE, ORDER_IMPORT, SHIPMENT_CHANGE, SHIPMENT_IMPORT}
_CUSTOMER_EDIT = {CUSTOMER_ADD, CUSTOMER_CHANGE, CUSTOMER_MERGE}
_CASE_WORK = {CASE_ADD, CASE_CHANGE, CASE_REPLY, CASE_ASSIGN, CASE_ESCALATE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset(_STAFF_BASE | _CUSTOMER_EDIT | _CASE_WORK | {CASE_MERGE, EXCEPTION_WORK}),
    Role.REPORTER: frozenset(_STAFF_BASE | {CUSTOMER_CHANGE} | _CASE_WORK),
    Role.LEAD: frozenset(
        _STAFF_BASE
        | _CUSTOMER_EDIT
        | _CASE_WORK
        | {CUSTOMER_IMPORT, AUDIT_VIEW, CASE_MERGE, CASE_SETTINGS, ORDER_CHANGE, EXCEPTION_WORK}
    ),
    Role.TECH: frozenset(_STAFF_BASE | _CASE_WORK),
    Role.SALES: frozenset(_STAFF_BASE | _CUSTOMER_EDIT | {CASE_ADD, CASE_CHANGE}),
    Role.LOGISTICS: frozenset(
        _STAFF_BASE | {CASE_CHANGE} | _LOGISTICS_WORK | {EXCEPTION_WORK, CARRIER_SETTINGS}
    ),
    Role.PRODUCT: frozenset(_STAFF_BASE | {CASE_CHANGE, STOCK_CHANGE}),
    Role.ADMIN: frozenset(
        _STAFF_BASE
        | _CUSTOMER_EDIT
        | _CASE_WORK
        | _LOGISTICS_WORK
        | {
            CUSTOMER_IMPORT,
            AUDIT_VIEW,
            USER_MANAGE,
            CASE_MERGE,
            CASE_SETTINGS,
            EXCEPTION_WORK,
            CARRIER_SETTINGS,
        }
    ),
    Role.CUSTOMER: frozenset(),
}


def permissions_for_role(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
