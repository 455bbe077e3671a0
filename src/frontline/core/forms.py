"""Form helpers every app's UI uses: Bootstrap classes on widgets, domain errors on fields.

Forms validate shape; services validate rules. When a service refuses, ``add_domain_error``
puts its message on the field it names, so the page shows it next to the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from .errors import DomainError, FieldErrors

_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)
_SELECT_WIDGETS = (forms.Select, forms.SelectMultiple)


def _add_class(widget: forms.Widget, css: str) -> None:
    classes = widget.attrs.get("class", "").split()
    if css not in classes:
        classes.append(css)
    widget.attrs["class"] = " ".join(classes)


class BootstrapFormMixin:
    """Gives every widget its Bootstrap class and marks invalid fields with ``is-invalid``."""

    fields: dict[str, forms.Field]
    errors: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Style every field; forms that add fields after ``__init__`` call it again."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue  # rendered option by option in the template
            if isinstance(widget, forms.CheckboxInput):
                _add_class(widget, "form-check-input")
            elif isinstance(widget, _SELECT_WIDGETS):
                _add_class(widget, "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                _add_class(widget, "form-control")

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        for name in self.errors:
            if name in self.fields:
                _add_class(self.fields[name].widget, "is-invalid")


def add_domain_error(
    form: forms.BaseForm, error: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on ``form``: on the field it names, else above the form.

    ``aliases`` maps the service's field names (``contacts[0]``, ``organisation_id``) to the
    form's; ``addresses.city`` also finds a form field named ``city``.
    """
    aliases = aliases or {}
    messages = error.errors if isinstance(error, FieldErrors) else {error.field or "__all__": [error.message]}
    for name, texts in messages.items():
        target = None
        for candidate in (aliases.get(name), name, name.rsplit(".", 1)[-1]):
            if candidate and candidate in form.fields:
                target = candidate
                break
        for text in texts:
            form.add_error(target, text)
