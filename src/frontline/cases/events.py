"""Signals the cases app sends, after commit, carrying ids only."""

from django.dispatch import Signal

case_created = Signal()  # case_id
case_updated = Signal()  # case_id, fields
case_status_changed = Signal()  # case_id, old_category, new_category
case_assigned = Signal()  # case_id, assignee_id, team_id
message_added = Signal()  # case_id, message_id, kind, direction
user_mentioned = Signal()  # case_id, message_id, user_id
case_escalated = Signal()  # case_id, level, action
case_merged = Signal()  # survivor_id, merged_id
