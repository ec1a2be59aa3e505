"""Pupils who join at the same event number share one read of the lesson, and each still gets
their own part of it: their hand, mute, check-in and poll answer."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from classrooms import live as services
from classrooms import live_selectors
from classrooms.live_selectors import lesson_at, lesson_snapshot, lesson_snapshot_frame
from classrooms.models import LiveLesson, Poll
from classrooms.policies import LessonRole
from lms.accounts.models import User
from lms.accounts.services import api_token_create
from realtime.consumers import LessonConsumer, _join_all
from realtime.models import LessonStream
from tests.realtime.conftest import Live, start

pytestmark = pytest.mark.django_db


def snapshot_of(live: Live, user: User, role: LessonRole = LessonRole.STUDENT) -> dict[str, Any]:
    return lesson_snapshot(lesson=live.lesson, user=user, role=role)


def lesson_with_a_pupil_in_it(live: Live) -> Poll:
    """The lesson started, a poll open that ``live.student`` answered, their hand up, muted."""
    start(live)
    services.poll_open(
        lesson=live.lesson, by=live.teacher, question="2 + 2?", options=["3", "4"], multiple=False
    )
    poll = Poll.objects.get(lesson=live.lesson)
    services.poll_answer(lesson=live.lesson, by=live.student, poll_id=poll.pk, choices=[1])
    services.hand_raise(lesson=live.lesson, by=live.student)
    services.chat_mute(lesson=live.lesson, by=live.teacher, user_id=live.student.pk, muted=True)
    return poll


def test_each_pupil_gets_their_own_part_of_a_shared_read(live: Live) -> None:
    poll = lesson_with_a_pupil_in_it(live)

    mine = snapshot_of(live, live.student)["state"]
    other = snapshot_of(live, live.student_x)["state"]

    assert (mine["hand"], mine["muted"], mine["poll"]["mine"]) == (True, True, [1])
    assert (other["hand"], other["muted"], other["poll"]["mine"]) == (False, False, None)
    # Pupils do not see the results of a poll that is not shared; the teacher does
    assert "counts" not in other["poll"]
    teacher = snapshot_of(live, live.teacher, LessonRole.TEACHER)["state"]
    assert teacher["poll"]["counts"] == [0, 1]
    assert teacher["hands"][0]["user"]["id"] == live.student.pk
    assert "hands" not in other
    assert other["poll"]["id"] == poll.pk


def test_a_pupil_joining_at_the_same_number_reads_only_their_own_part(live: Live) -> None:
    lesson_with_a_pupil_in_it(live)
    snapshot_of(live, live.student)

    with CaptureQueriesContext(connection) as queries:
        other = snapshot_of(live, live.student_x)

    # the log's number; the rest is the shared read
    assert len(queries) == 1, [query["sql"] for query in queries.captured_queries]
    assert other["state"]["hand"] is False


def test_the_next_event_is_in_the_next_pupil_s_snapshot(live: Live) -> None:
    lesson_with_a_pupil_in_it(live)
    before = snapshot_of(live, live.student_x)
    assert before["state"]["hand"] is False

    services.hand_raise(lesson=live.lesson, by=live.student_x)
    after = snapshot_of(live, live.student_x)

    assert after["seq"] == before["seq"] + 1
    assert after["state"]["hand"] is True


def test_a_read_is_shared_for_a_second_at_most(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change that bypasses the services (an admin's repair in the database) shows within
    ``SHARED_SECONDS`` even though the number stays the same."""
    lesson_with_a_pupil_in_it(live)
    snapshot_of(live, live.student_x)
    live.lesson.title = "Fractions, repaired"
    live.lesson.save(update_fields=["title"])
    assert LessonStream.objects.get(lesson=live.lesson).last_seq == 5

    assert snapshot_of(live, live.student_x)["state"]["lesson"]["title"] == "Fractions, live"
    later = time.monotonic() + 1.5
    monkeypatch.setattr("classrooms.live_selectors.time.monotonic", lambda: later)
    assert snapshot_of(live, live.student_x)["state"]["lesson"]["title"] == "Fractions, repaired"


@pytest.mark.parametrize("who", ["student", "student_x", "teacher", "facilitator"])
def test_the_snapshot_frame_says_what_the_snapshot_says(live: Live, who: str) -> None:
    """The frame is written from parts (the shared ones once for all): it must read back as
    the snapshot itself, for pupils and for staff."""
    lesson_with_a_pupil_in_it(live)
    services.chat_send(lesson=live.lesson, by=live.teacher, text="«Салам», 1/2 < 2/3")
    role = {
        "teacher": LessonRole.TEACHER,
        "facilitator": LessonRole.FACILITATOR,
    }.get(who, LessonRole.STUDENT)
    user = getattr(live, who)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq

    frame = lesson_snapshot_frame(lesson=live.lesson, user=user, role=role, seq=seq)

    expected = lesson_snapshot(lesson=live.lesson, user=user, role=role, seq=seq)
    assert json.loads(frame) == {"type": "snapshot", **expected}
    assert expected["state"]["chat"][-1]["text"] == "«Салам», 1/2 < 2/3"


