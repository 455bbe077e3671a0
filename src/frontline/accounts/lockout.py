"""Sign-in lockout: after ``LOGIN_MAX_FAILURES`` failures within the window, sign-in is refused
for ``LOGIN_LOCKOUT_SECONDS`` — per username and, separately, per client address.

Counters live in the Django cache, so every web node sees the same state when the cache is
Redis; with the local-memory cache they are per process (the embedded demo). Wrong passwords and
wrong second-factor codes count alike. A complete sign-in clears the username's counter (not the
address's: an attacker's own successful sign-ins must not reset the count for a guessing run).

Settings: ``LOGIN_MAX_FAILURES`` (5), ``LOGIN_LOCKOUT_SECONDS`` (900),
``LOGIN_FAILURE_WINDOW_SECONDS`` (default: the lockout time) and ``LOGIN_MAX_FAILURES_PER_IP``
(default: ``LOGIN_MAX_FAILURES``; raise it when many people share one address).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from frontline.audit.services import record

_KEY = "accounts:lockout:{kind}:{scope}:{ident}"


@dataclass(frozen=True)
class LockState:
    locked: bool
    retry_after: int = 0  # seconds until sign-in is possible again

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


UNLOCKED = LockState(locked=False)


def _max_failures(scope: str) -> int:
    base = int(settings.LOGIN_MAX_FAILURES)
    if scope == "ip":
        return int(getattr(settings, "LOGIN_MAX_FAILURES_PER_IP", base))
    return base


def _lockout_seconds() -> int:
    return int(settings.LOGIN_LOCKOUT_SECONDS)


def _window_seconds() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", _lockout_seconds()))


def _ident(scope: str, value: str) -> str:
    if scope == "user":
        value = value.strip().casefold()
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _scopes(username: str, ip: str) -> list[tuple[str, str]]:
    scopes = []
    if username.strip():
        scopes.append(("user", _ident("user", username)))
    if ip:
        scopes.append(("ip", _ident("ip", ip)))
    return scopes


def _key(kind: str, scope: str, ident: str) -> str:
    return _KEY.format(kind=kind, scope=scope, ident=ident)


def _increment(key: str, timeout: int) -> int:
    """Add one to a counter that expires ``timeout`` seconds after its first increment."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout)
        return 1


def check(*, username: str, ip: str) -> LockState:
    """Whether sign-in for this username or from this address is locked right now."""
    keys = [_key("lock", scope, ident) for scope, ident in _scopes(username, ip)]
    if not keys:
        return UNLOCKED
    until = max((float(v) for v in cache.get_many(keys).values()), default=0.0)
    remaining = math.ceil(until - time.time())
    return LockState(locked=True, retry_after=remaining) if remaining > 0 else UNLOCKED


def register_failure(*, username: str, ip: str, reason: str, user: Any | None = None) -> LockState:
    """Count one failed attempt (``reason``: "password" or "code"); lock when a limit is reached.

    Writes ``auth.login_failed`` and, when a lock starts, ``auth.locked_out`` to the audit log.
    """
    state = UNLOCKED
    with transaction.atomic():
        record(
            actor=None,
            verb="auth.login_failed",
            target=user,
            data={"username": username[:150], "reason": reason},
        )
        for scope, ident in _scopes(username, ip):
            count = _increment(_key("fail", scope, ident), _window_seconds())
            if count < _max_failures(scope):
                continue
            seconds = _lockout_seconds()
            cache.set(_key("lock", scope, ident), time.time() + seconds, seconds)
            cache.delete(_key("fail", scope, ident))
            data = {"username": username[:150], "scope": scope, "seconds": seconds, "failures": count}
            if scope == "ip":
                data["ip"] = ip
            record(actor=None, verb="auth.locked_out", target=user, data=data)
            state = LockState(locked=True, retry_after=seconds)
    return state


def register_success(*, user: Any, ip: str, two_factor: bool) -> None:
    """A complete sign-in: clear the username's failures and write ``auth.login``."""
    cache.delete(_key("fail", "user", _ident("user", user.get_username())))
    with transaction.atomic():
        record(actor=user, verb="auth.login", target=user, data={"two_factor": two_factor})


def register_logout(*, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, verb="auth.logout", target=user)


def unlock(*, username: str = "", ip: str = "") -> None:
    """Lift a lock and forget the failures (administrators, tests)."""
    for scope, ident in _scopes(username, ip):
        cache.delete_many([_key("lock", scope, ident), _key("fail", scope, ident)])


def failures(*, username: str = "", ip: str = "") -> dict[str, int]:
    """Current failure counts per scope (for the admin and tests)."""
    return {scope: int(cache.get(_key("fail", scope, ident)) or 0) for scope, ident in _scopes(username, ip)}


# --- other guessable checks made by a signed-in user (2FA set-up code, password to turn 2FA off) ---


def action_check(*, action: str, ident: str) -> LockState:
    until = float(cache.get(_key("lock", action, ident)) or 0)
    remaining = math.ceil(until - time.time())
    return LockState(locked=True, retry_after=remaining) if remaining > 0 else UNLOCKED


def action_failed(*, action: str, ident: str) -> LockState:
    """Count one wrong answer to ``action`` for ``ident`` (a user id); lock like sign-in does."""
    count = _increment(_key("fail", action, ident), _window_seconds())
    if count < _max_failures("user"):
        return UNLOCKED
    seconds = _lockout_seconds()
    cache.set(_key("lock", action, ident), time.time() + seconds, seconds)
    cache.delete(_key("fail", action, ident))
    return LockState(locked=True, retry_after=seconds)


def action_reset(*, action: str, ident: str) -> None:
    cache.delete_many([_key("lock", action, ident), _key("fail", action, ident)])
