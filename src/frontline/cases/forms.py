"""Forms of the case page. They validate shape only (types, lengths, required inputs); the
services decide the rules (who may be assigned, which status exists, what a custom field
accepts) and their refusals are shown on these forms with ``add_domain_error``."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from frontline.core.forms import BootstrapFormMixin
from frontline.customers.choices import Direction

from .choices import CallOutcome, CustomFieldType, LinkKind, Priority
from .models import Case, CaseStatus, Category, CustomField

Choices = Sequence[tuple[Any, Any]]

REPLY, NOTE = "reply", "note"


def split_tags(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# --- the composer ---------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; each checked like a FileField."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def attachment_limits() -> dict[str, Any]:
    """What the composer tells the user about files (the service enforces it)."""
    extensions = [
        mimetypes.guess_extension(t) or t.rsplit("/", 1)[-1] for t in settings.CASE_ATTACHMENT_TYPES
    ]
    types = list(dict.fromkeys(e.lstrip(".").upper() for e in extensions))
    return {
        "max_mb": int(settings.CASE_ATTACHMENT_MAX_BYTES) // (1024 * 1024),
        "max_files": int(settings.CASE_ATTACHMENT_MAX_FILES),
        "types": ", ".join(types),
        "accept": ",".join(settings.CASE_ATTACHMENT_TYPES),
    }


class ReplyForm(BootstrapFormMixin, forms.Form):
    """A public reply or an internal note, an optional status to set, files, and the id of the
    newest message the writer had seen (collision detection)."""

    mode = forms.ChoiceField(
        label=_("Send as"),
        choices=[(REPLY, _("Reply to customer")), (NOTE, _("Internal note"))],
        initial=REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6, "data-composer-body": ""}),
    )
    status = forms.ChoiceField(label=_("Then set status"), required=False)
    attachments = MultipleFileField(label=_("Attach files"), required=False)
    seen_message_id = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    force = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The macro picked in the composer, if any: applied with the text as edited.
    macro = forms.IntegerField(
        required=False, min_value=1, widget=forms.HiddenInput(attrs={"id": "composer-macro"})
    )

    def __init__(
        self, *args: Any, statuses: Iterable[CaseStatus], current: CaseStatus, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        keep = _("Keep status (%(name)s)") % {"name": current.name}
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", keep),
            *[(str(s.pk), s.name) for s in statuses if s.pk != current.pk],
        ]
        limits = attachment_limits()
        self.fields["attachments"].widget.attrs.update({"accept": limits["accept"]})
        self.fields["attachments"].help_text = _("Up to %(files)s files, %(mb)s MB each: %(types)s.") % {
            "files": limits["max_files"],
            "mb": limits["max_mb"],
            "types": limits["types"],
        }

    @property
    def internal(self) -> bool:
        return bool(self.is_bound and self.data.get("mode") == NOTE)

    def status_value(self) -> int | None:
        value = self.cleaned_data.get("status")
        return int(value) if value else None

    def seen_id(self) -> int | None:
        """The seen message id the service checks, or None to send regardless ("send anyway")."""
        if self.cleaned_data.get("force"):
            return None
        return self.cleaned_data.get("seen_message_id")


class MacroPickForm(forms.Form):
    macro_pick = forms.IntegerField(min_value=1)
    body = forms.CharField(required=False, max_length=50_000)


# --- properties -----------------------------------------------------------------------------

CF_PREFIX = "cf_"


class PropertiesForm(BootstrapFormMixin, forms.Form):
    """Status, priority, category, tags and the admin's custom fields of one case."""

    status = forms.IntegerField(label=_("Status"), widget=forms.Select)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.IntegerField(label=_("Category"), required=False, widget=forms.Select)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )

    def __init__(
        self,
        *args: Any,
        statuses: Iterable[CaseStatus],
        categories: Iterable[Category],
        custom_fields: Iterable[CustomField],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [(s.pk, s.name) for s in statuses]
        self.fields["category"].widget.choices = [
            ("", _("— none —")),
            *[(c.pk, c.name) for c in categories],
        ]
        self.custom_definitions = list(custom_fields)
        for definition in self.custom_definitions:
            self.fields[CF_PREFIX + definition.key] = _custom_form_field(definition)
        self.style_fields()

    @classmethod
    def initial_for(cls, case: Case) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "status": case.status_id,
            "priority": case.priority,
            "category": case.category_id,
            "tags": ", ".join(t.name for t in case.tags.all()),
        }
        for key, value in (case.custom_fields or {}).items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            initial[CF_PREFIX + key] = value
        return initial

    def custom_field_names(self) -> list[str]:
        return [CF_PREFIX + d.key for d in self.custom_definitions]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"priority": data["priority"], "category_id": data.get("category")}

    def tag_names(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def custom_values(self) -> dict[str, Any]:
        """Raw values by key; the service validates and converts them."""
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CF_PREFIX + definition.key)
            values[definition.key] = "" if value is None else str(value).strip()
        return values

    def error_aliases(self) -> dict[str, str]:
        aliases = {f"custom_fields.{d.key}": CF_PREFIX + d.key for d in self.custom_definitions}
        return {**aliases, "category_id": "category", "case": "__all__"}


