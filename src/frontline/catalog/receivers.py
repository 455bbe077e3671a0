"""Reactions to the catalog app's own events: push live stock updates to open pages."""

from __future__ import annotations

from typing import Any

from . import events
from .live import publish_stock_change


def on_stock_changed(sender: Any, *, product_id: int, warehouse_ids: list[int], **kwargs: Any) -> None:
    publish_stock_change(product_id, list(warehouse_ids))


def connect() -> None:
    events.stock_changed.connect(on_stock_changed, dispatch_uid="catalog.live.stock")
