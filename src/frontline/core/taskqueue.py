"""The task queue behind ``django.tasks``, seen from the outside: is it reachable?

``task_queue_check()`` backs the ``task_queue`` line of ``/readyz``. It raises when the queue
the default backend writes to cannot be reached, and returns quietly otherwise:

- ``django_tasks_db`` (``TASKS_BACKEND=db``, the default): one indexed query on the task table;
- ``django_tasks_rq`` (``TASKS_BACKEND=rq``): a ``PING`` to the Redis server of every queue;
- the immediate and dummy backends run nothing in the background: nothing to check.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.backends.dummy import DummyBackend
from django.tasks.backends.immediate import ImmediateBackend

#: Seconds a Redis probe may take before readiness reports the queue down.
REDIS_PROBE_TIMEOUT = 3.0


class TaskQueueUnavailable(RuntimeError):
    """The task queue did not answer as expected."""


def task_queue_check(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> None:
    backend = task_backends[alias]
    if isinstance(backend, ImmediateBackend | DummyBackend):
        return

    from django_tasks_db.backend import DatabaseBackend

    if isinstance(backend, DatabaseBackend):
        _check_database_queue()
        return

    if _is_rq_backend(backend):
        for queue_name in sorted(backend.queues):
            _check_redis_queue(queue_name)
        return

    raise TaskQueueUnavailable(f"no readiness check for task backend {type(backend).__name__}")


def _check_database_queue() -> None:
    from django_tasks_db.models import DBTaskResult

    # A primary-key lookup that matches nothing: proves the table exists and answers, at the
    # cost of one index probe whatever the table's size.
    DBTaskResult.objects.filter(pk=uuid.UUID(int=0)).exists()


def _is_rq_backend(backend: object) -> bool:
    try:
        from django_tasks_rq import RQBackend
    except ImportError:  # pragma: no cover - django-tasks-rq is a dependency
        return False
    return isinstance(backend, RQBackend)


def _check_redis_queue(queue_name: str) -> None:
    import redis
    from django_rq.connection_utils import get_redis_connection

    config = settings.RQ_QUEUES[queue_name]
    client = get_redis_connection(config)
    # Readiness must answer quickly even when Redis is unreachable, whatever the queue's own
    # (long, job-friendly) socket timeouts are.
    probe = redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=client.connection_pool.connection_class,
            **{
                **client.connection_pool.connection_kwargs,
                "socket_connect_timeout": REDIS_PROBE_TIMEOUT,
                "socket_timeout": REDIS_PROBE_TIMEOUT,
            },
        )
    )
    try:
        if probe.ping() is not True:
            raise TaskQueueUnavailable(f"Redis for queue {queue_name!r} did not answer PING")
    finally:
        probe.close()
        probe.connection_pool.disconnect()
        client.close()
