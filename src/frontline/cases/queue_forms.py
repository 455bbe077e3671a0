"""Forms of the queue's pages: new case, saved view, bulk action, macro, shift summary,
availability. They validate shape; the services decide the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.accounts.choices import Availability
from frontline.core.forms import BootstrapFormMixin
from frontline.customers.choices import Channel

from .choices import MacroScope, Priority
from .selectors import QueueChoices

Choices = list[tuple[Any, Any]]


def split_tags(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _int_choices(pairs: list[tuple[int, str]], empty: Any) -> Choices:
    return [("", empty), *[(str(pk), label) for pk, label in pairs]]


# --- new case --------------------------------------------------------------------------------


FROM_CUSTOMER = "customer"
FROM_US = "us"


class NewCaseForm(BootstrapFormMixin, forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(
        label=_("First message"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the customer asked (or what we wrote to them), in their words."),
    )
    written_by = forms.ChoiceField(
        label=_("The first message is"),
        choices=[(FROM_CUSTOMER, _("from the customer")), (FROM_US, _("from us, to the customer"))],
        initial=FROM_CUSTOMER,
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, choices: QueueChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _int_choices(choices.categories, _("No category"))  # type: ignore[attr-defined]
        self.fields["team"].choices = _int_choices(choices.teams, _("No team"))  # type: ignore[attr-defined]
        self.fields["assignee"].choices = _int_choices(choices.agents, _("Nobody yet"))  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")


# --- saved views -----------------------------------------------------------------------------


class SavedViewForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    share = forms.TypedChoiceField(
        label=_("Visible to"), required=False, coerce=int, empty_value=None, choices=[("", _("Only me"))]
    )
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["share"].choices = [  # type: ignore[attr-defined]
            ("", _("Only me")),
            *[(str(pk), _("My team: %(name)s") % {"name": name}) for pk, name in teams],
        ]


# --- bulk actions ----------------------------------------------------------------------------


BULK_ACTIONS = ("assign", "status", "tag", "untag", "merge")


class BulkForm(forms.Form):
    """The selected cases and one action with its parameters (the submit button names it)."""

    case = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(choices=[(a, a) for a in BULK_ACTIONS])
    assignee = forms.CharField(required=False, max_length=20)
    team = forms.CharField(required=False, max_length=20)
    status = forms.CharField(required=False, max_length=60)
    tags = forms.CharField(required=False, max_length=500)
    survivor = forms.CharField(required=False, max_length=21)
    note = forms.CharField(required=False, max_length=2000)
    notify_customer = forms.BooleanField(required=False)
    different_customers = forms.BooleanField(required=False)
    next = forms.CharField(required=False, max_length=4000)

    def clean_case(self) -> list[int]:
        return list(self.cleaned_data.get("case") or [])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any whole number is a candidate; the service decides which cases exist and may change.
        data = self.data.getlist("case") if hasattr(self.data, "getlist") else []
        self.fields["case"].choices = [(v, v) for v in data if v.isascii() and v.isdigit() and len(v) < 19]  # type: ignore[attr-defined]

    def _id(self, name: str, label: str) -> int | None:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            self.add_error(name, _("Choose %(what)s from the list.") % {"what": label})
            return None
        return int(value)

    def service_params(self) -> tuple[str, dict[str, Any]]:
        """The ``cases_bulk`` action and its parameters (after ``is_valid()``)."""
        action = self.cleaned_data["action"]
        if action == "assign":
            return "assign", {
                "assignee_id": self._id("assignee", str(_("an agent"))),
                "team_id": self._id("team", str(_("a team"))),
                "note": self.cleaned_data.get("note") or "",
            }
        if action == "status":
            status = (self.cleaned_data.get("status") or "").strip()
            return "status", {"status": int(status) if status.isdigit() and len(status) < 19 else status}
        if action in ("tag", "untag"):
            key = "add" if action == "tag" else "remove"
            return "tag", {key: split_tags(self.cleaned_data.get("tags") or "")}
        return "merge", {
            "notify_customer": bool(self.cleaned_data.get("notify_customer")),
            "allow_different_customers": bool(self.cleaned_data.get("different_customers")),
        }


# --- macros ----------------------------------------------------------------------------------


class MacroForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Placeholders: {{ customer.first_name }}, {{ customer.name }}, {{ case.reference }}, "
            "{{ case.subject }}, {{ agent.name }}…"
        ),
    )
    scope = forms.ChoiceField(label=_("Shared with"), choices=MacroScope.choices, initial=MacroScope.PERSONAL)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    set_status = forms.TypedChoiceField(
        label=_("Also set the status to"), required=False, coerce=int, empty_value=None
    )
    add_tags = forms.CharField(label=_("Also add tags"), required=False, max_length=500)
    is_internal = forms.BooleanField(label=_("Insert as an internal note"), required=False)

    def __init__(
        self,
        *args: Any,
        choices: QueueChoices,
        teams: list[tuple[int, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = _int_choices(teams, _("—"))  # type: ignore[attr-defined]
        self.fields["set_status"].choices = _int_choices(  # type: ignore[attr-defined]
            [(pk, name) for pk, name, _category in choices.statuses], _("Leave the status")
        )
        if editing:
            # Who a macro belongs to is fixed once it exists.
            self.fields["scope"].disabled = True
            self.fields["team"].disabled = True

    def clean_add_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("add_tags") or "")


# --- handover and availability ---------------------------------------------------------------


class ShiftSummaryForm(BootstrapFormMixin, forms.Form):
    team = forms.TypedChoiceField(label=_("For the next shift of"), coerce=int)
    body = forms.CharField(
        label=_("Shift summary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is open, what is waiting on whom, what to watch. Cases: write #reference."),
    )
    handed_to = forms.TypedChoiceField(
        label=_("Handed over to"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self, *args: Any, teams: list[tuple[int, str]], agents: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(str(pk), name) for pk, name in teams]  # type: ignore[attr-defined]
        self.fields["handed_to"].choices = _int_choices(agents, _("The whole team"))  # type: ignore[attr-defined]


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(choices=Availability.choices)
