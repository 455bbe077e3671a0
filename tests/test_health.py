"""Liveness and readiness probes, and the request id every response carries."""

import re
import socket

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_is_ok_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_when_every_component_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["down"]) == ("ok", [])
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "task_queue": "ok",
    }


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}})
def test_readyz_checks_the_database_task_queue(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["task_queue"]["status"] == "ok"


def test_readyz_is_503_naming_the_cache_when_it_is_down(client):
    # given a cache pointing at a port nothing listens on
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
        }
    }
    with override_settings(CACHES=caches):
        response = client.get("/readyz")

    # then readiness fails and names the cache, and only the cache
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["down"]) == ("down", ["cache"])
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["cache"]["error"].startswith("ConnectionError: ")
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["task_queue"]["status"] == "ok"


def test_readyz_is_503_naming_the_task_queue_when_it_is_down(client):
    # given the RQ task backend pointing at a port nothing listens on
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queues = {"default": {"URL": f"redis://127.0.0.1:{unused_port()}/0"}}
    with override_settings(TASKS=tasks, RQ_QUEUES=queues):
        response = client.get("/readyz")

    # then readiness fails and names the task queue
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["down"]) == ("down", ["task_queue"])
    assert body["checks"]["task_queue"]["error"].startswith("ConnectionError: ")
    assert body["checks"]["cache"]["status"] == "ok"


def test_probes_answer_get_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_a_well_formed_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c2e.01"})

    assert response["X-Request-ID"] == "lb-7f3a9c2e.01"


@pytest.mark.parametrize(
    "incoming", [None, "short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"]
)
def test_a_missing_or_malformed_request_id_is_replaced(client, incoming):
    headers = {"X-Request-ID": incoming} if incoming is not None else {}

    response = client.get("/healthz", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response["X-Request-ID"] != incoming


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert first != second
