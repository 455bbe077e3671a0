from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social")


class SocialPlatform(models.TextChoices):
    NONE = "", _("—")
    X = "x", "X / Twitter"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    LINKEDIN = "linkedin", "LinkedIn"
    TIKTOK = "tiktok", "TikTok"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    PORTAL = "portal", _("Portal")
    SOCIAL = "social", _("Social")
    SMS = "sms", _("SMS")
    WEB = "web", _("Web")
    IN_PERSON = "in_person", _("In person")
    SYSTEM = "system", _("System")


class PreferredChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Chat")
    PORTAL = "portal", _("Portal")


class AddressKind(models.TextChoices):
    SHIPPING = "shipping", _("Shipping")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged")
    BLOCKED = "blocked", _("Blocked")


class InteractionKind(models.TextChoices):
    NOTE = "note", _("Note")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social message")
    MEETING = "meeting", _("Meeting")
    CASE = "case", _("Case")
    MESSAGE = "message", _("Case message")
    ORDER = "order", _("Order")
    SHIPMENT = "shipment", _("Shipment")
    LOYALTY = "loyalty", _("Loyalty")
    PROFILE = "profile", _("Profile change")
    MERGE = "merge", _("Merge")
    SYSTEM = "system", _("System event")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")
