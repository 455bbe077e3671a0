from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


class StatusCategory(models.TextChoices):
    """The fixed meaning behind every admin-defined status: drives SLA, queues and reports."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    ON_HOLD = "on_hold", _("Pending internal / on hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_CATEGORIES = frozenset(
    {StatusCategory.NEW, StatusCategory.OPEN, StatusCategory.PENDING_CUSTOMER, StatusCategory.ON_HOLD}
)
DONE_CATEGORIES = frozenset({StatusCategory.RESOLVED, StatusCategory.CLOSED})


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    SYSTEM = "system", _("System message")


class CallOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved on the call")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    CALLBACK = "callback", _("Callback promised")
    ESCALATED = "escalated", _("Escalated")
    NO_ANSWER = "no_answer", _("No answer / voicemail")


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LOAD_BASED = "load_based", _("Load-based (fewest open cases)")


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaEventKind(models.TextChoices):
    STARTED = "started", _("Started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    WARNED = "warned", _("Warning: breach soon")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    CANCELLED = "cancelled", _("Cancelled")
    ESCALATED = "escalated", _("Escalated")


class EscalationAction(models.TextChoices):
    NOTIFY_LEAD = "notify_lead", _("Notify the team lead")
    REASSIGN_TO_LEAD = "reassign_to_lead", _("Reassign to the team lead's queue")
    NOTIFY_MANAGER = "notify_manager", _("Notify the manager")


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE = "duplicate", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes / no")


class MacroScope(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    TEAM = "team", _("Team")
    GLOBAL = "global", _("Everyone")
