"""Signals the shipping app sends, after commit, carrying ids (notifications, cases and the
live dashboard react to them; shipping itself never listens)."""

from django.dispatch import Signal

#: shipment_id, order_id (or None), old_status, new_status
shipment_status_changed = Signal()
#: exception_id, shipment_id, kind
delivery_exception_opened = Signal()
#: exception_id, shipment_id, kind, resolution, actor_id (None when delivery resolved it)
delivery_exception_resolved = Signal()
#: exception_id, shipment_id, change ("assigned", "acknowledged", "customer_contacted"), actor_id
delivery_exception_changed = Signal()
