"""Authors invite colleagues of the region to write a course with them."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from courses import services
from courses.models import Course
from lms.accounts.models import User
from tests.accounts.expectations import assert_error
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(
        by=world.teacher_a1, title="Физика", subject="Физика", grade_level=8, language="ru"
    )


def test_an_author_adds_a_colleague_who_can_then_edit(world: World, course: Course) -> None:
    url = reverse("api:course-teachers", args=[course.pk])
    response = _client(world.teacher_a1).post(url, {"teacher": world.teacher_a2.pk})
    assert response.status_code == 200
    assert {row["id"] for row in response.json()} == {world.teacher_a1.pk, world.teacher_a2.pk}
    edit = _client(world.teacher_a2).patch(
        reverse("api:course-detail", args=[course.pk]), {"title": "Физика 8"}
    )
    assert edit.status_code == 200


@pytest.mark.parametrize("who", ["student_a1", "school_admin_a1"])
def test_a_non_author_cannot_add_a_colleague(world: World, course: Course, who: str) -> None:
    client = _client(getattr(world, who))
    response = client.post(
        reverse("api:course-teachers", args=[course.pk]), {"teacher": world.teacher_a2.pk}
    )
    assert response.status_code in {403, 404}
    assert list(course.teachers.all()) == [world.teacher_a1]


@pytest.mark.parametrize("who", ["student_a1", "student_b1"])
def test_only_teachers_of_the_region_become_authors(world: World, course: Course, who: str) -> None:
    response = _client(world.teacher_a1).post(
        reverse("api:course-teachers", args=[course.pk]), {"teacher": getattr(world, who).pk}
    )
    assert_error(response, 400, "invalid", {"teacher"})
    assert list(course.teachers.all()) == [world.teacher_a1]


def test_the_last_author_cannot_be_removed(world: World, course: Course) -> None:
    url = reverse("api:course-teacher-remove", args=[course.pk, world.teacher_a1.pk])
    assert_error(_client(world.teacher_a1).delete(url), 400, "invalid", {"teacher"})
    services.course_teacher_add(course=course, by=world.teacher_a1, teacher=world.teacher_a2)
    assert _client(world.teacher_a2).delete(url).status_code == 204
    assert list(course.teachers.all()) == [world.teacher_a2]
