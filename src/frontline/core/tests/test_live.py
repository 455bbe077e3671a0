import os
import uuid
from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from frontline.config.routing import websocket_urlpatterns
from frontline.core.live import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHENTICATED,
    apublish,
    group_name,
    publish,
    register_live_group,
    unregister_live_group,
)

User = get_user_model()
application = URLRouter(websocket_urlpatterns)

# The consumer authorizes through database_sync_to_async, which closes "old" connections: a
# test transaction would be one of them, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def only_even_keys_for_alice(user, key: str) -> bool:
    return user.username == "alice" and int(key) % 2 == 0


@pytest.fixture(autouse=True)
def test_prefix():
    register_live_group("testing", only_even_keys_for_alice)
    yield "testing"
    unregister_live_group("testing")


@pytest.fixture
def alice():
    return User(pk=1, username="alice")  # unsaved: the consumer only reads it


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


async def connect(path: str, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected is True
    return communicator


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    assert await communicator.receive_output(timeout=1) == {"type": "websocket.close", "code": code}


def test_anonymous_user_is_closed_with_4401():
    async def scenario():
        communicator = await connect("/ws/live/testing-2/", AnonymousUser())
        await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)

    run(scenario)


@pytest.mark.parametrize("group", ["nothing-2", "testing-3", "testing", "testing-", "-2", "testing-2%20x"])
def test_unknown_prefix_refused_key_or_malformed_group_is_closed_with_4403(alice, group):
    async def scenario():
        communicator = await connect(f"/ws/live/{group}/", alice)
        await assert_closed_with(communicator, CLOSE_FORBIDDEN)

    run(scenario)


def test_authorize_failing_counts_as_refusal(alice):
    def broken(user, key):
        raise RuntimeError("bug")

    register_live_group("broken", broken)

    async def scenario():
        communicator = await connect("/ws/live/broken-2/", alice)
        await assert_closed_with(communicator, CLOSE_FORBIDDEN)

    try:
        run(scenario)
    finally:
        unregister_live_group("broken")


def _published_messages_reach_only_their_group(alice, key: str, other_key: str) -> None:
    async def scenario():
        # given alice listening to one group and to another
        listener = await connect(f"/ws/live/testing-{key}/", alice)
        other = await connect(f"/ws/live/testing-{other_key}/", alice)

        # when sync code publishes to the first group, then async code does
        await sync_to_async(publish)(group_name("testing", key), {"event": "stock.changed", "sku": "HP-1"})
        await apublish(group_name("testing", key), {"event": "second"})

        # then the first socket receives both payloads as JSON, in order; the other nothing
        assert await listener.receive_json_from(timeout=2) == {"event": "stock.changed", "sku": "HP-1"}
        assert await listener.receive_json_from(timeout=2) == {"event": "second"}
        assert await other.receive_nothing(timeout=0.3) is True

        # and a ping is answered, anything else ignored
        await listener.send_to(text_data="not json")
        await listener.send_json_to({"type": "hello"})
        await listener.send_json_to({"type": "ping"})
        assert await listener.receive_json_from(timeout=2) == {"type": "pong"}

        # and after disconnecting, publishing reaches nobody and fails nothing
        await listener.disconnect()
        await other.disconnect()
        await apublish(group_name("testing", key), {"event": "late"})

    run(scenario)


def test_published_messages_reach_only_their_group_in_memory(alice):
    _published_messages_reach_only_their_group(alice, "2", "4")


@pytest.mark.redis
def test_published_messages_reach_only_their_group_on_redis(alice):
    prefix = f"frontline-test-{uuid.uuid4().hex[:8]}"
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": prefix},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        assert type(channel_layers["default"]).__name__ == "RedisPubSubChannelLayer"
        _published_messages_reach_only_their_group(alice, "6", "8")


def test_group_name_checks_prefix_and_key():
    assert group_name("testing", 42) == "testing-42"
    assert group_name("testing", "a1.b-c_d") == "testing-a1.b-c_d"
    with pytest.raises(KeyError):
        group_name("unregistered", 1)
    with pytest.raises(ValueError):
        group_name("testing", "a b")


@pytest.mark.parametrize("prefix", ["Customer", "cust-omer", "", "1abc"])
def test_malformed_prefixes_cannot_be_registered(prefix):
    with pytest.raises(ValueError):
        register_live_group(prefix, only_even_keys_for_alice)


def test_a_prefix_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="already registered"):
        register_live_group("testing", lambda user, key: True)
