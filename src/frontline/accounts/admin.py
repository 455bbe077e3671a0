"""Admin for users, teams, role policies and API tokens. Every change goes through the services,
so the admin writes the same audit rows and keeps the same rules as the rest of Frontline."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from frontline.core.errors import DomainError

from . import lockout, selectors, services
from .choices import Role
from .models import APIToken, Membership, RolePolicy, Team, User


def _actor(request: HttpRequest) -> User:
    """The signed-in administrator (the admin site only lets staff in)."""
    return cast(User, request.user)


def _adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service created."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- memberships (inline on users and on teams) --------------------------------------------------


class MembershipInlineForm(forms.ModelForm[Membership]):
    class Meta:
        model = Membership
        fields = ("team", "user", "is_lead")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = cleaned.get("user")
        if user is not None and user.role == Role.CUSTOMER:
            raise forms.ValidationError(_("Customers cannot be members of a team."))
        return cleaned


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    form = MembershipInlineForm
    extra = 0
    readonly_fields = ("joined_at",)


class TeamMembershipInline(MembershipInline):
    fk_name = "team"
    fields = ("user", "is_lead", "joined_at")
    autocomplete_fields = ("user",)
    verbose_name = _("member")
    verbose_name_plural = _("members")


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    fields = ("team", "is_lead", "joined_at")
    autocomplete_fields = ("team",)
    verbose_name = _("team")
    verbose_name_plural = _("teams")


class MembershipFormsetMixin:
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
            return
        formset.save(commit=False)
        by = _actor(request)
        try:
            for membership in formset.deleted_objects:
                services.team_remove_member(team=membership.team, user=membership.user, by=by)
            for membership, changed in formset.changed_objects:
                if {"team", "user"} & set(changed):
                    old = Membership.objects.select_related("team", "user").get(pk=membership.pk)
                    services.team_remove_member(team=old.team, user=old.user, by=by)
                    services.team_add_member(
                        team=membership.team, user=membership.user, is_lead=membership.is_lead, by=by
                    )
                elif "is_lead" in changed:
                    services.team_member_set_lead(
                        team=membership.team, user=membership.user, is_lead=membership.is_lead, by=by
                    )
            for membership in formset.new_objects:
                services.team_add_member(
                    team=membership.team, user=membership.user, is_lead=membership.is_lead, by=by
                )
        except DomainError as exc:
            messages.error(request, exc.message)


# --- users ---------------------------------------------------------------------------------------


class UserAddForm(AdminUserCreationForm[User]):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data.get("email", "").strip())
        if not email:
            raise forms.ValidationError(_("Enter an email address."))
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Another user already has this email address."))
        return email


class UserEditForm(UserChangeForm[User]):
    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].widget = forms.Select(choices=[("", "—"), *settings.LANGUAGES])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = self.instance
        email = cleaned.get("email")
        if "email" in self.fields and not email:
            self.add_error("email", _("Enter an email address."))
        elif email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            self.add_error("email", _("Another user already has this email address."))
        role = cleaned.get("role", user.role)
        limit = cleaned.get("approval_limit", user.approval_limit)
        if role == Role.CUSTOMER and user.role == Role.CUSTOMER and limit and limit > 0:
            self.add_error(
                "approval_limit", _("Customers cannot approve claims; their approval limit must be 0.")
            )
        last_admin = not selectors.other_administrators_exist(user)
        if user.role == Role.ADMIN and role != Role.ADMIN and last_admin:
            self.add_error(
                "role", _("This is the last administrator; make someone else an administrator first.")
            )
        is_admin = user.role == Role.ADMIN or user.is_superuser
        if is_admin and user.is_active and not cleaned.get("is_active", True) and last_admin:
            self.add_error("is_active", _("The last administrator cannot be deactivated."))
        return cleaned


@admin.register(User)
class UserAdmin(MembershipFormsetMixin, DjangoUserAdmin[User]):
    form = UserEditForm
    add_form = UserAddForm
    inlines = [UserMembershipInline]
    list_display = ("username", "email", "first_name", "last_name", "role", "approval_limit", "is_active")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    readonly_fields = (
        "is_staff",
        "is_superuser",
        "approval_currency",
        "time_zone",
        "availability",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language", "time_zone")}),
        (_("Role and limits"), {"fields": ("role", "approval_limit", "approval_currency", "is_active")}),
        (_("Admin site"), {"fields": ("is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "availability")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["deactivate_users", "turn_off_two_factor", "lift_lockout"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (*self.readonly_fields, "username")

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the audit log keeps referring to users

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        by = _actor(request)
        data = form.cleaned_data
        if not change:
            usable = data.get("usable_password", True) not in (False, "false")
            created = services.user_create(
                username=data["username"],
                email=data["email"],
                role=data["role"],
                password=data.get("password1") if usable else None,
                by=by,
            )
            _adopt(obj, created)
            return
        user = User.objects.get(pk=obj.pk)
        services.user_update_profile(
            user=user,
            by=by,
            first_name=data.get("first_name", user.first_name),
            last_name=data.get("last_name", user.last_name),
            email=data.get("email", user.email),
            language=data.get("language", user.language),
        )
        if "is_active" in form.changed_data and data["is_active"]:
            services.user_set_active(user=user, is_active=True, by=by)
        if "role" in form.changed_data:
            services.user_update_role(user=user, role=data["role"], by=by)
        if "approval_limit" in form.changed_data and user.role != Role.CUSTOMER:
            services.user_set_approval_limit(user=user, limit=data["approval_limit"], by=by)
        if "is_active" in form.changed_data and not data["is_active"]:
            services.user_set_active(user=user, is_active=False, by=by)
        obj.refresh_from_db()

    @admin.action(description=_("Deactivate selected users"))
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset.filter(is_active=True):
            try:
                services.user_set_active(user=user, is_active=False, by=_actor(request))
                done += 1
            except DomainError as exc:
                messages.error(request, exc.message)
        if done:
            messages.success(request, ngettext("%d user deactivated.", "%d users deactivated.", done) % done)

    @admin.action(description=_("Turn off two-factor authentication (lost phone)"))
    def turn_off_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset.filter(totp_device__isnull=False):
            services.totp_disable(user=user, by=_actor(request))
            done += 1
        messages.success(
            request,
            ngettext(
                "Two-factor authentication turned off for %d user.",
                "Two-factor authentication turned off for %d users.",
                done,
            )
            % done,
        )

    @admin.action(description=_("Lift sign-in lockout"))
    def lift_lockout(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            lockout.unlock(username=user.username)
        messages.success(
            request,
            ngettext("Lockout lifted for %d user.", "Lockout lifted for %d users.", len(users)) % len(users),
        )


# --- teams ---------------------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(MembershipFormsetMixin, admin.ModelAdmin[Team]):
    list_display = ("name", "slug", "email", "member_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "email", "description")
    inlines = [TeamMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        from django.db.models import Count

        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, team: Team) -> int:
        return getattr(team, "_member_count", 0)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "slug": data.get("slug", ""),
            "description": data.get("description", ""),
            "email": data.get("email", ""),
        }
        if change:
            services.team_update(team=Team.objects.get(pk=obj.pk), by=_actor(request), **fields)
            obj.refresh_from_db()
        else:
            _adopt(obj, services.team_create(by=_actor(request), **fields))


# --- role policies -------------------------------------------------------------------------------


@admin.register(RolePolicy)
class RolePolicyAdmin(admin.ModelAdmin[RolePolicy]):
    list_display = ("role", "require_two_factor")
    list_editable = ("require_two_factor",)
    fields = ("role", "require_two_factor")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("role",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # set "require two-factor" off instead

    def save_model(self, request: HttpRequest, obj: RolePolicy, form: Any, change: bool) -> None:
        role = obj.role if change else form.cleaned_data["role"]
        policy = services.role_policy_set(
            role=role, require_two_factor=form.cleaned_data["require_two_factor"], by=_actor(request)
        )
        _adopt(obj, policy)


# --- API tokens ----------------------------------------------------------------------------------


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin[APIToken]):
    list_display = (
        "name",
        "user",
        "key_prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "status",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "key_prefix", "user__username")
    readonly_fields = (
        "user",
        "name",
        "key_prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    actions = ["revoke_tokens"]

    @admin.display(description=_("status"))
    def status(self, token: APIToken) -> str:
        if token.revoked_at:
            return str(_("revoked"))
        return str(_("active")) if token.is_active else str(_("expired"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created on the profile page or with `frontline token create`

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[APIToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(token=token, by=_actor(request))
            done += 1
        messages.success(request, ngettext("%d token revoked.", "%d tokens revoked.", done) % done)
