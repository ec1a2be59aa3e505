"""The ``courses`` fixture: the accounts ``world`` plus a course of school A1 with published and
draft content, and one course in A2 and one in B1 to test the boundaries of the lists."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from courses.models import Course, Lesson, Module
from lms.accounts.models import Role, User
from tests.conftest import World
from tests.courses.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.factories import make_person


@dataclass
class Courses:
    """``course`` (school A1, written by ``author`` = teacher_a1) has:

    - ``module_published`` (position 0) with ``lesson_published`` (0, published) and
      ``lesson_draft`` (1, not published);
    - ``module_draft`` (position 1, not published) with ``lesson_in_draft_module`` (0, published
      itself, but hidden because its module is a draft).
    """

    world: World
    people: dict[str, User | None]
    course: Course
    course_a2: Course
    course_b1: Course
    module_published: Module
    module_draft: Module
    lesson_published: Lesson
    lesson_draft: Lesson
    lesson_in_draft_module: Lesson

    def client(self, role: str) -> APIClient:
        client = APIClient()
        person = self.people[role]
        if person is not None:
            client.force_authenticate(person)
        return client

    @property
    def author(self) -> User:
        person = self.people["author"]
        assert person is not None
        return person


@pytest.fixture
def courses(world: World) -> Courses:
    author = world.teacher_a1
    course = CourseFactory(school=world.school_a1, teachers=[author], title="Course A1")
    module_published = ModuleFactory(course=course, title="Published module", is_published=True)
    module_draft = ModuleFactory(course=course, title="Draft module", is_published=False)
    lesson_published = LessonFactory(
        module=module_published,
        title="Published lesson",
        is_published=True,
        body_markdown="Published **text**.",
    )
    lesson_draft = LessonFactory(
        module=module_published,
        title="Draft lesson",
        is_published=False,
        body_markdown="Draft *text*.",
    )
    lesson_in_draft_module = LessonFactory(
        module=module_draft,
        title="Lesson in a draft module",
        is_published=True,
        body_markdown="Hidden text.",
    )
    course_a2 = CourseFactory(
        school=world.school_a2, teachers=[world.teacher_a2], title="Course A2"
    )
    course_b1 = CourseFactory(school=world.school_b1, title="Course B1")
    people: dict[str, User | None] = {
        "platform_admin": world.platform_admin,
        "region_admin_a": world.region_admin_a,
        "region_admin_b": world.region_admin_b,
        "school_admin_a1": world.school_admin_a1,
        "school_admin_a2": world.school_admin_a2,
        "author": author,
        "other_teacher_a1": make_person(Role.TEACHER, school=world.school_a1),
        "teacher_a2": world.teacher_a2,
        "facilitator": world.facilitator_a1,
        "student": world.student_a1,
        "anonymous": None,
    }
    return Courses(
        world=world,
        people=people,
        course=course,
        course_a2=course_a2,
        course_b1=course_b1,
        module_published=module_published,
        module_draft=module_draft,
        lesson_published=lesson_published,
        lesson_draft=lesson_draft,
        lesson_in_draft_module=lesson_in_draft_module,
    )


@pytest.fixture
def author(db: None) -> User:
    """A teacher who writes the course under test."""
    return make_person(Role.TEACHER)


@pytest.fixture
def client(author: User) -> APIClient:
    """An API client signed in as ``author`` (in this folder, instead of Django's client)."""
    client = APIClient()
    client.force_authenticate(author)
    return client
