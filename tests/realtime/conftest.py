"""A live lesson to join: class "a1" of the ``rooms`` scenario, taught by ``class_teacher``
from the A1 smart classroom, with the A2 room as a spoke (``facilitator_a2``), and two
pupils, ``student_a1`` and ``student_x``. ``student_a2`` is a pupil of another class.

``LessonSocket`` is a WebSocket client on the whole ASGI application (origin check, session
or token sign-in, routing), through Channels' ``WebsocketCommunicator``."""

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import channels.testing.application
import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from classrooms.lessons import live_lesson_schedule
from classrooms.live import lesson_start
from classrooms.models import (
    ChatMessage,
    CheckIn,
    Hand,
    LessonProgress,
    LiveLesson,
    Mute,
    Poll,
    PollAnswer,
)
from lms.accounts.models import Role, User
from lms.accounts.services import api_token_create
from realtime.models import LessonEvent
from tests.asyncrun import run_async
from tests.classrooms.conftest import Rooms, rooms  # noqa: F401 - a fixture used here
from tests.courses.conftest import courses  # noqa: F401 - a fixture used here
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

ORIGIN = b"http://127.0.0.1:8000"
TIMEOUT = 5


@dataclass
class Live:
    lesson: LiveLesson
    teacher: User
    facilitator: User
    student: User
    student_x: User
    outsider: User  # a pupil of another class
    admin: User  # runs the class's school
    rooms: Rooms


