"""Proactive cases for delivery exceptions (seed 004: "call the customer before they call me").

One click on the exception dashboard opens a case for the order's customer, linked to the
exception (``shipping.services.exception_link_case``), and the case page opens with a reply
drafted from the exception kind and the order's plain-language status sentence. The agent
reviews it and sends it as the case's normal public reply; when that reply goes out
(``events.message_added``, see ``receivers.on_reply_sent_notify_exceptions``) the exception is
marked *customer notified*, and "caught proactively" records whether we were first.

"The customer contacted us" means an inbound contact on the customer's timeline (a case they
opened, a message, a call, an email, a chat...) at or after the exception was detected, or a
contact shipping recorded on the exception itself (``customer_contacted_us_at``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontline.accounts import roles
from frontline.accounts.models import Team
from frontline.core.access import require_permissions
from frontline.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError
from frontline.customers.choices import Channel, Direction, InteractionKind
from frontline.customers.models import Interaction
from frontline.orders.models import Order
from frontline.orders.selectors import order_detail_queryset
from frontline.orders.status import ShipmentSummary, status_sentence
from frontline.shipping import selectors as shipping_selectors
from frontline.shipping import services as shipping_services
from frontline.shipping.choices import ExceptionKind
from frontline.shipping.models import DeliveryException

from . import case_views, services
from .choices import MessageKind
from .forms import REPLY
from .models import Case, CustomField, Message

logger = logging.getLogger(__name__)

PROACTIVE_TAG = "proactive"
#: The case field naming the order a case is about (a text custom field, set up by the admin).
ORDER_FIELD = "order_number"

#: Timeline entries that are the customer reaching out to us (not order or shipment events).
CONTACT_KINDS = (
    InteractionKind.CALL,
    InteractionKind.EMAIL,
    InteractionKind.CHAT,
    InteractionKind.SOCIAL,
    InteractionKind.MEETING,
    InteractionKind.CASE,
    InteractionKind.MESSAGE,
)

# What happened, in the customer's words: the subject's headline and the draft's first paragraph.
_HEADLINES: dict[str, str] = {
    ExceptionKind.CARRIER_EXCEPTION: "a problem with the delivery",
    ExceptionKind.FAILED_ATTEMPT: "we missed you",
    ExceptionKind.RETURN_TO_SENDER: "parcel on its way back to us",
    ExceptionKind.LOST: "parcel missing",
    ExceptionKind.DAMAGED: "parcel damaged",
    ExceptionKind.ADDRESS_ISSUE: "please check your address",
    ExceptionKind.CUSTOMS_HOLD: "held at customs",
    ExceptionKind.DELAYED: "delivery delayed",
    ExceptionKind.ETA_SLIP: "delivery delayed",
    ExceptionKind.PAST_DUE: "delivery delayed",
    ExceptionKind.STALLED: "delivery delayed",
    ExceptionKind.NOT_PICKED_UP: "not collected by the carrier yet",
    ExceptionKind.NO_INFORMATION: "no tracking updates yet",
}

_OPENINGS: dict[str, str] = {
    ExceptionKind.CARRIER_EXCEPTION: (
        "The carrier has reported a problem with the parcel for your order %(number)s, and we wanted "
        "to let you know before you had to ask."
    ),
    ExceptionKind.FAILED_ATTEMPT: (
        "The carrier tried to deliver your order %(number)s but could not hand it over."
    ),
    ExceptionKind.RETURN_TO_SENDER: (
        "The carrier is sending the parcel for your order %(number)s back to us instead of delivering it."
    ),
    ExceptionKind.LOST: "The carrier has lost track of the parcel for your order %(number)s.",
    ExceptionKind.DAMAGED: "The carrier reports that the parcel for your order %(number)s was damaged.",
    ExceptionKind.ADDRESS_ISSUE: (
        "The carrier could not deliver your order %(number)s because of a problem with the address."
    ),
    ExceptionKind.CUSTOMS_HOLD: "The parcel for your order %(number)s is being held at customs.",
    ExceptionKind.DELAYED: "The carrier has told us that the delivery of your order %(number)s is delayed.",
    ExceptionKind.ETA_SLIP: "The delivery date of your order %(number)s has moved.",
    ExceptionKind.PAST_DUE: "Your order %(number)s has not arrived by the date we expected.",
    ExceptionKind.STALLED: "The parcel for your order %(number)s has not moved for a while.",
    ExceptionKind.NOT_PICKED_UP: "The carrier has not collected the parcel for your order %(number)s yet.",
    ExceptionKind.NO_INFORMATION: "We have not had any tracking update for your order %(number)s yet.",
}

_NEXT_STEPS: dict[str, str] = {
    ExceptionKind.FAILED_ATTEMPT: (
        "Let us know a day or a safe place that suits you, and we will arrange the next attempt."
    ),
    ExceptionKind.ADDRESS_ISSUE: (
        "Could you reply with your full delivery address, including the flat or floor number? "
        "We will pass it to the carrier straight away."
    ),
    ExceptionKind.RETURN_TO_SENDER: (
        "As soon as it is back with us we can send it again or refund you, whichever you prefer."
    ),
    ExceptionKind.LOST: (
        "We are opening a claim with the carrier and can send a replacement or refund you: just tell "
        "us which you prefer."
    ),
    ExceptionKind.DAMAGED: (
        "We can send a replacement or refund you: just tell us which you prefer, and please keep "
        "the parcel if it reaches you."
    ),
    ExceptionKind.CUSTOMS_HOLD: (
        "We are in touch with the carrier to get it cleared and will tell you if anything is needed from you."
    ),
}
_DEFAULT_NEXT_STEP = "We are following it up with the carrier and will keep you posted."


# --- the customer's contacts -------------------------------------------------------------------


def last_inbound_contacts(*, customer_ids: Iterable[int], since: datetime) -> dict[int, datetime]:
    """The latest inbound contact at or after ``since`` per customer, for those with one: 1 query."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = (
        Interaction.objects.filter(
            customer_id__in=ids,
            direction=Direction.INBOUND,
            kind__in=CONTACT_KINDS,
            occurred_at__gte=since,
        )
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
        .order_by()
    )
    return {row["customer_id"]: row["last"] for row in rows}


