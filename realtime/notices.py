"""A person's live notices: ``/ws/notifications/``.

Each process keeps one channel in the channel layer's ``notices`` group. A fan-out batch is
one group message carrying every notice of the batch (``bus.notifications_push``); each process
receives it once and writes each notice to its own sockets of that person. A socket is
never a member of the group itself, so a batch for 500 people costs each process one message,
not one per socket.

Frames (server to client): ``{"type": "notices.hello", "unread": n}`` on connect, then
``{"type": "notice", "id", "kind", "title", "link"}`` for each new notice, its title in the
page's language (``/ws/notifications/?lang=ru``; without one, the person's own language, as in
their e-mail) and the person's time zone. The client sends nothing but pings
(``{"type": "ping"}`` answered by ``{"type": "pong"}``). Close codes: 4401 not signed in, 4403
signed out or deactivated since.
"""

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from lms.accounts.models import LANGUAGE_CODES, User
from lms.notifications import selectors
from realtime import auth, bus
from realtime.threads import db

log = logging.getLogger(__name__)
REJOIN_SECONDS = 3600.0  # well inside the channel layer's group expiry (a day)
STOP_ATTEMPTS = 100


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
        receiving: asyncio.Task[dict[str, Any]] | None = None
        try:
            while True:
                if joined_at is None or loop.time() - joined_at > REJOIN_SECONDS:
                    await layer.group_add(bus.NOTICES_GROUP, channel)
                    joined_at = loop.time()
                if receiving is None:
                    receiving = loop.create_task(layer.receive(channel))
                # The same receive goes on across a rejoin: nothing is cancelled but at the end.
                done, _pending = await asyncio.wait({receiving}, timeout=REJOIN_SECONDS)
                if not done:
                    continue
                message, receiving = receiving.result(), None
                try:
                    await self.deliver(message)
                except Exception:
                    log.exception("a batch of live notices could not be written")
        except asyncio.CancelledError:
            # The process is stopping. Nothing is sent (the group forgets the channel when its
            # membership expires); the receive is stopped, however often that takes.
            if receiving is not None:
                await _stop(receiving)
            raise
        except Exception:
            log.exception("the notice listener stopped; the next socket starts it again")

    async def deliver(self, batch: dict[str, Any]) -> None:
        """Write each notice of ``batch`` to its person's sockets, the title in each page's
        language and the person's time zone (written once per language and zone)."""
        kind, params = batch.get("kind", ""), batch.get("params") or {}
        titles: dict[tuple[str, str], str] = {}
        for item in batch.get("items", []):
            sockets = self.sockets.get(item.get("user", 0))
            for socket in list(sockets or ()):
                key = (socket.language or item.get("language", ""), socket.zone)
                if key not in titles:
                    titles[key] = selectors.notice_title(kind, params, *key)
                frame = {"type": "notice", "id": item.get("id"), "kind": kind}
                frame |= {"title": titles[key], "link": params.get("link", "")}
                with contextlib.suppress(Exception):  # a socket closing meanwhile
                    await socket.send(text_data=json.dumps(frame))


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` until it ends. redis-py can swallow a cancellation that lands while a
    blocking read (the layer's BZPOPMIN) is being retried, and read again (redis-py issue
    2028); one cancel then leaves the task, and a loop waiting for it, running for ever."""
    for _attempt in range(STOP_ATTEMPTS):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    else:
        log.warning("a channel-layer receive did not stop after %d cancellations", STOP_ATTEMPTS)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so that asyncio does not report it as never retrieved


_hub: NoticeHub | None = None


def hub() -> NoticeHub:
    global _hub  # one per process
    if _hub is None:
        _hub = NoticeHub()
    return _hub


class NoticeConsumer(AsyncWebsocketConsumer):
    user_id: int
    language = ""  # the page's (``?lang=``), else each notice is in the person's own
    zone = "UTC"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.accept()  # so that the page learns why (a refused handshake says nothing)
            await self.close(code=4401)
            return
        self.user_id = user.pk
        self.language = _page_language(self.scope)
        self.zone = user.time_zone or settings.TIME_ZONE
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


def _page_language(scope: dict[str, Any]) -> str:
    """The language the page is written in, from ``?lang=``: one of the interface's, else ""."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    language = (query.get("lang") or [""])[0]
    return language if language in LANGUAGE_CODES else ""
