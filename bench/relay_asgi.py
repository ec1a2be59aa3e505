"""The channel-layer baseline for ``bench/live_broadcast.py``: a bare Channels consumer that
joins one group and relays every group message to its socket, served like Mektep
(``uvicorn bench.relay_asgi:application``, one process per port, channels-redis with the
settings of ``lms.settings``, so the same connection pool).

    RELAY_GROUP=lesson.1 DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python -m uvicorn bench.relay_asgi:application --port 8001 --lifespan off

A text a socket sends goes to the group with ``group_send``; each consumer of the group gets
it from its own channel and writes it to its socket. No sign-in, no database, no log: only the
relay. A new socket gets one small frame after joining the group, so that the benchmark can
time a join."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402 - after setup
from channels.routing import ProtocolTypeRouter  # noqa: E402

GROUP = os.environ.get("RELAY_GROUP", "bench.relay")
WELCOME = '{"type":"welcome"}'


class Relay(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.send(text_data=WELCOME)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.channel_layer.group_send(GROUP, {"type": "relay", "text": text_data})

    async def relay(self, event: dict[str, str]) -> None:
        await self.send(text_data=event["text"])

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)


application = ProtocolTypeRouter({"websocket": Relay.as_asgi()})
