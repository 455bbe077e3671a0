"""The shipping vocabulary: our normalised status model (reference §2.1), incident reasons
(karrio's ``TrackingIncidentReason`` taxonomy), exception kinds, states and outcomes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentStatus(models.TextChoices):
    """Our own status model; every carrier and aggregator vocabulary is mapped onto it."""

    LABEL_CREATED = "label_created", _("Label created")
    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Available for pickup")
    DELIVERED = "delivered", _("Delivered")
    FAILED_ATTEMPT = "failed_attempt", _("Delivery attempt failed")
    EXCEPTION = "exception", _("Exception")
    DELAYED = "delayed", _("Delayed")
    RETURNING = "returning", _("Returning to sender")
    RETURNED = "returned", _("Returned to sender")
    CANCELLED = "cancelled", _("Cancelled")
    UNKNOWN = "unknown", _("Unknown")


#: No tracking after these: polling stops.
FINAL_STATUSES = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED})
#: The carrier has not scanned the parcel yet.
NOT_SCANNED_STATUSES = frozenset({ShipmentStatus.LABEL_CREATED, ShipmentStatus.UNKNOWN})
#: The parcel is moving: a long silence here means it is stalled (R5).
MOVING_STATUSES = frozenset(
    {
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELAYED,
        ShipmentStatus.RETURNING,
    }
)
#: Statuses that are a carrier exception in themselves (R1).
EXCEPTION_STATUSES = frozenset(
    {
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.FAILED_ATTEMPT,
        ShipmentStatus.RETURNING,
        ShipmentStatus.RETURNED,
    }
)


class IncidentReason(models.TextChoices):
    """Why a shipment is in trouble: karrio's ``TrackingIncidentReason`` names."""

    CARRIER_DAMAGED_PARCEL = "carrier_damaged_parcel", _("Damaged by the carrier")
    CARRIER_SORTING_ERROR = "carrier_sorting_error", _("Carrier sorting error")
    CARRIER_ADDRESS_NOT_FOUND = "carrier_address_not_found", _("Carrier could not find the address")
    CARRIER_PARCEL_LOST = "carrier_parcel_lost", _("Lost by the carrier")
    CARRIER_NOT_ENOUGH_TIME = "carrier_not_enough_time", _("Carrier ran out of time")
    CARRIER_VEHICLE_ISSUE = "carrier_vehicle_issue", _("Carrier vehicle issue")
    CARRIER_CAPACITY_EXCEEDED = "carrier_capacity_exceeded", _("Carrier capacity exceeded")
    CARRIER_MECHANICAL_DELAY = "carrier_mechanical_delay", _("Carrier mechanical delay")
    RETAILER_CANCELLED = "retailer_cancelled", _("Cancelled by the seller")
    RETAILER_INCORRECT_DATA = "retailer_incorrect_data", _("Incorrect shipment data")
    RETAILER_NOT_READY = "retailer_not_ready", _("Parcel not ready")
    RETAILER_INCORRECT_PARCEL = "retailer_incorrect_parcel", _("Incorrect parcel")
    RETAILER_INCORRECT_DIMENSIONS = "retailer_incorrect_dimensions", _("Incorrect dimensions")
    RETAILER_PACKAGING_ISSUE = "retailer_packaging_issue", _("Packaging issue")
    CONSIGNEE_REFUSED = "consignee_refused", _("Refused by the recipient")
    CONSIGNEE_BUSINESS_CLOSED = "consignee_business_closed", _("Business closed")
    CONSIGNEE_NOT_AVAILABLE = "consignee_not_available", _("Recipient not available")
    CONSIGNEE_NOT_HOME = "consignee_not_home", _("Recipient not home")
    CONSIGNEE_CANCELLED = "consignee_cancelled", _("Cancelled by the recipient")
    CONSIGNEE_VERIFICATION_FAILED = "consignee_verification_failed", _("Recipient verification failed")
    CONSIGNEE_INCORRECT_ADDRESS = "consignee_incorrect_address", _("Incorrect address")
    CONSIGNEE_ACCESS_RESTRICTED = "consignee_access_restricted", _("Access restricted")
    CONSIGNEE_SAFE_PLACE_UNAVAILABLE = "consignee_safe_place_unavailable", _("No safe place")
    CUSTOMS_DELAY = "customs_delay", _("Customs delay")
    CUSTOMS_DOCUMENTATION = "customs_documentation", _("Customs documentation")
    CUSTOMS_DUTIES_UNPAID = "customs_duties_unpaid", _("Customs duties unpaid")
    CUSTOMS_PROHIBITED = "customs_prohibited", _("Prohibited by customs")
    CUSTOMS_INSPECTION = "customs_inspection", _("Customs inspection")
    WEATHER_DELAY = "weather_delay", _("Weather delay")
    NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
    FORCE_MAJEURE = "force_majeure", _("Force majeure")
    PARCEL_BEING_RESEARCHED = "parcel_being_researched", _("Parcel being researched")
    SECURITY_ISSUE = "security_issue", _("Security issue")
    REGULATORY_HOLD = "regulatory_hold", _("Regulatory hold")
    UNKNOWN = "unknown", _("Unknown")


