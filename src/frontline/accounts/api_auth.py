"""django-ninja authentication with Frontline API tokens.

``config/api.py`` combines it with ninja's CSRF-protected ``SessionAuth``:
``auth=[BearerTokenAuth(), SessionAuth()]``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from .selectors import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer fl_<prefix>_<secret>``; sets ``request.user`` to the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = api_token_authenticate(token.strip())
        if user is None:
            return None
        request.user = user
        return user
