"""Slides on the socket: the teacher shows a page of the lesson's deck (``slide.show``);
everyone sees ``slide.shown``, and a later joiner's snapshot holds the page on show."""

import pytest

from classrooms.models import LessonProgress, LessonSlide, LiveLesson
from tests.realtime.conftest import Live, joined, run, start, stored, written, written_now

pytestmark = pytest.mark.django_db(transaction=True)


def deck(lesson: LiveLesson, pages: int) -> None:
    """The lesson's slides, as the deck upload would leave them (images not needed here)."""
    for position in range(pages):
        LessonSlide.objects.create(
            lesson=lesson,
            position=position,
            image=f"slides/{lesson.pk}/page-{position}.webp",
            content_type="image/webp",
            width=1600,
            height=900,
        )


def test_the_teacher_shows_a_slide_to_everyone(live: Live) -> None:
    deck(live.lesson, 3)
    start(live)

    async def scenario() -> None:
        teacher, snapshot = await joined(live.lesson, live.teacher)
        assert (snapshot["state"]["slide"], snapshot["state"]["slides"]) == (None, 3)
        pupil, _s = await joined(live.lesson, live.student)
        facilitator, _s = await joined(live.lesson, live.facilitator)
        observer, _s = await joined(live.lesson, live.admin)
        sent = await teacher.send("slide.show", position=2)
        ack = await teacher.reply(sent)
        assert (ack["type"], ack["seq"]) == ("ack", 2)
        for socket in (teacher, pupil, facilitator, observer):
            shown = await socket.event("slide.shown")
            assert (shown["seq"], shown["data"]) == (2, {"position": 2, "count": 3})
        await teacher.reply(await teacher.send("slide.show", position=0))
        assert (await pupil.event("slide.shown", seq=3))["data"]["position"] == 0

        late, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["slide"] == {"position": 0, "count": 3}
        assert snapshot["state"]["slides"] == 3
        for socket in (teacher, pupil, facilitator, observer, late):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started"), (2, "slide.shown"), (3, "slide.shown")]
    assert LessonProgress.objects.get(lesson=live.lesson).slide == 0


@pytest.mark.parametrize(
    ("pages", "position", "code"),
    [(3, 3, "no_slide"), (0, 0, "no_slide"), (3, -1, "invalid"), (3, "two", "invalid")],
)
def test_a_slide_that_is_not_there_is_refused(
    live: Live, pages: int, position: object, code: str
) -> None:
    deck(live.lesson, pages)
    start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("slide.show", position=position))
        assert error["code"] == code
        assert list(error["fields"]) == ["position"]
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_a_slide_is_shown_only_while_the_lesson_is_on(live: Live) -> None:
    deck(live.lesson, 2)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("slide.show", position=1))
        assert error["code"] == "not_live"
        await teacher.reply(await teacher.send("lesson.start"))
        await teacher.reply(await teacher.send("lesson.end"))
        before = await written_now(live.lesson.pk)
        error = await teacher.reply(await teacher.send("slide.show", position=1))
        assert error["code"] == "not_live"
        assert await written_now(live.lesson.pk) == before
        await teacher.close()

    run(scenario)
    assert not LessonProgress.objects.filter(lesson=live.lesson, slide__isnull=False).exists()


@pytest.mark.parametrize("role", ["facilitator", "student", "observer"])
def test_only_the_teacher_shows_slides(live: Live, role: str) -> None:
    deck(live.lesson, 2)
    start(live)
    person = {"facilitator": live.facilitator, "student": live.student, "observer": live.admin}
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person[role])
        error = await socket.reply(await socket.send("slide.show", position=1))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before
