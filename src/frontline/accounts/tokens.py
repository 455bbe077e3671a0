"""The API token format: ``fl_<prefix>_<secret>``.

``prefix`` (12 hex characters) is stored in clear and indexed to find the row; only the SHA-256
digest of the whole token is stored, and it is compared in constant time.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings

PREFIX_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32


def _scheme() -> str:
    return getattr(settings, "API_TOKEN_PREFIX", "fl")


def new_prefix() -> str:
    return secrets.token_hex(PREFIX_BYTES)


def compose(prefix: str) -> str:
    """A new raw token with the given prefix."""
    return f"{_scheme()}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def prefix_of(raw: str) -> str | None:
    """The prefix of a well-formed token, or None for anything else."""
    match = re.fullmatch(
        rf"{re.escape(_scheme())}_([0-9a-f]{{{PREFIX_BYTES * 2}}})_[A-Za-z0-9_-]{{20,128}}", raw or ""
    )
    return match.group(1) if match else None
