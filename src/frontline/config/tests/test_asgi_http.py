"""The ASGI entry point serves HTTP through Django's sync middleware chain in one hop per request:
whole responses, streamed files, the request signals once each, and the middleware's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core import signals

from frontline.config.asgi import application
from frontline.config.asgi_http import SyncChainASGIHandler

# Requests run on the handler's pool of reused threads, as in production. A pool thread that
# served a request of an earlier test (the browser tests) still holds that thread's database
# connection, and ``request_started`` checks it: these tests need database access too.
pytestmark = pytest.mark.django_db

STATIC_FILE = Path(__file__).resolve().parents[2] / "core" / "static" / "frontline" / "frontline.js"


def headers_of(response: dict) -> dict[str, str]:
    return {name.decode().lower(): value.decode() for name, value in response["headers"]}


def fetch(method: str, path: str, body: bytes = b"", headers: list | None = None) -> dict:
    communicator = HttpCommunicator(
        application, method, path, body=body, headers=[(b"host", b"127.0.0.1"), *(headers or [])]
    )
    return async_to_sync(communicator.get_response)(timeout=10)


def test_the_http_side_is_the_one_hop_handler():
    assert isinstance(application.application_mapping["http"], SyncChainASGIHandler)


def test_a_whole_response_carries_its_status_headers_and_body():
    response = fetch("GET", "/healthz")

    assert response["status"] == 200
    assert response["body"] == b'{"status": "ok"}'
    headers = headers_of(response)
    assert headers["content-type"] == "application/json"
    assert "x-request-id" in headers  # set by our middleware: the chain ran
    assert "no-cache" in headers["cache-control"]


def test_a_file_is_streamed_whole():
    response = fetch("GET", "/static/frontline/frontline.js")

    assert response["status"] == 200
    assert response["body"] == STATIC_FILE.read_bytes()


def test_request_started_and_finished_are_sent_once_per_request():
    seen: list[str] = []

    def started(**kwargs):
        seen.append("started")

    def finished(**kwargs):
        seen.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        fetch("GET", "/healthz")
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    assert seen == ["started", "finished"]


def test_the_middleware_still_refuses_a_post_without_csrf_token():
    response = fetch(
        "POST",
        "/accounts/logout/",
        body=b"x=1",
        headers=[(b"content-type", b"application/x-www-form-urlencoded")],
    )

    assert response["status"] == 403
