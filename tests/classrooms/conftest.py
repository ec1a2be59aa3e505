"""The ``rooms`` fixture: the classes scenario of tests/courses (class "a1" of school A1 taught
by ``class_teacher`` with ``student_a1``; classes in A2 and B1), a smart classroom in A1, a
room in A2 with its facilitator and a room in B1."""

from dataclasses import dataclass

import pytest

from classrooms import services
from classrooms.models import Classroom
from lms.accounts.models import Role, User
from tests.courses.conftest import Courses, courses  # noqa: F401 - a fixture used here
from tests.courses.factories import Classes, make_classes
from tests.factories import make_person

SMART = {"is_smart": True, "has_camera": True, "has_microphones": True}


@dataclass
class Rooms:
    classes: Classes
    smart_a1: Classroom
    plain_a1: Classroom
    room_a2: Classroom
    room_b1: Classroom
    facilitator_a2: User


@pytest.fixture
def rooms(courses: Courses) -> Rooms:  # noqa: F811 - the fixture imported above
    classes = make_classes(courses)
    world = courses.world
    admin = world.platform_admin

    def room(school: object, name: str, **extra: object) -> Classroom:
        return services.classroom_create(
            by=admin,
            school=school,
            data={"name": name, "capacity": 30, **extra},  # type: ignore[arg-type]
        )

    return Rooms(
        classes=classes,
        smart_a1=room(world.school_a1, "Smart 204", **SMART),
        plain_a1=room(world.school_a1, "Room 7", has_projector=True),
        room_a2=room(world.school_a2, "Tüp room", has_projector=True),
        room_b1=room(world.school_b1, "Far room", **SMART),
        facilitator_a2=make_person(Role.FACILITATOR, school=world.school_a2),
    )
