"""Hands on the socket: a pupil raises their hand (``hand.raise``) and lowers it
(``hand.lower``); the teacher or a facilitator lowers anyone's, taking the question. A hand's
events go to the staff and to the pupil whose hand it is, not to the other pupils; the
teacher's snapshot holds the hands in the order they went up."""

import pytest

from classrooms.models import Hand
from tests.realtime.conftest import Live, joined, run, start, stored, written, written_now

pytestmark = pytest.mark.django_db(transaction=True)


def test_hands_queue_in_order_for_the_teacher(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, snapshot = await joined(live.lesson, live.teacher)
        assert snapshot["state"]["hands"] == []
        facilitator, _s = await joined(live.lesson, live.facilitator)
        observer, _s = await joined(live.lesson, live.admin)
        first, _s = await joined(live.lesson, live.student_x)
        second, _s = await joined(live.lesson, live.student)

        ack = await first.reply(await first.send("hand.raise"))
        assert ack["seq"] == 2
        await second.reply(await second.send("hand.raise"))
        for socket in (teacher, facilitator, observer):
            raised = [await socket.event("hand.raised", seq=seq) for seq in (2, 3)]
            assert [frame["data"]["user"]["id"] for frame in raised] == [
                live.student_x.pk,
                live.student.pk,
            ]
            assert raised[0]["data"]["user"]["name"] == live.student_x.get_full_name()
            assert set(raised[0]["data"]) == {"user", "at"}
        # Each pupil hears of their own hand only.
        assert (await first.event("hand.raised"))["data"]["user"]["id"] == live.student_x.pk
        assert (await second.event("hand.raised"))["data"]["user"]["id"] == live.student.pk
        await first.drain()
        await second.drain()
        assert (first.seqs(), second.seqs()) == ([2], [3])

        # Raised again: nothing changes, the place in the queue is kept.
        again = await first.reply(await first.send("hand.raise"))
        assert (again["type"], again["seq"]) == ("ack", None)
        _t, snapshot = await joined(live.lesson, live.teacher)
        queue = snapshot["state"]["hands"]
        assert [hand["user"]["id"] for hand in queue] == [live.student_x.pk, live.student.pk]
        assert queue[0]["at"] == raised[0]["data"]["at"]
        roster = {row["id"]: row["hand"] for row in snapshot["state"]["roster"]}
        assert roster == {live.student.pk: True, live.student_x.pk: True}

        # Lowered and raised again: to the back of the queue.
        await first.reply(await first.send("hand.lower"))
        await first.reply(await first.send("hand.raise"))
        await teacher.event("hand.raised", seq=5)
        _again, snapshot = await joined(live.lesson, live.teacher)
        queue = snapshot["state"]["hands"]
        assert [hand["user"]["id"] for hand in queue] == [live.student.pk, live.student_x.pk]
        _p, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["hand"] is True
        assert "hands" not in snapshot["state"]
        for socket in (teacher, facilitator, observer, first, second, _t, _again, _p):
            await socket.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == [
        "lesson.started",
        "hand.raised",
        "hand.raised",
        "hand.lowered",
        "hand.raised",
    ]


def test_a_pupil_lowers_only_their_own_hand(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        other, _s = await joined(live.lesson, live.student_x)
        await pupil.reply(await pupil.send("hand.raise"))
        await other.reply(await other.send("hand.raise"))
        before = await written_now(live.lesson.pk)
        error = await pupil.reply(await pupil.send("hand.lower", user_id=live.student_x.pk))
        assert error["code"] == "forbidden"
        assert await written_now(live.lesson.pk) == before

        # Their own, named or not.
        ack = await pupil.reply(await pupil.send("hand.lower", user_id=live.student.pk))
        lowered = await teacher.event("hand.lowered")
        assert (lowered["seq"], lowered["data"]) == (
            ack["seq"],
            {"user_id": live.student.pk, "by": live.student.pk},
        )
        assert (await pupil.event("hand.lowered"))["seq"] == ack["seq"]
        await other.reply(await other.send("hand.lower"))
        assert (await other.event("hand.lowered"))["data"]["user_id"] == live.student_x.pk
        # A hand that is down already: nothing to do.
        again = await other.reply(await other.send("hand.lower"))
        assert (again["type"], again["seq"]) == ("ack", None)
        await other.drain()
        assert other.kinds() == ["hand.raised", "hand.lowered"]
        for socket in (teacher, pupil, other):
            await socket.close()

    run(scenario)
    assert not Hand.objects.exists()


@pytest.mark.parametrize("role", ["teacher", "facilitator"])
def test_the_staff_take_a_question_by_lowering_the_hand(live: Live, role: str) -> None:
    start(live)
    staff = {"teacher": live.teacher, "facilitator": live.facilitator}[role]

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        lowering, _s = await joined(live.lesson, staff)
        pupil, _s = await joined(live.lesson, live.student)
        other, _s = await joined(live.lesson, live.student_x)
        await pupil.reply(await pupil.send("hand.raise"))
        ack = await lowering.reply(await lowering.send("hand.lower", user_id=live.student.pk))
        expected = {"user_id": live.student.pk, "by": staff.pk}
        for socket in (teacher, lowering, pupil):
            lowered = await socket.event("hand.lowered")
            assert (lowered["seq"], lowered["data"]) == (ack["seq"], expected)
        await other.drain()
        assert other.kinds() == []
        _p, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["hand"] is False
        for socket in (teacher, lowering, pupil, other, _p):
            await socket.close()

    run(scenario)
    assert not Hand.objects.exists()


def test_a_hand_goes_up_only_while_the_lesson_is_on(live: Live) -> None:
    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        error = await pupil.reply(await pupil.send("hand.raise"))
        assert error["code"] == "not_live"
        await pupil.close()

    run(scenario)
    assert written(live.lesson.pk)["hands"] == 0
    assert stored(live.lesson.pk) == []


@pytest.mark.parametrize(
    ("kind", "fields", "role"),
    [
        ("hand.raise", {}, "teacher"),
        ("hand.raise", {}, "facilitator"),
        ("hand.raise", {}, "observer"),
        ("hand.lower", {"user_id": 0}, "student"),
        ("hand.lower", {"user_id": "me"}, "teacher"),
        ("hand.lower", {}, "observer"),
    ],
)
def test_hand_refusals(live: Live, kind: str, fields: dict[str, object], role: str) -> None:
    start(live)
    person = {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }[role]
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person)
        error = await socket.reply(await socket.send(kind, **fields))
        if role == "observer" or kind == "hand.raise":
            assert error["code"] == "forbidden"
        else:
            assert (error["code"], list(error["fields"])) == ("invalid", ["user_id"])
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before
