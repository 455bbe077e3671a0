"""Forms of the customer pages. They validate shape only; the services decide the rules."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf.locale import LANG_INFO
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from frontline.core.forms import BootstrapFormMixin

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
from .selectors import LIST_ORDERINGS, CustomerFilters, TimelineFilters

# Languages offered in pickers; any other code a customer already has is kept and shown.
LANGUAGE_CODES = (
    "en", "es", "de", "fr", "ar", "it", "pt", "nl", "pl", "tr", "ru", "uk", "el", "cs", "ro", "hu",
    "sv", "da", "fi", "nb", "he", "fa", "hi", "bn", "ur", "zh-hans", "ja", "ko", "vi", "th", "id", "ms",
)  # fmt: skip
PAGE_SIZES = (25, 50, 100)
LOGGABLE_KINDS = (
    InteractionKind.NOTE,
    InteractionKind.CALL,
    InteractionKind.MEETING,
    InteractionKind.EMAIL,
    InteractionKind.CHAT,
    InteractionKind.SOCIAL,
)


def language_choices() -> list[tuple[str, str]]:
    return [(code, f"{LANG_INFO[code]['name']} ({code})") for code in LANGUAGE_CODES if code in LANG_INFO]


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


def split_tags(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# --- the customer list -----------------------------------------------------------------------


class CustomerFilterForm(BootstrapFormMixin, forms.Form):
    STATUS_ALL = "all"

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, email, phone, organisation or external id")}),
    )
    org = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "org-options"}),
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*CustomerStatus.choices, (STATUS_ALL, _("Any status"))],
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    consent = forms.ChoiceField(
        label=_("Consent"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Given")), ("no", _("Not given"))],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(key, key) for key in LIST_ORDERINGS])
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    limit = forms.TypedChoiceField(
        label=_("Per page"), required=False, coerce=int, choices=[(n, str(n)) for n in PAGE_SIZES]
    )

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("Any tag")), *[(t, t) for t in tags]]  # type: ignore[attr-defined]
        self.fields["language"].choices = [("", _("Any language")), *language_choices()]  # type: ignore[attr-defined]

    def value(self, name: str, default: Any = None) -> Any:
        """The cleaned value, or ``default`` when the parameter is missing or invalid."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return default
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def filters(self, organisation_id: int | None) -> CustomerFilters:
        self.is_valid()
        status = self.value("status", CustomerStatus.ACTIVE)
        consent = self.value("consent", "")
        return CustomerFilters(
            query=self.value("q", ""),
            organisation_id=organisation_id,
            tag=self.value("tag", ""),
            status="" if status == self.STATUS_ALL else status,
            language=self.value("language", ""),
            marketing_consent={"yes": True, "no": False}.get(consent),
            order=self.value("sort", "name"),
        )


# --- create and edit ------------------------------------------------------------------------


class CustomerForm(BootstrapFormMixin, forms.Form):
    """The profile of a customer. ``creating`` adds the first email and phone."""

    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    organisation = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=200,
        help_text=_("Type to pick an existing organisation; a new name creates one."),
        widget=forms.TextInput(
            attrs={
                "list": "organisation-options",
                "autocomplete": "off",
                # Fill the <datalist> as the user types (customers:organisation_options).
                "hx-get": reverse_lazy("customers:organisation_options"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#organisation-options",
                "hx-swap": "innerHTML",
            }
        ),
    )
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    email = forms.CharField(label=_("Email"), required=False, max_length=254, widget=forms.EmailInput)
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (CustomerStatus.ACTIVE, CustomerStatus.ACTIVE.label),
            (CustomerStatus.BLOCKED, CustomerStatus.BLOCKED.label),
        ],
    )
    language = forms.ChoiceField(label=_("Language"))
    time_zone = forms.ChoiceField(label=_("Time zone"))
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=PreferredChannel.choices)
    marketing_consent = forms.BooleanField(
        label=_("Marketing consent given"),
        required=False,
        help_text=_("The customer agreed to receive offers. The date is recorded."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas, e.g. vip, wholesale"),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, creating: bool, current_language: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        languages = language_choices()
        if current_language and current_language not in dict(languages):
            languages.append((current_language, current_language))
        self.fields["language"].choices = languages  # type: ignore[attr-defined]
        self.fields["time_zone"].choices = time_zone_choices()  # type: ignore[attr-defined]
        if creating:
            del self.fields["status"]
        else:
            del self.fields["email"], self.fields["phone"]

    @classmethod
    def initial_for(cls, customer: Any) -> dict[str, Any]:
        return {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "organisation": customer.organisation.name if customer.organisation_id else "",
            "job_title": customer.job_title,
            "status": customer.status,
            "language": customer.language,
            "time_zone": customer.time_zone,
            "preferred_channel": customer.preferred_channel,
            "marketing_consent": customer.marketing_consent,
            "tags": ", ".join(t.name for t in customer.tags.all()),
            "notes": customer.notes,
        }

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def profile_changes(self) -> dict[str, Any]:
        """The service's ``changes`` for customer_update."""
        data = self.cleaned_data
        names = ("first_name", "last_name", "job_title", "language", "time_zone", "preferred_channel",
                 "marketing_consent", "notes", "status")  # fmt: skip
        return {name: data[name] for name in names}


class ContactForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    platform = forms.ChoiceField(label=_("Platform"), required=False, choices=SocialPlatform.choices)
    value = forms.CharField(label=_("Email, phone or handle"), max_length=254)
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": _("work, home, mobile…")}),
    )
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices)
    line1 = forms.CharField(label=_("Address line 1"), max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), required=False, max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("Region / state"), required=False, max_length=100)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        widget=forms.TextInput(attrs={"placeholder": "DE"}),
        help_text=_("Two-letter code"),
    )
    is_primary = forms.BooleanField(
        label=_("Primary for this kind"),
        required=False,
        help_text=_("The first address of a kind is always primary."),
    )


class ExternalIdForm(BootstrapFormMixin, forms.Form):
    system = forms.CharField(
        label=_("System"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("shop, erp, marketplace…")}),
    )
    value = forms.CharField(label=_("Id in that system"), max_length=100)


# --- the timeline ---------------------------------------------------------------------------


class InteractionForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What"), choices=[(k.value, k.label) for k in LOGGABLE_KINDS], initial=InteractionKind.CALL
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[c for c in Channel.choices if c[0] != Channel.SYSTEM],
        initial=Channel.PHONE,
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Direction.INBOUND, Direction.INBOUND.label),
            (Direction.OUTBOUND, Direction.OUTBOUND.label),
        ],
        initial=Direction.INBOUND,
    )
    summary = forms.CharField(label=_("Summary"), max_length=255)
    body = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    is_internal = forms.BooleanField(label=_("Internal (not visible to the customer)"), required=False)

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(label=_("Kinds"), required=False, choices=InteractionKind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    hide_internal = forms.BooleanField(label=_("Hide internal"), required=False)
    before = forms.DateTimeField(required=False)
    before_id = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> TimelineFilters:
        self.is_valid()  # invalid parameters are dropped from cleaned_data and ignored
        data = self.cleaned_data
        return TimelineFilters(
            kinds=list(data.get("kind") or []),
            channel=data.get("channel") or "",
            include_internal=not data.get("hide_internal"),
            before=data.get("before"),
            before_id=data.get("before_id") if data.get("before") else None,
        )


# --- merge ----------------------------------------------------------------------------------


class MergeForm(BootstrapFormMixin, forms.Form):
    other = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    survivor = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. same person, second account from an old email")}
        ),
    )
