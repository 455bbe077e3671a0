"""Rules R1-R7 on event sequences with a frozen clock: first as pure functions, then end to
end (events ingested at their times, the sweep run at a later frozen moment)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from frontline.shipping import rules, services, sweep
from frontline.shipping.choices import ExceptionKind, ExceptionStatus, RuleId, Severity, ShipmentStatus
from frontline.shipping.models import DeliveryException
from frontline.shipping.rules import EventFacts, ShipmentFacts

from . import factories as f

S = ShipmentStatus
K = ExceptionKind
T0 = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


def facts(**kw) -> ShipmentFacts:
    kw.setdefault("status", S.IN_TRANSIT)
    kw.setdefault("created_at", T0 - timedelta(days=1))
    kw.setdefault("shipped_at", T0)
    kw.setdefault("last_event_at", T0)
    return ShipmentFacts(**kw)


def events(*pairs: tuple[str, str], reason: str = "") -> list[EventFacts]:
    return [
        EventFacts(
            occurred_at=T0 + timedelta(hours=i),
            status=status,
            description=text,
            reason=reason,
            event_id=i + 1,
        )
        for i, (status, text) in enumerate(pairs)
    ]


def kinds(findings) -> list[tuple[str, str]]:
    return [(f.rule, f.kind) for f in findings]


# --- pure -------------------------------------------------------------------------------------


class TestR1CarrierException:
    def test_exception_status_fires_on_the_latest_event(self):
        seq = events((S.PICKED_UP, "Picked up"), (S.EXCEPTION, "Held at depot"))
        found = rules.evaluate(facts(status=S.EXCEPTION), seq, T0 + timedelta(hours=2))
        assert kinds(found) == [(RuleId.R1, K.CARRIER_EXCEPTION)]
        assert found[0].trigger_event_id == 2 and found[0].severity == Severity.MEDIUM
        assert found[0].fingerprint == "R1:2"

    def test_reason_decides_the_kind(self):
        lost = events((S.EXCEPTION, "Parcel lost"), reason="carrier_parcel_lost")
        failed = events((S.FAILED_ATTEMPT, "Nobody home"), reason="consignee_not_home")
        rts = events((S.RETURNING, "Returning to sender"))
        assert kinds(rules.event_findings(facts(), lost)) == [(RuleId.R1, K.LOST)]
        assert rules.event_findings(facts(), lost)[0].severity == Severity.HIGH
        assert kinds(rules.event_findings(facts(), failed)) == [(RuleId.R1, K.FAILED_ATTEMPT)]
        assert kinds(rules.event_findings(facts(), rts)) == [(RuleId.R1, K.RETURN_TO_SENDER)]

    def test_incident_reason_on_a_moving_status_fires(self):
        seq = events((S.IN_TRANSIT, "Customs: documents missing"), reason="customs_documentation")
        assert kinds(rules.event_findings(facts(), seq)) == [(RuleId.R1, K.CUSTOMS_HOLD)]

    def test_an_exception_followed_by_progress_does_not_fire(self):
        seq = events((S.EXCEPTION, "Held"), (S.IN_TRANSIT, "Released, departed"))
        assert rules.event_findings(facts(), seq) == []


class TestR2DeclaredDelay:
    def test_delayed_status(self):
        seq = events((S.IN_TRANSIT, "Departed"), (S.DELAYED, "Missed connection"))
        found = rules.event_findings(facts(status=S.DELAYED), seq)
        assert kinds(found) == [(RuleId.R2, K.DELAYED)]

    def test_delay_reason_or_words_on_a_moving_event(self):
        weather = events((S.IN_TRANSIT, "Storm"), reason="weather_delay")
        words = events((S.IN_TRANSIT, "Livraison retardée"))
        assert kinds(rules.event_findings(facts(), weather)) == [(RuleId.R2, K.DELAYED)]
        assert rules.event_findings(facts(), weather)[0].reason == "weather_delay"
        assert kinds(rules.event_findings(facts(), words)) == [(RuleId.R2, K.DELAYED)]

    def test_high_when_the_estimate_passes_the_promise(self):
        seq = events((S.DELAYED, "Delay"))
        shipment = facts(
            current_edd=date(2026, 5, 16), original_edd=date(2026, 5, 13), promised_date=date(2026, 5, 14)
        )
        found = [f for f in rules.event_findings(shipment, seq) if f.rule == RuleId.R2]
        assert (found[0].severity, found[0].delay_days) == (Severity.HIGH, 3)


class TestR3EtaSlip:
    def test_slip_against_the_first_estimate(self):
        found = rules.rule_eta_slip(facts(original_edd=date(2026, 5, 13), current_edd=date(2026, 5, 15)))
        assert found is not None
        assert (found.kind, found.delay_days, found.severity) == (K.ETA_SLIP, 2, Severity.MEDIUM)
        assert (found.expected_by, found.new_expected_by) == (date(2026, 5, 13), date(2026, 5, 15))

    def test_slip_past_the_promise_is_high_and_earlier_estimate_is_nothing(self):
        late = facts(
            original_edd=date(2026, 5, 13), current_edd=date(2026, 5, 14), promised_date=date(2026, 5, 13)
        )
        assert rules.rule_eta_slip(late).severity == Severity.HIGH
        assert (
            rules.rule_eta_slip(facts(original_edd=date(2026, 5, 13), current_edd=date(2026, 5, 12))) is None
        )

    def test_first_estimate_already_after_the_promise(self):
        found = rules.rule_eta_slip(
            facts(
                original_edd=date(2026, 5, 16), current_edd=date(2026, 5, 16), promised_date=date(2026, 5, 14)
            )
        )
        assert (found.delay_days, found.expected_by) == (2, date(2026, 5, 14))


class TestTimeRules:
    def test_r4_past_due_after_the_grace(self):
        shipment = facts(
            current_edd=date(2026, 5, 12), last_event_at=datetime(2026, 5, 13, 10, 0, tzinfo=UTC)
        )
        assert rules.rule_past_due(shipment, datetime(2026, 5, 13, 11, 59, tzinfo=UTC)) is None
        found = rules.rule_past_due(shipment, datetime(2026, 5, 13, 12, 0, tzinfo=UTC))
        assert (found.kind, found.delay_days, found.severity) == (K.PAST_DUE, 1, Severity.HIGH)

    def test_r4_uses_the_promise_without_an_estimate(self):
        shipment = facts(promised_date=date(2026, 5, 10), last_event_at=datetime(2026, 5, 12, 10, tzinfo=UTC))
        assert rules.rule_past_due(shipment, datetime(2026, 5, 12, 13, tzinfo=UTC)).delay_days == 2

    def test_r5_stalled_only_while_moving(self):
        shipment = facts(last_event_at=T0)
        assert rules.rule_stalled(shipment, T0 + timedelta(hours=71)) is None
        found = rules.rule_stalled(shipment, T0 + timedelta(hours=72))
        assert (found.kind, found.severity, found.fingerprint) == (
            K.STALLED,
            Severity.MEDIUM,
            f"R5:{T0.isoformat()}",
        )
        assert rules.rule_stalled(shipment, T0 + timedelta(hours=144)).severity == Severity.HIGH
        assert rules.rule_stalled(facts(status=S.AVAILABLE_FOR_PICKUP), T0 + timedelta(days=5)) is None

    def test_silence_rules_count_days_late_from_the_estimate_not_the_silence(self):
        # Stalled for 4 days, but the estimate is still 2 days ahead: not late (yet).
        now = T0 + timedelta(days=4)
        ahead = facts(current_edd=(now + timedelta(days=2)).date())
        assert rules.rule_stalled(ahead, now).delay_days == 0
        # Estimated delivery was 3 days ago: 3 days late.
        behind = facts(current_edd=(now - timedelta(days=3)).date())
        assert rules.rule_stalled(behind, now).delay_days == 3
        # Without an estimate, the promised date counts; without either, nothing is late.
        promised = facts(promised_date=(now - timedelta(days=1)).date())
        assert rules.rule_stalled(promised, now).delay_days == 1
        assert rules.rule_stalled(facts(), now).delay_days == 0

    def test_r6_not_picked_up(self):
        shipment = facts(status=S.LABEL_CREATED, shipped_at=None, last_event_at=None, label_created_at=T0)
        assert rules.rule_not_picked_up(shipment, T0 + timedelta(hours=47)) is None
        assert rules.rule_not_picked_up(shipment, T0 + timedelta(hours=48)).kind == K.NOT_PICKED_UP
        assert rules.rule_not_picked_up(facts(), T0 + timedelta(days=3)) is None  # scanned

    def test_r7_no_information_supersedes_stall_and_pickup(self):
        shipment = facts(status=S.LABEL_CREATED, shipped_at=None, last_event_at=None, label_created_at=T0)
        found = rules.time_findings(shipment, T0 + timedelta(days=30))
        assert kinds(found) == [(RuleId.R7, K.NO_INFORMATION)]
        assert "30 days" in found[0].summary
        assert found[0].delay_days == 0  # no estimate or promise: silent, but not known to be late

    def test_final_shipments_raise_nothing(self):
        shipment = facts(status=S.DELIVERED, current_edd=date(2026, 5, 1))
        assert rules.evaluate(shipment, events((S.DELIVERED, "Delivered")), T0 + timedelta(days=60)) == []


# --- end to end, frozen clock ----------------------------------------------------------------


def at(*args: int):
    return time_machine.travel(f.utc(*args), tick=False)


def open_kinds(shipment) -> list[tuple[str, str]]:
    return sorted(
        DeliveryException.objects.filter(shipment=shipment, resolved_at__isnull=True).values_list(
            "rule_id", "kind"
        )
    )


@pytest.mark.django_db
class TestRulesEndToEnd:
    def test_r1_failed_attempt_from_an_ingested_event(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment()
            f.ingest(shipment, f.ev("2026-05-11T07:00:00Z", "picked_up"))
        with at(2026, 5, 12, 18):
            result = f.ingest(
                shipment,
                f.ev(
                    "2026-05-12T17:00:00Z", "failed_attempt", "Receiver not home", reason="consignee_not_home"
                ),
            )
        assert open_kinds(shipment) == [("R1", K.FAILED_ATTEMPT)]
        exception = DeliveryException.objects.get(pk=result.opened[0])
        assert exception.reason == "consignee_not_home"
        assert exception.trigger_event.description == "Receiver not home"
        assert exception.detected_at == datetime(2026, 5, 12, 18, tzinfo=UTC)

    def test_r2_and_r3_from_a_delay_with_a_new_estimate(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment(current_edd=date(2026, 5, 13))
        with at(2026, 5, 12, 9):
            f.ingest(
                shipment, f.ev("2026-05-12T08:00:00Z", "delayed", "Weather delay"), edd=date(2026, 5, 15)
            )
        assert open_kinds(shipment) == [("R2", K.DELAYED), ("R3", K.ETA_SLIP)]
        slip = DeliveryException.objects.get(shipment=shipment, kind=K.ETA_SLIP)
        assert (slip.expected_by, slip.new_expected_by, slip.delay_days) == (
            date(2026, 5, 13),
            date(2026, 5, 15),
            2,
        )

    def test_r4_past_due_by_the_sweep_and_its_days_grow(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment(current_edd=date(2026, 5, 12))
            f.ingest(shipment, f.ev("2026-05-11T07:00:00Z", "in_transit"))
        with at(2026, 5, 13, 11):
            assert sweep.exception_sweep().opened == 0
        with at(2026, 5, 13, 13):
            assert sweep.exception_sweep().opened == 1
        with at(2026, 5, 14, 13):
            assert sweep.exception_sweep().as_dict() | {"scanned": 0} == {
                "scanned": 0,
                "findings": 2,
                "opened": 1,  # R5: silent for 78 h now
                "refreshed": 1,
                "locked": 0,
            }
        past_due = DeliveryException.objects.get(shipment=shipment, kind=K.PAST_DUE)
        assert (past_due.delay_days, past_due.expected_by) == (2, date(2026, 5, 12))
        assert open_kinds(shipment) == [("R4", K.PAST_DUE), ("R5", K.STALLED)]

    def test_r5_stalled_by_the_sweep_then_resolved_is_not_reopened_until_a_new_silence(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment()
            f.ingest(shipment, f.ev("2026-05-11T07:00:00Z", "in_transit"))
        with at(2026, 5, 14, 8):
            sweep.exception_sweep()
        stalled = DeliveryException.objects.get(shipment=shipment, kind=K.STALLED)
        services.exception_resolve(exception_id=stalled.pk, by=None, resolution="wait")
        with at(2026, 5, 14, 9):
            assert sweep.exception_sweep().opened == 0
        with at(2026, 5, 15, 8):
            f.ingest(shipment, f.ev("2026-05-15T07:00:00Z", "in_transit", "Arrived at hub"))
        with at(2026, 5, 18, 8):
            assert sweep.exception_sweep().opened == 1
        assert DeliveryException.objects.filter(shipment=shipment, kind=K.STALLED).count() == 2

    def test_r6_not_picked_up_by_the_sweep(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment()
        with at(2026, 5, 13, 7, 59):
            assert sweep.exception_sweep().opened == 0
        with at(2026, 5, 13, 8):
            assert sweep.exception_sweep().opened == 1
        assert open_kinds(shipment) == [("R6", K.NOT_PICKED_UP)]

    def test_r7_no_information_after_thirty_days(self):
        with at(2026, 4, 1, 8):
            shipment = f.shipment()
        with at(2026, 5, 1, 8):
            sweep.exception_sweep()
        assert ("R7", K.NO_INFORMATION) in open_kinds(shipment)

    def test_delivery_auto_resolves_everything_open(self):
        with at(2026, 5, 11, 8):
            shipment = f.shipment(current_edd=date(2026, 5, 12))
            f.ingest(shipment, f.ev("2026-05-11T07:00:00Z", "in_transit"))
        with at(2026, 5, 14, 13):
            sweep.exception_sweep()
        assert len(open_kinds(shipment)) == 2
        with at(2026, 5, 15, 10):
            result = f.ingest(shipment, f.ev("2026-05-15T09:30:00Z", "delivered", "Delivered, front door"))
        assert len(result.resolved) == 2
        assert open_kinds(shipment) == []
        assert set(
            DeliveryException.objects.filter(shipment=shipment).values_list("status", "resolution")
        ) == {(ExceptionStatus.AUTO_RESOLVED, "delivered")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_open_each_exception_once():
    import threading

    from django.db import connection

    with at(2026, 5, 11, 8):
        shipments = [f.shipment() for _ in range(6)]
        for shipment in shipments:
            f.ingest(shipment, f.ev("2026-05-11T07:00:00Z", "in_transit"))
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(sweep.exception_sweep(datetime(2026, 5, 14, 9, tzinfo=UTC)).as_dict())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r["opened"] for r in results) == 6
    assert DeliveryException.objects.filter(kind=K.STALLED).count() == 6
