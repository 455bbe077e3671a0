"""Run ``frontline`` commands as real subprocesses in tests, and always clean them up by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def frontline_env(**overrides: str) -> dict[str, str]:
    """The environment of a production-like ``frontline`` process for tests, plus ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "FRONTLINE_", "DJANGO_")) and key not in {"TASKS_BACKEND"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "frontline.config.settings",
            "SECRET_KEY": "test-secret-key-for-subprocesses-0123456789abcdefghij",
            "DEBUG": "false",
            "HTTPS": "false",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def database_url_of_test_database() -> str:
    """A DATABASE_URL for the database the current test uses (PostgreSQL)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run_frontline(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "frontline", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"frontline {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout + done.stderr


@contextmanager
def frontline_process(
    args: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[Any]]:
    """Start ``frontline ARGS``; on exit make sure it is gone (SIGTERM, then SIGKILL), by PID."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "frontline", *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[Any], timeout: float = 20) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
