"""Merging cases, splitting a message off into a new case, and linking related cases.

A merge moves everything that happened on the merged case (messages with their attachments and
mentions, links, child cases, handover notes) to the survivor; the merged case is closed, its SLA
clocks are cancelled, and it points to the survivor for good (``Case.merged_into``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.audit import services as audit
from frontline.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError
from frontline.customers.choices import Channel, Direction

from . import events, services, sla
from .choices import LinkKind, MessageKind, StatusCategory
from .errors import CaseStateError
from .models import Case, CaseLink, HandoverNote, Message
from .services import CaseInput


def _require_merge_perm(by: Any | None) -> None:
    if by is not None and not by.has_perm(roles.CASE_MERGE):
        raise PermissionDeniedError(_("You cannot merge, split or link cases."))


def _lock_pair(first_id: int, second_id: int, fields: tuple[str, str]) -> tuple[Case, Case]:
    """Both cases locked, always in id order so two merges of the same pair cannot deadlock."""
    rows = {
        case.pk: case
        for case in Case.objects.select_for_update(of=("self",))
        .select_related("status", "customer", "merged_into")
        .filter(pk__in=[first_id, second_id])
        .order_by("pk")
    }
    for case_id, field in zip((first_id, second_id), fields, strict=True):
        if case_id not in rows:
            raise NotFound(_("No such case."), field=field)
    return rows[first_id], rows[second_id]


def _refuse_merged(case: Case, field: str) -> None:
    if case.merged_into_id is not None:
        assert case.merged_into is not None
        raise CaseStateError(
            _("#%(ref)s was already merged into #%(into)s.")
            % {"ref": case.reference, "into": case.merged_into.reference},
            field=field,
        )


def _system_note(case: Case, *, by: Any | None, body: str, data: dict[str, Any]) -> Message:
    """A system line in the case's history (no timeline entry, no SLA effect). The caller
    recounts the case's messages."""
    author = by if by is not None and getattr(by, "is_authenticated", False) else None
    message = Message.objects.create(
        case=case,
        kind=MessageKind.SYSTEM,
        direction=Direction.INTERNAL,
        channel=Channel.SYSTEM,
        author=author,
        author_label=(author.get_full_name() or author.get_username()) if author is not None else "",
        body=body,
        data=data,
        created_at=timezone.now(),
    )
    case_id, message_id = case.pk, message.pk
    transaction.on_commit(
        lambda: events.message_added.send(
            sender=Message,
            case_id=case_id,
            message_id=message_id,
            kind=MessageKind.SYSTEM,
            direction=Direction.INTERNAL,
        )
    )
    return message


def _recount(case: Case) -> list[str]:
    """Message count and last-message times from the messages the case now holds."""
    totals = Message.objects.filter(case_id=case.pk).aggregate(
        count=Count("id"),
        last=Max("created_at"),
        last_in=Max("created_at", filter=Q(direction=Direction.INBOUND)),
        last_reply=Max("created_at", filter=Q(kind=MessageKind.REPLY, direction=Direction.OUTBOUND)),
    )
    case.message_count = totals["count"]
    case.last_message_at = totals["last"]
    case.last_customer_message_at = totals["last_in"]
    case.last_agent_reply_at = totals["last_reply"]
    return ["message_count", "last_message_at", "last_customer_message_at", "last_agent_reply_at"]


def _move_links(*, merged: Case, survivor: Case) -> list[int]:
    """Re-point the merged case's links to the survivor: one link per pair, none to itself.
    Returns the ids of the cases now linked to the survivor through the move."""
    linked_to_survivor = set()
    for link in CaseLink.objects.filter(Q(from_case=survivor) | Q(to_case=survivor)):
        linked_to_survivor.add(link.to_case_id if link.from_case_id == survivor.pk else link.from_case_id)
    moved: list[int] = []
    for link in (
        CaseLink.objects.select_for_update().filter(Q(from_case=merged) | Q(to_case=merged)).order_by("pk")
    ):
        other = link.to_case_id if link.from_case_id == merged.pk else link.from_case_id
        if other == survivor.pk or other in linked_to_survivor:
            link.delete()
            continue
        if link.from_case_id == merged.pk:
            link.from_case = survivor
        else:
            link.to_case = survivor
        link.save(update_fields=["from_case", "to_case"])
        linked_to_survivor.add(other)
        moved.append(other)
    return moved


