"""A socket does not outlive the person's right to be in the lesson: taken out of the class,
signed out, deactivated, or (for an API client) its token revoked, every socket of theirs is
closed with 4403 within moments (``realtime.bus.user_recheck`` -> the channel layer's group
``user.<id>`` -> ``LessonConsumer.access_recheck``). Their other sockets, and everyone
else's, stay open."""

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from classrooms.models import Presence
from courses.services import enrolment_delete
from lms.accounts.models import User
from lms.accounts.services import api_token_create, api_tokens_revoke
from lms.accounts.services.people import person_set_active
from realtime import bus
from realtime.consumers import LessonConsumer, _join_all
from tests.realtime.conftest import LessonSocket, Live, joined, open_socket, run, start

pytestmark = pytest.mark.django_db(transaction=True)

BOUND = 5  # seconds: the longest a socket may stay open once the right is gone


async def closed_within_bound(socket: LessonSocket, since: float) -> None:
    frame = await socket.receive(timeout=BOUND)
    while frame["type"] != "closed":
        frame = await socket.receive(timeout=BOUND)
    assert frame["code"] == 4403
    assert time.monotonic() - since < BOUND


async def still_open(socket: LessonSocket) -> None:
    """The socket answers a ping (``drain`` fails on a closed one)."""
    assert "closed" not in [frame["type"] for frame in await socket.drain()]


class Rechecks:
    """Counts the rechecks the sockets have finished, per person, so that a test can wait
    until a socket that must stay open has had its recheck too."""

    def __init__(self) -> None:
        self.done: Counter[int] = Counter()
        self.changed: asyncio.Event | None = None

    def finished(self, user_id: int) -> None:
        self.done[user_id] += 1
        if self.changed is not None:
            self.changed.set()

    async def wait(self, user_id: int, count: int) -> None:
        self.changed = asyncio.Event()
        while self.done[user_id] < count:
            await asyncio.wait_for(self.changed.wait(), BOUND)
            self.changed.clear()


@pytest.fixture
def rechecks(monkeypatch: pytest.MonkeyPatch) -> Rechecks:
    counter = Rechecks()
    original = LessonConsumer.access_recheck

    async def counted(self: LessonConsumer, event: dict[str, Any]) -> None:
        try:
            await original(self, event)
        finally:
            counter.finished(self.user.pk)

    monkeypatch.setattr(LessonConsumer, "access_recheck", counted)
    return counter


def test_a_pupil_taken_out_of_the_class_is_disconnected(live: Live, rechecks: Rechecks) -> None:
    start(live)
    cohort = live.lesson.cohort

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        second, _s = await joined(live.lesson, live.student)  # another tab
        other, _s = await joined(live.lesson, live.student_x)
        began = time.monotonic()
        await database_sync_to_async(enrolment_delete)(
            cohort=cohort, student=live.student, by=live.admin
        )
        await closed_within_bound(pupil, began)
        await closed_within_bound(second, began)
        await rechecks.wait(live.student.pk, 2)
        await still_open(other)
        # Nor can they come back.
        _socket, _accepted, code = await open_socket(live.lesson, live.student)
        assert code == 4403
        for socket in (pupil, second, other):
            await socket.close()

    run(scenario)


def test_a_person_who_signs_out_is_disconnected(live: Live, rechecks: Rechecks) -> None:
    start(live)
    browser = Client()
    browser.force_login(live.student)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student, cookie=cookie)
        elsewhere, _s = await joined(live.lesson, live.student)  # signed in on another device
        began = time.monotonic()
        response = await database_sync_to_async(browser.post)(reverse("frontend:sign-out"))
        assert response.status_code == 302
        await closed_within_bound(pupil, began)
        await rechecks.wait(live.student.pk, 2)
        await still_open(elsewhere)
        _socket, _accepted, code = await open_socket(live.lesson, None, cookie=cookie)
        assert code == 4401
        for socket in (pupil, elsewhere):
            await socket.close()

    run(scenario)


def test_a_deactivated_person_is_disconnected(live: Live, rechecks: Rechecks) -> None:
    start(live)
    _instance, token = api_token_create(user=live.student)

    async def scenario() -> None:
        browser, _s = await joined(live.lesson, live.student)
        app, _s = await joined(live.lesson, None, token=token, origin=None)
        teacher, _s = await joined(live.lesson, live.teacher)
        began = time.monotonic()
        await database_sync_to_async(person_set_active)(
            person=live.student, by=live.admin, active=False
        )
        await closed_within_bound(browser, began)
        await closed_within_bound(app, began)
        # Deactivating asks twice (and revokes the tokens): a socket is closed once all the
        # same (a server refuses a second close frame).
        await rechecks.wait(live.student.pk, 4)
        assert await browser.nothing(timeout=0)
        assert await app.nothing(timeout=0)
        await still_open(teacher)
        for socket in (browser, app, teacher):
            await socket.close()

    run(scenario)


