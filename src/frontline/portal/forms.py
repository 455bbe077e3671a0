from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.core.forms import BootstrapFormMixin


class TrackForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}
        ),
    )
    proof = forms.CharField(
        label=_("Email address or postal code"),
        max_length=254,
        help_text=_("The email address you ordered with, or the postal code of the delivery address."),
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )
