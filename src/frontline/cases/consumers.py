"""Live presence on a case page: who else is viewing it and who is typing a reply.

A case page opens ``ws/cases/<reference>/presence/``. The browser sends ``{"type": "viewing"}``
every 15 seconds, ``{"type": "typing"}`` (throttled) while its composer changes and
``{"type": "idle"}`` after sending. After each, every page open on the case receives the
current list::

    {"type": "presence", "viewers": [{"id": 7, "name": "Omar", "typing": false}, ...]}

State lives in the Django cache (local memory in one process, Redis across nodes), one entry
per open page with an expiry, so a page that vanished without closing its socket drops out of
the list within ``VIEWER_TTL`` seconds. A user with two tabs open is listed once.

Only signed-in staff who may view cases connect: anonymous sockets are closed with 4401, others
with 4403 (like ``frontline.core.live``).

Also here: who may listen to a case's live updates (``ws/live/case-<id>/``), see receivers.py.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from frontline.accounts import roles
from frontline.core.live import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED

logger = logging.getLogger(__name__)

VIEWER_TTL = 45  # seconds without a heartbeat before a viewer disappears
TYPING_SECONDS = 8  # a "typing" message counts for this long
MIN_TYPING_INTERVAL = 1.0  # typing messages closer than this are not re-broadcast
MESSAGE_TYPE = "presence.update"  # -> presence_update


def authorize_case_group(user: Any, key: str) -> bool:
    """Live updates of case ``key`` (its id): staff who may view cases."""
    return key.isdigit() and bool(user.has_perm(roles.CASE_VIEW))


# --- state in the cache -------------------------------------------------------------------------


def _index_key(reference: str) -> str:
    return f"cases:presence:{reference}"


def _viewer_key(reference: str, connection: str) -> str:
    return f"cases:presence:{reference}:{connection}"


def connection_id(channel_name: str) -> str:
    """A short cache-safe id for one socket (channel names can be long and contain ``!``)."""
    return hashlib.sha256(channel_name.encode()).hexdigest()[:24]


def presence_touch(
    *, reference: str, connection: str, user_id: int, name: str, typing: bool | None, now: float | None = None
) -> None:
    """Record that a page is open (and whether its user is typing: None keeps what it was)."""
    now = time.time() if now is None else now
    key = _viewer_key(reference, connection)
    current = cache.get(key) or {}
    if typing is True:
        typing_until = now + TYPING_SECONDS
    elif typing is False:
        typing_until = 0.0
    else:
        typing_until = float(current.get("typing_until", 0.0))
    cache.set(key, {"id": user_id, "name": name, "typing_until": typing_until}, VIEWER_TTL)
    # The index of open pages. Read-modify-write without a lock: a concurrent join can be lost,
    # and is restored by that page's next heartbeat. Pages whose entries expired are pruned.
    index = list(cache.get(_index_key(reference)) or [])
    live = cache.get_many([_viewer_key(reference, c) for c in index])
    kept = [c for c in index if _viewer_key(reference, c) in live and c != connection]
    cache.set(_index_key(reference), [*kept, connection], VIEWER_TTL * 4)


def presence_leave(*, reference: str, connection: str) -> None:
    cache.delete(_viewer_key(reference, connection))
    index = [c for c in cache.get(_index_key(reference)) or [] if c != connection]
    if index:
        cache.set(_index_key(reference), index, VIEWER_TTL * 4)
    else:
        cache.delete(_index_key(reference))


def presence_viewers(*, reference: str, now: float | None = None) -> list[dict[str, Any]]:
    """Who has the case open, once per user, typing if any of their pages is; by name."""
    now = time.time() if now is None else now
    index = cache.get(_index_key(reference)) or []
    rows = cache.get_many([_viewer_key(reference, c) for c in index])
    users: dict[int, dict[str, Any]] = {}
    for row in rows.values():
        viewer = users.setdefault(row["id"], {"id": row["id"], "name": row["name"], "typing": False})
        viewer["typing"] = viewer["typing"] or row.get("typing_until", 0) > now
    return sorted(users.values(), key=lambda v: (str(v["name"]).lower(), v["id"]))


def _may_view(user: Any, reference: str) -> bool:
    from .models import Case

    if not user.has_perm(roles.CASE_VIEW):
        return False
    return Case.objects.filter(reference=reference).exists()


def _display_name(user: Any) -> str:
    return str(user.first_name or user.get_username())


# --- the consumer -------------------------------------------------------------------------------


class CasePresenceConsumer(AsyncJsonWebsocketConsumer):
    reference: str = ""
    group: str | None = None
    connection: str = ""
    last_typing: float = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        reference = str(self.scope["url_route"]["kwargs"].get("reference", ""))
        allowed = reference.isdigit() and len(reference) <= 20
        allowed = allowed and await database_sync_to_async(_may_view)(user, reference)
        if not allowed:
            logger.info("case presence %r refused to user %s", reference, user.pk)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.reference = reference
        self.connection = connection_id(self.channel_name)
        self.group = f"case-presence-{reference}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._touch(typing=False)

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await sync_to_async(presence_leave)(reference=self.reference, connection=self.connection)
        await self._broadcast()
        self.group = None

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is not None:  # binary frames are ignored
            await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: ignored

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.group is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "typing":
            now = time.monotonic()
            if now - self.last_typing < MIN_TYPING_INTERVAL:
                return
            self.last_typing = now
            await self._touch(typing=True)
        elif kind == "viewing":
            await self._touch(typing=None)
        elif kind == "idle":
            self.last_typing = 0.0
            await self._touch(typing=False)
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def _touch(self, *, typing: bool | None) -> None:
        user = self.scope["user"]
        await sync_to_async(presence_touch)(
            reference=self.reference,
            connection=self.connection,
            user_id=user.pk,
            name=_display_name(user),
            typing=typing,
        )
        await self._broadcast()

    async def _broadcast(self) -> None:
        viewers = await sync_to_async(presence_viewers)(reference=self.reference)
        if self.group is not None:
            await self.channel_layer.group_send(self.group, {"type": MESSAGE_TYPE, "viewers": viewers})

    async def presence_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "presence", "viewers": event["viewers"]})