def first_inbound_contact(*, customer_id: int, since: datetime) -> datetime | None:
    """When the customer first reached out at or after ``since``, if they did."""
    return (
        Interaction.objects.filter(
            customer_id=customer_id,
            direction=Direction.INBOUND,
            kind__in=CONTACT_KINDS,
            occurred_at__gte=since,
        )
        .order_by("occurred_at", "id")
        .values_list("occurred_at", flat=True)
        .first()
    )


# --- the draft ---------------------------------------------------------------------------------


def proactive_subject(exception: DeliveryException, order: Order) -> str:
    headline = _HEADLINES.get(exception.kind, "an update on your delivery")
    return _("Your order %(number)s: %(headline)s") % {"number": order.number, "headline": _(headline)}


def order_sentence(order_id: int) -> str:
    """The order's status sentence with its shipments (what the agent would read out): 6 queries."""
    order = order_detail_queryset(Order.objects.filter(pk=order_id)).first()
    return order_sentence_of(order) if order is not None else ""


def order_sentence_of(order: Order) -> str:
    """The sentence of an order loaded with ``order_detail_queryset``: 2 more queries."""
    order_id = order.pk
    shipments = [
        ShipmentSummary(
            carrier=s.carrier.name,
            tracking_number=s.tracking_number,
            status=s.status,
            estimated_delivery=s.current_edd,
            delivered_at=s.delivered_at,
        )
        for s in shipping_selectors.shipments_for_order(order_id=order_id)
    ]
    return status_sentence(
        order,
        lines=list(order.lines.all()),
        holds=list(order.holds.all()),
        history=list(order.status_changes.all()),
        shipments=shipments,
    )


def proactive_draft(*, exception: DeliveryException, order: Order, sentence: str, agent: Any | None) -> str:
    """The reply the agent reviews: greeting, what happened, where the order is, what next."""
    first_name = order.customer.first_name if order.customer_id else ""
    greeting = _("Hello %(name)s,") % {"name": first_name} if first_name else _("Hello,")
    opening = _(
        _OPENINGS.get(exception.kind, "We have news about the delivery of your order %(number)s.")
    ) % {"number": order.number}
    next_step = _(_NEXT_STEPS.get(exception.kind, _DEFAULT_NEXT_STEP))
    signature = ""
    if agent is not None and getattr(agent, "is_authenticated", False):
        signature = agent.first_name or agent.get_username()
    parts = [greeting, opening]
    if sentence:
        parts.append(sentence)
    parts.append(next_step + " " + _("We are sorry for the trouble."))
    parts.append(_("Kind regards,") + ("\n" + signature if signature else ""))
    return "\n\n".join(parts)


# --- the service ---------------------------------------------------------------------------------


def _linked_case(case_id: int | None) -> Case | None:
    """The case linked to the exception, following merges to the surviving case."""
    if case_id is None:
        return None
    case = Case.objects.filter(pk=case_id).first()
    seen = set()
    while case is not None and case.merged_into_id is not None and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.filter(pk=case.merged_into_id).first()
    return case


def _default_team_id(by: Any) -> int | None:
    """The agent's own team (the first by name): the case lands where its opener works."""
    return (
        Team.objects.filter(memberships__user_id=by.pk).order_by("name").values_list("pk", flat=True).first()
    )


