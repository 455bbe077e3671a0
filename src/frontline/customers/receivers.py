"""Reactions to the customers app's own events: push live updates to open 360 pages."""

from __future__ import annotations

import logging
from typing import Any

from frontline.core import live

from . import events

logger = logging.getLogger(__name__)


def _push(customer_id: int, what: str) -> None:
    # A live update is a courtesy: the change is committed whether or not it reaches a browser.
    try:
        live.publish(live.group_name("customer", customer_id), {"type": what, "customer_id": customer_id})
    except Exception:
        logger.warning("live update for customer %s could not be published", customer_id, exc_info=True)


def on_interaction_recorded(sender: Any, *, customer_id: int, interaction_id: int, **kwargs: Any) -> None:
    _push(customer_id, "timeline")


def on_customer_updated(sender: Any, *, customer_id: int, **kwargs: Any) -> None:
    _push(customer_id, "profile")


def on_customer_merged(sender: Any, *, survivor_id: int, merged_id: int, **kwargs: Any) -> None:
    _push(survivor_id, "merged")
    _push(merged_id, "merged")


def connect() -> None:
    events.interaction_recorded.connect(on_interaction_recorded, dispatch_uid="customers.live.timeline")
    events.customer_updated.connect(on_customer_updated, dispatch_uid="customers.live.profile")
    events.customer_merged.connect(on_customer_merged, dispatch_uid="customers.live.merged")
    events.customer_unmerged.connect(on_customer_merged, dispatch_uid="customers.live.unmerged")
