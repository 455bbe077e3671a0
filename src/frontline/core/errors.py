"""Errors a user can cause. Services raise them; the API maps them to 4xx JSON, views to form errors."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A rule of the domain refused the request. ``field`` names the input at fault, if any."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def as_errors(self) -> list[dict[str, str]]:
        return [{"field": self.field or "__all__", "message": self.message, "code": self.code}]


class FieldErrors(DomainError):
    """Several inputs are wrong at once: ``{field: [messages]}``."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = {key: [str(m) for m in value] for key, value in errors.items()}

    def as_errors(self) -> list[dict[str, str]]:
        return [
            {"field": field, "message": message, "code": self.code}
            for field, messages in self.errors.items()
            for message in messages
        ]


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"
