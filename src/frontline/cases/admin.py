"""Admin for the case settings an administrator owns: statuses, categories, custom fields,
business calendars (hours and holidays), SLA policies (with escalation levels), queues, agent
capacities and macros. Cases themselves are worked in the workspace, not here."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from frontline.customers.choices import Channel

from .choices import Priority
from .models import (
    AgentCapacity,
    BusinessCalendar,
    BusinessHours,
    CaseStatus,
    Category,
    CustomField,
    EscalationLevel,
    Holiday,
    Macro,
    Queue,
    SlaPolicy,
)


@admin.register(CaseStatus)
class CaseStatusAdmin(admin.ModelAdmin[CaseStatus]):
    list_display = ("name", "slug", "category", "is_default", "pauses_sla", "position", "is_active")
    list_filter = ("category", "pauses_sla", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("position", "name")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("name", "slug", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin[CustomField]):
    list_display = ("label", "key", "field_type", "required", "position", "is_active")
    list_filter = ("field_type", "required", "is_active")
    search_fields = ("label", "key")


# --- calendars ------------------------------------------------------------------------------------


class BusinessHoursInline(admin.TabularInline[BusinessHours, Any]):
    model = BusinessHours
    extra = 0
    verbose_name_plural = _("business hours (weekday 0 is Monday; 23:59:59 runs to midnight)")


class HolidayInline(admin.TabularInline[Holiday, Any]):
    model = Holiday
    extra = 0


class BusinessCalendarForm(forms.ModelForm[BusinessCalendar]):
    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "is_default")
        help_texts = {
            "time_zone": _("An IANA time zone, e.g. Europe/Berlin. Opening hours are in this zone."),
        }

    def clean_time_zone(self) -> str:
        value = str(self.cleaned_data["time_zone"]).strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Unknown time zone %(zone)s."), params={"zone": value}) from None
        return value


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone", "is_default")
    search_fields = ("name",)
    inlines = (BusinessHoursInline, HolidayInline)


# --- SLA policies ---------------------------------------------------------------------------------


class EscalationLevelInline(admin.TabularInline[EscalationLevel, Any]):
    model = EscalationLevel
    extra = 0


class SlaPolicyForm(forms.ModelForm[SlaPolicy]):
    """Priorities and channels as check boxes (stored as JSON lists; none ticked = any)."""

    priorities = forms.MultipleChoiceField(
        label=_("priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any priority."),
    )
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any channel."),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "position",
            "is_active",
            "priorities",
            "channels",
            "categories",
            "organisations",
            "customer_tags",
            "calendar",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warn_before_minutes",
        )

    def clean_priorities(self) -> list[str]:
        return sorted(self.cleaned_data["priorities"])

    def clean_channels(self) -> list[str]:
        return sorted(self.cleaned_data["channels"])


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    form = SlaPolicyForm
    list_display = (
        "name",
        "position",
        "is_active",
        "calendar",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "warn_before_minutes",
    )
    list_filter = ("is_active", "calendar")
    search_fields = ("name",)
    filter_horizontal = ("categories", "organisations", "customer_tags")
    ordering = ("position", "name")
    inlines = (EscalationLevelInline,)
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        (
            _("Applies to (all given conditions must hold)"),
            {"fields": ("priorities", "channels", "categories", "organisations", "customer_tags")},
        ),
        (
            _("Targets, in business minutes of the calendar"),
            {
                "fields": (
                    "calendar",
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "warn_before_minutes",
                )
            },
        ),
    )


# --- work distribution and macros -----------------------------------------------------------------


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ("team", "assignment_mode", "default_capacity", "calendar")
    list_filter = ("assignment_mode",)
    search_fields = ("team__name",)
    readonly_fields = ("last_assigned",)
    list_select_related = ("team", "calendar")


@admin.register(AgentCapacity)
class AgentCapacityAdmin(admin.ModelAdmin[AgentCapacity]):
    list_display = ("user", "capacity")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin[Macro]):
    list_display = ("name", "scope", "owner", "team", "is_internal", "usage_count")
    list_filter = ("scope", "is_internal")
    search_fields = ("name", "body")
    raw_id_fields = ("owner",)
    readonly_fields = ("usage_count",)
    list_select_related = ("owner", "team")
