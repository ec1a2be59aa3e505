"""Our design with nothing of ours, for ``bench/live_broadcast.py``: a plain ASGI application on
uvicorn whose processes share Redis pub/sub as ours do (``realtime.wire``: one subscription
per process, a text a socket sends published once, each process writing what it hears to
each of its sockets in the callback that read it), and nothing else: no Channels, no Django,
nobody signed in, nothing checked, stored or numbered.

What ours spends above it is the price of signing in, checking, storing and numbering each
event; what it spends above the raw server is the price of uvicorn, ASGI, a second process
and Redis.

    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python -m lms.serve \\
        bench.bare_asgi:application --port 8001 --lifespan off
"""

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

from realtime import wire

CHANNEL = os.environ.get("RELAY_GROUP", "bench.bare").encode()
WELCOME = '{"type":"welcome"}'

_sends: set[Any] = set()
_wires: dict[str, wire.Wire] = {}
_opening: "asyncio.Lock | None" = None


def _heard(channel: bytes, data: bytes) -> None:
    text = data.decode()
    for send in tuple(_sends):
        _write(send({"type": "websocket.send", "text": text}))


def _write(sending: Coroutine[Any, Any, None]) -> None:
    """The write's first step here; if it has to wait for the socket, a task finishes it."""
    try:
        waiting = sending.send(None)
    except StopIteration:
        return
    except Exception:  # the socket is gone: its own receive loop takes it out
        return
    asyncio.get_running_loop().create_task(_finish(sending, waiting))


async def _finish(sending: Coroutine[Any, Any, None], waiting: Any) -> None:
    try:
        while True:
            if asyncio.isfuture(waiting):
                await asyncio.wait((waiting,))
            else:
                await asyncio.sleep(0)
            waiting = sending.send(None)
    except StopIteration:
        return
    except Exception:  # noqa: S110 - the socket is gone
        pass
    finally:
        sending.close()


async def _connected() -> wire.Wire:
    global _opening
    if _opening is None:
        _opening = asyncio.Lock()
    async with _opening:
        if not _wires:
            url = os.environ["REDIS_URL"]
            confirmed = asyncio.get_running_loop().create_future()
            listening = await wire.wire_open(
                url, on_message=_heard, on_subscribed=lambda _c: confirmed.set_result(None)
            )
            listening.subscribe(CHANNEL)
            await confirmed
            _wires["listening"] = listening
            _wires["publishing"] = await wire.wire_open(url)
    return _wires["publishing"]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    publishing = await _connected()
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": WELCOME})
    _sends.add(send)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                publishing.publish(CHANNEL, message["text"].encode())
    finally:
        _sends.discard(send)