@transaction.atomic
def case_merge(
    *,
    survivor_id: int,
    merged_id: int,
    by: Any | None,
    notify_customer: bool = False,
    allow_different_customers: bool = False,
) -> Case:
    """Merge ``merged_id`` into ``survivor_id`` and return the survivor.

    Messages keep their times. Both cases get a system note and an audit entry naming the moved
    messages. ``notify_customer`` sends the survivor's customer a public reply saying the
    requests were combined. Cases of different customers merge only with
    ``allow_different_customers``.
    """
    _require_merge_perm(by)
    if survivor_id == merged_id:
        raise DomainError(_("A case cannot be merged into itself."), field="merged")
    survivor, merged = _lock_pair(survivor_id, merged_id, ("survivor", "merged"))
    _refuse_merged(survivor, "survivor")
    _refuse_merged(merged, "merged")
    if survivor.customer_id != merged.customer_id and not allow_different_customers:
        raise DomainError(
            _("#%(a)s and #%(b)s belong to different customers; confirm to merge them anyway.")
            % {"a": survivor.reference, "b": merged.reference},
            field="merged",
            code="different_customers",
        )
    if notify_customer and survivor.status_category == StatusCategory.CLOSED:
        raise CaseStateError(
            _("#%(ref)s is closed; the customer cannot be written to on it.") % {"ref": survivor.reference},
            field="notify_customer",
        )

    moved_ids = list(
        Message.objects.filter(case=merged).order_by("created_at", "id").values_list("pk", flat=True)
    )
    Message.objects.filter(case=merged).update(case=survivor)
    linked = _move_links(merged=merged, survivor=survivor)
    children = list(Case.objects.filter(parent=merged).exclude(pk=survivor.pk).values_list("pk", flat=True))
    Case.objects.filter(pk__in=children).update(parent=survivor)
    if survivor.parent_id == merged.pk:
        survivor.parent_id = merged.parent_id if merged.parent_id != survivor.pk else None
        survivor.save(update_fields=["parent", "updated_at"])
    HandoverNote.objects.filter(case=merged).update(case=survivor)
    cancelled = sla.clocks_cancel(
        case=merged, at=timezone.now(), reason="merged", data={"survivor_id": survivor.pk}
    )
    if merged.status_category != StatusCategory.CLOSED:
        services.case_status_set(case_id=merged.pk, by=by, status=services.status_for(StatusCategory.CLOSED))
        merged.refresh_from_db()

    _system_note(
        survivor,
        by=by,
        body=_("Case #%(ref)s was merged into this case; %(count)d messages moved here.")
        % {"ref": merged.reference, "count": len(moved_ids)},
        data={"merged_id": merged.pk, "message_ids": moved_ids},
    )
    _system_note(
        merged,
        by=by,
        body=_("Merged into case #%(ref)s.") % {"ref": survivor.reference},
        data={"survivor_id": survivor.pk, "message_ids": moved_ids},
    )
    merged.merged_into, merged.follow_up_due_at = survivor, None
    merged.save(update_fields=["merged_into", "follow_up_due_at", *_recount(merged), "updated_at"])
    survivor.save(update_fields=[*_recount(survivor), "updated_at"])

    data = {
        "survivor_id": survivor.pk,
        "merged_id": merged.pk,
        "message_ids": moved_ids,
        "linked_case_ids": linked,
        "child_case_ids": children,
        "cancelled_clock_ids": cancelled,
    }
    audit.record(actor=by, verb="case.merged", target=survivor, data=data)
    audit.record(actor=by, verb="case.merged", target=merged, data=data)
    services.case_reindex(case_id=survivor.pk)
    services.case_reindex(case_id=merged.pk)
    if notify_customer:
        services.message_reply(
            case_id=survivor.pk,
            by=by,
            body=_(
                "Hello %(name)s, we have combined your request #%(merged)s with #%(survivor)s so that "
                "everything is handled in one place. Please reply on #%(survivor)s from now on."
            )
            % {
                "name": survivor.customer.first_name or survivor.customer.full_name,
                "merged": merged.reference,
                "survivor": survivor.reference,
            },
        )
        survivor.refresh_from_db()
    survivor_pk, merged_pk = survivor.pk, merged.pk
    transaction.on_commit(
        lambda: events.case_merged.send(sender=Case, survivor_id=survivor_pk, merged_id=merged_pk)
    )
    return survivor