def test_reads_of_lessons_nobody_joins_any_more_are_dropped(
    live: Live, other_lesson: LiveLesson, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson_at(live.lesson.pk, 0)
    assert set(live_selectors._shared_reads) == {live.lesson.pk}

    later = time.monotonic() + 1.5
    monkeypatch.setattr("classrooms.live_selectors.time.monotonic", lambda: later)
    lesson_at(other_lesson.pk, 0)

    assert set(live_selectors._shared_reads) == {other_lesson.pk}


def test_a_pupil_ahead_of_this_process_s_feed_resumes_without_going_back(live: Live) -> None:
    """The pupil saw events up to 5 through another server; this server's feed has passed on
    only up to 3 so far. Their resume is a replay up to the log's number, not a snapshot at 3
    (after which 4 and 5 would come again)."""
    lesson_with_a_pupil_in_it(live)  # events 1 to 5
    joining = LessonConsumer()
    joining.scope = {"auth_token_key": api_token_create(user=live.student_x)[0].token_key}
    joining.user, joining.lesson_id = live.student_x, live.lesson.pk

    [(frames, seq)] = _join_all([(joining, 5, 3)])  # type: ignore[misc]

    assert seq == 5
    assert [json.loads(frame)["type"] for frame in frames] == ["welcome", "synced"]


def a_read_of_the_lesson(live: Live) -> tuple[int, object]:
    """The lesson with a pupil in it, its number, and a read of it (to stand in for reads
    made while threads wait on each other)."""
    lesson_with_a_pupil_in_it(live)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq
    return seq, live_selectors._shared_read(live.lesson.pk, seq)


def test_pupils_joining_at_once_wait_for_one_read(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads that join at the same number while the lesson is being read wait for that
    read instead of each reading the same."""
    seq, read = a_read_of_the_lesson(live)
    reads: list[int] = []

    def slow_read(lesson_id: int, at: int) -> object:
        reads.append(at)
        time.sleep(0.2)  # the others arrive while it reads
        return read

    monkeypatch.setattr(live_selectors, "_shared_read", slow_read)
    with ThreadPoolExecutor(max_workers=6) as pool:
        lessons = list(pool.map(lambda _n: lesson_at(live.lesson.pk, seq), range(6)))

    assert reads == [seq]
    assert [lesson.pk if lesson is not None else None for lesson in lessons] == [live.lesson.pk] * 6
    assert len({id(lesson) for lesson in lessons}) == 6  # each a copy of its own


def test_when_the_read_fails_a_waiting_pupil_reads_for_themselves(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    seq, read = a_read_of_the_lesson(live)
    reads: list[str] = []
    first = threading.Event()

    def failing_once(lesson_id: int, at: int) -> object:
        if not reads:
            reads.append("failed")
            first.set()
            time.sleep(0.2)
            raise OperationalError("the connection was lost")
        reads.append("read")
        return read

    monkeypatch.setattr(live_selectors, "_shared_read", failing_once)
    with ThreadPoolExecutor(max_workers=2) as pool:
        failing = pool.submit(lesson_at, live.lesson.pk, seq)
        first.wait(timeout=5)
        waiting = pool.submit(lesson_at, live.lesson.pk, seq)
        with pytest.raises(OperationalError):
            failing.result()
        assert waiting.result() is not None

    assert reads == ["failed", "read"]


def test_a_stuck_read_is_waited_for_only_so_long(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    seq, read = a_read_of_the_lesson(live)
    stuck = threading.Event()
    reads: list[str] = []

    def slow(lesson_id: int, at: int) -> object:
        if not reads:
            reads.append("stuck")
            stuck.wait(timeout=5)
        else:
            reads.append("read")
        return read

    monkeypatch.setattr(live_selectors, "_shared_read", slow)
    monkeypatch.setattr(live_selectors, "READ_WAIT_SECONDS", 0.1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(lesson_at, live.lesson.pk, seq)
        while not reads:
            time.sleep(0.01)
        second = pool.submit(lesson_at, live.lesson.pk, seq)
        assert second.result(timeout=2) is not None  # read for itself while the first is stuck
        stuck.set()
        assert first.result() is not None

    assert reads == ["stuck", "read"]
