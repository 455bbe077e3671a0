"""Presence on a case page (``ws/cases/<reference>/presence/``) and live updates of a case
(``ws/live/case-<id>/``): who may connect, two agents seeing each other and each other's typing,
viewers leaving and expiring; on the in-memory layer with local-memory cache, and on Redis."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from frontline.accounts.choices import Role
from frontline.cases import consumers, services
from frontline.config.routing import websocket_urlpatterns
from frontline.core.live import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED

from .factories import UserFactory, make_case

# The consumers authorize through database_sync_to_async, which closes "old" connections: a test
# transaction would be one of them, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

application = URLRouter(websocket_urlpatterns)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


async def connect(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected is True
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> Any:
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close"
    return output["code"]


async def next_presence(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    message = await communicator.receive_json_from(timeout=2)
    assert message["type"] == "presence"
    return message["viewers"]


async def presence_until(
    communicator: WebsocketCommunicator, wanted: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The first presence list that satisfies ``wanted`` (earlier broadcasts may arrive first)."""
    for _attempt in range(10):
        viewers = await next_presence(communicator)
        if wanted(viewers):
            return viewers
    raise AssertionError("the expected presence list never arrived")


def names(viewers: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return [(v["name"], v["typing"]) for v in viewers]


@pytest.fixture
def sara():
    return UserFactory(username="sara", role=Role.AGENT, first_name="Sara")


@pytest.fixture
def omar():
    return UserFactory(username="omar", role=Role.TECH, first_name="Omar")


@pytest.fixture
def case():
    case = make_case(subject="Cannot log in")
    # References repeat from one test database to the next; a shared cache (Redis) may still
    # hold a previous run's viewers of this reference for a few seconds.
    cache.delete(consumers._index_key(case.reference))
    return case


@contextmanager
def on_redis() -> Iterator[None]:
    prefix = f"frontline-test-{uuid.uuid4().hex[:8]}"
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": prefix},
        }
    }
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CHANNEL_LAYERS=layers, CACHES=caches):
        yield


# --- who may connect ------------------------------------------------------------------------


def test_anonymous_is_closed_with_4401(case):
    async def scenario():
        socket = await connect(f"/ws/cases/{case.reference}/presence/", AnonymousUser())
        assert await closed_with(socket) == CLOSE_UNAUTHENTICATED

    run(scenario)


def test_a_portal_customer_is_closed_with_4403_on_presence_and_live_updates(case):
    customer = UserFactory(username="justine", role=Role.CUSTOMER)

    async def scenario():
        presence = await connect(f"/ws/cases/{case.reference}/presence/", customer)
        assert await closed_with(presence) == CLOSE_FORBIDDEN
        updates = await connect(f"/ws/live/case-{case.pk}/", customer)
        assert await closed_with(updates) == CLOSE_FORBIDDEN

    run(scenario)


@pytest.mark.parametrize("reference", ["99999999", "abc", "1" * 25])
def test_an_unknown_or_malformed_case_is_closed_with_4403(sara, case, reference):
    async def scenario():
        socket = await connect(f"/ws/cases/{reference}/presence/", sara)
        assert await closed_with(socket) == CLOSE_FORBIDDEN

    run(scenario)


# --- two agents on one case -----------------------------------------------------------------


def _two_agents_see_each_other(sara, omar, case) -> None:
    path = f"/ws/cases/{case.reference}/presence/"

    async def scenario():
        # given Sara on the case page
        first = await connect(path, sara)
        assert names(await next_presence(first)) == [("Sara", False)]

        # when Omar opens it, both get the list with both of them
        second = await connect(path, omar)
        both = [("Omar", False), ("Sara", False)]
        assert names(await next_presence(second)) == both
        assert names(await next_presence(first)) == both

        # when Omar types, Sara sees it; a burst of typing is broadcast once
        await second.send_json_to({"type": "typing"})
        await second.send_json_to({"type": "typing"})
        assert names(await next_presence(first)) == [("Omar", True), ("Sara", False)]
        assert await first.receive_nothing(timeout=0.3) is True
        await next_presence(second)

        # after sending, Omar is idle again; the heartbeat keeps him listed
        await second.send_json_to({"type": "idle"})
        assert names(await next_presence(first)) == both
        await next_presence(second)
        await second.send_json_to({"type": "viewing"})
        assert names(await next_presence(first)) == both
        await next_presence(second)

        # anything else is ignored; ping is answered
        await second.send_to(text_data="not json")
        await second.send_json_to({"type": "shout"})
        await second.send_json_to({"type": "ping"})
        assert await second.receive_json_from(timeout=2) == {"type": "pong"}

        # when Omar leaves, Sara is alone again
        await second.disconnect()
        assert names(await next_presence(first)) == [("Sara", False)]
        await first.disconnect()
        assert await sync_to_async(consumers.presence_viewers)(reference=case.reference) == []

    run(scenario)


