"""Sockets that join at the same moment (a class arriving for its lesson) are signed in and let
in a batch at a time: a query serves the whole batch, and each socket still gets its own
answer, refusals included."""

import asyncio
import contextlib
import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

from classrooms import live_selectors
from classrooms.models import LiveLesson, Presence
from lms.accounts.models import Role, User
from lms.accounts.services import api_token_create
from realtime.auth import _SocketTokenCheck
from realtime.consumers import LessonConsumer, _join_all
from realtime.models import LessonStream
from realtime.threads import Batched
from tests.asyncrun import run_async
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person
from tests.realtime.conftest import Live, start


def joining(live: Live, user: User, *, signed_out: bool = False) -> LessonConsumer:
    """A socket of ``user``'s as the handshake left it: signed in by a token of theirs."""
    instance, _key = api_token_create(user=user)
    if signed_out:
        instance.delete()
    consumer = LessonConsumer()
    consumer.scope = {"auth_token_key": instance.token_key}
    consumer.user, consumer.lesson_id = user, live.lesson.pk
    return consumer


def class_of(live: Live, count: int) -> list[User]:
    school = live.rooms.classes.courses.world.school_a1
    pupils = [make_person(Role.STUDENT, school=school) for _ in range(count)]
    for pupil in pupils:
        EnrolmentFactory(cohort=live.lesson.cohort, student=pupil)
    return pupils


def first_state(frames: list[str]) -> dict[str, object]:
    return json.loads(frames[1])  # type: ignore[no-any-return]


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 20])
def test_a_batch_of_pupils_costs_the_queries_of_one(live: Live, size: int) -> None:
    """Checking the tokens again, the pupils' places in the class and opening their presences:
    three queries for one pupil, and three for twenty."""
    start(live)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq
    _join_all([(joining(live, live.student), None, seq)])  # the lesson read, shared by all
    sockets = [joining(live, pupil) for pupil in class_of(live, size)]

    with CaptureQueriesContext(connection) as queries:
        answers = _join_all([(socket, None, seq) for socket in sockets])

    assert len(queries) == 3, [query["sql"] for query in queries.captured_queries]
    for socket, answer in zip(sockets, answers, strict=True):
        assert isinstance(answer, tuple), answer
        frames, at = answer
        assert json.loads(frames[0])["you"]["id"] == socket.user.pk
        assert (first_state(frames)["type"], at) == ("snapshot", seq)
    # each socket holds its own person's presence
    holders = dict(Presence.objects.filter(closed_at__isnull=True).values_list("pk", "user_id"))
    assert [holders[socket.presence_id] for socket in sockets] == [s.user.pk for s in sockets]


@pytest.mark.django_db
def test_each_socket_of_a_batch_gets_its_own_answer(live: Live, other_lesson: LiveLesson) -> None:
    """A pupil of the class and the teacher are let in; a pupil of another class, a pupil who
    signed out while joining, and a socket of a cancelled lesson are refused, and their
    refusals open no presence."""
    start(live)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq
    other_lesson.state = "cancelled"
    other_lesson.save(update_fields=["state"])
    pupil, teacher = joining(live, live.student), joining(live, live.teacher)
    outsider = joining(live, live.outsider)
    gone = joining(live, live.student_x, signed_out=True)
    cancelled = joining(live, live.student_x)
    cancelled.lesson_id = other_lesson.pk

    answers = _join_all(
        [(socket, None, seq) for socket in (pupil, outsider, teacher, gone)]
        + [(cancelled, None, 0)]
    )

    assert answers[1:2] + answers[3:] == [4403, 4403, 4410]
    assert (pupil.role, teacher.role) == ("student", "teacher")
    assert first_state(answers[0][0])["type"] == "snapshot"  # type: ignore[index]
    assert first_state(answers[2][0])["state"]["hands"] == []  # type: ignore[index]
    assert set(Presence.objects.values_list("user_id", flat=True)) == {
        live.student.pk,
        live.teacher.pk,
    }


@pytest.mark.django_db
def test_tokens_sign_in_together_in_one_query(live: Live) -> None:
    valid, other = token_of(live.student), token_of(live.teacher)
    expired = token_of(live.student_x)
    AuthToken.objects.filter(token_key=expired[: CONSTANTS.TOKEN_KEY_LENGTH]).update(
        expiry=timezone.now() - timedelta(minutes=1)
    )
    inactive = token_of(live.admin)
    User.objects.filter(pk=live.admin.pk).update(is_active=False)
    forged = valid[:-4] + ("0000" if not valid.endswith("0000") else "1111")

    with CaptureQueriesContext(connection) as queries:
        people = _SocketTokenCheck().people_of([valid, expired, other, inactive, forged, "x"])

    assert len(queries) == 1
    assert [(user.pk, key) for user, key in people[::2]] == [
        (live.student.pk, valid[: CONSTANTS.TOKEN_KEY_LENGTH]),
        (live.teacher.pk, other[: CONSTANTS.TOKEN_KEY_LENGTH]),
        (None, None),
    ]
    for user, key in people[1::2]:
        assert (isinstance(user, AnonymousUser), key) == (True, None)


