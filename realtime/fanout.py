"""Fan-out of live lesson events inside one ASGI process (docs/decisions/0012).

A process subscribes once per live lesson it holds sockets of (Redis pub/sub, or this
process's own hub in the embedded default). Each event arrives once, already encoded by its
publisher, and the same text is written to each local socket whose person may see it, in
the same turn of the loop, as a plain broadcast server does. The channel layer is not on this
path: it carries control messages only (``realtime.bus``).

Order and completeness: events of a lesson commit in the order of their numbers, but two
processes may publish them in either order, and a publication can be lost (Redis restarted).
A feed delivers event ``n`` only after ``n - 1``: on a gap it reads the missing events from the
log, which holds them already (an event is published after its commit, and every smaller number
committed before it). Every few seconds each process also compares its quiet feeds with the
log's last numbers, so a lost last event arrives too. (A feed that passed an event on since
the last comparison is not compared: an event lost before that one was read from the log as
a gap. Its lost last event waits for the next comparison, when the feed has gone quiet.)

A socket whose buffer is full gets its frames queued and written by a task of its own, so a
slow phone never holds up the others; one that cannot keep up (its queue grows past
``MAX_QUEUED``) is closed, and its client reconnects and resumes from its last number.

Numbers given again: a database that loses its last commits (a failover to a standby that had
not received them, a restore) gives their numbers to new events. A feed keeps the ``at`` of
its last ``RECENT`` events (read from the log when it opens, then of each event it passes
on); when a publication or the log shows one of those numbers for another event (a different
``at``), or the log ends before the feed's last number, the feed closes its sockets with
``CLOSE_RENUMBERED`` and starts again from the log. Their clients come back with their last
number and its ``at``, which no longer match the log, and get a snapshot
(``realtime.consumers``)."""

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from functools import cache
from typing import Any

import redis
from django.conf import settings

from realtime import bus, statements, wire
from realtime.models import LessonEvent, LessonStream
from realtime.threads import db

log = logging.getLogger(__name__)

MAX_QUEUED = 500  # frames waiting for one socket before it is cut off to resume
POLL_SECONDS = 2.0  # how often each process compares its feeds with the log
IDLE_SECONDS = 30.0  # a feed without sockets keeps its subscription this long
REDIS_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)
KEEPALIVE_SECONDS = 15.0  # how often a quiet process checks its Redis connections answer
RECENT = 256  # a feed's last events whose times it keeps, to tell them from others
CLOSE_BEHIND = 4408  # a socket's queue grew past MAX_QUEUED: come back and resume
CLOSE_RENUMBERED = 4409  # the log gave numbers this socket has to other events: come back

# Told a lesson's id when its feed starts again: what was read of the lesson while the feed was
# ahead of the log is dropped (``realtime.consumers`` adds the shared snapshot reads').
restarted: list[Callable[[int], None]] = []


@cache
def redis_client() -> redis.Redis:
    """The process's client for publishing from synchronous code (thread-safe pool)."""
    return redis.Redis.from_url(settings.REDIS_URL, health_check_interval=30)


# --- database reads, off the event loop ------------------------------------------------------
def _frames_after(lesson_id: int, after: int, upto: int | None) -> list[tuple[int, str, str]]:
    events = LessonEvent.objects.filter(lesson_id=lesson_id, seq__gt=after)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    return bus.event_frames(events.order_by("seq"))


def _stamps(lesson_id: int, upto: int) -> dict[int, str]:
    """The ``at`` of the lesson's last ``RECENT`` events up to ``upto``, by number."""
    rows = LessonEvent.objects.filter(
        lesson_id=lesson_id, seq__gt=upto - RECENT, seq__lte=upto
    ).values_list("seq", "at")
    return {seq: at.isoformat() for seq, at in rows}


stamps = db(_stamps)


def _last_seqs(lesson_ids: list[int]) -> dict[int, int]:
    rows = LessonStream.objects.filter(lesson_id__in=lesson_ids).values_list(
        "lesson_id", "last_seq"
    )
    return dict(rows)


frames_after = db(_frames_after)
_last_seqs_on_thread = db(_last_seqs)


