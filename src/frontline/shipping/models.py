"""Carriers, shipments, tracking events, proof of delivery and delivery exceptions.

Data rules only: fields, constraints, small properties. Every write is in services.py.
``TrackingEvent`` is append-only (partitionable by month on ``occurred_at``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontline.catalog.models import Warehouse
from frontline.core import crypto
from frontline.core.models import TimeStampedModel
from frontline.orders.models import Order, OrderLine

from .choices import (
    FINAL_STATUSES,
    DeliveryLocationType,
    Direction,
    EventSource,
    ExceptionKind,
    ExceptionStatus,
    IncidentReason,
    Resolution,
    RuleId,
    Severity,
    ShipmentStatus,
)


def new_public_token() -> str:
    return secrets.token_urlsafe(18)


class Carrier(TimeStampedModel):
    """A carrier we ship with. ``code`` is the karrio connector name (``ups``, ``dhl_express``)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    tracking_url_template = models.CharField(
        _("tracking URL template"),
        max_length=300,
        blank=True,
        help_text=_("With {tracking_number}, e.g. https://www.ups.com/track?tracknum={tracking_number}"),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        help_text=_("For event times the carrier sends without a zone and no origin warehouse is known."),
    )
    supports_polling = models.BooleanField(_("poll through karrio"), default=True)
    poll_interval_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=120)
    stall_threshold_hours = models.PositiveIntegerField(
        _("stalled after (hours)"), default=72, help_text=_("R5: no new event while moving.")
    )
    not_picked_up_hours = models.PositiveIntegerField(
        _("not picked up after (hours)"), default=48, help_text=_("R6: label created, no carrier scan.")
    )
    past_due_grace_hours = models.PositiveIntegerField(
        _("past-due grace (hours)"), default=12, help_text=_("R4: after the end of the delivery date.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_carriers", "Can manage carriers, accounts and status overrides")]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, tracking_number: str) -> str:
        if not self.tracking_url_template:
            return ""
        return self.tracking_url_template.replace("{tracking_number}", tracking_number)


