"""Live stock updates: who may listen, and what is pushed.

Groups: ``stock-all`` (every change; the stock page filters by the products it shows) and
``stock-<product id>`` (one product; for pages about one product, e.g. an order's lines).
Payload: ``{"type": "stock", "product_id": 42, "warehouse_ids": [1, 2]}``.
"""

from __future__ import annotations

import logging
from typing import Any

from frontline.accounts import roles
from frontline.core import live

logger = logging.getLogger(__name__)

PREFIX = "stock"
ALL = "all"


def authorize_stock_group(user: Any, key: str) -> bool:
    """Staff who may see stock; the key is ``all`` or a product id."""
    if key != ALL and not key.isdigit():
        return False
    return bool(user.has_perm(roles.STOCK_VIEW))


def publish_stock_change(product_id: int, warehouse_ids: list[int]) -> None:
    """Tell open pages a product's stock changed. A courtesy: failures are logged, not raised."""
    payload = {"type": "stock", "product_id": product_id, "warehouse_ids": warehouse_ids}
    try:
        live.publish(live.group_name(PREFIX, ALL), payload)
        live.publish(live.group_name(PREFIX, product_id), payload)
    except Exception:
        logger.warning("live stock update for product %s could not be published", product_id, exc_info=True)
