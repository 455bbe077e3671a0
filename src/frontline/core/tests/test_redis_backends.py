"""Redis-backed paths against a real Redis (REDIS_URL): cache and RQ task queue.

The channel layer on Redis is exercised in test_live.py.
"""

import os
import uuid
from typing import Any

import django_rq
import pytest
from django.core.cache import cache, caches
from django.tasks import TaskResultStatus
from django.test import override_settings
from django_tasks_rq import Job

from frontline.core.tests.jobs import add

pytestmark = pytest.mark.redis


@pytest.fixture
def queue_name():
    name = f"frontline-test-{uuid.uuid4().hex[:12]}"
    tasks = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
        "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]},
    }
    # django-tasks-rq reads results through the "default" queue's connection.
    queues = {name: {"URL": os.environ["REDIS_URL"]}, "default": {"URL": os.environ["REDIS_URL"]}}
    with override_settings(TASKS=tasks, RQ_QUEUES=queues):
        yield name
        queue = django_rq.get_queue(name)
        queue.empty()
        queue.delete(delete_jobs=True)


def test_cache_is_redis_and_round_trips():
    # given the settings picked Redis because REDIS_URL is set
    assert type(caches["default"]).__name__ == "RedisCache"
    key = f"test:{uuid.uuid4().hex}"

    # when a value is written, incremented and deleted
    cache.set(key, 41, 30)
    assert cache.incr(key) == 42

    # then it is read back, and gone once deleted
    assert cache.get(key) == 42
    cache.delete(key)
    assert cache.get(key) is None


def test_rq_enqueue_then_a_worker_runs_the_task(queue_name):
    # given a task enqueued on an RQ queue
    result = add.using(backend="rq", queue_name=queue_name).enqueue(2, 3)
    assert result.status == TaskResultStatus.READY
    assert django_rq.get_queue(queue_name).count == 1

    # when a worker drains the queue
    worker = django_rq.get_worker(queue_name, job_class=Job, worker_class="rq.worker.SimpleWorker")
    assert worker.work(burst=True) is True

    # then the result is successful with the task's return value
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert django_rq.get_queue(queue_name).count == 0


def test_every_thread_of_the_process_shares_one_redis_client_and_pool():
    """Under ASGI each request has a thread of its own: a client (and connection) per thread
    cost every request a new Redis connection and handshake."""
    import threading

    seen = []

    def look() -> None:
        backend: Any = caches["default"]
        seen.append((backend, backend._cache, backend._cache.get_client(write=True)))

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    look()

    (backend_a, client_a, redis_a), (backend_b, client_b, redis_b) = seen
    assert backend_a is not backend_b  # Django's per-thread backend objects...
    assert client_a is client_b and redis_a is redis_b  # ...share one client and pool
    cache.set("shared-client-probe", 1, 5)
    assert cache.get("shared-client-probe") == 1
