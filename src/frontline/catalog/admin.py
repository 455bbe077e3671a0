"""Admin: warehouses and transit times are settings an administrator owns and edits here.
Products, stock levels, the ledger, inbound shipments and backorder history are shown read
only: their changes go through the services (audit, search index, ledger, live updates), from
the stock pages, the API or the imports."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    BackorderPeriod,
    InboundShipment,
    InboundShipmentLine,
    Product,
    StockLevel,
    StockMovement,
    TransitTime,
    Warehouse,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitTimeInline(admin.TabularInline[TransitTime, Warehouse]):
    model = TransitTime
    extra = 0


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin[Warehouse]):
    list_display = (
        "code",
        "name",
        "kind",
        "country",
        "timezone",
        "cutoff_time",
        "handling_days",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    inlines = [TransitTimeInline]


@admin.register(TransitTime)
class TransitTimeAdmin(admin.ModelAdmin[TransitTime]):
    list_display = ("warehouse", "carrier_code", "service", "country", "business_days", "is_default")
    list_filter = ("warehouse", "carrier_code")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("sku", "name", "category", "barcode", "price", "allow_backorder", "discontinued_at")
    list_filter = ("category", "allow_backorder")
    search_fields = ("sku", "name", "barcode")
    show_full_result_count = False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = (
        "product",
        "warehouse",
        "on_hand",
        "reserved",
        "incoming",
        "outgoing",
        "source",
        "source_synced_at",
    )
    list_filter = ("warehouse", "source")
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku",)
    show_full_result_count = False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "product",
        "warehouse",
        "kind",
        "delta",
        "reserved_delta",
        "reference",
        "actor",
    )
    list_filter = ("kind", "warehouse")
    list_select_related = ("product", "warehouse", "actor")
    search_fields = ("product__sku", "reference")
    show_full_result_count = False


class InboundLineInline(admin.TabularInline[InboundShipmentLine, InboundShipment]):
    model = InboundShipmentLine
    extra = 0
    can_delete = False
    readonly_fields = ("product", "quantity_ordered", "quantity_received", "expected_date")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundShipment)
class InboundShipmentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "supplier", "warehouse", "status", "expected_date", "original_expected_date")
    list_filter = ("status", "warehouse")
    search_fields = ("reference", "supplier", "tracking_number")
    inlines = [InboundLineInline]


@admin.register(BackorderPeriod)
class BackorderPeriodAdmin(ReadOnlyAdmin):
    list_display = ("product", "warehouse", "started_at", "ended_at")
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku",)