class CarrierAccount(TimeStampedModel):
    """Credentials for one carrier connection (karrio ``Settings``), encrypted at rest."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(_("name"), max_length=100)
    credentials_encrypted = models.TextField(_("credentials (encrypted)"), editable=False)
    test_mode = models.BooleanField(_("test mode"), default=False)
    is_default = models.BooleanField(_("default for the carrier"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["carrier", "name"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "name"], name="shipping_account_name_uniq"),
            models.UniqueConstraint(
                fields=["carrier"], condition=Q(is_default=True), name="shipping_account_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}: {self.name}"

    def credentials(self) -> dict[str, Any]:
        """The decrypted karrio settings dict (never logged, never shown)."""
        if not self.credentials_encrypted:
            return {}
        value = json.loads(crypto.decrypt(self.credentials_encrypted))
        return value if isinstance(value, dict) else {}


class StatusOverride(TimeStampedModel):
    """Our status (and reason) for a raw carrier code, taking precedence over karrio's mapping."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="status_overrides")
    raw_code = models.CharField(_("carrier code"), max_length=40)
    status = models.CharField(_("status"), max_length=24, choices=ShipmentStatus.choices)
    reason = models.CharField(_("reason"), max_length=40, choices=IncidentReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["carrier", "raw_code"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "raw_code"], name="shipping_override_code_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.raw_code} -> {self.status}"


class Shipment(TimeStampedModel):
    """One parcel (outbound, return or inbound). Tracking numbers are recycled by carriers: they
    are unique only together with the carrier and the order."""

    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    origin_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    account = models.ForeignKey(
        CarrierAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    service = models.CharField(_("service"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, db_index=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    label_created_at = models.DateTimeField(_("label created"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("first carrier scan"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=ShipmentStatus.choices, default=ShipmentStatus.LABEL_CREATED
    )
    status_detail = models.CharField(_("status detail"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=40, choices=IncidentReason.choices, blank=True)
    current_edd = models.DateField(_("estimated delivery"), null=True, blank=True)
    original_edd = models.DateField(_("first estimated delivery"), null=True, blank=True)
    promised_date = models.DateField(_("promised delivery"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    last_poll_error = models.CharField(_("last polling error"), max_length=500, blank=True)
    tracking_active = models.BooleanField(_("tracking active"), default=True)
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token, editable=False)
    carrier_tracking_url = models.URLField(_("carrier tracking page"), max_length=500, blank=True)
    package_count = models.PositiveSmallIntegerField(_("packages"), default=1)
    weight = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("work_exception", "Can assign, acknowledge and resolve delivery exceptions"),
            ("import_shipment", "Can import shipments"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number", "order"], name="shipping_shipment_tracking_uniq"
            ),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=Q(order__isnull=True),
                name="shipping_shipment_tracking_noorder_uniq",
            ),
        ]
        indexes = [
            # The poll: active shipments due, by time.
            models.Index(
                fields=["next_poll_at"], condition=Q(tracking_active=True), name="shipment_poll_due_idx"
            ),
            # The sweep walks active shipments by id; stall/no-information look at the last event.
            models.Index(
                fields=["last_event_at"], condition=Q(tracking_active=True), name="shipment_active_event_idx"
            ),
            models.Index(fields=["order", "-created_at"], name="shipment_order_idx"),
            models.Index(fields=["carrier", "status"], name="shipment_carrier_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.tracking_number}"

    def get_absolute_url(self) -> str:
        return reverse("shipping:shipment_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def edd_vs_promise_days(self) -> int | None:
        """Days the current estimate lies after the promised date (negative: ahead)."""
        if self.current_edd is None or self.promised_date is None:
            return None
        return (self.current_edd - self.promised_date).days


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_items")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipping_item_line_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipping_item_quantity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.quantity} x line {self.order_line_id}"


class TrackingEvent(models.Model):
    """One carrier scan, append-only. The raw code, text and time strings are kept beside our
    normalised status and the resolved, time-zone-aware ``occurred_at``."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(_("occurred"))
    raw_date = models.CharField(max_length=32, blank=True)
    raw_time = models.CharField(max_length=32, blank=True)
    raw_tz = models.CharField(max_length=64, blank=True)
    carrier_code = models.CharField(_("carrier code"), max_length=40, blank=True)
    description = models.CharField(_("carrier text"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=ShipmentStatus.choices)
    reason = models.CharField(_("reason"), max_length=40, choices=IncidentReason.choices, blank=True)
    location_text = models.CharField(_("location"), max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EventSource.choices)
    dedupe_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_hash"], name="shipping_event_dedupe_uniq")
        ]
        indexes = [models.Index(fields=["shipment", "-occurred_at"], name="event_shipment_time_idx")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.occurred_at.isoformat()} {self.status}"


class ProofOfDelivery(TimeStampedModel):
    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="proof_of_delivery")
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    signature_image = models.FileField(_("signature"), upload_to="shipping/pod/%Y/%m/", blank=True)
    photo = models.FileField(_("photo"), upload_to="shipping/pod/%Y/%m/", blank=True)
    location_type = models.CharField(
        _("left at"), max_length=16, choices=DeliveryLocationType.choices, blank=True
    )
    location_note = models.CharField(_("location note"), max_length=200, blank=True)
    urls = models.JSONField(_("links"), default=list, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EventSource.choices)

    def __str__(self) -> str:
        return f"POD {self.shipment_id}"


class DeliveryException(TimeStampedModel):
    """One detected problem with a shipment: the agents' work queue. At most one unresolved row
    per shipment and kind; ``fingerprint`` names the condition so a resolved problem is not
    reopened for the same cause."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="exceptions")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery_exceptions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices)
    reason = models.CharField(_("reason"), max_length=40, choices=IncidentReason.choices, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    rule_id = models.CharField(_("rule"), max_length=2, choices=RuleId.choices)
    fingerprint = models.CharField(max_length=120)
    summary = models.CharField(_("summary"), max_length=255)
    trigger_event = models.ForeignKey(
        TrackingEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detected_at = models.DateTimeField(_("detected"))
    expected_by = models.DateField(_("expected by"), null=True, blank=True)
    new_expected_by = models.DateField(_("now expected by"), null=True, blank=True)
    delay_days = models.IntegerField(_("days late"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delivery_exceptions",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    customer_notified_at = models.DateTimeField(_("customer notified"), null=True, blank=True)
    customer_contacted_us_at = models.DateTimeField(_("customer contacted us"), null=True, blank=True)
    customer_contacts = models.PositiveIntegerField(_("contacts from the customer"), default=0)
    contacted_first = models.BooleanField(
        _("caught proactively"),
        null=True,
        blank=True,
        help_text=_("Yes: we contacted the customer before they contacted us. Empty: nobody yet."),
    )
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True, db_index=True)
    impact_score = models.PositiveSmallIntegerField(_("impact"), default=0)

    class Meta:
        ordering = ["-impact_score", "-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="shipping_exception_one_open_per_kind",
            )
        ]
        indexes = [
            # The dashboard: open exceptions, highest impact first.
            models.Index(
                fields=["-impact_score", "-detected_at"],
                condition=Q(resolved_at__isnull=True),
                name="exception_open_impact_idx",
            ),
            models.Index(fields=["shipment", "kind", "fingerprint"], name="exception_fingerprint_idx"),
            models.Index(fields=["assigned_to", "status"], name="exception_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.shipment_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def can_acknowledge(self) -> bool:
        return self.status == ExceptionStatus.OPEN

    def can_resolve(self) -> bool:
        return self.resolved_at is None
