"""Enforces the role policy "two-factor authentication required".

A signed-in staff user whose role requires it and who has no confirmed authenticator is sent
to the two-factor set-up on their profile from every page except that set-up, sign-out, static
files and the API (API clients authenticate with tokens; session calls are made from pages the
user could only reach after set-up).

Costs no query: ``RoleBackend.get_user`` reads the policy and the user's authenticator with the
user's own row, fresh on every request (a policy switched on applies to the next request of
every signed-in user). A user loaded some other way is checked with one query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from frontline.core.htmx import htmx_redirect

from . import selectors
from .backends import two_factor_setup_missing

EXEMPT_VIEWS = frozenset(
    {
        "accounts:login",
        "accounts:login_verify",
        "accounts:logout",
        "accounts:profile",
        "accounts:totp_setup",
        "accounts:totp_confirm",
    }
)
EXEMPT_PREFIXES = ("/api/",)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # In process_view (not __call__) so that MessageMiddleware, which runs later, has set up.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff_member:
            return None
        path = request.path_info
        if path.startswith((*EXEMPT_PREFIXES, settings.STATIC_URL)):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEWS:
            return None
        missing = two_factor_setup_missing(user)
        if missing is None:
            missing = selectors.two_factor_setup_missing(user)
        if not missing:
            return None
        messages.warning(
            request,
            _("Your role requires two-factor authentication. Set up an authenticator app to continue."),
        )
        return htmx_redirect(request, reverse("accounts:profile") + "#two-factor")