@pytest.fixture(autouse=True)
def _connections_handed_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels' test communicator turns ``channels.db.close_old_connections`` into a no-op
    while it sends and waits (``channels.testing.application``), so the consumers' database
    connections stay checked out of psycopg's pool; after enough tests the pool is used up
    and a socket waits for a connection. Here they are handed back as in production (these
    tests are transactional: no test's own connection is closed by it)."""
    monkeypatch.setattr(channels.testing.application, "no_op", close_old_connections)


@pytest.fixture
def live(rooms: Rooms) -> Live:  # noqa: F811 - the fixture imported above
    classes = rooms.classes
    cohort = classes.cohorts["a1"]
    teacher = classes.person("class_teacher")
    world = classes.courses.world
    student_x = make_person(Role.STUDENT, school=world.school_a1)
    EnrolmentFactory(cohort=cohort, student=student_x)
    lesson = live_lesson_schedule(
        cohort=cohort,
        by=teacher,
        title="Fractions, live",
        starts_at=timezone.now() + timedelta(minutes=5),
        duration_minutes=45,
        hub=rooms.smart_a1,
        spokes=[{"classroom": rooms.room_a2, "facilitator": rooms.facilitator_a2}],
    )
    return Live(
        lesson=lesson,
        teacher=teacher,
        facilitator=rooms.facilitator_a2,
        student=world.student_a1,
        student_x=student_x,
        outsider=world.student_a2,
        admin=world.school_admin_a1,
        rooms=rooms,
    )


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def token_of(user: User) -> str:
    _instance, key = api_token_create(user=user)
    return key


_ids = itertools.count(1)


class LessonSocket:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.frames: list[dict[str, Any]] = []

    async def send(self, kind: str, *, id: str | None = "auto", **fields: Any) -> str | None:
        message: dict[str, Any] = {"type": kind, **fields}
        if id == "auto":
            id = f"m{next(_ids)}"
        if id is not None:
            message["id"] = id
        await self.communicator.send_to(text_data=json.dumps(message))
        return id

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_message(self, message: dict[str, Any]) -> None:
        """Any JSON object as it is (for fields ``send`` takes itself, such as ``kind``)."""
        await self.communicator.send_to(text_data=json.dumps(message))

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            frame = {"type": "closed", "code": output.get("code")}
        else:
            frame = json.loads(output["text"])
        self.frames.append(frame)
        return frame

    async def until(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Frames are read until one of ``kind`` comes (the others stay in ``frames``)."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == kind:
                return frame
            if frame["type"] == "closed":
                raise AssertionError(f"closed ({frame['code']}) while waiting for {kind}")

    async def event(self, kind: str, timeout: float = TIMEOUT, **match: Any) -> dict[str, Any]:
        """The first frame of ``kind`` (with the given top-level values, such as ``seq``),
        among those read already or, failing that, read on until it comes: an event and the
        ack of the message that caused it may come in either order."""
        for frame in self.frames:
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame
        while True:
            frame = await self.until(kind, timeout)
            if all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def reply(self, message_id: str | None, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The ack or error answering the message ``message_id``."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] in ("ack", "error") and frame.get("id") == message_id:
                return frame
            if frame["type"] == "closed":
                raise AssertionError(f"closed ({frame['code']}) before the answer")

    async def drain(self) -> list[dict[str, Any]]:
        """The frames queued for this socket so far: a ping is answered after everything
        queued before it, so the frames before the pong are all there were."""
        start = len(self.frames)
        await self.send("ping", id=None)
        await self.until("pong")
        return self.frames[start:-1]

    async def presence(self, count: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Presence frames are read until one gives ``count`` (they come about a second after
        people join or leave; an earlier one may still give the count before)."""
        while True:
            frame = await self.until("presence", timeout)
            if frame["count"] == count:
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()

    def events(self) -> list[dict[str, Any]]:
        return [
            frame
            for frame in self.frames
            if "seq" in frame and frame["type"] != "synced" and frame["type"] != "snapshot"
        ]

    def lesson_events(self) -> list[dict[str, Any]]:
        """The lesson's events received so far, in order (``events`` without the acks)."""
        return [frame for frame in self.events() if frame["type"] != "ack"]

    def kinds(self) -> list[str]:
        """The types of the events received so far, in order."""
        return [frame["type"] for frame in self.lesson_events()]

    def seqs(self) -> list[int]:
        """The numbers of the events received so far, in order."""
        return [frame["seq"] for frame in self.lesson_events()]


async def open_socket(
    lesson: LiveLesson,
    user: User | None,
    *,
    since: int | None = None,
    at: str | None = None,
    origin: bytes | None = ORIGIN,
    token: str | None = None,
    application: Any = None,
    cookie: bytes | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[LessonSocket, bool, int | None]:
    """Opens a socket; answers it, whether the handshake was accepted, and the close code
    when the server closed it at once (4401, 4403, ...). ``cookie`` replaces the fresh
    session of ``user`` (a browser's own session). ``since`` and ``at``: the last event the
    client has, as the page's client gives them."""
    if application is None:
        from lms.asgi import application as default

        application = default
    headers = list(headers or [])
    if origin is not None:
        headers.append((b"origin", origin))
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    elif cookie is not None:
        headers.append((b"cookie", cookie))
    elif user is not None:
        headers.append((b"cookie", await _cookie(user)))
    query = {"since": since, "at": at}
    path = f"/ws/lessons/{lesson.pk}/"
    if since is not None:
        path += "?" + urlencode({key: value for key, value in query.items() if value is not None})
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect(timeout=TIMEOUT)
    socket = LessonSocket(communicator)
    if connected:
        first = await socket.receive()
        if first["type"] == "closed":
            return socket, True, first["code"]
    return socket, bool(connected), None


async def _cookie(user: User) -> bytes:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(session_cookie)(user)


async def joined(
    lesson: LiveLesson, user: User | None, **options: Any
) -> tuple[LessonSocket, dict[str, Any]]:
    """A socket that was let in, and its snapshot (``user`` None: signed in by ``token`` or
    ``cookie``)."""
    socket, accepted, code = await open_socket(lesson, user, **options)
    assert accepted, "the handshake was refused"
    assert code is None, f"closed at once ({code})"
    return socket, await socket.until("snapshot")


def run(test: Callable[[], Awaitable[None]]) -> None:
    run_async(test)


def stored(lesson_id: int) -> list[tuple[int, str]]:
    """The lesson's event log: (seq, kind) in order."""
    return list(
        LessonEvent.objects.filter(lesson_id=lesson_id).order_by("seq").values_list("seq", "kind")
    )


def written(lesson_id: int) -> dict[str, Any]:
    """How many rows the lesson has of everything its actions write (to show a refusal
    wrote nothing)."""
    lesson = {"lesson_id": lesson_id}
    return {
        "events": LessonEvent.objects.filter(**lesson).count(),
        "progress": LessonProgress.objects.filter(**lesson, slide__isnull=False).count(),
        "polls": Poll.objects.filter(**lesson).count(),
        "answers": PollAnswer.objects.filter(poll__lesson_id=lesson_id).count(),
        "hands": Hand.objects.filter(**lesson).count(),
        "chat": ChatMessage.objects.filter(**lesson, deleted_by__isnull=True).count(),
        "mutes": Mute.objects.filter(**lesson).count(),
        "check_ins": CheckIn.objects.filter(**lesson).count(),
        "state": LiveLesson.objects.get(pk=lesson_id).state,
    }


def start(live: Live) -> None:
    """The teacher starts the lesson (before any socket opens)."""
    lesson_start(lesson=live.lesson, by=live.teacher)


@pytest.fixture
def other_lesson(live: Live) -> LiveLesson:
    """A later lesson of the same class, with the A1 school's facilitator in the plain A1 room
    (``live.rooms.plain_a1``): the facilitator of another lesson."""
    world = live.rooms.classes.courses.world
    return live_lesson_schedule(
        cohort=live.lesson.cohort,
        by=live.teacher,
        title="Decimals, live",
        starts_at=timezone.now() + timedelta(hours=3),
        duration_minutes=45,
        spokes=[{"classroom": live.rooms.plain_a1, "facilitator": world.facilitator_a1}],
    )


async def written_now(lesson_id: int) -> dict[str, Any]:
    """``written``, from inside a scenario."""
    from channels.db import database_sync_to_async

    return await database_sync_to_async(written)(lesson_id)


def statement_numbers(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What ``bus.event_append_if`` answered, stroke by stroke: the number of an event the
    loop's statement stored, None for one it left to the service on a thread."""
    from realtime import bus

    answers: list[int | None] = []
    statement = bus.event_append_if

    async def recorded(*args: Any, **kwargs: Any) -> int | None:
        answers.append(await statement(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(bus, "event_append_if", recorded)
    return answers
