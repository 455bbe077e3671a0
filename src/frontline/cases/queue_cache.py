"""A short-lived cache of rendered queue pages, invalidated by every change to a case.

Agents reload the queue all day and live updates reload it for them, so most queue requests ask
for a page nothing has changed since the last time it was rendered. A rendered page (or HTMX
fragment) is kept for ``QUEUE_PAGE_CACHE_SECONDS`` and served again only when these match:

- the **queue version**, a counter in the shared cache that every case event bumps (created,
  updated, status, assignment, message, escalation, merge) and saved-view changes bump too: a
  page is stored with the version it was rendered at and served only while that is current, so
  any change makes every cached page stale at once (the version and the page are read in one
  round trip);
- the user, their role and language, and the request's path, query and HTMX target: a page is
  only ever served to the user it was rendered for, after the view's permission checks;
- the CSRF secret, so the tokens in the page's forms are the ones the browser holds.

What no event reports (the SLA "due in" times ageing, a renamed team, a changed team membership)
is at most that many seconds old; the live updates and the next change refresh it anyway. A
request that has flash messages to show is never served from, nor stored in, the cache.

It needs a cache shared by every process (Redis): with the per-process local-memory cache a
worker's change would not reach the web process's version counter, so the setting defaults to
0 (off) without ``REDIS_URL``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SESSION_KEY
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

VERSION_KEY = "cases:queue-version"
PAGE_PREFIX = "cases:queue-page"
# Response headers a cached fragment must carry again.
KEPT_HEADERS = ("HX-Push-Url",)


def ttl() -> int:
    return int(getattr(settings, "QUEUE_PAGE_CACHE_SECONDS", 0))


def bump() -> None:
    """Make every cached queue page stale. Called after commit by the case events' receiver."""
    if not ttl():
        return
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter yet (or it was evicted): start one
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:
        # The change is committed whatever happens here; the cached pages age out within the TTL.
        logger.warning("queue cache version could not be bumped", exc_info=True)


def _csrf_secret(request: HttpRequest) -> str:
    if getattr(settings, "CSRF_USE_SESSIONS", False):
        return str(request.session.get(CSRF_SESSION_KEY, ""))
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")


@dataclass(frozen=True)
class Slot:
    """Where this request's page lives, and the queue version it was looked up at."""

    key: str
    version: int


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None when it must be rendered afresh."""
    if not ttl() or request.method != "GET":
        return None
    if len(messages.get_messages(request)):
        return None
    csrf_secret = _csrf_secret(request)
    if not csrf_secret:  # rendering will set a new CSRF cookie: the page belongs to this response only
        return None
    user = request.user
    htmx = getattr(request, "htmx", None)
    target = htmx.target if htmx and not htmx.history_restore_request else ""
    trigger = htmx.trigger if htmx else ""
    parts = "\x1f".join(
        [
            str(user.pk),
            str(getattr(user, "role", "")),
            str(user.is_superuser),
            get_language() or "",
            csrf_secret,
            request.get_full_path(),
            target or "",
            trigger or "",
        ]
    )
    return f"{PAGE_PREFIX}:{hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()}"


def lookup(request: HttpRequest) -> tuple[Slot | None, HttpResponse | None]:
    """The page cached for this request, if any, and where to store it otherwise.

    One round trip reads the queue version and the page together; the page counts only if it
    was rendered at the current version (a page stored while a change was being made is stale).
    """
    key = page_key(request)
    if key is None:
        return None, None
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, 1, timeout=None)
            version = cache.get(VERSION_KEY, 1)
    except Exception:
        logger.warning("queue cache unavailable", exc_info=True)
        return None, None
    slot = Slot(key, int(version))
    stored: Any = found.get(key)
    if not stored or stored[0] != slot.version:
        return slot, None
    _version, content, content_type, headers = stored
    response = HttpResponse(content, content_type=content_type)
    for name, value in headers:
        response[name] = value
    return slot, response


def store(slot: Slot | None, response: HttpResponse) -> None:
    if slot is None or response.status_code != 200:
        return
    headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
    try:
        cache.set(slot.key, (slot.version, response.content, response["Content-Type"], headers), ttl())
    except Exception:
        logger.warning("queue page could not be cached", exc_info=True)
