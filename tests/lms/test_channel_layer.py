"""The channel layer waits longer than channels-redis's 5 s for a process's messages, and
still shorter than its connections' read timeout."""

import asyncio
from typing import Any

import pytest
from django.utils.module_loading import import_string

from lms import channel_layer
from tests.asyncrun import run_async

pytestmark = pytest.mark.redis


def _layer() -> tuple[dict[str, Any], Any]:
    """The configured layer's settings, and a layer made from them as the servers make it."""
    from django.conf import settings

    configured = settings.CHANNEL_LAYERS["default"]
    return configured, import_string(configured["BACKEND"])(**configured["CONFIG"])


def test_the_layer_s_wait_is_shorter_than_its_read_timeout() -> None:
    configured, layer = _layer()
    assert layer.brpop_timeout == channel_layer.WAIT_SECONDS > 5
    (host,) = configured["CONFIG"]["hosts"]
    assert host["socket_timeout"] > channel_layer.WAIT_SECONDS


def test_a_message_arrives_during_a_wait() -> None:
    async def scenario() -> dict[str, Any]:
        _configured, layer = _layer()
        name = await layer.new_channel()
        try:
            waiting = asyncio.ensure_future(layer.receive(name))
            await asyncio.sleep(0.5)  # the wait has begun
            await layer.send(name, {"type": "access.recheck"})
            return await asyncio.wait_for(waiting, 5)
        finally:
            await layer.close_pools()

    assert run_async(scenario) == {"type": "access.recheck"}
