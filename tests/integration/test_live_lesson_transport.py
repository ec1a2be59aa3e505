"""The live lesson transport with real processes: two uvicorn servers started with the
Procfile's ``web`` line, on a fresh PostgreSQL database and one Redis, and the WebSocket
clients of a teacher and 50 pupils split across them (the ``websockets`` library).

Whatever happens to the transport (nothing, a client away for a while, Redis restarted, a
server killed), every client's transcript must equal the stored event log filtered to what
its person may see: every event, in order, once. A client that is dropped reconnects with
backoff and ``?since=<last number it saw>``; a message is resent with the same id until it is
acknowledged. A pupil taken out of the class loses their sockets, on either server, at once.
"""

import asyncio
import contextlib
import json
import random
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from lms import channel_layer
from tests.asyncrun import run_async
from tests.servers import (
    PYTHON,
    ROOT,
    Process,
    _log_tail,
    _NotYet,
    base_env,
    free_port,
    fresh_database,
    http_get,
    kill_group,
    manage,
    procfile_command,
    redis_server,
    running,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

PUPILS = 50
SCENARIOS = (
    "fanout",
    "reconnect",
    "redis_restart",
    "server_killed",
    "removed",
    "churn",
    "quiet",
)
START_TIMEOUT = 60  # seconds for a web server to answer
READY_TIMEOUT = 30  # seconds for every client to have its first snapshot
DELIVERY_TIMEOUT = 30  # seconds for every client to have the last event
ACT_TIMEOUT = 30  # seconds for one message to be acknowledged, resends included
REPLY_TIMEOUT = 5  # seconds to wait for one answer before sending the message again
SETTLE = 2.5  # seconds of quiet at the end: a late duplicate (POLL_SECONDS is 2) would show
REMOVAL_LIMIT = 5.0  # seconds for a removed pupil's sockets to close
TEACHER_PACE = 0.08  # seconds between two teacher messages (the socket allows 10 a second)

# Frames that are not events of the log (events have a number, a kind, a time and data).
CONTROL = frozenset(
    {"welcome", "snapshot", "synced", "ack", "error", "pong", "presence", "roster", "reactions"}
)
FINAL_CODES = frozenset({4401, 4403, 4404, 4410})  # the server says: do not come back
RETRY_CODES = frozenset({"rate_limited", "server_error"})  # the server says: send it again


# --- the site: a fresh database, seeded -----------------------------------------------------------
@dataclass(frozen=True)
class Person:
    id: int
    token: str


@dataclass(frozen=True)
class Lesson:
    id: int
    cohort: int


@dataclass(frozen=True)
class LogEvent:
    seq: int
    kind: str
    frame: dict[str, Any]  # the event frame a client receives for it
    staff_only: bool
    to_user: int | None
    actor: int | None
    client_id: str

    def seen_by(self, user_id: int, staff: bool) -> bool:
        if staff:
            return True
        return self.to_user == user_id or (not self.staff_only and self.to_user is None)


@dataclass
class Site:
    env: dict[str, str]  # for a web server, without REDIS_URL and PORT
    database_url: str
    tmp: Path
    teacher: Person
    admin: Person
    pupils: list[Person]
    lessons: dict[str, Lesson]

    def log(self, lesson: Lesson) -> list[LogEvent]:
        """The lesson's stored events, read after the run, as clients receive them."""
        with psycopg.connect(self.database_url) as connection:
            connection.execute("SET TIME ZONE 'UTC'")
            rows = connection.execute(
                "SELECT seq, kind, at, data, staff_only, to_user_id, actor_id, client_id "
                "FROM realtime_lessonevent WHERE lesson_id = %s ORDER BY seq",
                [lesson.id],
            ).fetchall()
        return [
            LogEvent(
                seq=seq,
                kind=kind,
                frame={"seq": seq, "type": kind, "at": at.isoformat(), "data": data},
                staff_only=staff_only,
                to_user=to_user,
                actor=actor,
                client_id=client_id,
            )
            for seq, kind, at, data, staff_only, to_user, actor, client_id in rows
        ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp, "mektep_live") as database:
        env = base_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=database.url)
        manage({**env, "REDIS_URL": settings.REDIS_URL}, "migrate", "--noinput")
        result = subprocess.run(
            [PYTHON, "-m", "tests.integration.live_seed", str(PUPILS), *SCENARIOS],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "lms.settings"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        seeded = json.loads(result.stdout.strip().splitlines()[-1])
        yield Site(
            env=env,
            database_url=database.url,
            tmp=tmp,
            teacher=Person(**seeded["teacher"]),
            admin=Person(**seeded["admin"]),
            pupils=[Person(**pupil) for pupil in seeded["pupils"]],
            lessons={
                name: Lesson(id=ids["lesson"], cohort=ids["cohort"])
                for name, ids in seeded["lessons"].items()
            },
        )


# --- the web servers ------------------------------------------------------------------------------
@dataclass
class Servers:
    """Two web servers: their ports and processes (for the logs in a failure message)."""

    ports: list[int]
    processes: list[Process]

    def lesson_urls(self, lesson: Lesson) -> list[str]:
        return [f"ws://127.0.0.1:{port}/ws/lessons/{lesson.id}/" for port in self.ports]

    def http(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def tails(self) -> str:
        return "\n".join(
            f"--- {process.name} log (end):\n{_log_tail(process.log)}" for process in self.processes
        )


def _answering(base_url: str) -> Callable[[], bool]:
    """The server answers /healthz and reaches its database and Redis (no Celery worker runs
    in these tests, so the answer itself is 503)."""

    def check() -> bool:
        status, body = http_get(f"{base_url}/healthz")
        try:
            checks = json.loads(body)["checks"]
        except (ValueError, KeyError) as error:
            raise _NotYet(f"HTTP {status}: {body[:300]!r}") from error
        if not (checks["database"]["ok"] and checks["redis"]["ok"]):
            raise _NotYet(f"HTTP {status}: {checks}")
        return True

    return check


@contextmanager
def web_servers(site: Site, redis_url: str, tag: str) -> Iterator[Servers]:
    """Two web servers (the Procfile's ``web`` line) on the site's database and ``redis_url``,
    both answering before this returns; always stopped afterwards."""
    with ExitStack() as stack:
        ports, processes = [], []
        for number in range(2):
            port = free_port()
            env = {**site.env, "REDIS_URL": redis_url, "PORT": str(port), "WEB_HOST": "127.0.0.1"}
            name = f"web {tag}-{number} (port {port})"
            log = site.tmp / f"web-{tag}-{number}.log"
            processes.append(stack.enter_context(running(name, procfile_command("web"), env, log)))
            ports.append(port)
        for port, process in zip(ports, processes, strict=True):
            wait_until(
                _answering(f"http://127.0.0.1:{port}"),
                timeout=START_TIMEOUT,
                what=f"{process.name} did not answer",
                processes=processes,
            )
        yield Servers(ports=ports, processes=processes)


@pytest.fixture(scope="module")
def shared(site: Site) -> Iterator[Servers]:
    """Two web servers on the test process's own Redis, for the tests that leave them be."""
    with web_servers(site, settings.REDIS_URL, "shared") as servers:
        yield servers


# --- the client -----------------------------------------------------------------------------------
class Dropped(Exception):
    """The connection ended while a message waited for its answer."""


@dataclass
class Connection:
    url: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None  # 1006: closed without a close frame; None: never opened
    error: str = ""


class LessonClient:
    """One person's lesson socket, as a careful app would hold it: it connects to one of
    several servers, records every frame, and when dropped reconnects with backoff and
    ``?since=<last number seen>`` (to the next server when one does not answer). It dedupes
    nothing: a duplicate the server sends is in ``events``."""

    def __init__(
        self, name: str, person: Person, urls: Sequence[str], *, staff: bool = False, first: int = 0
    ) -> None:
        self.name = name
        self.person = person
        self.urls = list(urls)
        self.staff = staff
        self.index = first % len(self.urls)
        self.connections: list[Connection] = []
        self.events: list[dict[str, Any]] = []
        self.snapshots: list[int] = []  # the numbers of the snapshots received
        self.last_seq: int | None = None  # from snapshots, events and synced frames
        self.final_code: int | None = None  # a close code that means "do not come back"
        self.closed_at: float | None = None
        self.ready = asyncio.Event()  # the current connection has had its snapshot or sync
        self.resends = 0
        self._online = asyncio.Event()
        self._online.set()
        self._ws: ClientConnection | None = None
        self._waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    # --- running ---
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)

    def url(self) -> str:
        since = "" if self.last_seq is None else f"?since={self.last_seq}"
        return self.urls[self.index] + since

    async def _run(self) -> None:
        failures = 0
        while True:
            await self._online.wait()
            connection = Connection(self.url())
            self.connections.append(connection)
            reached = False
            try:
                async with connect(
                    connection.url,
                    additional_headers={"Authorization": f"Token {self.person.token}"},
                    proxy=None,
                    open_timeout=5,
                    close_timeout=2,
                    max_size=2**22,
                ) as ws:
                    self._ws = ws
                    try:
                        async for text in ws:
                            frame = json.loads(text)
                            connection.frames.append(frame)
                            self._take(frame)
                            reached = reached or self.ready.is_set()
                    except ConnectionClosed:
                        pass
                    exc = ws.close_exc
                    connection.close_code = exc.rcvd.code if exc.rcvd is not None else 1006
            except (OSError, TimeoutError, WebSocketException) as error:
                connection.error = repr(error)
            finally:
                self._ws = None
                self.ready.clear()
                self._arrived.set()
                for waiter in self._waiters.values():
                    if not waiter.done():
                        waiter.set_exception(Dropped())
                self._waiters.clear()
            if connection.close_code in FINAL_CODES:
                self.final_code = connection.close_code
                self.closed_at = time.monotonic()
                return
            if not self._online.is_set():
                continue  # went offline on purpose
            if reached:
                failures = 0
            else:
                failures += 1
                self.index = (self.index + 1) % len(self.urls)  # try the other server
            delay = min(1.0, 0.1 * 2 ** min(failures, 4))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter

    def _take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "snapshot":
            self.snapshots.append(frame["seq"])
            self.last_seq = frame["seq"]
            self.ready.set()
        elif kind == "synced":
            self.last_seq = max(self.last_seq or 0, frame["seq"])
            self.ready.set()
        elif kind in ("ack", "error"):
            # An error without an id (rate limited, a server error) answers the one message
            # waiting: this client sends one at a time.
            keys = [frame["id"]] if frame.get("id") is not None else list(self._waiters)
            for key in keys:
                waiter = self._waiters.pop(key, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)
        elif kind not in CONTROL:
            self.events.append(frame)
            self.last_seq = max(self.last_seq or 0, frame["seq"])
        self._arrived.set()

    # --- going away on purpose ---
    async def go_offline(self) -> None:
        self._online.clear()
        ws = self._ws
        if ws is not None:
            await ws.close()
        while self._ws is not None:
            await asyncio.sleep(0.02)

    def come_back(self, index: int | None = None) -> None:
        if index is not None:
            self.index = index
        self._online.set()

    # --- sending ---
    async def act(self, kind: str, message_id: str, **fields: Any) -> dict[str, Any]:
        """Send the message until it is acknowledged: again, with the same id, after a drop,
        a silence or an error that says to (the server applies an id once)."""
        message = json.dumps({"type": kind, "id": message_id, **fields})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACT_TIMEOUT
        answers: list[str] = []
        while loop.time() < deadline:
            try:
                await asyncio.wait_for(self.ready.wait(), deadline - loop.time())
            except TimeoutError:
                break
            ws = self._ws
            if ws is None:
                continue
            waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
            self._waiters[message_id] = waiter
            try:
                await ws.send(message)
                answer = await asyncio.wait_for(waiter, min(REPLY_TIMEOUT, deadline - loop.time()))
            except (ConnectionClosed, Dropped, TimeoutError) as error:
                answers.append(type(error).__name__)
                self._waiters.pop(message_id, None)
                self.resends += 1
                await asyncio.sleep(0.05)  # let the reader see the connection end
                continue
            if answer["type"] == "ack":
                return answer
            answers.append(answer["code"])
            if answer["code"] not in RETRY_CODES:
                raise AssertionError(f"{self.name}: {kind} {message_id} refused: {answer}")
            self.resends += 1
            await asyncio.sleep(0.3)
        raise AssertionError(
            f"{self.name}: {kind} {message_id} not acknowledged in {ACT_TIMEOUT} s ({answers})"
        )

    async def event(self, seq: int, timeout: float = 10) -> dict[str, Any]:
        """The event numbered ``seq``, once it has arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for frame in self.events:
                if frame["seq"] == seq:
                    return frame
            self._arrived.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{self.name} did not receive event {seq} in {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    def describe(self) -> str:
        lines = [f"{self.name} (user {self.person.id}), last seq {self.last_seq}:"]
        task = self._task
        if task is not None and task.done() and not task.cancelled() and task.exception():
            lines.append(f"  the client itself failed: {task.exception()!r}")
        for connection in self.connections:
            seqs = [f["seq"] for f in connection.frames if f.get("type") not in CONTROL]
            kinds = Counter(frame.get("type") for frame in connection.frames)
            lines.append(
                f"  {connection.url} -> close {connection.close_code} {connection.error} "
                f"frames {dict(kinds)} seqs {seqs[:6]}...{seqs[-6:]}"
            )
        return "\n".join(lines)


def transcript_problem(client: LessonClient, log: list[LogEvent]) -> str | None:
    """Why the client's events are not the log after its first snapshot, filtered to what
    its person may see (or None when they are)."""
    base = client.snapshots[0] if client.snapshots else 0
    expected = [
        event.frame
        for event in log
        if event.seq > base and event.seen_by(client.person.id, client.staff)
    ]
    if client.events == expected:
        return None
    got = [frame["seq"] for frame in client.events]
    want = [frame["seq"] for frame in expected]
    twice = sorted(seq for seq, count in Counter(got).items() if count > 1)
    missing = sorted(set(want) - set(got))
    unexpected = sorted(set(got) - set(want))
    different = [
        (frame, event.frame)
        for frame in client.events
        for event in log
        if event.seq == frame["seq"] and event.frame != frame
    ][:2]
    back = next((n for n in range(1, len(got)) if got[n] <= got[n - 1]), None)
    order = "" if back is None else f", goes back at {got[max(0, back - 3) : back + 3]}"
    skipped = _skipped_by_replay(client, missing)
    if skipped:
        skipped = (
            "  (lost in a reconnection's replay: see "
            "test_pupils_reconnecting_over_and_over_while_the_class_talks_miss_nothing)\n" + skipped
        )
    return (
        f"{client.name}: duplicates {twice}, missing {missing}, not for them {unexpected}, "
        f"differing {different}{order}\n{skipped}{client.describe()}"
    )


def _skipped_by_replay(client: LessonClient, missing: list[int]) -> str:
    """The reconnections that skipped a missing event: their replay stopped before it, yet
    their ``synced`` frame said the client was past it."""
    lines = []
    for connection in client.connections:
        synced = [frame["seq"] for frame in connection.frames if frame.get("type") == "synced"]
        if not synced:
            continue
        before = connection.frames[: [f.get("type") for f in connection.frames].index("synced")]
        replayed = [frame["seq"] for frame in before if frame.get("type") not in CONTROL]
        since = int(connection.url.rpartition("since=")[2] or 0)
        skipped = [seq for seq in missing if since < seq <= synced[0] and seq not in replayed]
        if skipped:
            lines.append(
                f"  {connection.url}: replayed {replayed}, then synced {synced[0]}: "
                f"skipped {skipped}\n"
            )
    return "".join(lines)


# --- a class in a lesson --------------------------------------------------------------------------
class Classroom:
    """The teacher's client and one client per pupil, spread over the servers' URLs."""

    def __init__(
        self,
        site: Site,
        lesson: Lesson,
        servers: Servers,
        *,
        teacher_on: int = 0,
        pupils: int = PUPILS,
    ) -> None:
        self.site = site
        self.lesson = lesson
        self.servers = servers
        urls = servers.lesson_urls(lesson)
        self.teacher = LessonClient("teacher", site.teacher, urls, staff=True, first=teacher_on)
        self.pupils = [
            LessonClient(f"pupil {number}", person, urls, first=number % len(urls))
            for number, person in enumerate(site.pupils[:pupils])
        ]
        self.extra: list[LessonClient] = []
        self._messages = 0

    @property
    def clients(self) -> list[LessonClient]:
        return [self.teacher, *self.pupils, *self.extra]

    def on(self, index: int) -> list[LessonClient]:
        """The pupils whose first server is ``index``."""
        return [pupil for pupil in self.pupils if pupil.index == index]

    async def __aenter__(self) -> "Classroom":
        for client in self.clients:
            client.start()
        await self.wait_for(
            lambda client: client.ready.is_set(), READY_TIMEOUT, "had its first snapshot"
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(client.stop() for client in self.clients))

    async def wait_for(
        self,
        condition: Callable[[LessonClient], bool],
        timeout: float,
        what: str,
        clients: Sequence[LessonClient] | None = None,
    ) -> None:
        """Every client (or every one of ``clients``) meets ``condition`` within ``timeout``."""
        clients = self.clients if clients is None else clients
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            late = [client for client in clients if not condition(client)]
            if not late:
                return
            if loop.time() > deadline:
                details = "\n".join(client.describe() for client in late[:5])
                raise AssertionError(
                    f"{len(late)} clients never {what} within {timeout} s:\n{details}\n"
                    f"{self.servers.tails()}"
                )
            await asyncio.sleep(0.05)

    async def say(self, text: str, *, by: LessonClient | None = None) -> dict[str, Any]:
        by = by or self.teacher
        self._messages += 1
        return await by.act("chat.send", f"{by.name.replace(' ', '-')}-{self._messages}", text=text)

    async def teacher_does(self, kind: str, **fields: Any) -> dict[str, Any]:
        self._messages += 1
        ack = await self.teacher.act(kind, f"teacher-{kind}-{self._messages}", **fields)
        await asyncio.sleep(TEACHER_PACE)
        return ack

    async def everyone_has(self, seq: int, *, settle: bool = True) -> None:
        """Every client still in the lesson has had event ``seq``; then (``settle``) a quiet
        moment in which a late duplicate would arrive."""
        await self.wait_for(
            lambda client: client.final_code is not None or (client.last_seq or 0) >= seq,
            DELIVERY_TIMEOUT,
            f"had event {seq}",
        )
        if settle:
            await asyncio.sleep(SETTLE)

    def assert_transcripts(self, log: list[LogEvent]) -> None:
        problems = [
            problem
            for client in self.clients
            if (problem := transcript_problem(client, log)) is not None
        ]
        assert not problems, (
            f"{len(problems)} of {len(self.clients)} transcripts differ from the log "
            f"(seqs 1..{len(log)}):\n" + "\n".join(problems[:5]) + f"\n{self.servers.tails()}"
        )
        second = [client.name for client in self.clients if len(client.snapshots) != 1]
        assert not second, f"clients that had a snapshot again instead of a replay: {second}"


def stroke(number: int) -> dict[str, Any]:
    return {
        "color": "#1f77b4",
        "width": 3,
        "points": [[100 * number, 100], [100 * number + 50, 400], [100 * number + 90, 800]],
    }


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    run_async(scenario)


def chats_by(log: list[LogEvent], actor: int) -> list[tuple[str, str]]:
    return [
        (event.client_id, event.frame["data"]["text"])
        for event in log
        if event.kind == "chat.posted" and event.actor == actor
    ]


# --- 1. fan-out across two servers ----------------------------------------------------------------
def test_fifty_pupils_on_two_servers_get_every_event_in_order_once(
    site: Site, shared: Servers
) -> None:
    """The teacher (on the first server) talks and draws while pupils on both servers raise
    hands, answer a poll and chat: every one of the 51 clients receives every event meant for
    them, in the log's order, once; staff-only and one-person events reach only their people."""
    lesson = site.lessons["fanout"]
    texts = [f"Teacher note {number}" for number in range(30)]

    async def scenario() -> None:
        async with Classroom(site, lesson, shared, teacher_on=0) as room:
            await room.teacher_does("lesson.start")
            opened = await room.teacher_does(
                "poll.open", question="2 + 2?", options=["3", "4"], multiple=False
            )
            poll = (await room.teacher.event(opened["seq"]))["data"]["poll"]["id"]
            a, b = room.on(0), room.on(1)

            async def teacher_part() -> None:
                for number, text in enumerate(texts):
                    await room.say(text)
                    await asyncio.sleep(TEACHER_PACE)
                    if number % 3 == 2:
                        await room.teacher_does("board.strokes", strokes=[stroke(number // 3)])

            async def pupil_part(pupil: LessonClient, number: int) -> None:
                await asyncio.sleep(0.2 * number)
                if number < 4:  # hand.raised: for the staff and the pupil only
                    await pupil.act("hand.raise", f"hand-{number}")
                if number < 6:  # poll.tally, unshared: for the staff only
                    await pupil.act("poll.answer", f"answer-{number}", poll_id=poll, choices=[1])
                await pupil.act("chat.send", f"hello-{number}", text=f"{pupil.name} says hello")

            speakers = [pupil for pair in zip(a[:4], b[:4], strict=True) for pupil in pair]
            await asyncio.gather(
                teacher_part(),
                *(pupil_part(pupil, number) for number, pupil in enumerate(speakers)),
            )
            # to one pupil each: hands lowered, a pupil muted; then shared results for all
            await room.teacher_does("hand.lower", user_id=speakers[0].person.id)
            await room.teacher_does("hand.lower", user_id=speakers[1].person.id)
            await room.teacher_does("chat.mute", user_id=speakers[7].person.id, muted=True)
            await room.teacher_does("poll.share", poll_id=poll)
            await speakers[6].act("poll.answer", "answer-late", poll_id=poll, choices=[0])
            last = await room.say("That is all for today.")
            await room.everyone_has(last["seq"])
        log = site.log(lesson)
        room.assert_transcripts(log)
        # the log holds what was sent, once: the teacher's notes in order, each pupil's hello
        assert [text for _id, text in chats_by(log, site.teacher.id)] == [
            *texts,
            "That is all for today.",
        ]
        kinds = Counter(event.kind for event in log)
        assert kinds["chat.posted"] == len(texts) + 1 + len(speakers)
        assert (kinds["hand.raised"], kinds["poll.tally"], kinds["poll.shared"]) == (4, 6, 2)
        # and each audience was really used: pupils saw fewer events than the teacher
        assert len(room.pupils[20].events) < len(room.teacher.events) == len(log)

    run(scenario)


# --- 2. reconnecting with ?since= -----------------------------------------------------------------
def test_pupils_who_reconnect_with_since_get_what_they_missed(site: Site, shared: Servers) -> None:
    """Ten pupils leave for a while and come back on the other server with ``?since=``: the
    replay holds exactly what they missed and may see (a mute of one of them included; another
    pupil's hand and the staff's tally not), then ``synced``, then the live events."""
    lesson = site.lessons["reconnect"]

    async def scenario() -> None:
        async with Classroom(site, lesson, shared, teacher_on=0) as room:
            await room.teacher_does("lesson.start")
            for number in range(5):
                await room.say(f"Before the break {number}")
            seq = (await room.say("Everyone here?"))["seq"]
            await room.everyone_has(seq, settle=False)
            away = [*room.on(0)[:5], *room.on(1)[:5]]
            left_at = {client.name: client.last_seq for client in away}
            await asyncio.gather(*(client.go_offline() for client in away))
            mark = {client.name: len(client.connections) for client in away}
            # meanwhile: events for everyone, one for an away pupil only, one for the staff,
            # and one for a pupil who stayed
            for number in range(10):
                await room.say(f"While you were away {number}")
                if number % 4 == 0:
                    await room.teacher_does("board.strokes", strokes=[stroke(number)])
            await room.teacher_does("chat.mute", user_id=away[0].person.id, muted=True)
            stayed = room.on(1)[6]
            await stayed.act("hand.raise", "hand-stayed")
            opened = await room.teacher_does(
                "poll.open", question="Ready?", options=["yes", "no"], multiple=False
            )
            poll = (await room.teacher.event(opened["seq"]))["data"]["poll"]["id"]
            await stayed.act("poll.answer", "answer-stayed", poll_id=poll, choices=[0])
            # back, each on the other server
            for client in away:
                client.come_back(index=1 - client.index)
            await room.wait_for(lambda c: c.ready.is_set(), READY_TIMEOUT, "came back", away)
            for number in range(5):
                await room.say(f"After the break {number}")
            last = await room.say("See you tomorrow.")
            await room.everyone_has(last["seq"])
        log = site.log(lesson)
        room.assert_transcripts(log)
        for client in away:
            back = client.connections[mark[client.name]]  # the first after the break
            assert back.url.endswith(f"?since={left_at[client.name]}"), back.url
            kinds = [frame["type"] for frame in back.frames]
            assert "synced" in kinds, client.describe()
            assert "snapshot" not in kinds, client.describe()
        # the away pupils' replays held what they missed, with the mute of away[0] for them
        muted = [e.seq for e in log if e.kind == "chat.muted"]
        assert [f["seq"] for f in away[0].events if f["type"] == "chat.muted"] == muted
        assert not [f for f in away[1].events if f["type"] in ("chat.muted", "poll.tally")]

    run(scenario)


# --- 3. Redis restarted mid-lesson ----------------------------------------------------------------
class OwnRedis:
    """A redis-server of this test module's own, which a test may stop and start again on the
    same port (empty again: no snapshot, no append-only file)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.starts = 0
        self._stack = ExitStack()

    def start(self) -> None:
        self.starts += 1
        log = self.tmp / f"redis-{self.starts}.log"
        self._stack.enter_context(redis_server(self.port, log))

    def stop(self) -> None:
        self._stack.close()
        self._stack = ExitStack()


@pytest.fixture(scope="module")
def own_redis(site: Site) -> Iterator[tuple[OwnRedis, Servers]]:
    """Two web servers on a Redis of the module's own, which the tests may restart."""
    own = OwnRedis(site.tmp)
    own.start()
    try:
        with web_servers(site, own.url, "own-redis") as servers:
            yield own, servers
    finally:
        own.stop()


def test_redis_restarted_mid_lesson_loses_and_doubles_nothing(
    site: Site, own_redis: tuple[OwnRedis, Servers]
) -> None:
    """Redis is stopped and started again (empty) while the teacher keeps sending: the dropped
    clients come back with ``?since=``, the teacher resends each message with its id until it
    is acknowledged, the log holds each message once, and every transcript equals the log."""
    own, servers = own_redis
    lesson = site.lessons["redis_restart"]
    texts = [f"Through the storm {number}" for number in range(36)]
    restarted = asyncio.Event()

    async def restart() -> None:
        await asyncio.to_thread(own.stop)
        await asyncio.sleep(1.5)  # the teacher keeps sending meanwhile
        await asyncio.to_thread(own.start)
        restarted.set()

    async def scenario() -> None:
        async with Classroom(site, lesson, servers, teacher_on=0) as room:
            await room.teacher_does("lesson.start")
            restarting = None
            for number, text in enumerate(texts):
                if number == 10:
                    restarting = asyncio.get_running_loop().create_task(restart())
                await room.say(text)
                await asyncio.sleep(TEACHER_PACE)
            assert restarting is not None
            await asyncio.wait_for(restarting, timeout=30)
            last = await room.say("The storm is over.")
            await room.everyone_has(last["seq"])
        log = site.log(lesson)
        room.assert_transcripts(log)
        # each message the teacher meant is in the log once, in order, under its own id
        chats = chats_by(log, site.teacher.id)
        assert [text for _id, text in chats] == [*texts, "The storm is over."]
        assert len({message_id for message_id, _text in chats}) == len(chats)
        # and the restart did drop clients, who came back with ?since=
        back = [client for client in room.clients if len(client.connections) > 1]
        assert len(back) >= PUPILS // 2, f"only {len(back)} clients were dropped"
        for client in back:
            assert all("?since=" in c.url for c in client.connections[1:]), client.describe()

    run(scenario)
    assert restarted.is_set()


# --- 4. one server killed -------------------------------------------------------------------------
def test_clients_of_a_killed_server_resume_on_the_other_and_lose_nothing(site: Site) -> None:
    """The server holding the teacher and half the class is killed (SIGKILL) mid-lesson: its
    clients resume on the other with ``?since=``, and lose nothing; the teacher's message that
    was in flight is applied once."""
    lesson = site.lessons["server_killed"]
    texts = [f"Still here {number}" for number in range(30)]
    with web_servers(site, settings.REDIS_URL, "kill") as servers:

        async def scenario() -> None:
            async with Classroom(site, lesson, servers, teacher_on=0) as room:
                victims = [room.teacher, *room.on(0)]
                await room.teacher_does("lesson.start")
                for number, text in enumerate(texts):
                    if number == 10:
                        await asyncio.to_thread(kill_group, servers.processes[0])
                    await room.say(text)
                    await asyncio.sleep(TEACHER_PACE)
                    if number % 5 == 4:
                        await room.teacher_does("board.strokes", strokes=[stroke(number)])
                last = await room.say("Who is still with us?")
                await room.everyone_has(last["seq"])
            log = site.log(lesson)
            room.assert_transcripts(log)
            assert [text for _id, text in chats_by(log, site.teacher.id)] == [
                *texts,
                "Who is still with us?",
            ]
            survivor = servers.lesson_urls(lesson)[1]
            for client in victims:
                final = client.connections[-1]
                assert final.url.startswith(f"{survivor}?since="), client.describe()
                assert [f["type"] for f in final.frames][:1] == ["welcome"], client.describe()

        run(scenario)


# --- 5. a pupil taken out of the class ------------------------------------------------------------
def _delete(url: str, token: str) -> int:
    request = urllib.request.Request(
        url, method="DELETE", headers={"Authorization": f"Token {token}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_pupil_taken_out_of_the_class_is_closed_on_both_servers(
    site: Site, shared: Servers
) -> None:
    """An administrator takes two pupils out of the class through the REST API of the first
    server: their sockets, on the second server too, close with 4403 within 5 s, they cannot
    come back, and the rest of the class carries on without them."""
    lesson = site.lessons["removed"]

    async def scenario() -> None:
        room = Classroom(site, lesson, shared, teacher_on=0)
        # x is on the second server only; y has a socket on each
        x = room.on(1)[0]
        y = room.on(0)[0]
        y_elsewhere = LessonClient(
            "pupil y on server 1", y.person, shared.lesson_urls(lesson), first=1
        )
        room.extra.append(y_elsewhere)
        async with room:
            await room.teacher_does("lesson.start")
            seq = (await room.say("Before the change"))["seq"]
            await room.everyone_has(seq)
            removed = [x, y, y_elsewhere]
            for pupil in (x, y):
                started = time.monotonic()
                url = (
                    f"{shared.http(0)}/api/v1/classes/{lesson.cohort}/enrolments/{pupil.person.id}/"
                )
                status = await asyncio.to_thread(_delete, url, site.admin.token)
                assert status == 204, (url, status)
                sockets = [client for client in removed if client.person == pupil.person]
                await room.wait_for(
                    lambda client: client.final_code == 4403,
                    REMOVAL_LIMIT,
                    "were closed with 4403",
                    sockets,
                )
                for client in sockets:
                    assert client.closed_at is not None
                    assert client.closed_at - started <= REMOVAL_LIMIT, client.describe()
            last = await room.say("After the change")
            stayed = [client for client in room.clients if client not in removed]
            await room.wait_for(
                lambda client: (client.last_seq or 0) >= last["seq"],
                DELIVERY_TIMEOUT,
                f"had event {last['seq']}",
                stayed,
            )
            await asyncio.sleep(SETTLE)
            # coming back is refused at once
            again = LessonClient("pupil x again", x.person, shared.lesson_urls(lesson), first=0)
            again.start()
            await room.wait_for(lambda c: c.final_code == 4403, 10, "were refused", [again])
            assert not again.snapshots
        log = site.log(lesson)
        room.extra.remove(y_elsewhere)
        room.pupils = [pupil for pupil in room.pupils if pupil not in removed]
        room.assert_transcripts(log)
        for client in removed:
            assert [f["seq"] for f in client.events][-1] < last["seq"], client.describe()
            assert client.events == [
                e.frame for e in log if e.seq <= seq and e.seen_by(client.person.id, False)
            ], client.describe()

    run(scenario)


# --- 6. reconnecting while events keep coming -----------------------------------------------------
def test_pupils_reconnecting_over_and_over_while_the_class_talks_miss_nothing(
    site: Site, shared: Servers
) -> None:
    """Thirty pupils reconnect over and over, on alternate servers, while ten people talk:
    every replay ends where its ``synced`` number says, so an event committed while a replay is
    read arrives live afterwards. (In commit 335ae29, ``LessonConsumer._first_frames`` read the
    ``synced`` number after the events, in a second query: such an event was in neither, and
    every churning pupil lost some; the failure shows "replayed [...], then synced N: skipped".)
    """
    lesson = site.lessons["churn"]

    async def scenario() -> None:
        async with Classroom(site, lesson, shared, teacher_on=0) as room:
            await room.teacher_does("lesson.start")
            talkers = [room.teacher, *room.pupils[:9]]
            churners = room.pupils[10:40]
            talking = True

            async def talk(client: LessonClient, number: int) -> None:
                for line in range(15):
                    await client.act("chat.send", f"talk-{number}-{line}", text=f"{number}: {line}")
                    await asyncio.sleep(0.1)

            async def churn(client: LessonClient) -> None:
                while talking:
                    await client.go_offline()
                    await asyncio.sleep(random.uniform(0, 0.1))  # noqa: S311 - test timing
                    client.come_back(1 - client.index)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(client.ready.wait(), 10)
                    await asyncio.sleep(random.uniform(0.05, 0.3))  # noqa: S311 - test timing

            churning = [asyncio.create_task(churn(client)) for client in churners]
            await asyncio.gather(*(talk(client, n) for n, client in enumerate(talkers)))
            talking = False
            await asyncio.gather(*churning)
            last = await room.say("Quiet now.")
            await room.everyone_has(last["seq"])
        room.assert_transcripts(site.log(lesson))

    run(scenario)


# --- bugs found in the application: these tests fail until it is fixed ----------------------------
def open_presences(site: Site, lesson: Lesson) -> int:
    with psycopg.connect(site.database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM classrooms_presence WHERE lesson_id = %s AND closed_at IS NULL",
            [lesson.id],
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _channel_layer_waits(seconds: float) -> str | None:
    """Wait ``seconds`` for a message on a new channel of a channel layer configured exactly as
    the servers' (the same settings and REDIS_URL): None if it waited quietly, else what it
    raised."""
    from django.utils.module_loading import import_string

    configured = settings.CHANNEL_LAYERS["default"]
    layer = import_string(configured["BACKEND"])(**configured["CONFIG"])
    name = await layer.new_channel()
    started = time.monotonic()
    try:
        await asyncio.wait_for(layer.receive(name), seconds)
    except TimeoutError:  # asyncio's: nothing came, as expected
        return None
    except Exception as error:
        kind = f"{type(error).__module__}.{type(error).__name__}"
        return f"{kind}: {error} after {time.monotonic() - started:.2f} s"
    finally:
        await layer.close_pools()
    return "a message came on a new channel"


def test_a_quiet_socket_is_not_dropped_by_the_channel_layers_read_timeout(
    site: Site, shared: Servers
) -> None:
    """BUG, lms/settings.py, ``CHANNEL_LAYERS`` (the Redis host entry, lines 135-140): redis-py
    8 (requirements/base.txt pins redis==8.1.0) reads with a default ``socket_timeout`` of 5 s,
    and channels_redis waits for a process's control messages with ``BZPOPMIN`` for 5 s
    (``brpop_timeout``). When nothing comes, the read times out before Redis answers, the
    channel layer's ``receive`` raises ``redis.exceptions.TimeoutError``, and the consumer that
    was receiving dies: the server drops a socket about every 5 s of quiet (its log shows
    "Exception in ASGI application ... Timeout reading from"). The client must reconnect, and
    ``disconnect()`` never runs for the dead consumer: its Presence row stays open, its
    subscriber stays in the hub. Fix: give the host entry a ``socket_timeout`` above 5 s (say
    15); with it, this test passes.

    Shown twice at once: quiet sockets on the two servers, and a channel layer of the same
    configuration waiting in this process. (The layer now waits 12 s at a time,
    ``lms.channel_layer``: the quiet lasts longer than one such wait.)"""
    lesson = site.lessons["quiet"]
    quiet = channel_layer.WAIT_SECONDS + 1.5  # longer than one wait of the layer's

    async def scenario() -> None:
        async with Classroom(site, lesson, shared, teacher_on=0, pupils=3) as room:
            probes, _slept = await asyncio.gather(
                asyncio.gather(*(_channel_layer_waits(quiet) for _ in range(3))),
                asyncio.sleep(quiet),
            )
        dropped = [client.describe() for client in room.clients if len(client.connections) != 1]
        timeouts = sum(
            process.log.read_text(errors="replace").count("Timeout reading from")
            for process in shared.processes
        )
        failed = [probe for probe in probes if probe is not None]
        broken = bool(failed or dropped)
        if broken:
            await asyncio.sleep(1)  # the sockets closed by the clients have closed their rows
        assert not broken, (
            f"A channel layer configured as the servers' could not wait {quiet} s: {failed}.\n"
            f"{len(dropped)} of {len(room.clients)} quiet sockets were dropped within {quiet} s "
            f"(the server logs hold {timeouts} channel layer read time-outs); every client has "
            f"left, yet {open_presences(site, lesson)} Presence rows of the lesson are open:\n"
            + "\n".join(dropped)
        )

    run(scenario)
