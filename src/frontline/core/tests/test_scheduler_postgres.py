"""Two real ``frontline worker`` processes on one PostgreSQL database: a job runs once per tick."""

from datetime import timedelta
from itertools import pairwise

import pytest

from frontline.core.models import ScheduledRun
from frontline.core.tests.jobs import create_probe_table, drop_probe_table, probe_rows
from frontline.core.tests.processes import (
    database_url_of_test_database,
    frontline_env,
    frontline_process,
    stop_process,
    wait_until,
)

INTERVAL = 2  # seconds between windows of the probe job
WINDOWS = 3  # windows both workers see side by side, counted once both have started

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def probe_table():
    create_probe_table()
    yield
    drop_probe_table()


def test_two_workers_run_a_periodic_job_exactly_once_per_tick(probe_table, tmp_path):
    # given two workers on the test database, each with a scheduler ticking every second
    env = frontline_env(
        DATABASE_URL=database_url_of_test_database(),
        TASKS_BACKEND="db",
        SCHEDULER_TICK_SECONDS="1",
        FRONTLINE_EXTRA_SCHEDULE=f"probe=frontline.core.tests.jobs.record_run@{INTERVAL}",
    )
    with (
        frontline_process(["worker", "--worker-id", "w1"], env, tmp_path, tmp_path / "w1.log") as w1,
        frontline_process(["worker", "--worker-id", "w2"], env, tmp_path, tmp_path / "w2.log") as w2,
    ):
        # when both have started (slow on a loaded machine) and run side by side for several windows
        def started() -> bool:
            logs = (tmp_path / "w1.log").read_text() + (tmp_path / "w2.log").read_text()
            return logs.count("scheduler started") == 2

        wait_until(started, timeout=60, what="both schedulers to start")
        first = ScheduledRun.objects.filter(job="probe").count()
        wait_until(
            lambda: ScheduledRun.objects.filter(job="probe").count() >= first + WINDOWS,
            timeout=WINDOWS * INTERVAL + 30,
            what=f"{WINDOWS} more probe windows",
        )
        assert w1.poll() is None, (tmp_path / "w1.log").read_text()
        assert w2.poll() is None, (tmp_path / "w2.log").read_text()
        claimed = {r.task_result_id for r in ScheduledRun.objects.filter(job="probe")}
        # ... and have run every task they enqueued so far
        wait_until(
            lambda: claimed <= {row[0] for row in probe_rows()}, timeout=20, what="claimed probe tasks to run"
        )
        # then both stop cleanly on SIGTERM
        assert stop_process(w1) == 0
        assert stop_process(w2) == 0

    logs = (tmp_path / "w1.log").read_text() + (tmp_path / "w2.log").read_text()
    assert logs.count("scheduler started") == 2, logs
    runs = list(ScheduledRun.objects.filter(job="probe").order_by("tick_start"))
    probes = probe_rows()

    # then every window was claimed by exactly one of the two workers, with no gap
    assert len(runs) >= WINDOWS
    assert {r.claimed_by for r in runs} <= {"w1", "w2"}
    starts = [r.tick_start for r in runs]
    gaps = {b - a for a, b in pairwise(starts)}
    assert gaps == {timedelta(seconds=INTERVAL)}
    # and each claimed window's task ran exactly once (the probe table's key refuses a repeat)
    run_of = {r.task_result_id: r for r in runs}
    assert len(probes) == len({p[0] for p in probes})
    assert {p[0] for p in probes} <= set(run_of)
    assert claimed <= {p[0] for p in probes}
    assert len(runs) - len(probes) <= 1  # at most the last window's task was still queued at SIGTERM