def test_a_socket_closes_when_its_api_token_is_revoked(live: Live, rechecks: Rechecks) -> None:
    start(live)
    revoked, revoked_key = api_token_create(user=live.student)
    _kept, kept_key = api_token_create(user=live.student)

    async def scenario() -> None:
        app, _s = await joined(live.lesson, None, token=revoked_key, origin=None)
        phone, _s = await joined(live.lesson, None, token=kept_key, origin=None)
        browser, _s = await joined(live.lesson, live.student)
        began = time.monotonic()
        await database_sync_to_async(api_tokens_revoke)(user=live.student, only=revoked)
        await closed_within_bound(app, began)
        await rechecks.wait(live.student.pk, 3)
        await still_open(phone)
        await still_open(browser)
        _socket, _accepted, code = await open_socket(
            live.lesson, None, token=revoked_key, origin=None
        )
        assert code == 4401
        for socket in (app, phone, browser):
            await socket.close()

    run(scenario)
    assert AuthToken.objects.filter(user=live.student).count() == 1


def test_a_recheck_leaves_a_person_who_may_stay(live: Live, rechecks: Rechecks) -> None:
    """A recheck closes nothing by itself: a person who may still be there stays."""
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        _instance, key = await database_sync_to_async(api_token_create)(user=live.teacher)
        app, _s = await joined(live.lesson, None, token=key, origin=None)
        await database_sync_to_async(bus.user_recheck)(live.teacher.pk)
        await rechecks.wait(live.teacher.pk, 2)
        await teacher.reply(await teacher.send("chat.send", text="Still here"))
        await still_open(teacher)
        assert (await app.event("chat.posted"))["data"]["text"] == "Still here"
        await still_open(app)
        for socket in (teacher, app):
            await socket.close()

    run(scenario)


def test_a_person_deactivated_while_their_socket_joins_is_refused(live: Live) -> None:
    """The handshake signed them in; before their socket joined its group (where the
    deactivation's recheck goes) they were deactivated. Their session still exists, since
    deactivation ends API tokens, not sessions: the join's own check refuses them."""
    start(live)
    browser = Client()
    browser.force_login(live.student)
    session = SessionStore(browser.cookies["sessionid"].value)
    signed_in = User.objects.get(pk=live.student.pk)  # as the handshake loaded them
    User.objects.filter(pk=live.student.pk).update(is_active=False)

    joining = LessonConsumer()
    joining.scope = {"session": session}
    joining.user, joining.lesson_id = signed_in, live.lesson.pk

    assert _join_all([(joining, None, 1)]) == [4403]
    assert not Presence.objects.filter(lesson=live.lesson).exists()


def test_signing_out_ends_the_session_before_the_sockets_recheck(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django flushes the session after it announces the sign-out; a socket whose recheck ran
    in between would still find the session and stay open."""
    browser = Client()
    browser.force_login(live.student)
    key = browser.cookies["sessionid"].value
    found_at_recheck: list[bool] = []
    monkeypatch.setattr(
        bus, "user_recheck", lambda user_id: found_at_recheck.append(SessionStore().exists(key))
    )

    response = browser.post(reverse("frontend:sign-out"))

    assert response.status_code == 302
    assert found_at_recheck == [False]


def test_a_socket_whose_channel_layer_fails_is_closed_to_come_back(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel layer carries the rechecks: a socket that can no longer hear them (Redis
    lost under it) is closed as after a server error, and its client reconnects."""
    start(live)
    failing = asyncio.Event()

    async def scenario() -> None:
        layer = get_channel_layer()
        original = type(layer).receive

        async def receive(self: Any, channel: str) -> dict[str, Any]:
            if "failing" in vars(self):
                await failing.wait()
                raise ConnectionError("the channel layer's server went away")
            return await original(self, channel)

        monkeypatch.setattr(type(layer), "receive", receive)
        layer.failing = True
        pupil, _s = await joined(live.lesson, live.student)
        await still_open(pupil)
        failing.set()
        frame = await pupil.receive(timeout=BOUND)
        while frame["type"] != "closed":
            frame = await pupil.receive(timeout=BOUND)
        assert frame["code"] == 1011
        await pupil.close()
        del layer.failing

    run(scenario)
    assert not Presence.objects.filter(lesson=live.lesson, closed_at__isnull=True).exists()
