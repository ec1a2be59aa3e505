"""A person's live notices: ``/ws/notifications/``.

Each process keeps one channel in the channel layer's ``notices`` group. A fan-out batch is
one group message carrying every notice of the batch (``bus.notifications_push``); each process
receives it once and writes each notice to its own sockets of that person. A socket is
never a member of the group itself, so a batch for 500 people costs each process one message,
not one per socket.

Frames (server to client): ``{"type": "notices.hello", "unread": n}`` on connect, then
``{"type": "notice", "id", "kind", "title", "link"}`` for each new notice. The client sends
nothing but pings (``{"type": "ping"}`` answered by ``{"type": "pong"}``). Close codes: 4401
not signed in, 4403 signed out or deactivated since.
"""

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from lms.accounts.models import User
from lms.notifications import selectors
from realtime import auth, bus
from realtime.threads import db

log = logging.getLogger(__name__)
REJOIN_SECONDS = 3600.0  # well inside the channel layer's group expiry (a day)


class NoticeHub:
    """This process's one listener on the ``notices`` group, and its sockets by person."""

    def __init__(self) -> None:
        self.sockets: dict[int, set[NoticeConsumer]] = defaultdict(set)
        self.task: asyncio.Task[None] | None = None

    def add(self, socket: "NoticeConsumer") -> None:
        self.sockets[socket.user_id].add(socket)
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._listen())

    def discard(self, socket: "NoticeConsumer") -> None:
        mine = self.sockets.get(socket.user_id)
        if mine is not None:
            mine.discard(socket)
            if not mine:
                del self.sockets[socket.user_id]

    async def _listen(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        # The layer's own kind of name: channels-redis reads every such channel of a process
        # through one shared wait; a name of another prefix would never be read.
        channel = await layer.new_channel()
        loop = asyncio.get_running_loop()
        joined_at: float | None = None
        try:
            while True:
                if joined_at is None or loop.time() - joined_at > REJOIN_SECONDS:
                    await layer.group_add(bus.NOTICES_GROUP, channel)
                    joined_at = loop.time()
                try:
                    message = await asyncio.wait_for(layer.receive(channel), REJOIN_SECONDS)
                except TimeoutError:
                    continue
                await self.deliver(message.get("items", []))
        except asyncio.CancelledError:
            # The process is stopping. Nothing is awaited here (a shutting-down loop may never
            # finish it); the group forgets the channel when its membership expires.
            raise
        except Exception:
            log.exception("the notice listener stopped; the next socket starts it again")

    async def deliver(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            sockets = self.sockets.get(item.get("user", 0))
            if not sockets:
                continue
            frame = json.dumps(
                {"type": "notice", **{key: item[key] for key in ("id", "kind", "title", "link")}}
            )
            for socket in list(sockets):
                with contextlib.suppress(Exception):  # a socket closing meanwhile
                    await socket.send(text_data=frame)


_hub: NoticeHub | None = None


def hub() -> NoticeHub:
    global _hub  # one per process
    if _hub is None:
        _hub = NoticeHub()
    return _hub


class NoticeConsumer(AsyncWebsocketConsumer):
    user_id: int

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.accept()  # so that the page learns why (a refused handshake says nothing)
            await self.close(code=4401)
            return
        self.user_id = user.pk
        await self.accept()
        await self.channel_layer.group_add(bus.user_group(self.user_id), self.channel_name)
        hub().add(self)
        unread = await db(selectors.unread_count)(user=user)
        await self.send(text_data=json.dumps({"type": "notices.hello", "unread": unread}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with contextlib.suppress(ValueError, TypeError):
            message = json.loads(text_data or "")
            if isinstance(message, dict) and message.get("type") == "ping":
                await self.send(text_data=json.dumps({"type": "pong"}))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "user_id"):
            hub().discard(self)
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(
                    bus.user_group(self.user_id), self.channel_name
                )

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """Sent to every socket of a person (signed out, deactivated): may they stay?"""
        if not await db(self._still_allowed)():
            await self.close(code=4403)

    def _still_allowed(self) -> bool:
        if not auth.still_signed_in([(self.scope, self.user_id)])[0]:
            return False
        return User.objects.filter(pk=self.user_id, is_active=True).exists()
