"""Pages of live lessons: the class's teacher schedules one in their own time zone, moves it,
cancels it with a reason; bad input shows a message and writes nothing; the class's pupils read
it; others get a 404."""

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from classrooms.models import LessonSpoke, LiveLesson
from tests.assessments.conftest import clock  # noqa: F401 - a fixture used here
from tests.classrooms.conftest import Rooms

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(clock: Callable[[datetime], None]) -> None:  # noqa: F811 - the fixture imported above
    clock(NOW)


def _signed_in(rooms: Rooms, name: str) -> Client:
    client = Client()
    client.force_login(rooms.classes.person(name))
    return client


def test_scheduling_moving_and_cancelling_through_the_pages(rooms: Rooms) -> None:
    cohort = rooms.classes.cohorts["a1"]
    teacher_user = rooms.classes.person("class_teacher")
    teacher = _signed_in(rooms, "class_teacher")
    url = reverse("frontend:live-lessons", args=[cohort.pk])
    assert url in teacher.get(reverse("frontend:class-detail", args=[cohort.pk])).content.decode()
    form = {
        "title": "Fractions, live",
        "starts_at": "2026-12-02T10:00",
        "duration_minutes": "45",
        "hub": rooms.smart_a1.pk,
        "spoke_0_classroom": rooms.room_a2.pk,
        "spoke_0_facilitator": rooms.facilitator_a2.pk,
    }
    # a plain room as the hub, or a spoke without its facilitator, is refused with a message
    refused = teacher.post(url, {**form, "hub": rooms.plain_a1.pk})
    assert refused.status_code == 400
    refused = teacher.post(url, {**form, "spoke_0_facilitator": ""})
    assert refused.status_code == 400
    assert "Choose both the classroom and its facilitator, or neither." in refused.content.decode()
    assert not LiveLesson.objects.exists()
    # scheduled, at the time the teacher typed in their own time zone
    scheduled = teacher.post(url, form)
    assert scheduled.status_code == 302
    lesson = LiveLesson.objects.get()
    zone = ZoneInfo(teacher_user.time_zone)
    assert lesson.starts_at == datetime(2026, 12, 2, 10, 0, tzinfo=zone)
    assert LessonSpoke.objects.get().facilitator == rooms.facilitator_a2
    detail = reverse("frontend:live-lesson-detail", args=[lesson.pk])
    # the class's pupil reads it, without the forms; a pupil of another class gets a 404
    page = _signed_in(rooms, "student_a1").get(detail).content.decode()
    assert "Fractions, live" in page
    assert "Tüp room" in page
    assert "Cancel the lesson" not in page
    assert _signed_in(rooms, "student_a2").get(detail).status_code == 404
    assert _signed_in(rooms, "teacher_a2").get(url).status_code == 404
    # the teacher moves it an hour later and drops the spoke
    moved = teacher.post(
        detail,
        {
            **form,
            "starts_at": "2026-12-02T11:00",
            "spoke_0_classroom": "",
            "spoke_0_facilitator": "",
        },
    )
    assert moved.status_code == 302
    lesson.refresh_from_db()
    assert lesson.starts_at == datetime(2026, 12, 2, 11, 0, tzinfo=zone)
    assert not LessonSpoke.objects.exists()
    # and cancels it: not without a reason
    cancel = reverse("frontend:live-lesson-cancel", args=[lesson.pk])
    teacher.post(cancel, {"reason": " "})
    lesson.refresh_from_db()
    assert lesson.state == "scheduled"
    teacher.post(cancel, {"reason": "The teacher is ill"})
    lesson.refresh_from_db()
    assert (lesson.state, lesson.cancel_reason) == ("cancelled", "The teacher is ill")
    assert "The teacher is ill" in _signed_in(rooms, "student_a1").get(detail).content.decode()
    assert _signed_in(rooms, "student_a1").post(cancel, {"reason": "x"}).status_code == 404