def _custom_form_field(definition: CustomField) -> forms.Field:
    """Shape only: every value reaches the service as text, which checks it."""
    label = definition.label
    kind = definition.field_type
    common: dict[str, Any] = {"label": label, "required": False}
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(str(c), str(c)) for c in definition.choices]],
            **common,
        )
    if kind == CustomFieldType.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], **common)
    if kind == CustomFieldType.DATE:
        return forms.CharField(max_length=10, widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomFieldType.NUMBER:
        return forms.CharField(
            max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
        )
    return forms.CharField(max_length=1000, **common)


# --- assignment -----------------------------------------------------------------------------


class AssignForm(BootstrapFormMixin, forms.Form):
    assignee = forms.IntegerField(label=_("Assign to"), widget=forms.Select)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args: Any, members: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget.choices = [("", _("Choose a person…")), *members]


class ForwardForm(BootstrapFormMixin, forms.Form):
    team = forms.IntegerField(label=_("Team"), required=False, widget=forms.Select)
    assignee = forms.IntegerField(label=_("Person"), required=False, widget=forms.Select)
    note = forms.CharField(
        label=_("Note for them"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, teams: Choices, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", _("Keep the team")), *teams]
        self.fields["assignee"].widget.choices = [("", _("Anyone in the team")), *people]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("team") and not data.get("assignee") and not self.errors:
            raise forms.ValidationError(_("Choose a team, a person, or both."))
        return data


# --- escalation -----------------------------------------------------------------------------


class EscalateForm(BootstrapFormMixin, forms.Form):
    team = forms.IntegerField(label=_("Technical team"), required=False, widget=forms.Select)
    reason = forms.CharField(
        label=_("Why technical support?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, teams: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", _("The technical support team")), *teams]


class ReturnForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("What was done / why it goes back"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- merge, link, split ---------------------------------------------------------------------

_REFERENCE = re.compile(r"^#?\s*(\d{1,20})$")


class ReferenceField(forms.CharField):
    """A case reference as people type it: ``36100042`` or ``#36100042``."""

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        match = _REFERENCE.match(text.strip())
        if match is None:
            raise forms.ValidationError(_("Enter a case number, e.g. 36100042."))
        return match.group(1)


class MergeForm(BootstrapFormMixin, forms.Form):
    other = ReferenceField(label=_("Merge into case"), max_length=30)
    notify_customer = forms.BooleanField(label=_("Tell the customer the cases were combined"), required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class LinkForm(BootstrapFormMixin, forms.Form):
    other = ReferenceField(label=_("Case number"), max_length=30)
    kind = forms.ChoiceField(label=_("Relation"), choices=LinkKind.choices, initial=LinkKind.RELATED)


class SplitForm(BootstrapFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject of the new case"), max_length=255)


# --- calls and handover ---------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d{1,2}):)?(\d{1,3}):(\d{2})\s*$|^\s*(\d{1,4})\s*$")


class DurationField(forms.CharField):
    """``mm:ss``, ``h:mm:ss`` or whole minutes; cleaned to seconds."""

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        match = _DURATION.match(text or "")
        if match is None:
            raise forms.ValidationError(_("Enter minutes (12) or minutes:seconds (12:30)."))
        hours, minutes, seconds, whole_minutes = match.groups()
        if whole_minutes is not None:
            return int(whole_minutes) * 60
        if int(seconds) >= 60:
            raise forms.ValidationError(_("Seconds go up to 59."))
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


class CallForm(BootstrapFormMixin, forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Direction.INBOUND, _("Customer called us")),
            (Direction.OUTBOUND, _("We called the customer")),
        ],
        initial=Direction.INBOUND,
    )
    duration = DurationField(
        label=_("Duration"),
        max_length=10,
        help_text=_("Minutes, or mm:ss"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HandoverForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Note for the next shift"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    handed_to = forms.IntegerField(label=_("For"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handed_to"].widget.choices = [("", _("Whoever picks it up")), *people]