@transaction.atomic
def message_split(*, message_id: int, by: Any | None, subject: str) -> Case:
    """Move one message to a new case of the same customer, linked to the old one as related.
    The only message of a case, and system lines, cannot be split off."""
    _require_merge_perm(by)
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message."), field="message")
    source = (
        Case.objects.select_for_update(of=("self",))
        .select_related("status", "merged_into")
        .get(pk=message.case_id)
    )
    _refuse_merged(source, "message")
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.case_id != source.pk:  # moved while we waited for the lock
        raise Conflict(_("This message was just moved; reload the case."), field="message")
    if message.kind == MessageKind.SYSTEM:
        raise DomainError(_("System lines cannot be split off."), field="message")
    if Message.objects.filter(case=source).exclude(kind=MessageKind.SYSTEM).count() <= 1:
        raise DomainError(
            _("This is the only message of the case; there is nothing to split it from."), field="message"
        )
    channel = message.channel if message.channel != Channel.SYSTEM else source.channel
    new = services.case_create(
        by=by,
        data=CaseInput(
            customer_id=source.customer_id,
            subject=subject,
            channel=channel,
            priority=source.priority,
            category_id=source.category_id,
            team_id=source.team_id,
            custom_fields=dict(source.custom_fields),
            from_customer=message.direction == Direction.INBOUND,
        ),
    )
    Message.objects.filter(pk=message.pk).update(case=new)
    _system_note(
        source,
        by=by,
        body=_("A message was split off into case #%(ref)s.") % {"ref": new.reference},
        data={"message_id": message.pk, "new_case_id": new.pk},
    )
    _system_note(
        new,
        by=by,
        body=_("Split off from case #%(ref)s.") % {"ref": source.reference},
        data={"message_id": message.pk, "source_case_id": source.pk},
    )
    source.save(update_fields=[*_recount(source), "updated_at"])
    new.save(update_fields=[*_recount(new), "updated_at"])
    case_link(case_id=source.pk, other_id=new.pk, by=by, kind=LinkKind.RELATED)
    audit.record(
        actor=by,
        verb="case.split",
        target=source,
        data={"message_id": message.pk, "new_case_id": new.pk, "new_reference": new.reference},
    )
    return new


def _send_links_changed(case_id: int) -> None:
    events.case_updated.send(sender=Case, case_id=case_id, fields=["links"])


def _case_changed(*case_ids: int) -> None:
    for case_id in case_ids:
        transaction.on_commit(partial(_send_links_changed, case_id))


@transaction.atomic
def case_link(*, case_id: int, other_id: int, by: Any | None, kind: str = LinkKind.RELATED) -> CaseLink:
    """Link two cases (related, duplicate of, caused by). One link per pair, whichever way round."""
    _require_merge_perm(by)
    if kind not in LinkKind.values:
        raise DomainError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(LinkKind.values)}, field="kind"
        )
    if case_id == other_id:
        raise DomainError(_("A case cannot be linked to itself."), field="other")
    case, other = _lock_pair(case_id, other_id, ("case", "other"))
    _refuse_merged(case, "case")
    _refuse_merged(other, "other")
    if CaseLink.objects.filter(Q(from_case=case, to_case=other) | Q(from_case=other, to_case=case)).exists():
        raise Conflict(
            _("#%(a)s and #%(b)s are already linked.") % {"a": case.reference, "b": other.reference},
            field="other",
        )
    link = CaseLink.objects.create(from_case=case, to_case=other, kind=kind, created_by=by)
    for target, peer in ((case, other), (other, case)):
        audit.record(
            actor=by,
            verb="case.linked",
            target=target,
            data={"other_id": peer.pk, "other_reference": peer.reference, "kind": kind, "link_id": link.pk},
        )
    _case_changed(case.pk, other.pk)
    return link


@transaction.atomic
def case_unlink(*, case_id: int, other_id: int, by: Any | None) -> None:
    """Remove the link between two cases, whichever way round it was made."""
    _require_merge_perm(by)
    case, other = _lock_pair(case_id, other_id, ("case", "other"))
    links = list(
        CaseLink.objects.select_for_update().filter(
            Q(from_case=case, to_case=other) | Q(from_case=other, to_case=case)
        )
    )
    if not links:
        raise NotFound(
            _("#%(a)s and #%(b)s are not linked.") % {"a": case.reference, "b": other.reference},
            field="other",
        )
    kinds = sorted({link.kind for link in links})
    CaseLink.objects.filter(pk__in=[link.pk for link in links]).delete()
    for target, peer in ((case, other), (other, case)):
        audit.record(
            actor=by,
            verb="case.unlinked",
            target=target,
            data={"other_id": peer.pk, "other_reference": peer.reference, "kinds": kinds},
        )
    _case_changed(case.pk, other.pk)
