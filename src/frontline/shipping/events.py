"""Signals the shipping app sends, after commit, carrying ids (notifications, cases and the
live dashboard react to them; shipping itself never listens)."""

from django.dispatch import Signal

#: shipment_id, order_id (or None), old_status, new_status
shipment_status_changed = Signal()
#: exception_id, shipment_id, kind
delivery_exception_opened = Signal()
#: exception_id, shipment_id, kind, resolution
delivery_exception_resolved = Signal()
