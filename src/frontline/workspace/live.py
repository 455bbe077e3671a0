"""The exception dashboard's live updates: open dashboards learn that exceptions changed.

Group ``exceptions-all`` (staff who may see shipments). Payload:
``{"type": "exceptions", "change": "opened" | "resolved" | "assigned" | "acknowledged" |
"customer_contacted", "exception_id": 7, "actor_id": 3 | null}``. The page does not re-sort
itself under the agent's cursor: it shows "the list changed" with a refresh button and updates
its counters (``workspace/exceptions.js``).

A sweep can open hundreds of exceptions in one go; one message per ``THROTTLE_SECONDS`` per
process is enough for a page that only needs to know *that* something changed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from frontline.accounts import roles
from frontline.core import live

logger = logging.getLogger(__name__)

PREFIX = "exceptions"
ALL = "all"
THROTTLE_SECONDS = 1.0
_last_published = {"at": float("-inf")}


def authorize_exceptions_group(user: Any, key: str) -> bool:
    return key == ALL and bool(user.has_perm(roles.SHIPMENT_VIEW))


def publish_exceptions_changed(*, change: str, exception_id: int, actor_id: int | None = None) -> None:
    """Tell open dashboards. Changes by a person always go out (their colleagues' pages should
    show them); the rules' changes are throttled. A courtesy: failures are logged, not raised."""
    now = time.monotonic()
    if actor_id is None and now - _last_published["at"] < THROTTLE_SECONDS:
        return
    _last_published["at"] = now
    payload = {"type": "exceptions", "change": change, "exception_id": exception_id, "actor_id": actor_id}
    try:
        live.publish(live.group_name(PREFIX, ALL), payload)
    except Exception:
        logger.warning("live exception update could not be published", exc_info=True)


def on_opened(sender: Any, *, exception_id: int, **kwargs: Any) -> None:
    publish_exceptions_changed(change="opened", exception_id=exception_id)


def on_resolved(sender: Any, *, exception_id: int, actor_id: int | None = None, **kwargs: Any) -> None:
    publish_exceptions_changed(change="resolved", exception_id=exception_id, actor_id=actor_id)


def on_changed(
    sender: Any, *, exception_id: int, change: str, actor_id: int | None = None, **kwargs: Any
) -> None:
    publish_exceptions_changed(change=change, exception_id=exception_id, actor_id=actor_id)


def connect() -> None:
    from frontline.shipping import events

    live.register_live_group(PREFIX, authorize_exceptions_group)
    events.delivery_exception_opened.connect(on_opened, dispatch_uid="workspace.live.exception_opened")
    events.delivery_exception_resolved.connect(on_resolved, dispatch_uid="workspace.live.exception_resolved")
    events.delivery_exception_changed.connect(on_changed, dispatch_uid="workspace.live.exception_changed")