#: Reasons that delay a parcel without anything being wrong with it (R2).
DELAY_REASONS = frozenset(
    {
        IncidentReason.WEATHER_DELAY,
        IncidentReason.NATURAL_DISASTER,
        IncidentReason.FORCE_MAJEURE,
        IncidentReason.CARRIER_NOT_ENOUGH_TIME,
        IncidentReason.CARRIER_CAPACITY_EXCEEDED,
        IncidentReason.CARRIER_MECHANICAL_DELAY,
        IncidentReason.CARRIER_VEHICLE_ISSUE,
        IncidentReason.CUSTOMS_DELAY,
    }
)


class ExceptionKind(models.TextChoices):
    CARRIER_EXCEPTION = "carrier_exception", _("Carrier exception")
    FAILED_ATTEMPT = "failed_attempt", _("Failed delivery attempt")
    RETURN_TO_SENDER = "return_to_sender", _("Returning to sender")
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    ADDRESS_ISSUE = "address_issue", _("Address issue")
    CUSTOMS_HOLD = "customs_hold", _("Customs hold")
    DELAYED = "delayed", _("Delayed by the carrier")
    ETA_SLIP = "eta_slip", _("Delivery date moved")
    PAST_DUE = "past_due", _("Past due")
    STALLED = "stalled", _("Stalled")
    NOT_PICKED_UP = "not_picked_up", _("Not picked up")
    NO_INFORMATION = "no_information", _("No tracking information")


class RuleId(models.TextChoices):
    R1 = "R1", _("R1 carrier exception")
    R2 = "R2", _("R2 carrier-declared delay")
    R3 = "R3", _("R3 ETA slip")
    R4 = "R4", _("R4 past due")
    R5 = "R5", _("R5 stalled")
    R6 = "R6", _("R6 not picked up")
    R7 = "R7", _("R7 no information")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CUSTOMER_NOTIFIED = "customer_notified", _("Customer notified")
    RESOLVED = "resolved", _("Resolved")
    AUTO_RESOLVED = "auto_resolved", _("Resolved by delivery")


#: Statuses of an exception that still needs work (``resolved_at`` is empty).
UNRESOLVED_STATUSES = frozenset(
    {ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED, ExceptionStatus.CUSTOMER_NOTIFIED}
)


class Resolution(models.TextChoices):
    RESHIP = "reship", _("Reship")
    REFUND = "refund", _("Refund")
    ADDRESS_FIX = "address_fix", _("Address fixed")
    WAIT = "wait", _("Wait for the carrier")
    CARRIER_CLAIM = "carrier_claim", _("Carrier claim")
    OTHER = "other", _("Other")
    DELIVERED = "delivered", _("Delivered (automatic)")


#: What an agent may choose when resolving (``delivered`` is set by the system only).
AGENT_RESOLUTIONS = tuple(r for r in Resolution if r != Resolution.DELIVERED)


class EventSource(models.TextChoices):
    POLL = "poll", _("Carrier polling")
    WEBHOOK = "webhook", _("Webhook")
    MANUAL = "manual", _("Manual")
    IMPORT = "import", _("Import")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    RETURN = "return", _("Return")
    INBOUND = "inbound", _("Inbound")


class DeliveryLocationType(models.TextChoices):
    FRONT_DOOR = "front_door", _("Front door")
    RECEPTION = "reception", _("Reception / mailroom")
    NEIGHBOUR = "neighbour", _("Neighbour")
    LOCKER = "locker", _("Parcel locker")
    PICKUP_POINT = "pickup_point", _("Pickup point")
    SAFE_PLACE = "safe_place", _("Safe place")
    IN_PERSON = "in_person", _("Handed to the recipient")
    OTHER = "other", _("Other")
