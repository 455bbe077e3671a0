import os
import socket

import pytest
from django.db import connection
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from frontline.core.taskqueue import task_queue_check

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_immediate_backend_has_nothing_to_check(django_assert_num_queries):
    # the test settings run tasks inline
    task_queue_check()


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS)
def test_database_backend_is_checked_with_one_query(django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        task_queue_check()
    assert "django_tasks_database_dbtaskresult" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS)
def test_database_backend_without_its_table_fails():
    # given the task table is missing (DDL is transactional on both databases' test runs)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_tasks_database_dbtaskresult")

    # then the check raises
    with pytest.raises(Exception, match="django_tasks_database_dbtaskresult"):
        task_queue_check()


def test_rq_backend_with_redis_down_fails():
    with override_settings(
        TASKS=RQ_TASKS, RQ_QUEUES={"default": {"URL": f"redis://127.0.0.1:{unused_port()}/0"}}
    ):
        with pytest.raises(RedisConnectionError):
            task_queue_check()


@pytest.mark.redis
def test_rq_backend_with_redis_up_passes():
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES={"default": {"URL": os.environ["REDIS_URL"]}}):
        task_queue_check()
