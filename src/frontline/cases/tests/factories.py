"""Factories for case tests. Cases are opened through ``services.case_create`` so they have
their reference, first message, SLA clocks, search document and audit row, like real ones."""

from __future__ import annotations

from typing import Any

from frontline.accounts.tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from frontline.cases import services
from frontline.cases.models import Case
from frontline.cases.services import CaseInput
from frontline.customers.models import Customer
from frontline.customers.tests.factories import CustomerFactory

__all__ = ["PASSWORD", "CustomerFactory", "MembershipFactory", "TeamFactory", "UserFactory", "make_case"]


def make_case(
    *,
    customer: Customer | None = None,
    by: Any | None = None,
    subject: str = "Where is my order?",
    body: str = "I ordered last week and have no tracking yet.",
    **fields: Any,
) -> Case:
    """``make_case(customer=c, priority="high", team_id=t.pk)``: a case opened by the customer
    (inbound) unless ``from_customer=False``."""
    customer = customer or CustomerFactory()
    return services.case_create(
        by=by, data=CaseInput(customer_id=customer.pk, subject=subject, body=body, **fields)
    )
