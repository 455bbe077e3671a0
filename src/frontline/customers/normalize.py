"""Canonical forms of contact values, used for lookups, upserts and duplicate detection."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .choices import ContactKind

_HANDLE = re.compile(r"^@?[\w.\-]{1,100}$", re.UNICODE)


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 when the number parses (with ``+`` or a region), else the digits alone."""
    raw = value.strip()
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return re.sub(r"\D", "", raw)


def normalize_social(value: str, platform: str) -> str:
    return f"{platform}:{value.strip().lstrip('@').lower()}"


def clean_contact(kind: str, value: str, platform: str = "") -> tuple[str, str]:
    """Validate a contact value and return ``(display value, normalized)``.

    Raises ``ValidationError`` with a message naming what is wrong.
    """
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("This field is required."))
    if kind == ContactKind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address.")) from None
        return value, normalize_email(value)
    if kind == ContactKind.PHONE:
        digits = re.sub(r"\D", "", value)
        if not 6 <= len(digits) <= 15 or re.search(r"[^\d\s()+.\-/x]", value, re.IGNORECASE):
            raise ValidationError(
                _("Enter a valid phone number (6 to 15 digits, optionally starting with +).")
            )
        return value, normalize_phone(value)
    if kind == ContactKind.SOCIAL:
        if not platform:
            raise ValidationError(_("Choose the social platform of this handle."))
        if not _HANDLE.match(value):
            raise ValidationError(_("Enter a handle such as @name (letters, digits, dot, dash, underscore)."))
        return value, normalize_social(value, platform)
    raise ValidationError(_("Unknown contact kind %(kind)s.") % {"kind": kind})