async def last_seqs(lesson_ids: list[int]) -> dict[int, int]:
    """The log's last numbers of these lessons. Every process asks every 2 seconds, so on
    PostgreSQL the loop asks on its own connection (``realtime.statements``): through a
    thread, the question cost each idle process about 0.7 ms of CPU a second."""
    if statements.available():
        try:
            rows = await statements.loop_connection().fetch(
                "SELECT lesson_id, last_seq FROM realtime_lessonstream WHERE lesson_id = ANY(%s)",
                [lesson_ids],
            )
        except statements.Unavailable:  # said once already: the thread's way
            pass
        except Exception:  # the thread's way says what is wrong, or succeeds
            log.warning("lesson feeds: reading the log's numbers on the loop failed")
        else:
            return {int(lesson_id): int(seq) for lesson_id, seq in rows}
    return await _last_seqs_on_thread(lesson_ids)


class Subscriber:
    """One socket of a lesson in this process: what its person may see, and how frames are
    written to it, so that one slow socket never makes the others wait.

    A frame is written at once, in the turn of the loop that delivers it, as long as the
    socket takes it without waiting (its buffer has room): a broadcast then costs one write
    per socket and no task switch. When a write has to wait for the socket, the rest of it
    runs in a task of the socket's own, and the frames after it wait in its queue until that
    task has written them. ``send`` must not depend on the task it runs in (the ASGI send
    does not)."""

    def __init__(
        self,
        *,
        user_id: int,
        staff: bool,
        send: Callable[[str], Coroutine[Any, Any, None]],
        close: Callable[[int], Coroutine[Any, Any, None]],
    ) -> None:
        self.user_id = user_id
        self.staff = staff
        self.sent_seq = 0
        self.ready = False
        self.closed = False
        self._own = f"u{user_id}"
        self._send = send
        self._close = close
        self._held: list[tuple[int, str, str]] = []
        self._queue: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None  # while a write waits for the socket

    def sees(self, audience: str) -> bool:
        return audience == bus.TO_ALL or self.staff or audience == self._own

    def offer(self, seq: int, audience: str, frame: str) -> None:
        """An event of the lesson, in order. Until the socket has had its replay or snapshot,
        events are held back; afterwards, those it already has are skipped."""
        if not self.ready:
            self._held.append((seq, audience, frame))
            return
        if seq <= self.sent_seq:
            return
        self.sent_seq = seq
        if self.sees(audience):
            self.push(frame)

    def start(self, sent_seq: int) -> None:
        """The replay or snapshot up to ``sent_seq`` is queued: pass on what came meanwhile."""
        self.sent_seq = sent_seq
        self.ready = True
        held, self._held = self._held, []
        for seq, audience, frame in held:
            self.offer(seq, audience, frame)

    def push(self, frame: str) -> None:
        if self.closed:
            return
        if self._writer is None:
            self._write_now(frame)
            return
        self._queue.append(frame)
        if len(self._queue) > MAX_QUEUED:
            self.cut(CLOSE_BEHIND)

    def cut(self, code: int) -> None:
        """Close the socket with ``code``; nothing more is written to it."""
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        task = asyncio.get_running_loop().create_task(self._close(code))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    def _write_now(self, frame: str) -> None:
        """Run the write's first step here; if it has to wait, its own task finishes it."""
        sending = self._send(frame)
        try:
            waiting = sending.send(None)
        except StopIteration:
            return  # written
        except Exception:  # the socket is gone; its consumer stops the subscriber
            self.closed = True
            return
        self._writer = asyncio.get_running_loop().create_task(self._write_rest(sending, waiting))

    async def _write_rest(self, sending: Coroutine[Any, Any, None], waiting: object) -> None:
        try:
            await _resume(sending, waiting)
            while self._queue:
                await self._send(self._queue.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket is gone; its consumer stops the subscriber
            self.closed = True
            self._queue.clear()
        finally:
            self._writer = None

    def stop(self) -> None:
        self.closed = True
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()


_closing: set[asyncio.Task[None]] = set()  # held here: the loop keeps only weak references


async def _resume(coroutine: Coroutine[Any, Any, None], waiting: object) -> None:
    """Finish a coroutine whose first step ran outside a task, as a task would: wait until
    the future it yielded is done, then resume it (it reads the outcome itself), until it
    returns. Python 3.12's eager tasks start coroutines in the same way."""
    try:
        while True:
            if asyncio.isfuture(waiting):
                await asyncio.wait((waiting,))  # raises only if this task is cancelled
            else:  # a bare yield: the loop gets a turn
                await asyncio.sleep(0)
            waiting = coroutine.send(None)
    except StopIteration:
        return
    finally:
        coroutine.close()


class Feed:
    """A lesson in this process: its local sockets and the last number passed to them."""

    def __init__(self, lesson_id: int) -> None:
        self.lesson_id = lesson_id
        self.subscribers: set[Subscriber] = set()
        self.last_seq = 0
        self.lock = asyncio.Lock()
        self.opened: asyncio.Future[None] | None = None
        self.idle_since: float | None = None
        self.pending: set[str] = set()  # debounced jobs waiting to run
        self.queued = 0  # events waiting for ``accept`` behind the lock
        self.passed = False  # an event passed on since the last comparison with the log
        self.recent: dict[int, str] = {}  # the ``at`` of the last RECENT events, by number

    def offer_now(self, seq: int, audience: str, frame: str) -> bool:
        """Pass the event on at once when nothing comes before it (it is the next number,
        and no event waits for the lock): whether it was. The others take ``accept``, in the
        order they came."""
        if seq == 0:
            self._ephemeral(audience, frame)
            return True
        if self.queued or self.lock.locked():
            return False
        if seq <= self.last_seq:
            return not self._renumbered(seq, frame)  # if so, ``accept`` restarts the feed
        if seq != self.last_seq + 1:
            return False
        self._deliver(seq, audience, frame)
        return True

    def _ephemeral(self, audience: str, frame: str) -> None:
        for subscriber in tuple(self.subscribers):
            if subscriber.ready and subscriber.sees(audience):
                subscriber.push(frame)

    def _renumbered(self, seq: int, frame: str) -> bool:
        """Whether this event has the number of another that was passed on."""
        passed = self.recent.get(seq)
        return passed is not None and passed != bus.frame_at(frame)

    def _deliver(self, seq: int, audience: str, frame: str) -> None:
        self.last_seq = seq
        self.passed = True
        self.recent[seq] = bus.frame_at(frame)
        self.recent.pop(seq - RECENT, None)
        for subscriber in tuple(self.subscribers):
            subscriber.offer(seq, audience, frame)

    async def accept(self, seq: int, audience: str, frame: str) -> None:
        if seq == 0:  # ephemeral: presence, roster, reactions; the latest one wins
            self._ephemeral(audience, frame)
            return
        async with self.lock:
            if seq <= self.last_seq:
                if self._renumbered(seq, frame):
                    await self._restart(f"event {seq} is not the one passed on with its number")
                return
            if seq > self.last_seq + 1:
                await self._fill(upto=seq - 1)
            self._deliver(seq, audience, frame)

    async def _fill(self, upto: int | None = None) -> None:
        for seq, audience, frame in await frames_after(self.lesson_id, self.last_seq, upto):
            self._deliver(seq, audience, frame)

    async def catch_up(self) -> None:
        async with self.lock:
            await self._fill()

    async def open(self) -> None:
        """The log's last number, and the times of the events before it."""
        last = (await last_seqs([self.lesson_id])).get(self.lesson_id, 0)
        self.recent = await stamps(self.lesson_id, last)
        self.last_seq = last

    async def verify(self) -> None:
        """Start again if the log ends before the last event passed on (``Hub._poll_once``;
        a socket that found no event with the feed's last number). Under the lock no event is
        passed on, so every number up to the feed's has committed: a log that ends before it
        has lost events."""
        async with self.lock:
            try:
                last = (await last_seqs([self.lesson_id])).get(self.lesson_id)
                if last is not None and last < self.last_seq:
                    await self._restart("the log ends before the last event passed on", last)
            except Exception:  # the log unreachable: the next comparison tries again
                log.warning("lesson %s: checking the log failed", self.lesson_id, exc_info=True)

    async def _restart(self, why: str, last: int | None = None) -> None:
        """The log numbers events this feed passed on for others: its sockets hold events
        the log does not. They are closed, and come back to a snapshot; the feed goes on
        from the log's last number. (Nothing waits between the sockets closing and the new
        number: a socket joins before, and is closed, or after, at the log's number.)"""
        if last is None:
            last = (await last_seqs([self.lesson_id])).get(self.lesson_id, 0)
        recent = await stamps(self.lesson_id, last)
        log.warning(
            "lesson %s: %s (the database lost its last commits?); %s sockets start again "
            "from event %s instead of %s",
            self.lesson_id,
            why,
            len(self.subscribers),
            last,
            self.last_seq,
        )
        for subscriber in tuple(self.subscribers):
            subscriber.cut(CLOSE_RENUMBERED)
        self.recent = recent
        self.last_seq = last
        for forget in restarted:
            forget(self.lesson_id)


class Hub:
    """This process's feeds (one per event loop: tests run several loops in turn)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.feeds: dict[int, Feed] = {}
        self._by_channel: dict[bytes, Feed] = {}
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._channels: dict[int, bytes] = {}  # lesson: its channel's name
        self._listening: wire.Wire | None = None  # subscribed to the feeds' channels
        self._publishing: wire.Wire | None = None
        self._connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._spawn(self._poll())
        if settings.REDIS_URL:
            self._spawn(self._read())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- sockets joining and leaving ---------------------------------------------------------
    async def join(self, lesson_id: int, subscriber: Subscriber) -> Feed:
        feed = self.feeds.get(lesson_id)
        if feed is None:
            feed = Feed(lesson_id)
            self.feeds[lesson_id] = feed
            feed.opened = self.loop.create_task(self._open(feed))
        assert feed.opened is not None  # noqa: S101
        try:
            await asyncio.shield(feed.opened)
        except Exception:
            if self.feeds.get(lesson_id) is feed:
                del self.feeds[lesson_id]
                channel = self._channel(lesson_id)
                self._by_channel.pop(channel, None)  # not subscribed again on reconnecting
                self._confirmations.pop(channel, None)
            raise
        feed.idle_since = None
        feed.subscribers.add(subscriber)
        return feed

    def verify(self, lesson_id: int) -> None:
        """Have the lesson's feed check it is not ahead of the log (``Feed.verify``)."""
        feed = self.feeds.get(lesson_id)
        if feed is not None:
            self._spawn(feed.verify())

    def leave(self, lesson_id: int, subscriber: Subscriber) -> None:
        subscriber.stop()
        feed = self.feeds.get(lesson_id)
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            feed.idle_since = self.loop.time()

    async def _open(self, feed: Feed) -> None:
        if settings.REDIS_URL:
            await self._subscribe(feed)
        await feed.open()

    # --- Redis pub/sub (``realtime.wire``) ---------------------------------------------------
    def _channel(self, lesson_id: int) -> bytes:
        channel = self._channels.get(lesson_id)
        if channel is None:
            channel = self._channels[lesson_id] = bus.channel_name(lesson_id).encode()
        return channel

    async def _subscribe(self, feed: Feed) -> None:
        channel = self._channel(feed.lesson_id)
        self._by_channel[channel] = feed
        await asyncio.wait_for(self._connected.wait(), timeout=10)
        confirmed = self.loop.create_future()
        self._confirmations[channel] = confirmed
        assert self._listening is not None  # noqa: S101 - set while connected
        self._listening.subscribe(channel)
        await asyncio.wait_for(confirmed, timeout=10)

    async def _unsubscribe(self, feed: Feed) -> None:
        channel = self._channel(feed.lesson_id)
        self._by_channel.pop(channel, None)
        if self._listening is not None and self._connected.is_set():
            self._listening.unsubscribe(channel)

    async def _read(self) -> None:
        """Two connections, one subscribed to this process's lessons and one publishing;
        when either is lost, both are made again and every feed catches up with the log."""
        attempt = 0
        while True:
            listening = publishing = None
            try:
                listening = await wire.wire_open(
                    settings.REDIS_URL, on_message=self._message, on_subscribed=self._subscribed
                )
                publishing = await wire.wire_open(settings.REDIS_URL)
                if self._by_channel:
                    listening.subscribe(*self._by_channel)
                self._listening, self._publishing = listening, publishing
                self._connected.set()
                if attempt:
                    log.info("Redis is back: catching up %s lessons", len(self.feeds))
                    for feed in tuple(self.feeds.values()):
                        self._spawn(feed.catch_up())
                attempt = 0
                while True:  # until a connection is lost, or stops answering
                    await asyncio.wait(
                        (listening.lost, publishing.lost),
                        timeout=KEEPALIVE_SECONDS,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if listening.lost.done() or publishing.lost.done():
                        raise wire.WireError("Redis closed a connection")
                    if not (await listening.alive() and await publishing.alive()):
                        raise wire.WireError("Redis did not answer a PING")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._connected.clear()
                self._listening = self._publishing = None
                delay = REDIS_RETRY_SECONDS[min(attempt, len(REDIS_RETRY_SECONDS) - 1)]
                attempt += 1
                log.warning("lesson feeds: Redis failed (%s); again in %ss", error, delay)
                await asyncio.sleep(delay)
            finally:
                for connection in (listening, publishing):
                    if connection is not None:
                        connection.close()

    def _subscribed(self, channel: bytes) -> None:
        confirmed = self._confirmations.pop(channel, None)
        if confirmed is not None and not confirmed.done():
            confirmed.set_result(None)

    def _message(self, channel: bytes, data: bytes) -> None:
        """A publication, in the callback that read it: passed on here when it is the next
        event (``Feed.offer_now``), else by a task that takes its turn in order."""
        feed = self._by_channel.get(channel)
        if feed is None:
            return
        try:
            number, audience, frame = bus.envelope_read(data.decode())
        except ValueError:
            log.error("lesson %s: a publication could not be read", feed.lesson_id)
            return
        if not feed.offer_now(number, audience, frame):
            feed.queued += 1
            self._spawn(self._accept_queued(feed, number, audience, frame))

    async def _accept_queued(self, feed: Feed, seq: int, audience: str, frame: str) -> None:
        try:
            await feed.accept(seq, audience, frame)
        except Exception:  # the log unreachable: the poll repairs it
            log.exception("lesson %s: an event could not be passed on", feed.lesson_id)
        finally:
            feed.queued -= 1

    async def _accept(self, feed: Feed, message: str) -> None:
        try:
            await feed.accept(*bus.envelope_read(message))
        except Exception:  # a bad publication, or the log unreachable: the poll repairs it
            log.exception("lesson %s: an event could not be passed on", feed.lesson_id)

    async def publish(self, lesson_id: int, message: str) -> bool:
        """Publish from the event loop: whether it went out (written to Redis; its reply is
        not waited for). A lost ephemeral message is repaired by the next one, a lost event
        by every process's comparison with the log."""
        if not settings.REDIS_URL:
            feed = self.feeds.get(lesson_id)
            if feed is not None:
                await self._accept(feed, message)
            return True
        if self._publishing is None:
            return False
        return self._publishing.publish(self._channel(lesson_id), message.encode())

    def later(
        self, lesson_id: int, key: str, delay: float, job: Callable[[], Awaitable[None]]
    ) -> None:
        """Run ``job`` once in ``delay`` seconds, however often it is asked for meanwhile."""
        feed = self.feeds.get(lesson_id)
        if feed is None or key in feed.pending:
            return
        feed.pending.add(key)

        async def run() -> None:
            await asyncio.sleep(delay)
            feed.pending.discard(key)
            try:
                await job()
            except Exception:
                log.exception("lesson %s: %s failed", lesson_id, key)

        self._spawn(run())

    # --- the safety net ----------------------------------------------------------------------
    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self._poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("lesson feeds: comparing with the log failed", exc_info=True)

    async def _poll_once(self) -> None:
        now = self.loop.time()
        for feed in tuple(self.feeds.values()):
            if feed.idle_since is not None and now - feed.idle_since > IDLE_SECONDS:
                del self.feeds[feed.lesson_id]
                await self._unsubscribe(feed)
        # Each quiet feed's last number before the log is read: every event up to it had
        # committed, so a log that ends before it has lost events (a later number passed on
        # while the log is read is no sign of that).
        quiet = {feed.lesson_id: feed.last_seq for feed in self.feeds.values() if not feed.passed}
        for feed in self.feeds.values():
            feed.passed = False
        if not quiet:
            return
        latest = await last_seqs(list(quiet))
        for lesson_id, passed in quiet.items():
            compared = self.feeds.get(lesson_id)
            seq = latest.get(lesson_id)  # none: the lesson is gone, or has no event yet
            if compared is None or compared.lock.locked() or seq is None:
                continue
            if seq < passed:
                self._spawn(compared.verify())
            elif seq > compared.last_seq:
                self._spawn(compared.catch_up())


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub, created on first use."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = Hub()
        _hubs[loop] = found
    return found


def local_publish(lesson_id: int, message: str) -> None:
    """The embedded default (no Redis): hand the event to the hubs of this process, from the
    thread that committed it."""
    for loop, found in list(_hubs.items()):
        feed = found.feeds.get(lesson_id)
        if feed is None or loop.is_closed():
            continue
        loop.call_soon_threadsafe(found._spawn, found._accept(feed, message))
