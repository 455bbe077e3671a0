"""The shapes the customers API accepts and returns.

Input schemas check shape only (types, lengths, known choices); the rules (valid email, one
primary per kind, no duplicate contact, merge guards...) live in ``services.py``. Output schemas
read only what the selectors prefetch, so serialising a page runs no extra query.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from frontline.core.api import MAX_ID

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
from .models import Address, ContactPoint, Customer, ExternalId, Interaction, MergeRecord, Organisation
from .selectors import DuplicateCandidate, primary_value
from .services import PROFILE_FIELDS, AddressInput, ContactInput, CustomerInput

# --- inputs ---------------------------------------------------------------------------------


class InputSchema(Schema):
    """Unknown fields are refused rather than silently ignored: a typo is an error."""

    model_config = ConfigDict(extra="forbid")


class ContactIn(InputSchema):
    kind: ContactKind
    value: str = Field(..., min_length=1, max_length=254, examples=["justine@example.com"])
    platform: SocialPlatform = Field(SocialPlatform.NONE, description="Social contacts only.")
    label: str = Field("", max_length=30, description="work, home, mobile…")
    is_primary: bool = Field(False, description="The first contact of a kind is primary anyway.")

    def to_input(self) -> ContactInput:
        return ContactInput(
            kind=self.kind.value,
            value=self.value,
            platform=self.platform.value,
            label=self.label,
            is_primary=self.is_primary,
        )


class AddressIn(InputSchema):
    kind: AddressKind = AddressKind.SHIPPING
    line1: str = Field(..., min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field(..., min_length=1, max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field(
        ..., min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code.", examples=["DE"]
    )
    is_primary: bool = True

    def to_input(self) -> AddressInput:
        return AddressInput(
            kind=self.kind.value,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
            is_primary=self.is_primary,
        )


class CustomerCreateIn(InputSchema):
    """A new customer: a name or at least one contact."""

    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    organisation_name: str = Field(
        "", max_length=200, description="Links to the organisation of that name, created if missing."
    )
    job_title: str = Field("", max_length=100)
    language: str = Field("en", min_length=2, max_length=8, examples=["en"])
    time_zone: str = Field("UTC", max_length=64, examples=["Europe/Berlin"])
    preferred_channel: PreferredChannel = PreferredChannel.EMAIL
    marketing_consent: bool = False
    notes: str = Field("", max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="System → the customer's id there.",
        examples=[{"shop": "C-1042"}],
    )

    def to_input(self) -> CustomerInput:
        return CustomerInput(
            first_name=self.first_name,
            last_name=self.last_name,
            organisation_id=self.organisation_id,
            organisation_name=self.organisation_name,
            job_title=self.job_title,
            language=self.language,
            time_zone=self.time_zone,
            preferred_channel=self.preferred_channel.value,
            marketing_consent=self.marketing_consent,
            notes=self.notes,
            tags=list(self.tags),
            contacts=[c.to_input() for c in self.contacts],
            addresses=[a.to_input() for a in self.addresses],
            external_ids=dict(self.external_ids),
        )


class SettableStatus(StrEnum):
    ACTIVE = CustomerStatus.ACTIVE.value
    BLOCKED = CustomerStatus.BLOCKED.value


class CustomerPatchIn(InputSchema):
    """Only the fields sent change. ``null`` is accepted for ``organisation_id`` alone (unlinks)."""

    # Non-optional types with a None default: omitted is fine, an explicit null is refused.
    first_name: str = Field(None, max_length=100)  # type: ignore[assignment]
    last_name: str = Field(None, max_length=100)  # type: ignore[assignment]
    job_title: str = Field(None, max_length=100)  # type: ignore[assignment]
    language: str = Field(None, min_length=2, max_length=8)  # type: ignore[assignment]
    time_zone: str = Field(None, max_length=64)  # type: ignore[assignment]
    preferred_channel: PreferredChannel = Field(None)  # type: ignore[assignment]
    marketing_consent: bool = Field(None)  # type: ignore[assignment]
    notes: str = Field(None, max_length=10_000)  # type: ignore[assignment]
    status: SettableStatus = Field(None, description="active or blocked; merging sets merged.")  # type: ignore[assignment]
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    organisation_name: str = Field(None, max_length=200)  # type: ignore[assignment]
    tags: list[str] = Field(None, max_length=50, description="Replaces the customer's tags.")  # type: ignore[arg-type]

    def profile_changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, mode="json")
        return {name: sent[name] for name in PROFILE_FIELDS if name in sent}

    def sent(self, name: str) -> bool:
        return name in self.model_fields_set


class MergeIn(InputSchema):
    merged_id: int = Field(..., ge=1, le=MAX_ID, description="The duplicate folded into this customer.")
    reason: str = Field("", max_length=255)


class ExternalIdIn(InputSchema):
    value: str = Field(..., min_length=1, max_length=100)


class OrganisationIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=200)
    domain: str = Field("", max_length=200)
    external_id: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    notes: str = Field("", max_length=10_000)


# --- outputs --------------------------------------------------------------------------------


class OrganisationRef(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    domain: str
    external_id: str
    phone: str
    created_at: datetime

    @staticmethod
    def build(org: Organisation) -> OrganisationOut:
        return OrganisationOut(
            id=org.pk,
            name=org.name,
            domain=org.domain,
            external_id=org.external_id,
            phone=org.phone,
            created_at=org.created_at,
        )


class ContactOut(Schema):
    id: int
    kind: ContactKind
    value: str
    normalized: str
    platform: SocialPlatform
    label: str
    is_primary: bool
    verified_at: datetime | None

    @staticmethod
    def build(point: ContactPoint) -> ContactOut:
        return ContactOut(
            id=point.pk,
            kind=ContactKind(point.kind),
            value=point.value,
            normalized=point.normalized,
            platform=SocialPlatform(point.platform),
            label=point.label,
            is_primary=point.is_primary,
            verified_at=point.verified_at,
        )


class AddressOut(Schema):
    id: int
    kind: AddressKind
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    is_primary: bool

    @staticmethod
    def build(address: Address) -> AddressOut:
        return AddressOut(
            id=address.pk,
            kind=AddressKind(address.kind),
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
            is_primary=address.is_primary,
        )


class ExternalIdOut(Schema):
    id: int
    system: str
    value: str

    @staticmethod
    def build(ext: ExternalId) -> ExternalIdOut:
        return ExternalIdOut(id=ext.pk, system=ext.system, value=ext.value)


class PreferencesOut(Schema):
    language: str
    time_zone: str
    preferred_channel: PreferredChannel
    marketing_consent: bool
    marketing_consent_at: datetime | None


def _organisation_ref(customer: Customer) -> OrganisationRef | None:
    if customer.organisation_id is None:
        return None
    org = customer.organisation
    assert org is not None
    return OrganisationRef(id=org.pk, name=org.name)


class CustomerListItem(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    status: CustomerStatus
    organisation: OrganisationRef | None
    email: str = Field(description="Primary email, or empty.")
    phone: str = Field(description="Primary phone, or empty.")
    tags: list[str] | None = Field(description="null when the caller may not see staff tags.")
    language: str
    marketing_consent: bool
    last_interaction_at: datetime | None
    created_at: datetime

    @staticmethod
    def build(customer: Customer, *, staff: bool) -> CustomerListItem:
        return CustomerListItem(
            id=customer.pk,
            first_name=customer.first_name,
            last_name=customer.last_name,
            full_name=customer.full_name,
            status=CustomerStatus(customer.status),
            organisation=_organisation_ref(customer),
            email=primary_value(customer, ContactKind.EMAIL),
            phone=primary_value(customer, ContactKind.PHONE),
            tags=[tag.name for tag in customer.tags.all()] if staff else None,
            language=customer.language,
            marketing_consent=customer.marketing_consent,
            last_interaction_at=customer.last_interaction_at,
            created_at=customer.created_at,
        )


class CustomerDetail(Schema):
    """The customer 360 profile."""

    id: int
    first_name: str
    last_name: str
    full_name: str
    job_title: str
    status: CustomerStatus
    merged_into_id: int | None
    organisation: OrganisationRef | None
    preferences: PreferencesOut
    contacts: list[ContactOut]
    addresses: list[AddressOut]
    external_ids: list[ExternalIdOut]
    tags: list[str] | None = Field(description="null when the caller may not see staff tags.")
    notes: str | None = Field(description="Staff notes; null when the caller may not see them.")
    has_portal_account: bool
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def build(customer: Customer, *, staff: bool) -> CustomerDetail:
        return CustomerDetail(
            id=customer.pk,
            first_name=customer.first_name,
            last_name=customer.last_name,
            full_name=customer.full_name,
            job_title=customer.job_title,
            status=CustomerStatus(customer.status),
            merged_into_id=customer.merged_into_id,
            organisation=_organisation_ref(customer),
            preferences=PreferencesOut(
                language=customer.language,
                time_zone=customer.time_zone,
                preferred_channel=PreferredChannel(customer.preferred_channel),
                marketing_consent=customer.marketing_consent,
                marketing_consent_at=customer.marketing_consent_at,
            ),
            contacts=[ContactOut.build(p) for p in customer.contact_points.all()],
            addresses=[AddressOut.build(a) for a in customer.addresses.all()],
            external_ids=[ExternalIdOut.build(e) for e in customer.external_ids.all()],
            tags=[tag.name for tag in customer.tags.all()] if staff else None,
            notes=customer.notes if staff else None,
            has_portal_account=customer.user_id is not None,
            last_interaction_at=customer.last_interaction_at,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )


class CustomerPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[CustomerListItem]


class OrganisationPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[OrganisationOut]


class SourceOut(Schema):
    type: str = Field(description="app_label.model of the object this entry is about.")
    id: str


class InteractionOut(Schema):
    id: int
    occurred_at: datetime
    kind: InteractionKind
    channel: Channel
    direction: Direction
    is_internal: bool
    summary: str
    body: str
    actor: str = Field(description="Username of the staff member, or empty for the system.")
    source: SourceOut | None
    data: dict[str, Any]

    @staticmethod
    def build(entry: Interaction) -> InteractionOut:
        source = None
        if entry.source_type_id is not None:
            assert entry.source_type is not None
            source = SourceOut(
                type=f"{entry.source_type.app_label}.{entry.source_type.model}", id=entry.source_id
            )
        return InteractionOut(
            id=entry.pk,
            occurred_at=entry.occurred_at,
            kind=InteractionKind(entry.kind),
            channel=Channel(entry.channel),
            direction=Direction(entry.direction),
            is_internal=entry.is_internal,
            summary=entry.summary,
            body=entry.body,
            actor=entry.actor_label,
            source=source,
            data=entry.data,
        )


class TimelinePage(Schema):
    results: list[InteractionOut]
    next_cursor: str | None = Field(description="Pass as ``before`` for the next (older) page.")
    next: str | None


class DuplicateOut(Schema):
    customer: CustomerListItem
    reasons: list[str]
    score: float

    @staticmethod
    def build(candidate: DuplicateCandidate) -> DuplicateOut:
        return DuplicateOut(
            customer=CustomerListItem.build(candidate.customer, staff=True),
            reasons=candidate.reasons,
            score=candidate.score,
        )


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    merged_by: str | None
    merged_at: datetime
    reason: str
    moved: dict[str, Any] = Field(description="What the merge moved, by kind: ids.")
    reversed_at: datetime | None
    reversed_by: str | None

    @staticmethod
    def build(record: MergeRecord) -> MergeOut:
        return MergeOut(
            id=record.pk,
            survivor_id=record.survivor_id,
            merged_id=record.merged_id,
            merged_by=record.merged_by.get_username() if record.merged_by else None,
            merged_at=record.merged_at,
            reason=record.reason,
            moved=record.moved,
            reversed_at=record.reversed_at,
            reversed_by=record.reversed_by.get_username() if record.reversed_by else None,
        )
