"""Reactions to the cases app's own events: push live updates to open case pages.

A case page listens to ``ws/live/case-<id>/`` (see ``consumers.authorize_case_group``); on any
message it fetches its changed regions. Payloads carry ids only: each page reloads what it may see.
"""

from __future__ import annotations

import logging
from typing import Any

from frontline.core import live

from . import events, queue_cache

logger = logging.getLogger(__name__)


def push(case_id: int, what: str) -> None:
    # A live update is a courtesy: the change is committed whether or not it reaches a browser.
    try:
        live.publish(live.group_name("case", case_id), {"type": what, "case_id": case_id})
    except Exception:
        logger.warning("live update for case %s could not be published", case_id, exc_info=True)


def on_message_added(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push(case_id, "message")


def on_status_changed(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push(case_id, "status")


def on_assigned(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push(case_id, "assigned")


def on_updated(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push(case_id, "updated")


def on_escalated(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push(case_id, "escalated")


def on_merged(sender: Any, *, survivor_id: int, merged_id: int, **kwargs: Any) -> None:
    push(survivor_id, "merged")
    push(merged_id, "merged")


def connect() -> None:
    events.message_added.connect(on_message_added, dispatch_uid="cases.live.message")
    events.case_status_changed.connect(on_status_changed, dispatch_uid="cases.live.status")
    events.case_assigned.connect(on_assigned, dispatch_uid="cases.live.assigned")
    events.case_updated.connect(on_updated, dispatch_uid="cases.live.updated")
    events.case_escalated.connect(on_escalated, dispatch_uid="cases.live.escalated")
    events.case_merged.connect(on_merged, dispatch_uid="cases.live.merged")


# --- the queue: live updates of the lists ---------------------------------------------------------
# A queue page listens to ``queue-all`` or to ``queue-<team id>`` of the teams it shows; on any
# message it refreshes its rows (debounced in the browser). Payloads carry the case id only.

QUEUE_GROUP = "queue"


def authorize_queue_group(user: Any, key: str) -> bool:
    """Staff who may view cases, for ``all`` or any team id."""
    return (key == "all" or key.isdigit()) and bool(user.has_perm("cases.view_case"))


def push_queue(case_id: int, what: str, *, team_id: int | None = None, look_up_team: bool = True) -> None:
    """Tell the open queues a case changed: every ``queue-all`` and its team's ``queue-<id>``."""
    try:
        if team_id is None and look_up_team:
            from .models import Case

            team_id = Case.objects.filter(pk=case_id).values_list("team_id", flat=True).first()
        payload = {"type": what, "case_id": case_id}
        live.publish(live.group_name(QUEUE_GROUP, "all"), payload)
        if team_id is not None:
            live.publish(live.group_name(QUEUE_GROUP, team_id), payload)
    except Exception:
        logger.warning("queue live update for case %s could not be published", case_id, exc_info=True)


def on_queue_case_created(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push_queue(case_id, "created")


def on_queue_case_assigned(sender: Any, *, case_id: int, team_id: int | None = None, **kwargs: Any) -> None:
    push_queue(case_id, "assigned", team_id=team_id)


def on_queue_status_changed(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push_queue(case_id, "status")


def on_queue_case_updated(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    push_queue(case_id, "updated")


def connect_queue() -> None:
    events.case_created.connect(on_queue_case_created, dispatch_uid="cases.queue.created")
    events.case_assigned.connect(on_queue_case_assigned, dispatch_uid="cases.queue.assigned")
    events.case_status_changed.connect(on_queue_status_changed, dispatch_uid="cases.queue.status")
    events.case_updated.connect(on_queue_case_updated, dispatch_uid="cases.queue.updated")


# --- the queue page cache: any case event makes every cached queue page stale ----------------------


def on_any_case_event(sender: Any, **kwargs: Any) -> None:
    queue_cache.bump()


def connect_queue_cache() -> None:
    for name in (
        "case_created",
        "case_updated",
        "case_status_changed",
        "case_assigned",
        "message_added",
        "case_escalated",
        "case_merged",
    ):
        getattr(events, name).connect(on_any_case_event, dispatch_uid=f"cases.queue_cache.{name}")


# --- proactive cases: a public reply on a case linked to a delivery exception notifies it ----------


def on_reply_sent_notify_exceptions(
    sender: Any, *, case_id: int, message_id: int, kind: str = "", direction: str = "", **kwargs: Any
) -> None:
    """After commit of a public reply: the exceptions linked to the case are *customer notified*
    and "caught proactively" is decided (``proactive.record_reply_sent``)."""
    if kind != "reply" or direction != "outbound":
        return
    from . import proactive

    try:
        proactive.record_reply_sent(case_id=case_id, message_id=message_id)
    except Exception:
        # The reply is sent whatever happens here; the exception keeps "not notified" and the
        # next reply on the case tries again.
        logger.exception("delivery exceptions of case %s could not be marked notified", case_id)


def connect_proactive() -> None:
    events.message_added.connect(on_reply_sent_notify_exceptions, dispatch_uid="cases.proactive.reply")