def test_two_agents_see_each_other_in_memory(sara, omar, case):
    _two_agents_see_each_other(sara, omar, case)


@pytest.mark.redis
def test_two_agents_see_each_other_on_redis(sara, omar, case):
    with on_redis():
        _two_agents_see_each_other(sara, omar, case)


def test_two_tabs_of_one_user_are_listed_once(sara, omar, case):
    path = f"/ws/cases/{case.reference}/presence/"

    async def scenario():
        watcher = await connect(path, omar)
        await next_presence(watcher)
        tab1 = await connect(path, sara)
        tab2 = await connect(path, sara)
        viewers = await presence_until(watcher, lambda v: len(v) == 2)
        assert names(viewers) == [("Omar", False), ("Sara", False)]
        await tab1.disconnect()
        assert names(await presence_until(watcher, lambda v: True)) == [("Omar", False), ("Sara", False)]
        await tab2.disconnect()
        assert names(await presence_until(watcher, lambda v: len(v) == 1)) == [("Omar", False)]
        await watcher.disconnect()

    run(scenario)


def _stale_viewers_expire(monkeypatch, case) -> None:
    # given a page that stopped sending heartbeats (its browser vanished without closing)
    monkeypatch.setattr(consumers, "VIEWER_TTL", 1)
    consumers.presence_touch(
        reference=case.reference, connection="gone", user_id=1, name="Ghost", typing=True
    )
    consumers.presence_touch(
        reference=case.reference, connection="here", user_id=2, name="Sara", typing=False
    )
    assert [v["name"] for v in consumers.presence_viewers(reference=case.reference)] == ["Ghost", "Sara"]

    # when its entry expires, it is no longer listed; a typing flag expires on its own too
    time.sleep(1.2)
    monkeypatch.setattr(consumers, "VIEWER_TTL", 45)
    consumers.presence_touch(reference=case.reference, connection="here", user_id=2, name="Sara", typing=None)
    assert consumers.presence_viewers(reference=case.reference) == [
        {"id": 2, "name": "Sara", "typing": False}
    ]
    assert consumers.presence_viewers(reference=case.reference, now=time.time() + 3600) == [
        {"id": 2, "name": "Sara", "typing": False}
    ]
    consumers.presence_touch(reference=case.reference, connection="here", user_id=2, name="Sara", typing=True)
    assert consumers.presence_viewers(reference=case.reference)[0]["typing"] is True
    later = time.time() + consumers.TYPING_SECONDS + 1
    assert consumers.presence_viewers(reference=case.reference, now=later)[0]["typing"] is False


def test_stale_viewers_disappear_with_local_memory(monkeypatch, case):
    _stale_viewers_expire(monkeypatch, case)


@pytest.mark.redis
def test_stale_viewers_disappear_on_redis(monkeypatch, case):
    with on_redis():
        _stale_viewers_expire(monkeypatch, case)


# --- live updates of the case page ----------------------------------------------------------


def _case_events_reach_open_pages(sara, omar, case) -> None:
    async def scenario():
        listener = await connect(f"/ws/live/case-{case.pk}/", sara)

        def reply() -> None:
            with transaction.atomic():
                services.message_reply(case_id=case.pk, by=omar, body="On it.", status="waiting-on-customer")

        await sync_to_async(reply)()

        received = [await listener.receive_json_from(timeout=2), await listener.receive_json_from(timeout=2)]
        assert sorted(m["type"] for m in received) == ["message", "status"]
        assert {m["case_id"] for m in received} == {case.pk}
        await listener.disconnect()

    run(scenario)


def test_case_events_reach_open_case_pages_in_memory(sara, omar, case):
    _case_events_reach_open_pages(sara, omar, case)


@pytest.mark.redis
def test_case_events_reach_open_case_pages_on_redis(sara, omar, case):
    with on_redis():
        _case_events_reach_open_pages(sara, omar, case)
