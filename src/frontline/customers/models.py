"""Customers (people), organisations, contact points, addresses, tags, external ids, the
interaction timeline and merge records. Data rules only; every write is in services.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontline.core.models import TimeStampedModel

from .choices import (
    AddressKind,
    Channel,
    ContactKind,
    CustomerStatus,
    Direction,
    InteractionKind,
    PreferredChannel,
    SocialPlatform,
)


class Organisation(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("web domain"), max_length=200, blank=True, db_index=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="org_name_idx")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    # Preferences
    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=10,
        choices=PreferredChannel.choices,
        default=PreferredChannel.EMAIL,
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    # The portal login of this customer, if they have one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    last_interaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("merge_customer", "Can merge customers"),
            ("import_customer", "Can import customers"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="customer_name_idx"),
            models.Index(fields=["status", "-created_at"], name="customer_status_created_idx"),
            models.Index(fields=["organisation", "last_name"], name="customer_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=CustomerStatus.MERGED) | Q(merged_into__isnull=False),
                name="customer_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or f"Customer #{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.pk])

    def can_merge(self) -> bool:
        return self.status != CustomerStatus.MERGED


class ContactPoint(TimeStampedModel):
    """An email address, phone number or social handle. One primary per kind and customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)
    # Lower-cased email, E.164 phone, "platform:handle": what lookups and dedup compare.
    normalized = models.CharField(max_length=254, editable=False)
    platform = models.CharField(_("platform"), max_length=16, choices=SocialPlatform.choices, blank=True)
    label = models.CharField(_("label"), max_length=30, blank=True, help_text=_("work, home, mobile…"))
    is_primary = models.BooleanField(_("primary"), default=False)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        indexes = [models.Index(fields=["kind", "normalized"], name="contact_lookup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(is_primary=True), name="contact_one_primary_per_kind"
            ),
            models.UniqueConstraint(
                fields=["customer", "kind", "normalized"], name="contact_unique_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return self.value


class Address(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(
        _("kind"), max_length=10, choices=AddressKind.choices, default=AddressKind.SHIPPING
    )
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "kind", "id"]
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(is_primary=True), name="address_one_primary_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line1, self.line2, self.postal_code, self.city, self.country) if p)


class ExternalId(models.Model):
    """The customer's id in another system (shop, ERP, marketplace)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_ids")
    system = models.CharField(_("system"), max_length=50)
    value = models.CharField(_("value"), max_length=100)

    class Meta:
        ordering = ["system"]
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="external_id_unique")]
        indexes = [models.Index(fields=["value"], name="external_id_value_idx")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class Interaction(models.Model):
    """One entry of a customer's timeline: every interaction and event, on every channel.

    Append-heavy; nothing points at it, so it can be partitioned by month. Later apps write
    their events here (cases, messages, orders, shipments, loyalty) through
    ``services.interaction_record`` with a link to the source object.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    occurred_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SYSTEM)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INTERNAL
    )
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Not visible to the customer.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    summary = models.CharField(_("summary"), max_length=255)
    body = models.TextField(_("details"), blank=True)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline_idx"),
            models.Index(fields=["customer", "kind", "-occurred_at"], name="interaction_kind_idx"),
            models.Index(fields=["source_type", "source_id"], name="interaction_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}: {self.summary}"


class MergeRecord(models.Model):
    """What a merge moved, so it can be read back and reversed."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_absorbed")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_into")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    # {"contact_points": [ids], "addresses": [...], "external_ids": [...], "interactions": [...],
    #  "tags": [ids added to the survivor], "user": id | null, "survivor_before": {...}}
    moved = models.JSONField(default=dict)
    reason = models.CharField(max_length=255, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=Q(reversed_at__isnull=True), name="merge_once_active"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.merged_id} → #{self.survivor_id}"

    def can_reverse(self) -> bool:
        return self.reversed_at is None
