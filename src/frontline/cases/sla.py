"""SLA clocks: policy selection, business-hours arithmetic, pause/resume, warnings, breaches,
escalation levels and the resolution follow-up.

Called by services.py at each step of a case's life; the periodic sweep (tasks.py) finds due
warnings, breaches, escalations and follow-ups. Every event is written to SlaEvent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Case, Message


def case_opened(*, case: Case, at: datetime) -> None:
    """Choose the policy and start the first-response and resolution clocks."""


def message_added(*, case: Case, message: Message) -> None:
    """A public agent reply meets first/next response; a customer message starts next response."""


def responded(*, case: Case, at: datetime) -> None:
    """A response other than a written reply (an outbound call) meets the response clock."""


def status_changed(*, case: Case, old_category: str, at: datetime) -> None:
    """Pause in statuses that pause the SLA, resume when leaving them, stop on resolve/close."""


def follow_up_start(*, case: Case, by: Any | None, at: datetime) -> None:
    """On resolve: ask the customer to confirm; no reply by the due date closes the case."""


def policy_reapply(*, case: Case, at: datetime) -> None:
    """Priority, category or channel changed: re-select the policy and retarget running clocks."""
