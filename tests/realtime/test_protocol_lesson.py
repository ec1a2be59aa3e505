"""The lesson itself on the socket: who may join (and as what), the first frames, starting
and ending the lesson, and the close codes of a refused handshake."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from classrooms.lessons import live_lesson_cancel, live_lesson_update
from classrooms.live import hand_raise, poll_open
from classrooms.models import Hand, LessonProgress, LiveLesson, Poll
from lms.accounts.models import User
from tests.realtime.conftest import (
    Live,
    joined,
    open_socket,
    run,
    start,
    stored,
    written,
    written_now,
)

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_KEYS = {"hands", "roster"}


def _person(live: Live, role: str) -> User:
    return {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }[role]


@pytest.mark.parametrize("role", ["teacher", "facilitator", "student", "observer"])
def test_each_part_gets_a_welcome_and_its_own_snapshot(live: Live, role: str) -> None:
    person = _person(live, role)

    async def scenario() -> None:
        socket, accepted, code = await open_socket(live.lesson, person)
        assert (accepted, code) == (True, None)
        welcome = socket.frames[0]  # open_socket read it
        you = {"id": person.pk, "name": person.get_full_name(), "role": role}
        assert welcome == {"type": "welcome", "you": you}
        snapshot = await socket.receive()
        assert snapshot["type"] == "snapshot"
        assert snapshot["seq"] == 0
        state = snapshot["state"]
        assert state["you"] == you
        assert state["lesson"]["id"] == live.lesson.pk
        assert state["lesson"]["state"] == "scheduled"
        assert state["lesson"]["teacher"]["id"] == live.teacher.pk
        assert (state["slide"], state["poll"], state["chat"], state["board"]) == (
            None,
            None,
            [],
            [],
        )
        assert (set(state) & STAFF_KEYS) == (STAFF_KEYS if role != "student" else set())
        assert ("codes" in state) == (role == "facilitator")
        if role != "student":
            assert {row["id"] for row in state["roster"]} == {live.student.pk, live.student_x.pk}
        await socket.close()

    run(scenario)


def test_the_teacher_starts_the_lesson_for_everyone(live: Live) -> None:
    async def scenario() -> None:
        sockets = {}
        for role in ("teacher", "facilitator", "student", "observer"):
            sockets[role], _snapshot = await joined(live.lesson, _person(live, role))
        teacher = sockets["teacher"]
        sent = await teacher.send("lesson.start")
        ack = await teacher.reply(sent)
        assert ack == {"type": "ack", "id": sent, "seq": 1, "duplicate": False}
        for socket in sockets.values():
            started = await socket.event("lesson.started")
            assert set(started) == {"seq", "type", "at", "data"}
            assert started["seq"] == 1
            assert set(started["data"]) == {"started_at"}
        # Starting a lesson that is on already changes nothing: no event, no number.
        again = await teacher.reply(await teacher.send("lesson.start"))
        assert (again["type"], again["seq"], again["duplicate"]) == ("ack", None, False)

        late, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["seq"] == 1
        assert snapshot["state"]["lesson"]["state"] == "live"
        assert snapshot["state"]["lesson"]["started_at"] == started["data"]["started_at"]
        for socket in (*sockets.values(), late):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started")]
    assert LiveLesson.objects.get(pk=live.lesson.pk).state == "live"
    assert LessonProgress.objects.get(lesson=live.lesson).started_at is not None


@pytest.mark.parametrize(
    ("starts_in", "code"),
    [(timedelta(hours=2), "too_early"), (timedelta(minutes=-50), "too_late")],
)
def test_a_lesson_starts_only_in_its_time(live: Live, starts_in: timedelta, code: str) -> None:
    LiveLesson.objects.filter(pk=live.lesson.pk).update(starts_at=timezone.now() + starts_in)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _snapshot = await joined(live.lesson, live.teacher)
        sent = await teacher.send("lesson.start")
        error = await teacher.reply(sent)
        assert (error["type"], error["id"], error["code"]) == ("error", sent, code)
        assert error["message"]
        assert error["fields"] == {}
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before
    assert not LessonProgress.objects.filter(lesson=live.lesson).exists()


def test_the_teacher_ends_the_lesson(live: Live) -> None:
    start(live)
    poll_open(
        lesson=live.lesson,
        by=live.teacher,
        question="Ready?",
        options=["Yes", "No"],
        multiple=False,
    )
    hand_raise(lesson=live.lesson, by=live.student)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student_x)
        sent = await teacher.send("lesson.end")
        ack = await teacher.reply(sent)
        assert ack["seq"] == 4
        for socket in (teacher, pupil):
            ended = await socket.event("lesson.ended")
            assert (ended["seq"], set(ended["data"])) == (4, {"ended_at"})
        again = await teacher.reply(await teacher.send("lesson.end"))
        assert (again["type"], again["seq"]) == ("ack", None)

        # Ended: the open poll closed, the hands down; nothing more can start or happen.
        late, snapshot = await joined(live.lesson, live.facilitator)
        state = snapshot["state"]
        assert state["lesson"]["state"] == "ended"
        assert state["lesson"]["ended_at"] == ended["data"]["ended_at"]
        assert state["poll"]["state"] == "closed"
        assert state["hands"] == []
        before = await written_now(live.lesson.pk)
        refused = await teacher.reply(await teacher.send("lesson.start"))
        assert refused["code"] == "not_scheduled"
        refused = await pupil.reply(await pupil.send("chat.send", text="Still here?"))
        assert refused["code"] == "not_live"
        assert await written_now(live.lesson.pk) == before
        for socket in (teacher, pupil, late):
            await socket.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == [
        "lesson.started",
        "poll.opened",
        "hand.raised",
        "lesson.ended",
    ]
    assert Poll.objects.get(lesson=live.lesson).state == "closed"
    assert not Hand.objects.filter(lesson=live.lesson).exists()


def test_a_lesson_not_started_cannot_end(live: Live) -> None:
    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("lesson.end"))
        assert error["code"] == "not_live"
        await teacher.close()

    run(scenario)
    assert stored(live.lesson.pk) == []
    assert LiveLesson.objects.get(pk=live.lesson.pk).state == "scheduled"


@pytest.mark.parametrize("kind", ["lesson.start", "lesson.end"])
@pytest.mark.parametrize("role", ["facilitator", "student", "observer"])
def test_only_the_teacher_starts_and_ends(live: Live, kind: str, role: str) -> None:
    if kind == "lesson.end":
        start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, _person(live, role))
        error = await socket.reply(await socket.send(kind))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_no_such_lesson_closes_with_4404(live: Live) -> None:
    missing = LiveLesson(pk=live.lesson.pk + 1000)

    async def scenario() -> None:
        _socket, accepted, code = await open_socket(missing, live.teacher)
        assert (accepted, code) == (True, 4404)

    run(scenario)


def test_a_lesson_moved_or_cancelled_is_told_to_those_waiting_for_it(live: Live) -> None:
    """Scheduling happens on the pages, not on the socket; the sockets hear of it. A
    cancelled lesson lets no one in any more (4410)."""
    moved_to = live.lesson.starts_at + timedelta(minutes=10)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        await database_sync_to_async(live_lesson_update)(
            lesson=live.lesson, by=live.teacher, data={"starts_at": moved_to}
        )
        changed = await pupil.event("lesson.changed")
        assert (changed["seq"], changed["data"]) == (
            1,
            {
                "title": live.lesson.title,
                "starts_at": moved_to.isoformat(),
                "ends_at": (moved_to + timedelta(minutes=45)).isoformat(),
            },
        )
        await database_sync_to_async(live_lesson_cancel)(
            lesson=live.lesson, by=live.teacher, reason="The teacher is ill."
        )
        cancelled = await pupil.event("lesson.cancelled")
        assert (cancelled["seq"], cancelled["data"]) == (2, {"reason": "The teacher is ill."})
        for person in (live.teacher, live.student):
            _socket, _accepted, code = await open_socket(live.lesson, person)
            assert code == 4410
        await pupil.close()

    run(scenario)


def test_a_facilitator_of_another_lesson_cannot_join(live: Live, other_lesson: LiveLesson) -> None:
    other = other_lesson.spokes.get().facilitator

    async def scenario() -> None:
        _socket, _accepted, code = await open_socket(live.lesson, other)
        assert code == 4403
        _socket, _accepted, code = await open_socket(other_lesson, live.facilitator)
        assert code == 4403
        own, snapshot = await joined(other_lesson, other)
        assert snapshot["state"]["you"]["role"] == "facilitator"
        await own.close()

    run(scenario)


def test_an_observer_reads_everything_the_staff_read_but_acts_on_nothing(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        observer, snapshot = await joined(live.lesson, live.admin)
        assert snapshot["state"]["you"]["role"] == "observer"
        assert "roster" in snapshot["state"]
        assert "codes" not in snapshot["state"]
        pupil, _s = await joined(live.lesson, live.student)
        await pupil.reply(await pupil.send("hand.raise"))
        raised = await observer.until("hand.raised")  # a staff event
        assert raised["data"]["user"]["id"] == live.student.pk
        roster = await observer.until("roster")
        assert any(row["online"] for row in roster["students"])
        before = await written_now(live.lesson.pk)
        for kind, fields in (
            ("lesson.end", {}),
            ("chat.send", {"text": "Hello from the office"}),
            ("hand.lower", {"user_id": live.student.pk}),
            ("poll.open", {"question": "?", "options": ["a", "b"]}),
            ("board.clear", {}),
        ):
            error = await observer.reply(await observer.send(kind, **fields))
            assert error["code"] == "forbidden"
        assert await written_now(live.lesson.pk) == before
        await observer.close()
        await pupil.close()

    run(scenario)
