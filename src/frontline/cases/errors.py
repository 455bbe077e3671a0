"""Errors a user can cause on cases; the API maps them to 4xx, views to form errors."""

from __future__ import annotations

from frontline.core.errors import Conflict, DomainError


class CaseStateError(DomainError):
    """The case's state forbids the action (merged, closed…)."""

    status_code = 409
    code = "case_state"


class StaleReplyError(Conflict):
    """Someone replied on the case after the sender last looked at it."""

    code = "stale_reply"

    def __init__(self, message: str, *, newer_message_ids: list[int]) -> None:
        super().__init__(message, field="seen_message_id")
        self.newer_message_ids = newer_message_ids
