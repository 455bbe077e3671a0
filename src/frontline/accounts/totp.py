"""Time-based one-time passwords (RFC 6238): secrets, codes, provisioning URIs and QR codes.

Pure functions on plain values; the device rows are read and written by selectors/services.
"""

from __future__ import annotations

import re
import time

import pyotp
import segno
from pyotp.utils import strings_equal

ISSUER = "Frontline"
DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # accept the previous and the next code too (clock drift)

_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """A random base32 seed (160 bits), as authenticator apps expect."""
    return pyotp.random_base32(length=32)


def clean_code(code: str) -> str:
    """The code without the spaces or dashes people type; '' when it cannot be a code."""
    digits = re.sub(r"[\s-]", "", code or "")
    return digits if _CODE.match(digits) else ""


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step ``code`` belongs to (within the valid window), or None when it matches none."""
    code = clean_code(code)
    if not code:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now = time.time() if at is None else at
    current = totp.timecode(now)
    matched = None
    # Compare against every candidate so the time taken does not depend on which one matched.
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if strings_equal(code, totp.generate_otp(step)) and matched is None:
            matched = step
    return matched


def code_at(secret: str, at: float) -> str:
    """The code an authenticator shows at ``at`` (tests and the demo use it)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(at)


def provisioning_uri(secret: str, *, account: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline ``<svg>`` element (no scripts, no style attributes)."""
    return segno.make(uri).svg_inline(scale=4)


def grouped(secret: str) -> str:
    """``ABCD EFGH ...`` for typing the secret by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
