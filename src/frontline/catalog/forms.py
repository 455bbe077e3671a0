"""Forms of the stock pages: shape only; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.core.forms import BootstrapFormMixin

from .choices import InboundStatus
from .models import InboundShipment, Warehouse


class StockSearchForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(label=_("SKU, name or barcode"), max_length=100, required=False)
    product = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    country = forms.RegexField(
        label=_("Deliver to"), regex=r"^[A-Za-z]{2}$", required=False, max_length=2, empty_value=""
    )

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country") or "").upper()


class AdjustForm(BootstrapFormMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True).order_by("code")
    )
    delta = forms.IntegerField(
        label=_("Change"),
        min_value=-10_000_000,
        max_value=10_000_000,
        help_text=_("Units to add (positive) or remove (negative)."),
    )
    note = forms.CharField(label=_("Reason"), max_length=500)


class ReceiveForm(BootstrapFormMixin, forms.Form):
    """One quantity per open line of an inbound shipment (``line_<id>``)."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, inbound: InboundShipment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = [line for line in inbound.lines.all() if line.remaining > 0]
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.sku} {line.product.name}",
                min_value=0,
                max_value=line.remaining,
                initial=line.remaining,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def quantities(self) -> dict[int, int]:
        return {line.pk: int(self.cleaned_data.get(f"line_{line.pk}") or 0) for line in self.lines}

    def line_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]


class RescheduleForm(BootstrapFormMixin, forms.Form):
    expected_date = forms.DateField(
        label=_("New expected date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class InboundFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open")), ("any", _("Any")), *InboundStatus.choices],
    )
