"""``realtime.wire``: the lesson feeds' Redis connections, on the default event loop and on
uvloop (the servers' loop), against the real Redis of ``REDIS_URL``; and the feeds passing
events on in order whatever order their publications arrive in."""

import asyncio
import ssl
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import uvloop
from django.conf import settings
from redis.connection import parse_url

from realtime import bus, wire
from tests.realtime.conftest import Live, joined, run, start

pytestmark = pytest.mark.redis

LOOPS = ["asyncio", "uvloop"]


def on_loop(kind: str, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """In a thread of its own, as ``tests.asyncrun`` runs a loop."""
    if kind == "uvloop":
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(uvloop.run, asyncio.wait_for(make(), 10)).result()
    else:
        run(lambda: asyncio.wait_for(make(), 10))


class Heard:
    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bytes]] = []
        self.subscribed: list[bytes] = []
        self.changed = asyncio.Event()

    def message(self, channel: bytes, data: bytes) -> None:
        self.messages.append((channel, data))
        self.changed.set()

    def confirmed(self, channel: bytes) -> None:
        self.subscribed.append(channel)
        self.changed.set()

    async def until(self, done: Callable[[], bool]) -> None:
        while not done():
            self.changed.clear()
            await self.changed.wait()


@pytest.mark.parametrize("loop", LOOPS)
def test_what_is_published_is_heard_in_order(loop: str) -> None:
    channel = f"test.wire.{uuid.uuid4().hex}".encode()

    async def scenario() -> None:
        heard = Heard()
        listening = await wire.wire_open(
            settings.REDIS_URL, on_message=heard.message, on_subscribed=heard.confirmed
        )
        publishing = await wire.wire_open(settings.REDIS_URL)
        assert listening.subscribe(channel)
        await heard.until(lambda: heard.subscribed == [channel])
        sent = [f'{n}\na\n{{"n":{n},"text":"Сәлем"}}'.encode() for n in range(1, 51)]
        for data in sent:
            assert publishing.publish(channel, data)
        # Asked while the publications' replies may still be on their way: its own, in turn.
        assert await publishing.ask(b"ECHO", b"after them") == b"after them"
        await heard.until(lambda: len(heard.messages) == len(sent))
        assert heard.messages == [(channel, data) for data in sent]
        assert listening.unsubscribe(channel)
        listening.close()
        publishing.close()
        await listening.lost

    on_loop(loop, scenario)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_the_server_drops_is_lost_and_publishes_nothing(loop: str) -> None:
    async def scenario() -> None:
        publishing = await wire.wire_open(settings.REDIS_URL)
        number = await publishing.ask(b"CLIENT", b"ID")
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            assert client.client_kill_filter(_id=str(number)) == 1
        finally:
            client.close()
        await publishing.lost
        assert not publishing.publish(b"test.wire.nobody", b"lost")
        with pytest.raises(wire.WireError):
            await publishing.ask(b"PING")

    on_loop(loop, scenario)


def test_a_refused_sign_in_is_an_error() -> None:
    """A password Redis does not take fails the connection (here: a server without one)."""
    parts = urlsplit(settings.REDIS_URL)
    host = parts.netloc.rsplit("@", 1)[-1]
    wrong = urlunsplit(parts._replace(netloc=f"nobody:not-the-password@{host}"))

    async def scenario() -> None:
        with pytest.raises(wire.WireError):
            await wire.wire_open(wrong)

    run(scenario)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_published_out_of_order_reach_a_socket_in_order(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes may publish a lesson's events in either order: a feed that hears a later
    number first reads the ones before it from the log, and passes on each event once."""
    start(live)
    held: list[tuple[int, str]] = []

    async def scenario() -> None:
        pupil, snapshot = await joined(live.lesson, live.student)
        teacher, _s = await joined(live.lesson, live.teacher)
        first = snapshot["seq"]
        monkeypatch.setattr(
            bus, "publish", lambda lesson_id, message: held.append((lesson_id, message))
        )
        for n in range(3):
            await teacher.reply(await teacher.send("chat.send", text=f"Message {n}"))
        monkeypatch.undo()
        assert len(held) == 3
        for lesson_id, message in reversed(held):
            bus.publish(lesson_id, message)
        await pupil.event("chat.posted", seq=first + 3)
        assert pupil.seqs() == [first + 1, first + 2, first + 3]
        assert [frame["data"]["text"] for frame in pupil.lesson_events()] == [
            "Message 0",
            "Message 1",
            "Message 2",
        ]
        await pupil.close()
        await teacher.close()

    run(scenario)


async def silent_redis() -> tuple[asyncio.Server, str]:
    """A server that takes a connection and never reads nor answers (a connection dropped on
    the way, say by a NAT's idle timeout, looks the same from here)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0, limit=1024)
    port = server.sockets[0].getsockname()[1]
    return server, f"redis://127.0.0.1:{port}/0"


def test_a_connection_that_does_not_answer_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "PING_SECONDS", 0.2)

    async def scenario() -> None:
        server, url = await silent_redis()
        try:
            listening = await wire.wire_open(url)
            assert not await listening.alive()
            await listening.lost
        finally:
            server.close()

    run(scenario)


def test_publications_redis_does_not_take_are_not_buffered_without_end() -> None:
    async def scenario() -> None:
        server, url = await silent_redis()
        try:
            publishing = await wire.wire_open(url)
            message = b"x" * 1024
            written = 0
            while publishing.publish(b"test.wire.silent", message):
                written += 1
                assert written < 100_000, "still buffering"
            await publishing.lost
            assert written * len(message) >= wire.MAX_BUFFERED
        finally:
            server.close()

    run(scenario)


def test_a_tls_url_s_options_are_those_of_the_connection() -> None:
    strict = wire.tls_context(parse_url("rediss://redis.example:6380/0"))
    assert (strict.verify_mode, strict.check_hostname) == (ssl.CERT_REQUIRED, True)
    lax = wire.tls_context(parse_url("rediss://redis.example:6380/0?ssl_cert_reqs=none"))
    assert (lax.verify_mode, lax.check_hostname) == (ssl.CERT_NONE, False)
    named = wire.tls_context(
        parse_url("rediss://redis.example:6380/0?ssl_cert_reqs=required&ssl_check_hostname=false")
    )
    assert (named.verify_mode, named.check_hostname) == (ssl.CERT_REQUIRED, False)