@transaction.atomic
def case_open_proactive(*, exception_id: int, by: Any) -> Case:
    """Open (or, when one is linked already, return) the proactive case for a delivery exception.

    The case is the order customer's, outbound (we write first), on email when the order has an
    email address (else the system channel), in the opener's team and assigned to them, tagged
    ``proactive``. Idempotent: the exception row is locked, and a linked case is returned as is.
    """
    if by is None or not by.has_perm(roles.CASE_ADD) or not by.has_perm(roles.SHIPMENT_VIEW):
        raise PermissionDeniedError(_("You may not open cases for delivery exceptions."))
    exception = (
        DeliveryException.objects.select_for_update(of=("self",))
        .select_related("order__customer")
        .filter(pk=exception_id)
        .first()
    )
    if exception is None:
        raise NotFound(_("Delivery exception not found."), field="exception")
    existing = _linked_case(exception.case_id)
    if existing is not None:
        return existing
    if exception.resolved_at is not None:
        raise Conflict(_("This exception is resolved already."), field="exception", code="resolved")
    order = exception.order
    if order is None:
        raise DomainError(
            _("This shipment belongs to no order, so there is no customer to write to."), field="exception"
        )
    case = services.case_create(
        by=by,
        data=services.CaseInput(
            customer_id=order.customer_id,
            subject=proactive_subject(exception, order),
            channel=Channel.EMAIL if order.email else Channel.SYSTEM,
            team_id=_default_team_id(by),
            assignee_id=by.pk if getattr(by, "is_staff_member", False) else None,
            tags=[PROACTIVE_TAG],
            custom_fields=_order_fields(order),
            from_customer=False,
        ),
    )
    shipping_services.exception_link_case(exception_id=exception.pk, by=by, case_id=case.pk)
    return case


def _order_fields(order: Order) -> dict[str, str]:
    """The case names its order when the workspace has an "order_number" case field."""
    if CustomField.objects.filter(key=ORDER_FIELD, is_active=True).exists():
        return {ORDER_FIELD: order.number}
    return {}


def record_reply_sent(*, case_id: int, message_id: int) -> list[int]:
    """A public reply went out on ``case_id``: every exception linked to the case whose customer
    was not notified yet is marked notified. When the customer had reached out since the
    exception was detected, their contact is recorded first, so "caught proactively" is No.
    Returns the ids of the exceptions marked."""
    rows = list(
        DeliveryException.objects.filter(case_id=case_id, customer_notified_at__isnull=True).values_list(
            "pk", "detected_at", "customer_contacted_us_at", "contacted_first", "order__customer_id"
        )
    )
    if not rows:
        return []
    message = Message.objects.select_related("author").filter(pk=message_id).first()
    if message is None or message.kind != MessageKind.REPLY:
        return []
    by, at = message.author, message.created_at
    marked = []
    for pk, detected_at, contacted_us_at, contacted_first, customer_id in rows:
        if contacted_us_at is None and contacted_first is None and customer_id is not None:
            first = first_inbound_contact(customer_id=customer_id, since=detected_at)
            if first is not None and first <= at:
                shipping_services.exception_mark_customer_contacted(
                    exception_id=pk, by=None, proactive=False, at=first
                )
        shipping_services.exception_mark_customer_contacted(exception_id=pk, by=by, proactive=True, at=at)
        marked.append(pk)
    return marked


# --- the view --------------------------------------------------------------------------------------


def _exception_or_404(exception_id: int) -> DeliveryException:
    exception = DeliveryException.objects.select_related("order__customer").filter(pk=exception_id).first()
    if exception is None:
        raise Http404(_("Delivery exception not found."))
    return exception


@require_http_methods(["GET", "POST"])
@require_permissions(roles.WORKSPACE, roles.CASE_VIEW, roles.CASE_ADD, roles.SHIPMENT_VIEW)
def proactive_case(request: HttpRequest, exception_id: int) -> HttpResponse:
    """POST: open (or find) the exception's case, then show it. GET: the case page with the
    drafted reply in the composer, as long as the customer has not been notified yet."""
    if request.method == "POST":
        try:
            case_open_proactive(exception_id=exception_id, by=request.user)
        except NotFound:
            raise Http404(_("Delivery exception not found.")) from None
        except PermissionDeniedError as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            from django.contrib import messages

            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("workspace:exceptions"))
        return HttpResponseRedirect(reverse("cases:proactive_case", args=[exception_id]))

    exception = _exception_or_404(exception_id)
    case = _linked_case(exception.case_id)
    if case is None:
        raise Http404(_("No case is open for this exception yet."))
    case = case_views.case_for_page(request, case.reference)
    if exception.customer_notified_at is not None or exception.order is None or not case.can_reply():
        return HttpResponseRedirect(case.get_absolute_url())
    context = case_views.case_page_context(request, case)
    if "reply_form" in context and context["can"].reply:
        draft = proactive_draft(
            exception=exception,
            order=exception.order,
            sentence=order_sentence(exception.order.pk),
            agent=request.user,
        )
        context["reply_form"].initial.update(body=draft, mode=REPLY)
    context["proactive_exception"] = exception
    return render(request, "cases/case_detail.html", context)
