"""Checking in to a spoke classroom on the socket: the room's facilitator checks a pupil in
(``checkin``), or a pupil in the room enters the code its projector shows
(``checkin.code``; the facilitator's snapshot holds the code). The ``checkin`` event goes to
the staff and to the pupil checked in; a checked-in pupil counts as present."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from classrooms.lessons import live_lesson_schedule
from classrooms.live import lesson_end, lesson_start
from classrooms.models import CheckIn, Classroom, LiveLesson, SpokeCode
from classrooms.services import classroom_create
from tests.realtime.conftest import Live, joined, run, start, stored, written, written_now

pytestmark = pytest.mark.django_db(transaction=True)


def room_of(live: Live) -> dict[str, Any]:
    return {"id": live.rooms.room_a2.pk, "name": live.rooms.room_a2.name}


def test_a_facilitator_checks_a_pupil_in(live: Live) -> None:
    async def scenario() -> None:
        # Before the lesson starts too: pupils come into the room early.
        facilitator, _s = await joined(live.lesson, live.facilitator)
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        ack = await facilitator.reply(
            await facilitator.send("checkin", student_id=live.student_x.pk)
        )
        assert ack["seq"] == 1
        for socket in (facilitator, teacher):
            checked = await socket.event("checkin")
            assert (checked["seq"], checked["data"]) == (
                1,
                {
                    "student": {"id": live.student_x.pk, "name": live.student_x.get_full_name()},
                    "room": room_of(live),
                },
            )
        await pupil.drain()
        assert pupil.kinds() == []  # another pupil's check-in

        # In the room, though not connected: present all the same.
        await teacher.presence(2)
        roster = await teacher.until("roster")
        rows = {row["id"]: (row["online"], row["room"]) for row in roster["students"]}
        assert rows[live.student_x.pk] == (False, live.rooms.room_a2.name)
        assert rows[live.student.pk] == (True, None)

        again = await facilitator.reply(
            await facilitator.send("checkin", student_id=live.student_x.pk)
        )
        assert (again["type"], again["seq"]) == ("ack", None)
        checked_pupil, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["checked_in"] == {"room": live.rooms.room_a2.name}
        assert snapshot["state"]["present"] == 2
        for socket in (facilitator, teacher, pupil, checked_pupil):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "checkin")]
    check_in = CheckIn.objects.get(lesson=live.lesson)
    assert (check_in.student, check_in.by) == (live.student_x, live.facilitator)


def test_a_pupil_checks_in_with_the_rooms_code(live: Live) -> None:
    start(live)
    stored_code = SpokeCode.objects.get(spoke__lesson=live.lesson).code

    async def scenario() -> None:
        facilitator, snapshot = await joined(live.lesson, live.facilitator)
        [shown] = snapshot["state"]["codes"]  # what the room's projector shows
        assert shown == {
            "room": live.rooms.room_a2.name,
            "room_id": live.rooms.room_a2.pk,
            "code": stored_code,
        }
        code = shown["code"]
        pupil, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["checked_in"] is None
        typed = f" {code[:3].lower()}-{code[3:].lower()} "  # as a pupil might type it
        ack = await pupil.reply(await pupil.send("checkin.code", code=typed))
        expected = {
            "student": {"id": live.student.pk, "name": live.student.get_full_name()},
            "room": room_of(live),
        }
        for socket in (facilitator, pupil):
            checked = await socket.event("checkin")
            assert (checked["seq"], checked["data"]) == (ack["seq"], expected)
        _p, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["checked_in"] == {"room": live.rooms.room_a2.name}
        for socket in (facilitator, pupil, _p):
            await socket.close()

    run(scenario)
    check_in = CheckIn.objects.get(lesson=live.lesson)
    assert (check_in.student, check_in.by) == (live.student, live.student)


def test_a_wrong_code_checks_no_one_in(live: Live, other_lesson: LiveLesson) -> None:
    start(live)
    elsewhere = SpokeCode.objects.get(spoke__lesson=other_lesson).code
    before = written(live.lesson.pk)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        for code in ("ZZZZZZ", elsewhere):
            error = await pupil.reply(await pupil.send("checkin.code", code=code))
            assert (error["code"], list(error["fields"])) == ("wrong_code", ["code"])
        error = await pupil.reply(await pupil.send("checkin.code", code="X" * 21))
        assert (error["code"], list(error["fields"])) == ("invalid", ["code"])
        error = await pupil.reply(await pupil.send("checkin.code"))
        assert (error["code"], list(error["fields"])) == ("invalid", ["code"])
        await pupil.close()

    run(scenario)
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [("outsider", "not_a_student"), ("teacher", "not_a_student"), (None, "invalid")],
)
def test_only_a_pupil_of_the_class_is_checked_in(live: Live, who: str | None, code: str) -> None:
    student_id = getattr(live, who).pk if who else "someone"
    before = written(live.lesson.pk)

    async def scenario() -> None:
        facilitator, _s = await joined(live.lesson, live.facilitator)
        error = await facilitator.reply(await facilitator.send("checkin", student_id=student_id))
        assert (error["code"], list(error["fields"])) == (code, ["student_id"])
        await facilitator.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_no_check_in_after_the_lesson(live: Live) -> None:
    start(live)
    lesson_end(lesson=live.lesson, by=live.teacher)
    code = SpokeCode.objects.get(spoke__lesson=live.lesson).code

    async def scenario() -> None:
        facilitator, _s = await joined(live.lesson, live.facilitator)
        pupil, _s = await joined(live.lesson, live.student)
        before = await written_now(live.lesson.pk)
        error = await facilitator.reply(
            await facilitator.send("checkin", student_id=live.student_x.pk)
        )
        assert error["code"] == "over"
        error = await pupil.reply(await pupil.send("checkin.code", code=code))
        assert error["code"] == "over"
        assert await written_now(live.lesson.pk) == before
        for socket in (facilitator, pupil):
            await socket.close()

    run(scenario)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("checkin", "teacher"),
        ("checkin", "student"),
        ("checkin", "observer"),
        ("checkin.code", "teacher"),
        ("checkin.code", "facilitator"),
        ("checkin.code", "observer"),
    ],
)
def test_check_ins_by_the_wrong_part_are_forbidden(live: Live, kind: str, role: str) -> None:
    start(live)
    code = SpokeCode.objects.get(spoke__lesson=live.lesson).code
    person = {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }[role]
    fields = {"student_id": live.student.pk} if kind == "checkin" else {"code": code}
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person)
        error = await socket.reply(await socket.send(kind, **fields))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_a_facilitator_running_two_rooms_says_which_one(live: Live) -> None:
    """The same facilitator runs two rooms of the lesson: a check-in or a
    relayed question must name the room, and lands in the one named."""

    def room(name: str) -> Classroom:
        return classroom_create(
            by=live.rooms.classes.courses.world.platform_admin,
            school=live.rooms.room_a2.school,
            data={"name": name, "capacity": 20, "has_projector": True},
        )

    first, second = room("Tüp hall"), room("Tüp annexe")
    lesson = live_lesson_schedule(
        cohort=live.lesson.cohort,
        by=live.teacher,
        title="Two rooms, one facilitator",
        starts_at=timezone.now() + timedelta(minutes=5),
        duration_minutes=45,
        spokes=[
            {"classroom": first, "facilitator": live.facilitator},
            {"classroom": second, "facilitator": live.facilitator},
        ],
    )
    lesson_start(lesson=lesson, by=live.teacher)

    async def scenario() -> None:
        facilitator, snapshot = await joined(lesson, live.facilitator)
        rooms = [(code["room_id"], code["room"]) for code in snapshot["state"]["codes"]]
        assert rooms == [(first.pk, "Tüp hall"), (second.pk, "Tüp annexe")]

        unsaid = await facilitator.reply(
            await facilitator.send("checkin", student_id=live.student.pk)
        )
        assert (unsaid["code"], list(unsaid["fields"])) == ("which_room", ["room_id"])
        foreign = await facilitator.reply(
            await facilitator.send(
                "checkin", student_id=live.student.pk, room_id=live.rooms.plain_a1.pk
            )
        )
        assert (foreign["code"], list(foreign["fields"])) == ("not_your_room", ["room_id"])
        assert (await written_now(lesson.pk))["check_ins"] == 0

        ack = await facilitator.reply(
            await facilitator.send("checkin", student_id=live.student.pk, room_id=second.pk)
        )
        assert ack["type"] == "ack"
        checked = await facilitator.event("checkin")
        assert checked["data"]["room"] == {"id": second.pk, "name": "Tüp annexe"}

        unsaid = await facilitator.reply(await facilitator.send("question.relay", text="Why?"))
        assert unsaid["code"] == "which_room"
        ack = await facilitator.reply(
            await facilitator.send("question.relay", text="Why?", room_id=second.pk)
        )
        assert ack["type"] == "ack"
        posted = await facilitator.event("chat.posted")
        assert posted["data"]["room"] == "Tüp annexe"
        await facilitator.close()

    run(scenario)
    assert CheckIn.objects.get(lesson=lesson).spoke.classroom_id == second.pk
