"""A live lesson to join: class "a1" of the ``rooms`` scenario, taught by ``class_teacher``
from the A1 smart classroom, with the A2 room as a spoke (``facilitator_a2``), and two
pupils, ``student_a1`` and ``student_x``. ``student_a2`` is a pupil of another class.

``LessonSocket`` is a WebSocket client on the whole ASGI application (origin check, session
or token sign-in, routing), through Channels' ``WebsocketCommunicator``."""

import itertools
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from classrooms.lessons import live_lesson_schedule
from classrooms.models import LiveLesson
from lms.accounts.models import Role, User
from lms.accounts.services import api_token_create
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

    async def reply(self, message_id: str | None, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The ack or error answering the message ``message_id``."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] in ("ack", "error") and frame.get("id") == message_id:
                return frame
            if frame["type"] == "closed":
                raise AssertionError(f"closed ({frame['code']}) before the answer")

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


async def open_socket(
    lesson: LiveLesson,
    user: User | None,
    *,
    since: int | None = None,
    origin: bytes | None = ORIGIN,
    token: str | None = None,
    application: Any = None,
) -> tuple[LessonSocket, bool, int | None]:
    """Opens a socket; answers it, whether the handshake was accepted, and the close code
    when the server closed it at once (4401, 4403, ...)."""
    if application is None:
        from lms.asgi import application as default

        application = default
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    elif user is not None:
        headers.append((b"cookie", await _cookie(user)))
    path = f"/ws/lessons/{lesson.pk}/" + (f"?since={since}" if since is not None else "")
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
