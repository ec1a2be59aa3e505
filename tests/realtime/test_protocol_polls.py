"""Polls on the socket: the teacher opens, closes and shares them (``poll.open``,
``poll.close``, ``poll.share``), pupils answer (``poll.answer``). The tally goes live to the
staff only (``poll.tally``) until the teacher shares it; from then on everyone gets it
(``poll.shared``)."""

from typing import Any

import pytest
from channels.db import database_sync_to_async

from classrooms.live import poll_answer, poll_close, poll_open
from classrooms.models import LiveLesson, Poll, PollAnswer
from tests.realtime.conftest import (
    Live,
    joined,
    run,
    start,
    stored,
    written,
    written_now,
)

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = {"question": "How much is 3/4 + 1/4?", "options": ["1/2", "1", "4/8"]}


def opened(live: Live, **fields: Any) -> Poll:
    start(live)
    poll_open(lesson=live.lesson, by=live.teacher, **{"multiple": False, **QUESTION, **fields})
    return Poll.objects.get(lesson=live.lesson)


def test_results_go_to_the_staff_live_and_to_pupils_once_shared(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        facilitator, _s = await joined(live.lesson, live.facilitator)
        observer, _s = await joined(live.lesson, live.admin)
        pupil, _s = await joined(live.lesson, live.student)
        other, _s = await joined(live.lesson, live.student_x)
        staff, pupils = (teacher, facilitator, observer), (pupil, other)

        ack = await teacher.reply(await teacher.send("poll.open", **QUESTION))
        assert ack["seq"] == 2
        for socket in (*staff, *pupils):
            frame = await socket.event("poll.opened")
            poll = frame["data"]["poll"]
            assert poll == {"id": poll["id"], **QUESTION, "multiple": False}
        poll_id = poll["id"]

        ack = await pupil.reply(await pupil.send("poll.answer", poll_id=poll_id, choices=[1]))
        assert ack["seq"] == 3
        for socket in staff:
            tally = await socket.event("poll.tally")
            assert (tally["seq"], tally["data"]) == (
                3,
                {"poll_id": poll_id, "counts": [0, 1, 0], "answered": 1},
            )
        for socket in pupils:  # not even the pupil who answered
            assert "poll.tally" not in [frame["type"] for frame in await socket.drain()]

        # A pupil coming back sees the question and their own answer, not the counts.
        again, snapshot = await joined(live.lesson, live.student)
        shown = snapshot["state"]["poll"]
        assert shown == {
            "id": poll_id,
            **QUESTION,
            "multiple": False,
            "state": "open",
            "shared": False,
            "mine": [1],
        }
        await again.close()
        _s, snapshot = await joined(live.lesson, live.facilitator)
        assert snapshot["state"]["poll"]["counts"] == [0, 1, 0]
        assert snapshot["state"]["poll"]["answered"] == 1
        assert snapshot["state"]["poll"]["mine"] is None
        await _s.close()

        ack = await teacher.reply(await teacher.send("poll.share", poll_id=poll_id))
        assert ack["seq"] == 4
        for socket in (*staff, *pupils):
            shared = await socket.event("poll.shared", seq=4)
            # the poll itself comes along: a pupil who joined after it closed can show it
            assert shared["data"].pop("poll") == {
                "id": poll_id,
                "question": "How much is 3/4 + 1/4?",
                "options": ["1/2", "1", "4/8"],
                "multiple": False,
                "state": "open",
            }
            assert shared["data"] == {"poll_id": poll_id, "counts": [0, 1, 0], "answered": 1}
        for socket in pupils:
            assert socket.seqs() == [2, 4]
        # Shared: each new answer goes to everyone as poll.shared.
        await other.reply(await other.send("poll.answer", poll_id=poll_id, choices=[2]))
        await pupil.reply(await pupil.send("poll.answer", poll_id=poll_id, choices=[0]))
        for socket in (*staff, *pupils):
            shared = await socket.event("poll.shared", seq=6)
            assert shared["data"] == {"poll_id": poll_id, "counts": [1, 0, 1], "answered": 2}

        ack = await teacher.reply(await teacher.send("poll.close", poll_id=poll_id))
        for socket in (*staff, *pupils):
            closed = await socket.event("poll.closed")
            assert (closed["seq"], closed["data"]) == (ack["seq"], {"poll_id": poll_id})
        late, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["poll"] == {
            "id": poll_id,
            "poll_id": poll_id,
            **QUESTION,
            "multiple": False,
            "state": "closed",
            "shared": True,
            "counts": [1, 0, 1],
            "answered": 2,
            "mine": [2],
        }
        for socket in (*staff, *pupils, late):
            await socket.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == [
        "lesson.started",
        "poll.opened",
        "poll.tally",
        "poll.shared",
        "poll.shared",
        "poll.shared",
        "poll.closed",
    ]
    assert dict(PollAnswer.objects.values_list("student_id", "choices")) == {
        live.student.pk: [0],
        live.student_x.pk: [2],
    }


def test_a_closed_poll_that_was_not_shared_leaves_the_pupils_snapshot(live: Live) -> None:
    poll = opened(live)
    poll_answer(lesson=live.lesson, by=live.student, poll_id=poll.pk, choices=[1])

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        await teacher.reply(await teacher.send("poll.close", poll_id=poll.pk))
        again = await teacher.reply(await teacher.send("poll.close", poll_id=poll.pk))
        assert (again["type"], again["seq"]) == ("ack", None)
        pupil, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["poll"] is None
        error = await pupil.reply(await pupil.send("poll.answer", poll_id=poll.pk, choices=[0]))
        assert error["code"] == "poll_closed"
        _t, snapshot = await joined(live.lesson, live.teacher)
        assert snapshot["state"]["poll"]["state"] == "closed"
        assert snapshot["state"]["poll"]["counts"] == [0, 1, 0]
        for socket in (teacher, pupil, _t):
            await socket.close()

    run(scenario)
    assert list(PollAnswer.objects.values_list("choices", flat=True)) == [[1]]
    assert [kind for _seq, kind in stored(live.lesson.pk)][-1] == "poll.closed"


def test_sharing_twice_changes_nothing(live: Live) -> None:
    poll = opened(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        first = await teacher.reply(await teacher.send("poll.share", poll_id=poll.pk))
        again = await teacher.reply(await teacher.send("poll.share", poll_id=poll.pk))
        assert (first["seq"], again["seq"]) == (3, None)
        await teacher.close()

    run(scenario)
    assert Poll.objects.get(pk=poll.pk).shared


@pytest.mark.parametrize(
    ("multiple", "choices", "code", "accepted"),
    [
        (True, [0, 2], None, [0, 2]),
        (True, [2, 0], None, [0, 2]),
        (False, [0, 1], "invalid", None),
        (True, [1, 1], "invalid", None),
        (True, [], "invalid", None),
        (False, [3], "invalid", None),
        (False, [-1], "invalid", None),
        (False, "1", "invalid", None),
    ],
)
def test_answers_must_be_options_of_the_poll(
    live: Live, multiple: bool, choices: object, code: str | None, accepted: list[int] | None
) -> None:
    poll = opened(live, multiple=multiple)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        frame = await pupil.reply(await pupil.send("poll.answer", poll_id=poll.pk, choices=choices))
        if code is None:
            assert frame["type"] == "ack"
        else:
            assert (frame["type"], frame["code"]) == ("error", code)
            assert list(frame["fields"]) == ["choices"]
        await pupil.close()

    run(scenario)
    if accepted is None:
        assert written(live.lesson.pk) == before
    else:
        assert PollAnswer.objects.get(poll=poll).choices == accepted


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"question": "Which?", "options": ["only one"]}, "invalid", "options"),
        ({"question": "Which?", "options": [str(n) for n in range(11)]}, "invalid", "options"),
        ({"question": "Which?", "options": ["a", "   "]}, "invalid", "options"),
        ({"question": "Which?", "options": ["a", "b" * 101]}, "invalid", "options"),
        ({"question": "   ", "options": ["a", "b"]}, "invalid", "question"),
        ({"question": "q" * 301, "options": ["a", "b"]}, "invalid", "question"),
        ({"options": ["a", "b"]}, "invalid", "question"),
        (
            {"question": "Which?", "options": ["a", "b"], "multiple": "perhaps"},
            "invalid",
            "multiple",
        ),
    ],
)
def test_a_poll_needs_a_question_and_two_to_ten_answers(
    live: Live, fields: dict[str, Any], code: str, field: str
) -> None:
    start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("poll.open", **fields))
        assert (error["code"], list(error["fields"])) == (code, [field])
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_one_poll_is_open_at_a_time_and_only_in_the_lesson(live: Live) -> None:
    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("poll.open", **QUESTION))
        assert error["code"] == "not_live"
        await teacher.reply(await teacher.send("lesson.start"))
        await teacher.reply(await teacher.send("poll.open", **QUESTION))
        before = await written_now(live.lesson.pk)
        error = await teacher.reply(await teacher.send("poll.open", **QUESTION))
        assert error["code"] == "poll_open"
        assert await written_now(live.lesson.pk) == before
        poll_id = (await teacher.event("poll.opened"))["data"]["poll"]["id"]
        await teacher.reply(await teacher.send("poll.close", poll_id=poll_id))
        ack = await teacher.reply(await teacher.send("poll.open", **QUESTION))
        assert ack["type"] == "ack"
        await teacher.close()

    run(scenario)
    assert Poll.objects.filter(lesson=live.lesson).count() == 2


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("poll.answer", "student"),
        ("poll.close", "teacher"),
        ("poll.share", "teacher"),
    ],
)
def test_a_poll_of_another_lesson_is_no_poll(
    live: Live,
    other_lesson: LiveLesson,
    kind: str,
    role: str,
) -> None:
    start(live)
    other = Poll.objects.create(
        lesson=other_lesson,
        question="Elsewhere?",
        options=["a", "b"],
        opened_at=other_lesson.starts_at,
    )
    person = {"student": live.student, "teacher": live.teacher}[role]
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person)
        fields: dict[str, Any] = {"choices": [0]} if kind == "poll.answer" else {}
        for poll_id in (other.pk, other.pk + 1000):
            error = await socket.reply(await socket.send(kind, poll_id=poll_id, **fields))
            assert error["code"] == "no_poll"
        error = await socket.reply(await socket.send(kind, poll_id=0, **fields))
        assert (error["code"], list(error["fields"])) == ("invalid", ["poll_id"])
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before
    assert not Poll.objects.get(pk=other.pk).shared


