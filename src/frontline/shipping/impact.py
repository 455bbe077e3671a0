"""The impact score of a delivery exception: how much it matters to act on it now (0-100).

The exception dashboard ranks open exceptions by it (highest first). Six parts, capped:

=====================  =====  ==============================================================
part                   max    how
=====================  =====  ==============================================================
severity               30     high 30, medium 20, low 10 (set by the rule, see rules.py)
order value            20     20 x order total / 500, capped (in the order's currency)
customer value         15     15 x the customer's order totals of the last 365 days / 2,500
days late              15     3 per day of ``delay_days``, capped at 5 days
promise at risk        10     10 when the promised date has passed or the estimate is after it
customer contacted us  10     5 per contact from the customer about it, capped at 2
=====================  =====  ==============================================================

Stored on the exception (``impact_score``, indexed for the dashboard) and recomputed when the
exception changes: opened, refreshed by a rule, contact recorded. Pure: no database access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .choices import Severity

ORDER_VALUE_FULL = Decimal(500)
CUSTOMER_VALUE_FULL = Decimal(2500)
SEVERITY_POINTS = {Severity.HIGH: 30, Severity.MEDIUM: 20, Severity.LOW: 10}


@dataclass(frozen=True)
class ImpactInputs:
    severity: str
    order_value: Decimal = Decimal(0)
    customer_value: Decimal = Decimal(0)
    delay_days: int = 0
    promised_date: date | None = None
    expected: date | None = None
    customer_contacts: int = 0


def _share(value: Decimal, full: Decimal, points: int) -> float:
    if value <= 0:
        return 0.0
    return float(min(Decimal(1), value / full)) * points


def impact_points(inputs: ImpactInputs, *, today: date) -> dict[str, float]:
    """The score's six parts, in points: what the dashboard shows, what ``impact_score`` sums."""
    promise = inputs.promised_date
    at_risk = promise is not None and (
        today > promise or (inputs.expected is not None and inputs.expected > promise)
    )
    return {
        "severity": float(SEVERITY_POINTS.get(Severity(inputs.severity), 10)),
        "order_value": _share(inputs.order_value, ORDER_VALUE_FULL, 20),
        "customer_value": _share(inputs.customer_value, CUSTOMER_VALUE_FULL, 15),
        "days_late": float(min(max(inputs.delay_days, 0), 5) * 3),
        "promise": 10.0 if at_risk else 0.0,
        "contacts": float(min(inputs.customer_contacts, 2) * 5),
    }


def impact_score(inputs: ImpactInputs, *, today: date) -> int:
    return min(100, round(sum(impact_points(inputs, today=today).values())))
