"""Signals the catalog app sends, after commit, carrying ids only."""

from django.dispatch import Signal

stock_changed = Signal()  # product_id, warehouse_ids (list), kinds (list of MovementKind values)
product_created = Signal()  # product_id
product_updated = Signal()  # product_id, fields
backorder_started = Signal()  # product_id, warehouse_id (None = overall), period_id
backorder_ended = Signal()  # product_id, warehouse_id (None = overall), period_id
inbound_created = Signal()  # inbound_id
inbound_rescheduled = Signal()  # inbound_id, old_date, new_date
inbound_received = Signal()  # inbound_id, line_ids, fully_received
inbound_status_changed = Signal()  # inbound_id, old_status, new_status
