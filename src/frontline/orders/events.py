"""Signals the orders app sends, after commit, carrying ids only."""

from django.dispatch import Signal

order_created = Signal()  # order_id
order_status_changed = Signal()  # order_id, from_status, to_status
order_hold_placed = Signal()  # order_id, hold_id
order_hold_released = Signal()  # order_id, hold_id
order_cancelled = Signal()  # order_id
order_line_backordered = Signal()  # order_id, line_id
