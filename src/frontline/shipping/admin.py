"""Admin: read-mostly views of shipping data. Credentials are never shown; tracking events are
append-only (no add, change or delete here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Carrier,
    CarrierAccount,
    DeliveryException,
    ProofOfDelivery,
    Shipment,
    ShipmentItem,
    StatusOverride,
    TrackingEvent,
)


class StatusOverrideInline(admin.TabularInline[StatusOverride, Any]):
    model = StatusOverride
    extra = 0
    fields = ("raw_code", "status", "reason", "note")


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin[Carrier]):
    list_display = (
        "name",
        "code",
        "supports_polling",
        "poll_interval_minutes",
        "stall_threshold_hours",
        "is_active",
    )
    search_fields = ("name", "code")
    inlines = [StatusOverrideInline]


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin[CarrierAccount]):
    list_display = ("name", "carrier", "test_mode", "is_default", "is_active")
    list_filter = ("carrier", "test_mode")
    exclude = ("credentials_encrypted",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # credentials are set through services (encrypted), not a plain form


class ShipmentItemInline(admin.TabularInline[ShipmentItem, Any]):
    model = ShipmentItem
    extra = 0
    raw_id_fields = ("order_line",)


class TrackingEventInline(admin.TabularInline[TrackingEvent, Any]):
    model = TrackingEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "status", "reason", "carrier_code", "description", "location_text", "source")
    readonly_fields = fields
    ordering = ("-occurred_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin[Shipment]):
    list_display = (
        "tracking_number",
        "carrier",
        "order",
        "status",
        "current_edd",
        "last_event_at",
        "tracking_active",
    )
    list_filter = ("carrier", "status", "tracking_active", "direction")
    search_fields = ("tracking_number", "order__number")
    raw_id_fields = ("order", "origin_warehouse", "account")
    readonly_fields = ("public_token", "last_event_at", "last_polled_at", "created_at", "updated_at")
    list_select_related = ("carrier", "order")
    inlines = [ShipmentItemInline, TrackingEventInline]


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin[TrackingEvent]):
    list_display = ("shipment", "occurred_at", "status", "carrier_code", "description", "source")
    list_filter = ("status", "source")
    search_fields = ("shipment__tracking_number", "carrier_code", "description")
    raw_id_fields = ("shipment",)
    list_select_related = ("shipment",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProofOfDelivery)
class ProofOfDeliveryAdmin(admin.ModelAdmin[ProofOfDelivery]):
    list_display = ("shipment", "signed_by", "location_type", "delivered_at")
    raw_id_fields = ("shipment",)


@admin.register(DeliveryException)
class DeliveryExceptionAdmin(admin.ModelAdmin[DeliveryException]):
    list_display = (
        "shipment",
        "kind",
        "rule_id",
        "severity",
        "status",
        "impact_score",
        "assigned_to",
        "detected_at",
    )
    list_filter = ("kind", "rule_id", "severity", "status")
    search_fields = ("shipment__tracking_number", "order__number", "summary")
    raw_id_fields = ("shipment", "order", "trigger_event", "assigned_to", "resolved_by")
    list_select_related = ("shipment", "assigned_to")
    readonly_fields = ("fingerprint", "detected_at", "impact_score")
