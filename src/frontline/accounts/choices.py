from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    REPORTER = "reporter", _("Support reporter")
    LEAD = "lead", _("Team lead")
    TECH = "tech", _("Technical support")
    SALES = "sales", _("Sales")
    LOGISTICS = "logistics", _("Logistics")
    PRODUCT = "product", _("Product")
    ADMIN = "admin", _("Administrator")
    CUSTOMER = "customer", _("Customer")


STAFF_ROLES = frozenset(role for role in Role if role != Role.CUSTOMER)


class Availability(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")
