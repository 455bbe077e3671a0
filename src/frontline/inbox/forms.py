"""Forms of the intake pages. They check shape (lengths, choices, file limits); the services
decide the rules and their refusals are put back on these forms' fields."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from frontline.cases import services as case_services
from frontline.cases.choices import CallOutcome
from frontline.cases.services import AttachmentInput
from frontline.core.errors import DomainError
from frontline.core.forms import BootstrapFormMixin
from frontline.customers.choices import Direction

from .services import CallInput

SUBMISSION_ID = re.compile(r"^[0-9a-f]{32}$")
DURATION = re.compile(r"^\s*(?:(\d{1,3})\s*:\s*([0-5]?\d)|(\d{1,4}))\s*$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; the cleaned value is a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def attachments_from(files: list[UploadedFile[Any]]) -> list[AttachmentInput]:
    """Read uploads into attachment inputs, refusing too many or too large files before reading
    them (``UploadedFile.size`` is known without reading) and disallowed types."""
    limit = int(settings.CASE_ATTACHMENT_MAX_BYTES)
    if len(files) > int(settings.CASE_ATTACHMENT_MAX_FILES):
        raise forms.ValidationError(
            _("At most %(count)d files per message.") % {"count": settings.CASE_ATTACHMENT_MAX_FILES}
        )
    for upload in files:
        if (upload.size or 0) > limit:
            raise forms.ValidationError(
                _("%(name)s is larger than %(mb)s MB.") % {"name": upload.name, "mb": limit // (1024 * 1024)}
            )
    items = [AttachmentInput.from_upload(upload) for upload in files]
    try:
        case_services.validate_attachments(items)
    except DomainError as error:
        raise forms.ValidationError(error.message) from None
    return items


class SupportForm(BootstrapFormMixin, forms.Form):
    """The public "contact support" form (until the customer portal)."""

    name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We answer to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("How can we help?"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    order_number = forms.CharField(
        label=_("Order number"),
        required=False,
        max_length=50,
        help_text=_("If your question is about an order."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    # Honeypot: hidden from people (CSS class, no inline style), filled in by naive bots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Identifies this filled-in form: sending it twice (double click, reload) opens one case.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _(
            "Up to %(count)d files, %(mb)d MB each: images, PDF, text and office documents."
        ) % {
            "count": settings.CASE_ATTACHMENT_MAX_FILES,
            "mb": settings.CASE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def clean_submission(self) -> str:
        value = str(self.cleaned_data["submission"]).lower()
        if not SUBMISSION_ID.match(value):
            raise forms.ValidationError(_("Reload the page and send the form again."))
        return value

    def clean_attachments(self) -> list[AttachmentInput]:
        return attachments_from(self.cleaned_data.get("attachments") or [])

    def body(self) -> str:
        text = self.cleaned_data["message"].strip()
        order = self.cleaned_data.get("order_number", "").strip()
        return f"{_('Order number')}: {order}\n\n{text}" if order else text


class CallerSearchForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Find the caller"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(
            attrs={"placeholder": _("Phone number, name or email"), "autocomplete": "off", "autofocus": True}
        ),
    )


def parse_duration(value: str) -> int | None:
    """``"4:30"`` -> 270 seconds, ``"5"`` -> 300 (minutes); None when unreadable."""
    match = DURATION.match(value or "")
    if match is None:
        return None
    minutes, seconds, only_minutes = match.groups()
    if only_minutes is not None:
        return int(only_minutes) * 60
    return int(minutes) * 60 + int(seconds)


class CallForm(BootstrapFormMixin, forms.Form):
    """A call on an open case of a known caller, or a new case (and caller)."""

    NEW_CASE = "new"

    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    caller_name = forms.CharField(label=_("Caller's name"), required=False, max_length=200)
    caller_phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    caller_email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    case = forms.ChoiceField(label=_("Case"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    subject = forms.CharField(
        label=_("Subject of the new case"),
        required=False,
        max_length=255,
        help_text=_("Leave empty to use the first line of the summary."),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Direction.INBOUND, _("Inbound (they called)")),
            (Direction.OUTBOUND, _("Outbound (we called)")),
        ],
        initial=Direction.INBOUND,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    duration = forms.CharField(
        label=_("Duration"),
        max_length=10,
        help_text=_("Minutes, or minutes:seconds such as 4:30."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    summary = forms.CharField(label=_("Summary"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)

    def __init__(self, *args: Any, open_cases: list[Any], known_caller: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_caller = known_caller
        self.fields["case"].choices = [  # type: ignore[attr-defined]
            *[(str(c.pk), f"#{c.reference} · {c.subject} ({c.status.name})") for c in open_cases],
            (self.NEW_CASE, _("New case")),
        ]
        self.fields["case"].initial = self.NEW_CASE
        if known_caller:
            for name in ("caller_name", "caller_phone", "caller_email"):
                del self.fields[name]

    def clean_duration(self) -> int:
        seconds = parse_duration(self.cleaned_data["duration"])
        if seconds is None:
            raise forms.ValidationError(_("Enter minutes, or minutes:seconds such as 4:30."))
        if seconds > 24 * 3600:
            raise forms.ValidationError(_("Enter a duration between 0 and 24 hours."))
        return seconds

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.known_caller and not data.get("customer"):
            self.add_error(None, _("Pick the caller again."))
        if not self.known_caller and not (data.get("caller_name") or data.get("caller_phone")):
            self.add_error("caller_name", _("Enter the caller's name or phone number."))
        return data

    def to_input(self) -> CallInput:
        data = self.cleaned_data
        case = data["case"]
        return CallInput(
            direction=data["direction"],
            duration_seconds=data["duration"],
            summary=data["summary"],
            outcome=data["outcome"],
            customer_id=data.get("customer") if self.known_caller else None,
            case_id=None if case == self.NEW_CASE else int(case),
            subject=data.get("subject", ""),
            caller_name=data.get("caller_name", ""),
            caller_phone=data.get("caller_phone", ""),
            caller_email=data.get("caller_email", ""),
        )
