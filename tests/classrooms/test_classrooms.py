"""Classrooms: administrators register their schools' rooms (a smart classroom has a camera and
microphones), the staff of the region see them, nobody else does. Written out per role and
school (own A1, A2 of the same region, B1 of another region), from the rules, not the code."""

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from classrooms import live, services
from classrooms.models import Classroom, LiveLesson
from tests.conftest import World

ROOM = {
    "name": "Room 204",
    "capacity": 30,
    "is_smart": True,
    "has_camera": True,
    "has_microphones": True,
    "has_interactive_display": True,
}
SCHOOLS = ("school_a1", "school_a2", "school_b1")

# role: (own A1, A2, B1) - who sees a classroom (GET) ...
SEE = {
    "anonymous": (401, 401, 401),
    "platform_admin": (200, 200, 200),
    "region_admin_a": (200, 200, 404),
    "region_admin_b": (404, 404, 200),
    "school_admin_a1": (200, 200, 404),
    "school_admin_a2": (200, 200, 404),
    "school_admin_b1": (404, 404, 200),
    "teacher_a1": (200, 200, 404),
    "facilitator_a1": (200, 200, 404),
    "teacher_a2": (200, 200, 404),
    "student_a1": (404, 404, 404),
    "student_a2": (404, 404, 404),
    "student_b1": (404, 404, 404),
}
# ... who changes it (PATCH; DELETE alike) ...
CHANGE = {
    "anonymous": (401, 401, 401),
    "platform_admin": (200, 200, 200),
    "region_admin_a": (200, 200, 404),
    "region_admin_b": (404, 404, 200),
    "school_admin_a1": (200, 403, 404),
    "school_admin_a2": (403, 200, 404),
    "school_admin_b1": (404, 404, 200),
    "teacher_a1": (403, 403, 404),
    "facilitator_a1": (403, 403, 404),
    "teacher_a2": (403, 403, 404),
    "student_a1": (404, 404, 404),
    "student_a2": (404, 404, 404),
    "student_b1": (404, 404, 404),
}
# ... and who registers one in each school (POST).
REGISTER = {
    "anonymous": (401, 401, 401),
    "platform_admin": (201, 201, 201),
    "region_admin_a": (201, 201, 400),
    "region_admin_b": (400, 400, 201),
    "school_admin_a1": (201, 400, 400),
    "school_admin_a2": (400, 201, 400),
    "school_admin_b1": (400, 400, 201),
    "teacher_a1": (403, 403, 403),
    "facilitator_a1": (403, 403, 403),
    "teacher_a2": (403, 403, 403),
    "student_a1": (403, 403, 403),
    "student_a2": (403, 403, 403),
    "student_b1": (403, 403, 403),
}


