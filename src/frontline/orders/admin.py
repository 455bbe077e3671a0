"""Read-mostly admin for orders: every change goes through the services (pages, API, import)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Order, OrderHold, OrderLine, OrderStatusChange


class _ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price", "quantity_allocated", "quantity_shipped",
              "quantity_backordered", "expected_ship_date", "source_warehouse", "status")  # fmt: skip


class OrderHoldInline(_ReadOnlyInline):
    model = OrderHold
    fk_name = "order"
    fields = ("reason", "note", "placed_at", "placed_by", "expected_release_date", "inbound_reference",
              "released_at", "released_by")  # fmt: skip


class OrderStatusChangeInline(_ReadOnlyInline):
    model = OrderStatusChange
    fields = ("at", "from_status", "to_status", "by", "reason")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ("number", "customer", "status", "channel", "placed_at", "total", "currency")
    list_filter = ("status", "channel")
    search_fields = ("=number", "=email", "=external_ref")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "organisation")
    inlines = (OrderLineInline, OrderHoldInline, OrderStatusChangeInline)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderHold)
class OrderHoldAdmin(admin.ModelAdmin[OrderHold]):
    list_display = (
        "order",
        "reason",
        "placed_at",
        "expected_release_date",
        "inbound_reference",
        "released_at",
    )
    list_filter = ("reason",)
    search_fields = ("=order__number", "=inbound_reference")
    list_select_related = ("order",)
    raw_id_fields = ("order", "line")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
