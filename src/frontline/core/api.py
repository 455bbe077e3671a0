"""Building blocks every app's API router shares: the error shape, offset pagination links,
permission checks and id bounds. ``config/api.py`` assembles the routers into one NinjaAPI.

Every error the API returns has one shape::

    {"errors": [{"field": "contacts[0].value", "message": "...", "code": "..."}]}

``field`` is ``"__all__"`` when no single input is at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from .errors import PermissionDeniedError

# The largest id a row can have (signed 64-bit). Larger ids are refused as input instead of
# overflowing the database driver.
MAX_ID = 2**63 - 1
# Deepest offset a list accepts; past it, narrow the filters instead.
MAX_OFFSET = 1_000_000

NON_FIELD = "__all__"
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class ErrorItem(Schema):
    field: str = Field(description='The input at fault, e.g. "contacts[0].value"; "__all__" for none.')
    message: str
    code: str = Field(description='Machine-readable: "missing", "invalid", "not_found", "conflict"…')


class Errors(Schema):
    errors: list[ErrorItem]


ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422})


def responses(status: int, schema: Any) -> dict[Any, Any]:
    """``response=`` for an operation: its success schema plus the shared error shape."""
    return {status: schema, ERROR_STATUSES: Errors}


def error(field: str | None, message: str, code: str) -> dict[str, str]:
    return {"field": field or NON_FIELD, "message": str(message), "code": code}


def field_from_loc(loc: Sequence[Any]) -> str:
    """``["body", "payload", "contacts", 0, "value"]`` -> ``"contacts[0].value"``.

    The source (body, query, path...) is dropped, and for a body so is the name of the view's
    body parameter, which the client never sees.
    """
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)
            if not parts:
                return "body"
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or NON_FIELD


def validation_errors(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """ninja/pydantic validation errors in the API's error shape."""
    return [
        error(
            field_from_loc(item.get("loc", ())),
            str(item.get("msg", _("Invalid value."))),
            str(item.get("type", "invalid")),
        )
        for item in raw
    ]


def page_links(request: HttpRequest, *, offset: int, limit: int, count: int) -> tuple[str | None, str | None]:
    """Absolute ``next`` and ``previous`` URLs of an offset-paginated list, keeping the filters."""

    def link(new_offset: int) -> str:
        query = request.GET.copy()
        query["limit"] = str(limit)
        if new_offset:
            query["offset"] = str(new_offset)
        else:
            query.pop("offset", None)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    next_url = link(offset + limit) if offset + limit < count else None
    previous_url = link(max(offset - limit, 0)) if offset > 0 else None
    return next_url, previous_url


def require_perm(user: Any, perm: str) -> Any:
    """The user, if they hold ``perm``; else a 403."""
    if not user.has_perm(perm):
        raise PermissionDeniedError(_("You do not have permission to do this."), field=None)
    return user
