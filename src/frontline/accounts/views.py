"""Sign-in (password, then an authenticator code when the user has one), sign-out, and the profile
page: name, email, language, API tokens and two-factor set-up. Views stay thin: forms check shape,
services write, ``lockout`` counts failures."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from frontline.core.errors import Conflict, DomainError, NotFound
from frontline.core.request_context import client_ip

from . import lockout, selectors, services
from .forms import CodeForm, LoginForm, ProfileForm, TokenCreateForm, TwoFactorDisableForm
from .models import User

PENDING_KEY = "accounts:2fa_pending"
PENDING_SECONDS = 5 * 60  # time allowed between the password and the code


# --- helpers -------------------------------------------------------------------------------------


def home_url(user: User) -> str:
    """Where a user lands after signing in: the workspace for staff, the profile for customers
    (until the portal exists)."""
    return reverse("workspace:home") if user.is_staff_member else reverse("accounts:profile")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _locked_message(state: lockout.LockState) -> str:
    minutes = state.retry_after_minutes
    return ngettext(
        "Too many failed sign-in attempts. Sign-in is blocked for %(minutes)d more minute; try again then.",
        "Too many failed sign-in attempts. Sign-in is blocked for %(minutes)d more minutes; try again then.",
        minutes,
    ) % {"minutes": minutes}


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )


def _complete_login(
    request: HttpRequest, user: User, *, backend: str, next_url: str, two_factor: bool
) -> HttpResponse:
    login(request, user, backend=backend)
    lockout.register_success(user=user, ip=client_ip(request), two_factor=two_factor)
    response = HttpResponseRedirect(next_url or home_url(user))
    if user.language:
        _set_language_cookie(response, user.language)
    return response


# --- signing in and out --------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url(request.user))
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            username = form.cleaned_data["username"]
            ip = client_ip(request)
            state = lockout.check(username=username, ip=ip)
            if not state.locked:
                user = authenticate(request, username=username, password=form.cleaned_data["password"])
                if user is not None:
                    if selectors.user_has_two_factor(user):
                        return _begin_second_factor(request, user, next_url)
                    return _complete_login(
                        request, user, backend=user.backend, next_url=next_url, two_factor=False
                    )
                state = lockout.register_failure(
                    username=username, ip=ip, reason="password", user=selectors.user_get_by_username(username)
                )
            if state.locked:
                form.add_error(None, _locked_message(state))
                status = 429
            else:
                form.add_error(None, _("That username and password do not match. Check them and try again."))
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def _begin_second_factor(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    # The session is not authenticated yet: it only remembers who passed the password step.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "started": time.time(),
        "next": next_url,
    }
    return redirect("accounts:login_verify")


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        return None, pending
    return User.objects.filter(pk=int(pending.get("user_id") or 0), is_active=True).first(), pending


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: the code from the authenticator app."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        if pending:
            messages.info(request, _("Signing in took too long. Enter your username and password again."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        ip = client_ip(request)
        state = lockout.check(username=user.username, ip=ip)
        if not state.locked and form.is_valid():
            if selectors.totp_verify(user=user, code=form.cleaned_data["code"]):
                request.session.pop(PENDING_KEY, None)
                return _complete_login(
                    request,
                    user,
                    backend=pending["backend"],
                    next_url=pending.get("next", ""),
                    two_factor=True,
                )
            state = lockout.register_failure(username=user.username, ip=ip, reason="code", user=user)
            if not state.locked:
                form.add_error(
                    "code",
                    _(
                        "That code is not right, or it was already used. Wait for the next code and try again."
                    ),
                )
        if state.locked:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _locked_message(state))
            return redirect("accounts:login")
    return render(request, "accounts/login_verify.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        lockout.register_logout(user=request.user)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


# --- profile -------------------------------------------------------------------------------------


def _render_profile(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {
        "profile_form": forms.pop("profile_form", None)
        or ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "language": user.language,
            }
        ),
        "token_form": forms.pop("token_form", None) or TokenCreateForm(),
        "code_form": forms.pop("code_form", None) or CodeForm(),
        "disable_form": forms.pop("disable_form", None) or TwoFactorDisableForm(),
        "tokens": selectors.api_token_list_for_user(user),
        "show_tokens": True,
        "two_factor": selectors.two_factor_status(user),
        **forms,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method != "POST":
        return _render_profile(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            services.user_update_profile(user=user, by=user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            _set_language_cookie(response, user.language)
            return response
    return _render_profile(request, profile_form=form, status=422)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, raw = services.api_token_create(
                user=user, name=form.cleaned_data["name"], expires_at=expires_at, by=user
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            # Rendered, not redirected: the raw token must never be stored, not even in the session.
            return _render_profile(request, new_token=raw, new_token_obj=token, status=201)
    return _render_profile(request, token_form=form, status=422)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        token = selectors.api_token_get_for_user(user=user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    try:
        services.api_token_revoke(token=token, by=user)
    except Conflict as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return HttpResponseRedirect(reverse("accounts:profile") + "#api-tokens")


@login_required
@require_POST
def totp_setup(request: HttpRequest) -> HttpResponse:
    try:
        services.totp_begin(user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.info(request, exc.message)
    return HttpResponseRedirect(reverse("accounts:profile") + "#two-factor")


@login_required
@require_POST
def totp_confirm(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CodeForm(request.POST)
    ident = str(user.pk)
    state = lockout.action_check(action="totp_confirm", ident=ident)
    if state.locked:
        form.add_error(None, _locked_message(state))
        return _render_profile(request, code_form=form, status=429)
    if form.is_valid():
        try:
            services.totp_confirm(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            state = (
                lockout.action_failed(action="totp_confirm", ident=ident)
                if exc.code == "invalid_code"
                else state
            )
            form.add_domain_error(exc)
            if state.locked:
                form.add_error(None, _locked_message(state))
        else:
            lockout.action_reset(action="totp_confirm", ident=ident)
            messages.success(
                request, _("Two-factor authentication is on. You will need a code each time you sign in.")
            )
            return HttpResponseRedirect(reverse("accounts:profile") + "#two-factor")
    return _render_profile(request, code_form=form, status=422)


@login_required
@require_POST
@sensitive_post_parameters("password")
def totp_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TwoFactorDisableForm(request.POST)
    ident = str(user.pk)
    state = lockout.action_check(action="totp_disable", ident=ident)
    if state.locked:
        form.add_error(None, _locked_message(state))
        return _render_profile(request, disable_form=form, status=429)
    if form.is_valid():
        if not user.check_password(form.cleaned_data["password"]):
            state = lockout.action_failed(action="totp_disable", ident=ident)
            form.add_error("password", _("That is not your password."))
            if state.locked:
                form.add_error(None, _locked_message(state))
        else:
            try:
                services.totp_disable(user=user, by=user)
            except DomainError as exc:
                messages.info(request, exc.message)
            else:
                lockout.action_reset(action="totp_disable", ident=ident)
                messages.success(request, _("Two-factor authentication is off."))
            return HttpResponseRedirect(reverse("accounts:profile") + "#two-factor")
    return _render_profile(request, disable_form=form, status=422)
