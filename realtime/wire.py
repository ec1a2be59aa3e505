"""Redis pub/sub for the lesson feeds (``realtime.fanout``) on a plain asyncio protocol, its
replies read by hiredis (docs/decisions/0019).

A feed's events arrive in ``data_received`` and are passed on in that same callback, with no
task woken per message; a publication is written and not waited for (its reply, the count
of subscribers, is read and dropped). redis-py's asyncio pub/sub took a task's turn, a
timeout and its own parsing for each message, and a round trip for each publication: in a
small class that was about a third of the server's work per event.

Only what the feeds need: connect (TCP, TLS for ``rediss://``, or a Unix socket, as
``REDIS_URL`` says), sign in (``AUTH``), ``SUBSCRIBE``, ``UNSUBSCRIBE``, ``PUBLISH``. The
channel layer, Celery and every synchronous caller keep redis-py."""

import asyncio
import logging
import socket
import ssl
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import hiredis
from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url

log = logging.getLogger(__name__)

CONNECT_SECONDS = 10.0
PING_SECONDS = 5.0  # a connection that does not answer a PING this long is given up
MAX_BUFFERED = 4 * 1024 * 1024  # bytes written and not yet taken by Redis: given up beyond

# A message of a subscribed channel: (channel, data).
OnMessage = Callable[[bytes, bytes], None]
# A subscription confirmed: the channel.
OnSubscribed = Callable[[bytes], None]


class WireError(ConnectionError):
    """Redis refused the connection's sign-in or a command, or the connection is gone."""


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in parts
    )


class Wire(asyncio.Protocol):
    """One connection to Redis. ``lost`` is done once the connection is gone."""

    def __init__(
        self,
        on_message: OnMessage | None = None,
        on_subscribed: OnSubscribed | None = None,
    ) -> None:
        self._reader = hiredis.Reader()
        self._on_message = on_message
        self._on_subscribed = on_subscribed
        self._transport: asyncio.Transport | None = None
        # The replies to come, in order: a command's waiter, or None for a publication's.
        self._waiting: deque[asyncio.Future[Any] | None] = deque()
        self.subscribing = False  # after SUBSCRIBE, everything Redis sends is a push
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # --- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream's transport (uvloop's are not subclasses of asyncio's, only alike).
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            try:
                self._reply(reply)
            except Exception:  # a callback failed: the next message must still be read
                log.exception("lesson feeds: a message from Redis could not be passed on")

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        error = WireError(f"Redis closed the connection ({exc or 'end of stream'})")
        while self._waiting:
            waiter = self._waiting.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
        if not self.lost.done():
            self.lost.set_result(None)

    # --- replies -----------------------------------------------------------------------------
    def _reply(self, reply: Any) -> None:
        if self.subscribing and isinstance(reply, list) and len(reply) == 3:
            kind = reply[0]
            if kind == b"message":
                if self._on_message is not None:
                    self._on_message(reply[1], reply[2])
                return
            if kind == b"subscribe":
                if self._on_subscribed is not None:
                    self._on_subscribed(reply[1])
                return
            if kind == b"unsubscribe":
                return
        waiter = self._waiting.popleft() if self._waiting else None
        if waiter is None:  # a publication's (the subscribers it reached), or unasked
            if isinstance(reply, hiredis.ReplyError):
                log.warning("lesson feeds: Redis answered with an error: %s", reply)
        elif not waiter.done():
            if isinstance(reply, hiredis.ReplyError):
                waiter.set_exception(WireError(str(reply)))
            else:
                waiter.set_result(reply)

    # --- commands ----------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def _write(self, data: bytes) -> bool:
        if not self.connected:
            return False
        assert self._transport is not None  # noqa: S101
        self._transport.write(data)
        if self._transport.get_write_buffer_size() > MAX_BUFFERED:
            # Redis takes nothing (a connection dropped on the way without a word): give it
            # up, so that the hub connects again, rather than buffer without end.
            log.warning("lesson feeds: Redis is not reading; giving the connection up")
            self._transport.abort()
            return False
        return True

    async def ask(self, *parts: bytes) -> Any:
        """A command whose reply is waited for (before subscribing: ``AUTH``, ``PING``)."""
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if not self._write(_command(*parts)):
            raise WireError("not connected to Redis")
        self._waiting.append(waiter)
        return await waiter

    def publish(self, channel: bytes, message: bytes) -> bool:
        """Written, not waited for: whether it went out on a live connection."""
        if self._write(_command(b"PUBLISH", channel, message)):
            self._waiting.append(None)
            return True
        return False

    def subscribe(self, *channels: bytes) -> bool:
        """Confirmed through ``on_subscribed``, a channel at a time."""
        if not channels:
            return self.connected
        self.subscribing = True
        return self._write(_command(b"SUBSCRIBE", *channels))

    def unsubscribe(self, *channels: bytes) -> bool:
        return self._write(_command(b"UNSUBSCRIBE", *channels))

    async def alive(self) -> bool:
        """Whether Redis answers a PING within ``PING_SECONDS`` (in subscribe mode too); a
        connection that does not is closed."""
        try:
            await asyncio.wait_for(self.ask(b"PING"), PING_SECONDS)
        except (TimeoutError, WireError):
            self.close()
            return False
        return True

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def tls_context(options: dict[str, Any]) -> ssl.SSLContext:
    """The TLS of a ``rediss://`` URL's options, as redis-py reads them: ``ssl_cert_reqs``
    (none, optional, required), ``ssl_ca_certs``, ``ssl_check_hostname``, ``ssl_certfile``
    and ``ssl_keyfile``."""
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    requirement = options.get("ssl_cert_reqs", "required")
    if isinstance(requirement, str):
        requirement = {
            "none": ssl.CERT_NONE,
            "optional": ssl.CERT_OPTIONAL,
            "required": ssl.CERT_REQUIRED,
        }[requirement.lower()]
    check_hostname = options.get("ssl_check_hostname", True)
    if isinstance(check_hostname, str):
        check_hostname = check_hostname.lower() not in ("false", "0", "no", "n", "f")
    context.check_hostname = bool(check_hostname) and requirement != ssl.CERT_NONE
    context.verify_mode = requirement
    if options.get("ssl_certfile"):
        context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"))
    return context


async def wire_open(
    url: str,
    *,
    on_message: OnMessage | None = None,
    on_subscribed: OnSubscribed | None = None,
) -> Wire:
    """A connection to the Redis of ``url`` (as redis-py reads it), signed in."""
    options = parse_url(url)
    loop = asyncio.get_running_loop()

    def factory() -> Wire:
        return Wire(on_message, on_subscribed)

    connecting: Any
    if options.get("connection_class") is UnixDomainSocketConnection:
        connecting = loop.create_unix_connection(factory, options["path"])
    else:
        secure = options.get("connection_class") is SSLConnection
        connecting = loop.create_connection(
            factory,
            options.get("host", "localhost"),
            int(options.get("port", 6379)),
            ssl=tls_context(options) if secure else None,
        )
    _transport, wire = await asyncio.wait_for(connecting, timeout=CONNECT_SECONDS)
    try:
        password = options.get("password")
        if password:
            username = options.get("username")
            credentials = [username.encode()] if username else []
            await asyncio.wait_for(
                wire.ask(b"AUTH", *credentials, str(password).encode()), CONNECT_SECONDS
            )
    except BaseException:
        wire.close()
        raise
    return wire
