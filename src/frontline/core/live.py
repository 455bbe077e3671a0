"""Live updates over WebSockets: ``ws/live/<group>/`` pushes what the server publishes.

Apps register a group *prefix* with a function deciding who may listen, usually in their
``AppConfig.ready()``::

    register_live_group("customer", lambda user, key: user.has_perm("customers.view_customer"))

A browser opens ``ws/live/customer-42/``; the consumer accepts signed-in users whose
``authorize(user, "42")`` is true and adds the socket to the channel-layer group
``customer-42``. Server code then calls ``publish("customer-42", {...})`` (sync) or
``apublish`` (async), usually from ``transaction.on_commit``; every socket in the group
receives the payload as one JSON message. The connection is accepted and then closed with
code 4401 for anonymous users and 4403 for an unknown prefix or a refused key, so the browser
can tell "sign in again" and "not allowed" from a network failure. Messages from the browser
are ignored, except ``{"type": "ping"}`` which is answered with ``{"type": "pong"}``.

The channel layer is in-memory in one process and Redis when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

#: Message type the consumer forwards (``live.message`` -> ``live_message``).
MESSAGE_TYPE = "live.message"

_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
# Channels accepts group names of [A-Za-z0-9._-] shorter than 100 characters.
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Authorize = Callable[[Any, str], bool]
_registry: dict[str, Authorize] = {}


def register_live_group(prefix: str, authorize: Authorize) -> None:
    """Let users for whom ``authorize(user, key)`` is true listen to ``"<prefix>-<key>"``."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"live group prefix {prefix!r} must match {_PREFIX.pattern}")
    if prefix in _registry and _registry[prefix] is not authorize:
        raise ValueError(f"live group prefix {prefix!r} is already registered")
    _registry[prefix] = authorize


def unregister_live_group(prefix: str) -> None:
    _registry.pop(prefix, None)


def group_name(prefix: str, key: str | int) -> str:
    """The channel-layer group for ``prefix`` and ``key``: ``"customer-42"``."""
    key = str(key)
    if prefix not in _registry:
        raise KeyError(f"live group prefix {prefix!r} is not registered")
    if not _KEY.match(key):
        raise ValueError(f"live group key {key!r} must match {_KEY.pattern}")
    return f"{prefix}-{key}"


def split_group(group: str) -> tuple[str, str] | None:
    """``"customer-42"`` -> ``("customer", "42")``; ``None`` when malformed."""
    prefix, sep, key = group.partition("-")
    if not sep or not _PREFIX.match(prefix) or not _KEY.match(key):
        return None
    return prefix, key


def _message(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": MESSAGE_TYPE, "payload": payload}


def publish(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` (JSON-serialisable) to every socket listening to ``group``. Sync code only."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, _message(payload))


async def apublish(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(group, _message(payload))


def _authorized(user: Any, prefix: str, key: str) -> bool:
    authorize = _registry.get(prefix)
    if authorize is None:
        return False
    try:
        return bool(authorize(user, key))
    except Exception:
        logger.exception("live group authorization for %s-%s failed", prefix, key)
        return False


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Forwards ``live.message`` events of one group to one WebSocket."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        requested = str(self.scope["url_route"]["kwargs"].get("group", ""))
        parts = split_group(requested)
        allowed = parts is not None and await database_sync_to_async(_authorized)(user, *parts)
        if not allowed:
            logger.info("live group %r refused to user %s", requested, user.pk)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = requested
        await self.channel_layer.group_add(requested, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
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
            return None  # not JSON: ignored like any other message

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_message(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