@pytest.mark.parametrize(
    ("kind", "roles"),
    [
        ("poll.open", ["facilitator", "student", "observer"]),
        ("poll.close", ["facilitator", "student", "observer"]),
        ("poll.share", ["facilitator", "student", "observer"]),
        ("poll.answer", ["teacher", "facilitator", "observer"]),
    ],
)
def test_polls_by_the_wrong_part_are_forbidden(live: Live, kind: str, roles: list[str]) -> None:
    poll = opened(live)
    people = {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }
    fields: dict[str, Any] = {
        "poll.open": QUESTION,
        "poll.answer": {"poll_id": poll.pk, "choices": [0]},
    }.get(kind, {"poll_id": poll.pk})
    before = written(live.lesson.pk)

    async def scenario() -> None:
        for role in roles:
            socket, _s = await joined(live.lesson, people[role])
            error = await socket.reply(await socket.send(kind, **fields))
            assert error["code"] == "forbidden", role
            await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before
    assert Poll.objects.get(pk=poll.pk).state == "open"
    poll_close(lesson=live.lesson, by=live.teacher, poll_id=poll.pk)


def test_an_answer_resent_after_the_poll_closed_gets_its_first_acknowledgement(
    live: Live,
) -> None:
    """The pupil's link dropped before the ack came; meanwhile the teacher closed the poll.
    The resend is the same message: it gets the first number back, not "poll closed"."""
    poll = opened(live)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        first = await pupil.reply(
            await pupil.send("poll.answer", id="a-1", poll_id=poll.pk, choices=[1])
        )
        await pupil.close()
        pupil, _s = await joined(live.lesson, live.student)
        await close_now(live, poll)
        again = await pupil.reply(
            await pupil.send("poll.answer", id="a-1", poll_id=poll.pk, choices=[1])
        )
        assert again == {"type": "ack", "id": "a-1", "seq": first["seq"], "duplicate": True}
        refused = await pupil.reply(
            await pupil.send("poll.answer", id="a-2", poll_id=poll.pk, choices=[2])
        )
        assert refused["code"] == "poll_closed"
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk)[-2:] == [(3, "poll.tally"), (4, "poll.closed")]
    assert list(PollAnswer.objects.values_list("choices", flat=True)) == [[1]]


async def close_now(live: Live, poll: Poll) -> None:
    await database_sync_to_async(poll_close)(lesson=live.lesson, by=live.teacher, poll_id=poll.pk)
