"""Scheduling live lessons: a class's teacher sets the time, the hub (a smart classroom of the
region, or home) and the spoke rooms with their facilitators, then moves or cancels the lesson.
Bad input gets a field error and writes nothing; a room is never booked twice at once; the
class's pupils, the spokes' facilitators and the school's administrators see the lesson."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from classrooms.models import LessonSpoke, LiveLesson
from lms.accounts.models import Role
from tests.assessments.conftest import clock  # noqa: F401 - a fixture used here
from tests.classrooms.conftest import Rooms
from tests.factories import make_person

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(days=1)


def _body(rooms: Rooms, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Fractions, live",
        "starts_at": AT.isoformat(),
        "duration_minutes": 45,
        "hub": rooms.smart_a1.pk,
        "spokes": [{"classroom": rooms.room_a2.pk, "facilitator": rooms.facilitator_a2.pk}],
        **changes,
    }


def _schedule(client: APIClient, rooms: Rooms, **changes: Any) -> Any:
    cohort = rooms.classes.cohorts["a1"]
    return client.post(
        f"/api/v1/classes/{cohort.pk}/live-lessons/", _body(rooms, **changes), format="json"
    )


@pytest.fixture(autouse=True)
def _now(clock: Callable[[datetime], None]) -> None:  # noqa: F811 - the fixture imported above
    clock(NOW)


def test_a_teacher_schedules_moves_and_cancels_a_live_lesson(rooms: Rooms) -> None:
    teacher = rooms.classes.client("class_teacher")
    created = _schedule(teacher, rooms)
    assert created.status_code == 201, created.content
    lesson = created.json()
    assert (lesson["hub"]["name"], lesson["state"], lesson["duration_minutes"]) == (
        "Smart 204",
        "scheduled",
        45,
    )
    assert [spoke["classroom"]["name"] for spoke in lesson["spokes"]] == ["Tüp room"]
    # the class's pupil, the spoke's facilitator and the school's administrator see it
    url = f"/api/v1/live-lessons/{lesson['id']}/"
    for name in ("student_a1", "school_admin_a1", "region_admin_a", "platform_admin"):
        assert rooms.classes.client(name).get(url).status_code == 200, name
    facilitator = APIClient()
    facilitator.force_authenticate(rooms.facilitator_a2)
    assert facilitator.get(url).status_code == 200
    # others do not
    for name in ("student_a2", "student_b1", "teacher_a2", "school_admin_b1", "facilitator"):
        assert rooms.classes.client(name).get(url).status_code == 404, name
    # a pupil cannot move it; the teacher moves it and drops the spoke
    moved_at = AT + timedelta(hours=2)
    pupil = rooms.classes.client("student_a1")
    assert pupil.patch(url, {"duration_minutes": 30}, format="json").status_code == 403
    moved = teacher.patch(
        url, {"starts_at": moved_at.isoformat(), "spokes": [], "hub": None}, format="json"
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["hub"], moved.json()["spokes"]) == (None, [])
    stored = LiveLesson.objects.get(pk=lesson["id"])
    assert stored.starts_at == moved_at
    # and cancels it, with a reason; a cancelled lesson is not changed again
    assert teacher.post(f"{url}cancel/", {"reason": ""}, format="json").status_code == 400
    cancelled = teacher.post(f"{url}cancel/", {"reason": "Snow closed the roads"}, format="json")
    assert (cancelled.json()["state"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "Snow closed the roads",
    )
    again = teacher.patch(url, {"title": "Other"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "not_scheduled")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": (NOW - timedelta(minutes=1)).isoformat()}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 241}, "duration_minutes"),
        ({"title": ""}, "title"),
        ({"hub": "plain"}, "hub"),  # not an id
        ({"hub": 999_999}, "hub"),
        ({"hub": "plain_a1"}, "hub"),  # not a smart classroom
        ({"hub": "room_b1"}, "hub"),  # another region
        ({"spokes": [{"classroom": "room_b1", "facilitator": "facilitator_a2"}]}, "spokes"),
        ({"spokes": [{"classroom": "smart_a1", "facilitator": "facilitator_a2"}]}, "spokes"),
        ({"spokes": [{"classroom": "room_a2", "facilitator": "teacher"}]}, "spokes"),
        ({"spokes": [{"classroom": "room_a2", "facilitator": "facilitator_a1"}]}, "spokes"),
        (
            {
                "spokes": [
                    {"classroom": "room_a2", "facilitator": "facilitator_a2"},
                    {"classroom": "room_a2", "facilitator": "facilitator_a2"},
                ]
            },
            "spokes",
        ),
    ],
)
def test_bad_input_gets_a_field_error_and_writes_nothing(
    rooms: Rooms, changes: dict[str, Any], field: str
) -> None:
    names = {
        "plain_a1": rooms.plain_a1.pk,
        "smart_a1": rooms.smart_a1.pk,
        "room_a2": rooms.room_a2.pk,
        "room_b1": rooms.room_b1.pk,
        "facilitator_a2": rooms.facilitator_a2.pk,
        "facilitator_a1": rooms.classes.person("facilitator").pk,  # of A1, not the A2 room's
        "teacher": rooms.classes.person("author").pk,
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return names.get(value, value) if isinstance(value, str) else value

    response = _schedule(rooms.classes.client("class_teacher"), rooms, **resolve(changes))
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert not LiveLesson.objects.exists()
    assert not LessonSpoke.objects.exists()


def test_a_room_is_never_booked_for_two_lessons_at_once(rooms: Rooms) -> None:
    teacher = rooms.classes.client("class_teacher")
    assert _schedule(teacher, rooms).status_code == 201
    # another class's teacher wants the spoke room 30 minutes into that lesson
    clash = _schedule(
        teacher,
        rooms,
        title="Geometry",
        hub=None,
        starts_at=(AT + timedelta(minutes=30)).isoformat(),
    )
    assert clash.status_code == 400
    assert "Tüp room is booked for “Fractions, live”" in clash.json()["fields"]["starts_at"][0]
    # right after it ends, the room is free
    after = _schedule(
        teacher,
        rooms,
        title="Geometry",
        hub=None,
        starts_at=(AT + timedelta(minutes=45)).isoformat(),
    )
    assert after.status_code == 201, after.content
    # and a cancelled lesson frees its rooms
    first = LiveLesson.objects.get(title="Fractions, live")
    teacher.post(f"/api/v1/live-lessons/{first.pk}/cancel/", {"reason": "Ill"}, format="json")
    again = _schedule(
        teacher,
        rooms,
        title="Algebra",
        duration_minutes=30,  # ends before "Geometry" takes the room
        starts_at=(AT + timedelta(minutes=10)).isoformat(),
    )
    assert again.status_code == 201, again.content


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("class_teacher", 201),
        ("platform_admin", 201),
        ("author", 404),  # a teacher of the school who does not teach the class
        ("school_admin_a1", 403),
        ("student_a1", 403),
        ("teacher_a2", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_class_teachers_schedule(rooms: Rooms, role: str, status: int) -> None:
    response = _schedule(rooms.classes.client(role), rooms)
    assert response.status_code == status, response.content
    assert LiveLesson.objects.exists() is (status == 201)


def test_the_class_list_shows_its_lessons_to_its_people(rooms: Rooms) -> None:
    teacher = rooms.classes.client("class_teacher")
    _schedule(teacher, rooms)
    cohort = rooms.classes.cohorts["a1"]
    url = f"/api/v1/classes/{cohort.pk}/live-lessons/"
    for name in ("class_teacher", "student_a1", "school_admin_a1"):
        assert [row["title"] for row in rooms.classes.client(name).get(url).json()] == [
            "Fractions, live"
        ], name
    stranger = make_person(Role.STUDENT, school=cohort.term.school)
    client = APIClient()
    client.force_authenticate(stranger)
    assert client.get(url).status_code == 404
