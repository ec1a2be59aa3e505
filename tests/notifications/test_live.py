"""Live notices over ``/ws/notifications/``: a person's open pages receive their new notices,
and only theirs; one group message per batch reaches each process's sockets."""

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from lms.accounts.models import User
from lms.notifications.services import notify
from tests.asyncrun import run_async
from tests.conftest import World
from tests.realtime.conftest import (  # noqa: F401 - an autouse fixture used here
    _connections_handed_back,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


async def _open(
    user: User | None, *, origin: bytes = ORIGIN[1], query: str = ""
) -> tuple[WebsocketCommunicator, Any]:
    from lms.asgi import application

    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    socket = WebsocketCommunicator(application, f"/ws/notifications/{query}", headers=headers)
    connected, _code = await socket.connect(timeout=5)
    if not connected:
        return socket, "refused at the handshake"
    first = await socket.receive_output(timeout=5)
    if first["type"] == "websocket.close":
        return socket, first["code"]
    return socket, json.loads(first["text"])


def _tell(people: list[User], title_class: str) -> None:
    notify(
        kind="enrolled",
        recipients=people,
        params={"class": title_class, "course": "Algebra", "link": "/classes/1/"},
    )


def _reads(people: list[User], language: str) -> None:
    User.objects.filter(pk__in=[person.pk for person in people]).update(preferred_language=language)


def test_a_new_notice_reaches_the_persons_open_pages_only(world: World, settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _reads([world.student_a1], "en")

    async def scenario() -> None:
        # given the pupil with two pages open, and another pupil with one
        one, hello = await _open(world.student_a1)
        assert hello == {"type": "notices.hello", "unread": 0}
        two, _hello = await _open(world.student_a1)
        other, _hello = await _open(world.student_a2)
        # when the pupil is told something (committed, fanned out by the eager task)
        await database_sync_to_async(_tell)([world.student_a1], "7A")
        # then both of their pages receive it, the other pupil's does not
        for socket in (one, two):
            frame = json.loads(await socket.receive_from(timeout=5))
            assert frame["type"] == "notice"
            assert frame["title"] == "You are enrolled in 7A"
            assert frame["link"] == "/classes/1/"
            assert frame["kind"] == "enrolled"
        assert await other.receive_nothing(timeout=0.5)
        # and a page opened now counts it unread
        three, hello = await _open(world.student_a1)
        assert hello["unread"] == 1
        for socket in (one, two, other, three):
            await socket.disconnect()

    run_async(scenario)


def test_one_batch_for_many_people_reaches_each_of_them(world: World, settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    people = [world.student_a1, world.student_a2, world.student_b1]
    _reads(people[:2], "en")
    _reads(people[2:], "ru")

    async def scenario() -> None:
        sockets = [(await _open(person))[0] for person in people]
        await database_sync_to_async(_tell)(people, "7Z")
        frames = [json.loads(await s.receive_from(timeout=5)) for s in sockets]
        # each in their own language
        assert [frame["title"] for frame in frames] == [
            "You are enrolled in 7Z",
            "You are enrolled in 7Z",
            "Вы зачислены в класс 7Z",
        ]
        assert len({frame["id"] for frame in frames}) == 3
        for socket in sockets:
            await socket.disconnect()

    run_async(scenario)


def test_each_page_gets_the_title_in_its_own_language(world: World, settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # a pupil who never chose a language, at a school teaching in Kyrgyz first
    _reads([world.student_a1], "")
    world.school_a1.languages = ["ky", "ru"]
    world.school_a1.save(update_fields=["languages"])

    async def scenario() -> None:
        russian, _hello = await _open(world.student_a1, query="?lang=ru")
        english, _hello = await _open(world.student_a1, query="?lang=en")
        unknown, _hello = await _open(world.student_a1, query="?lang=xx")
        bare, _hello = await _open(world.student_a1)
        await database_sync_to_async(_tell)([world.student_a1], "7B")
        titles = [
            json.loads(await socket.receive_from(timeout=5))["title"]
            for socket in (russian, english, unknown, bare)
        ]
        # each page in its language; without one (or with one the site has not), the pupil's
        # own: their school's first, as their e-mail is
        assert titles == [
            "Вы зачислены в класс 7B",
            "You are enrolled in 7B",
            "Сиз 7B классына жазылдыңыз",
            "Сиз 7B классына жазылдыңыз",
        ]
        for socket in (russian, english, unknown, bare):
            await socket.disconnect()

    run_async(scenario)


def test_anonymous_and_foreign_origin_sockets_are_refused(world: World) -> None:
    async def scenario() -> None:
        _socket, code = await _open(None)
        assert code == 4401
        _socket, code = await _open(world.student_a1, origin=b"http://evil.example")
        assert code == "refused at the handshake"

    run_async(scenario)


def test_signing_out_closes_the_notice_socket(world: World) -> None:
    async def scenario() -> None:
        socket, _hello = await _open(world.student_a1)
        from realtime import bus

        def sign_out() -> None:
            from django.contrib.sessions.models import Session

            Session.objects.all().delete()
            bus.user_recheck(world.student_a1.pk)

        await database_sync_to_async(sign_out)()
        closed = await socket.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}

    run_async(scenario)


def test_pings_get_pongs_and_anything_else_is_ignored(world: World) -> None:
    async def scenario() -> None:
        socket, _hello = await _open(world.student_a1)
        for junk in ("not json", "{}", '{"a": 1}', "[1, 2]", "null", '"ping"'):
            await socket.send_to(text_data=junk)
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        assert json.loads(await socket.receive_from(timeout=5)) == {"type": "pong"}
        await socket.disconnect()
        await asyncio.sleep(0)

    run_async(scenario)