def token_of(user: User) -> str:
    return api_token_create(user=user)[1]


class Calls:
    """A function of a batch that records each call's items, on whichever thread it runs."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, items: list[int]) -> list[int]:
        with self.lock:
            self.batches.append(list(items))
        if self.fail:
            raise ConnectionError("the database is away")
        return [item * 10 for item in items]


def test_a_lone_request_goes_at_once_and_the_rest_wait_for_the_next_call() -> None:
    calls = Calls()
    batched = Batched(calls, at_once=1, most=4)

    async def scenario() -> tuple[int, list[int]]:
        alone = await batched(1)
        together = await asyncio.gather(*(batched(item) for item in range(2, 12)))
        return alone, list(together)

    alone, together = run_async(scenario)

    assert (alone, together) == (10, [item * 10 for item in range(2, 12)])
    # the first of the ten went at once; the others waited, four at most per call
    assert calls.batches == [[1], [2], [3, 4, 5, 6], [7, 8, 9, 10], [11]]


def test_a_failed_call_fails_each_of_its_requests_and_the_next_one_runs() -> None:
    failing = Calls(fail=True)
    batched = Batched(failing, at_once=1)

    async def scenario() -> list[object]:
        return await asyncio.gather(*(batched(item) for item in range(3)), return_exceptions=True)

    answers = run_async(scenario)

    assert [type(answer) for answer in answers] == [ConnectionError] * 3
    failing.fail = False
    assert run_async(lambda: batched(7)) == 70


@pytest.mark.django_db
def test_a_fault_in_one_socket_s_join_closes_that_socket_alone(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq
    pupil, unlucky = joining(live, live.student), joining(live, live.student_x)
    first_frames = LessonConsumer._first_frames

    def failing_for_one(self: LessonConsumer, since: int | None, at: int) -> object:
        if self is unlucky:
            raise KeyError("a bug of the server's")
        return first_frames(self, since, at)

    monkeypatch.setattr(LessonConsumer, "_first_frames", failing_for_one)

    answers = _join_all([(unlucky, None, seq), (pupil, None, seq)])

    assert answers[0] == 1011
    assert first_state(answers[1][0])["type"] == "snapshot"  # type: ignore[index]
    # the failed socket holds its presence, which is closed when the socket leaves
    assert Presence.objects.get(pk=unlucky.presence_id).user == live.student_x


@pytest.mark.django_db
def test_a_database_error_in_one_socket_s_replay_closes_that_socket_alone(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pupil resuming reads their missed events; if that read fails (a statement timeout),
    they are closed and reconnect, and the others of the batch get in; every presence opened
    is held by its socket, to be closed when it leaves."""
    start(live)
    seq = LessonStream.objects.get(lesson=live.lesson).last_seq
    resuming, pupil = joining(live, live.student), joining(live, live.student_x)
    events_after = live_selectors.events_after

    def timing_out(**kwargs: object) -> object:
        if kwargs["user"] == live.student:
            raise OperationalError("canceling statement due to statement timeout")
        return events_after(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(live_selectors, "events_after", timing_out)

    answers = _join_all([(resuming, 0, seq), (pupil, None, seq)])

    assert answers[0] == 1011
    assert first_state(answers[1][0])["type"] == "snapshot"  # type: ignore[index]
    assert None not in (resuming.presence_id, pupil.presence_id)


def test_a_caller_who_leaves_does_not_hold_up_the_others() -> None:
    """A socket that closes while its batch is read leaves; the others of the batch get their
    answers, and later requests still go."""
    calls = Calls()
    release = threading.Event()

    def slow(items: list[int]) -> list[int]:
        release.wait(timeout=5)
        return calls(items)

    batched = Batched(slow, at_once=1)

    async def scenario() -> tuple[list[int], int]:
        leaving = asyncio.ensure_future(batched(1))
        staying = asyncio.ensure_future(batched(2))
        await asyncio.sleep(0.05)
        leaving.cancel()
        release.set()
        answers = [await staying]
        with contextlib.suppress(asyncio.CancelledError):
            await leaving
        return answers, await batched(3)

    answers, later = run_async(scenario)

    assert (answers, later) == ([20], 30)
    assert calls.batches == [[1], [2], [3]]
