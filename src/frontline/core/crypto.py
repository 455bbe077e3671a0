"""Symmetric encryption for secrets kept at rest (TOTP seeds, carrier credentials).

The key is derived from SECRET_KEY, or from FIELD_ENCRYPTION_KEY when set so that SECRET_KEY
can rotate without losing stored secrets.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = os.environ.get("FIELD_ENCRYPTION_KEY") or settings.SECRET_KEY
    digest = hashlib.sha256(("frontline.crypto:" + material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Stored secret cannot be decrypted with the current key") from exc
