"""``frontline worker`` and ``frontline serve`` as real processes on a migrated SQLite file."""

import json
import os
import re
import sqlite3
import urllib.request
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django.test import override_settings

from frontline.core.tests.jobs import PROBE_TABLE, add
from frontline.core.tests.processes import (
    free_port,
    frontline_env,
    frontline_process,
    pid_alive,
    run_frontline,
    stop_process,
    wait_until,
)


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory) -> Path:
    """A migrated SQLite database file, shared by the tests of this module."""
    workdir = tmp_path_factory.mktemp("frontline")
    path = workdir / "frontline.sqlite3"
    run_frontline(["migrate", "--no-input"], frontline_env(DATABASE_URL=f"sqlite:///{path}"), workdir)
    return path


def _probe_rows(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT task_result_id, pid FROM {PROBE_TABLE}").fetchall()


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_worker_runs_scheduled_jobs_and_stops_cleanly_on_sigterm(sqlite_db, tmp_path):
    # given a migrated database with the probe table, and a job due every second
    with sqlite3.connect(sqlite_db) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PROBE_TABLE}")
        conn.execute(
            f"CREATE TABLE {PROBE_TABLE} (task_result_id varchar(64) PRIMARY KEY, pid int, ran_at text)"
        )
    env = frontline_env(
        DATABASE_URL=f"sqlite:///{sqlite_db}",
        TASKS_BACKEND="db",
        SCHEDULER_TICK_SECONDS="1",
        FRONTLINE_EXTRA_SCHEDULE="probe=frontline.core.tests.jobs.record_run@1",
    )
    log = tmp_path / "worker.log"
    with frontline_process(["worker", "--worker-id", "solo"], env, tmp_path, log) as worker:
        # when it runs for a few ticks
        wait_until(lambda: len(_probe_rows(sqlite_db)) >= 2, timeout=30, what="two probe runs")

        # then the probe job ran in the worker process, once per run
        rows = _probe_rows(sqlite_db)
        assert {pid for _, pid in rows} == {worker.pid}

        # and SIGTERM stops it with status 0
        assert stop_process(worker) == 0
    output = log.read_text()
    from frontline.config.schedule import SCHEDULE

    jobs = len(SCHEDULE) + 1  # the declared jobs and the probe
    assert f"scheduler started: {jobs} job(s), tick 1.0s, worker solo" in output
    assert output.rstrip().endswith("worker solo stopped"), output


def test_serve_answers_probes_and_stops_its_worker_on_sigterm(sqlite_db, tmp_path):
    # given `frontline serve` on a free port, with its worker
    port = free_port()
    env = frontline_env(DATABASE_URL=f"sqlite:///{sqlite_db}", TASKS_BACKEND="db")
    log = tmp_path / "serve.log"
    with frontline_process(["serve", "--port", str(port)], env, tmp_path, log) as server:
        # when it is up
        wait_until(
            lambda: "Uvicorn running" in log.read_text() or server.poll() is not None,
            timeout=60,
            what="uvicorn",
        )
        assert server.poll() is None, log.read_text()

        # then the probes answer
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert (status, body["status"], body["down"]) == (200, "ok", [])
        assert sorted(body["checks"]) == ["cache", "database", "task_queue"]

        # and its worker child runs until the server gets SIGTERM
        started = re.search(r"worker started \(pid (\d+)\)", log.read_text())
        assert started is not None, log.read_text()
        worker_pid = int(started.group(1))
        assert pid_alive(worker_pid)
        assert stop_process(server) == 0
    assert not pid_alive(worker_pid)
    assert f"worker (pid {worker_pid}) stopped" in log.read_text()


def test_serve_without_worker_starts_none(sqlite_db, tmp_path):
    port = free_port()
    env = frontline_env(DATABASE_URL=f"sqlite:///{sqlite_db}", TASKS_BACKEND="db")
    log = tmp_path / "serve.log"
    with frontline_process(["serve", "--port", str(port), "--no-worker"], env, tmp_path, log) as server:
        wait_until(lambda: "Uvicorn running" in log.read_text() or server.poll() is not None, timeout=60)
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        assert stop_process(server) == 0
    assert "worker started" not in log.read_text()


@pytest.mark.redis
def test_rq_worker_runs_an_enqueued_task(tmp_path):
    # given the RQ backend on Redis and a task enqueued on its default queue
    redis_url = os.environ["REDIS_URL"]
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=tasks, RQ_QUEUES={"default": {"URL": redis_url}}):
        result = add.enqueue(20, 22)
        env = frontline_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}", TASKS_BACKEND="rq", REDIS_URL=redis_url
        )
        log = tmp_path / "worker.log"
        # when an RQ `frontline worker` runs
        with frontline_process(
            ["worker", "--no-scheduler", "--worker-id", "rq-test"], env, tmp_path, log
        ) as worker:

            def finished():
                result.refresh()
                return result.status == TaskResultStatus.SUCCESSFUL

            wait_until(finished, timeout=30, what="the RQ task to finish")
            # then the task ran, and the worker stops cleanly
            assert result.return_value == 42
            assert stop_process(worker) == 0
    assert "worker rq-test processing RQ queue(s) default" in log.read_text()