def _client(world: World, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(getattr(world, role))
    return client


@pytest.fixture
def rooms(world: World) -> dict[str, Classroom]:
    return {
        name: services.classroom_create(
            by=world.platform_admin, school=getattr(world, name), data={**ROOM}
        )
        for name in SCHOOLS
    }


@pytest.mark.parametrize("role", list(SEE))
def test_who_sees_changes_and_removes_a_classroom(
    world: World, rooms: dict[str, Classroom], role: str
) -> None:
    client = _client(world, role)
    for index, school in enumerate(SCHOOLS):
        room = rooms[school]
        url = f"/api/v1/classrooms/{room.pk}/"
        assert client.get(url).status_code == SEE[role][index], (school, "GET")
        changed = client.patch(url, {"capacity": 12}, format="json")
        assert changed.status_code == CHANGE[role][index], (school, "PATCH")
        room.refresh_from_db()
        assert (room.capacity == 12) is (CHANGE[role][index] == 200), school
        removed = client.delete(url)
        expected = 204 if CHANGE[role][index] == 200 else CHANGE[role][index]
        assert removed.status_code == expected, (school, "DELETE")
        assert Classroom.objects.filter(pk=room.pk).exists() is (expected != 204)
    listed = client.get("/api/v1/classrooms/")
    if role == "anonymous":
        assert listed.status_code == 401
    else:
        seen = {item["name"] for item in listed.json()["results"]}
        assert seen <= {"Room 204"}


@pytest.mark.parametrize("role", list(REGISTER))
def test_who_registers_a_classroom_in_which_school(world: World, role: str) -> None:
    client = _client(world, role)
    for index, school in enumerate(SCHOOLS):
        body = {**ROOM, "school": getattr(world, school).pk}
        response = client.post("/api/v1/classrooms/", body, format="json")
        assert response.status_code == REGISTER[role][index], (school, response.content)
        wrote = Classroom.objects.filter(school=getattr(world, school)).exists()
        assert wrote is (REGISTER[role][index] == 201), school
        Classroom.objects.all().delete()


def test_the_list_shows_each_reader_the_rooms_of_their_region(
    world: World, rooms: dict[str, Classroom]
) -> None:
    def listed(role: str, query: str = "") -> set[int]:
        response = _client(world, role).get(f"/api/v1/classrooms/{query}")
        return {item["school"] for item in response.json()["results"]}

    a1, a2, b1 = (getattr(world, name).pk for name in SCHOOLS)
    assert listed("platform_admin") == {a1, a2, b1}
    assert listed("teacher_a1") == {a1, a2}
    assert listed("region_admin_b") == {b1}
    assert listed("student_a1") == set()
    assert listed("platform_admin", f"?school={a2}") == {a2}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_smart": True, "has_camera": True, "has_microphones": False}, "is_smart"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Room 204"}, "name"),  # the school has one of this name
        ({"school": 999_999}, "school"),
        ({"school": "A1"}, "school"),
    ],
)
def test_bad_input_gets_field_errors_and_writes_nothing(
    world: World, body: dict[str, Any], field: str
) -> None:
    services.classroom_create(by=world.platform_admin, school=world.school_a1, data={**ROOM})
    client = _client(world, "school_admin_a1")
    sent = {**ROOM, "name": "Room 105", "school": world.school_a1.pk, **body}
    response = client.post("/api/v1/classrooms/", sent, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Classroom.objects.count() == 1


def test_the_pages_register_change_and_remove_a_classroom(world: World) -> None:
    admin = Client()
    admin.force_login(world.school_admin_a1)
    url = reverse("frontend:classroom-list")
    # a smart classroom without a camera is refused with a message, and nothing is written
    refused = admin.post(
        url, {"school": world.school_a1.pk, "name": "204", "capacity": "30", "is_smart": "on"}
    )
    assert refused.status_code == 400
    assert "A smart classroom has a camera and microphones" in refused.content.decode()
    assert not Classroom.objects.exists()
    # another school of the region is not among the choices
    refused = admin.post(url, {"school": world.school_a2.pk, "name": "204", "capacity": "30"})
    assert refused.status_code == 400
    assert not Classroom.objects.exists()
    registered = admin.post(
        url,
        {
            "school": world.school_a1.pk,
            "name": "204",
            "capacity": "30",
            "is_smart": "on",
            "has_camera": "on",
            "has_microphones": "on",
        },
    )
    assert registered.status_code == 302
    room = Classroom.objects.get()
    assert (room.is_smart, room.capacity) == (True, 30)
    edit = reverse("frontend:classroom-edit", args=[room.pk])
    assert admin.post(edit, {"name": "205", "capacity": "28"}).status_code == 302
    room.refresh_from_db()
    assert (room.name, room.capacity, room.is_smart) == ("205", 28, False)
    # the staff of the region see it; pupils and other regions do not; only managers change it
    teacher = Client()
    teacher.force_login(world.teacher_a2)
    assert "205" in teacher.get(url).content.decode()
    assert teacher.get(edit).status_code == 404
    other_region = Client()
    other_region.force_login(world.school_admin_b1)
    assert "205" not in other_region.get(url).content.decode()
    assert other_region.get(edit).status_code == 404
    pupil = Client()
    pupil.force_login(world.student_a1)
    assert pupil.get(url).status_code == 404
    assert pupil.get(edit).status_code == 404
    assert Client().get(url)["Location"].startswith(reverse("frontend:sign-in"))
    assert admin.post(reverse("frontend:classroom-delete", args=[room.pk])).status_code == 302
    assert not Classroom.objects.exists()


@pytest.mark.django_db
def test_the_demo_has_a_smart_classroom_and_two_rural_rooms() -> None:
    call_command("demo_load", verbosity=0)
    call_command("demo_load", verbosity=0)
    rooms = list(Classroom.objects.select_related("school").order_by("school__code"))
    assert [(room.school.code, room.is_smart) for room in rooms] == [
        ("kg-ik-barskoon", False),
        ("kg-ik-karakol-1", True),
        ("kg-ik-tup-3", False),
    ]


@pytest.mark.django_db
def test_the_demo_has_a_live_lesson_with_two_rooms_ready_to_start() -> None:
    call_command("demo_load", verbosity=0)
    call_command("demo_load", verbosity=0)
    lesson = LiveLesson.objects.get()  # loading again keeps the one lesson still ahead
    assert lesson.hub is not None
    assert lesson.hub.is_smart
    spokes = sorted(
        (spoke.classroom.school.code, spoke.facilitator.username) for spoke in lesson.spokes.all()
    )
    assert spokes == [
        ("kg-ik-barskoon", "demo-facilitator-2"),
        ("kg-ik-tup-3", "demo-facilitator"),
    ]
    assert lesson.cohort.enrolments.count() == 2
    # its teacher may open it now (up to 30 minutes before its time)
    seq = live.lesson_start(lesson=lesson, by=lesson.teacher)
    assert seq == 1
