"""Signals the customers app sends, after commit, carrying ids only."""

from django.dispatch import Signal

customer_created = Signal()  # customer_id
customer_updated = Signal()  # customer_id, fields
customer_merged = Signal()  # survivor_id, merged_id, merge_id
customer_unmerged = Signal()  # survivor_id, merged_id, merge_id
interaction_recorded = Signal()  # customer_id, interaction_id
