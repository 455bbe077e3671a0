"""Forms of the order pages. They validate shape only; the services decide the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.core.forms import BootstrapFormMixin

from .choices import HoldReason
from .models import OrderLine


class TrackerForm(forms.Form):
    q = forms.CharField(label=_("Find an order"), required=False, max_length=100)


class HoldForm(BootstrapFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=HoldReason.choices)
    line = forms.TypedChoiceField(
        label=_("Line waiting for stock"), required=False, coerce=int, empty_value=None
    )
    expected_release_date = forms.DateField(
        label=_("Expected release"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For an out-of-stock hold: the restock date of the inbound shipment."),
    )
    inbound_reference = forms.CharField(
        label=_("Inbound shipment (PO / ASN)"), required=False, max_length=100
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, lines: Iterable[OrderLine], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "hold_%s")  # the order page also has the cancel form
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [  # type: ignore[attr-defined]
            ("", _("—")),
            *[(line.pk, f"{line.quantity} × {line.name}") for line in lines],  # noqa: RUF001
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "line_id": data["line"],
            "expected_release_date": data["expected_release_date"],
            "inbound_reference": data["inbound_reference"],
            "note": data["note"],
        }


class ReleaseForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why is the order cancelled?"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)
