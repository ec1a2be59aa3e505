"""factory_boy factories for courses, modules and lessons.

Positions follow the rule the services keep (0, 1, 2, ... among siblings): a new module or
lesson goes after the last one. Lesson HTML is rendered by the app's own renderer, as the
services do, so a factory-made lesson looks like one written through the API.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import factory
from django.db import transaction
from rest_framework.test import APIClient

from courses import services
from courses.content import markdown_to_safe_html
from courses.models import (
    Audience,
    Cohort,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Module,
    Term,
)
from lms.accounts.models import Role, User
from tests.factories import SchoolFactory, make_person

if TYPE_CHECKING:
    from tests.courses.conftest import Courses


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    """A course of ``school``. ``teachers=[...]`` sets its authors; without it, one teacher of
    the course's school is made its author."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n:03d}")
    subject = "Mathematics"
    grade_level = 5
    language = "ky"
    audience = Audience.STUDENTS
    description = ""
    school = factory.SubFactory(SchoolFactory)

    @factory.post_generation
    def teachers(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if not create:
            return
        if extracted is None:
            extracted = [make_person(Role.TEACHER, school=self.school)]
        self.teachers.add(*extracted)


class ModuleFactory(factory.django.DjangoModelFactory[Module]):
    class Meta:
        model = Module
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n:03d}")
    position = factory.LazyAttribute(lambda o: Module.objects.filter(course=o.course).count())
    is_published = True

    @factory.post_generation
    def counted(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:  # as the authoring services do after every change to an outline
            services.course_counts_refresh(course_id=self.course_id)


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n:03d}")
    position = factory.LazyAttribute(lambda o: Lesson.objects.filter(module=o.module).count())
    is_published = True
    body_markdown = factory.Sequence(lambda n: f"# Lesson {n}\n\nSome *text*.")
    body_html = factory.LazyAttribute(lambda o: markdown_to_safe_html(o.body_markdown))
    video_url = ""

    @factory.post_generation
    def counted(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            services.course_counts_refresh(course_id=self.module.course_id)


# --- terms, classes, enrolment --------------------------------------------------------------
class TermFactory(factory.django.DjangoModelFactory[Term]):
    class Meta:
        model = Term

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Term {n:03d}")
    starts_on = date(2026, 9, 1)
    ends_on = date(2026, 12, 25)


class CohortFactory(factory.django.DjangoModelFactory[Cohort]):
    """A class of ``course`` in ``term``. ``teachers=[...]`` sets who teaches it; without it,
    one teacher of the term's school does. ``students=N`` enrols N new pupils of that school."""

    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    term = factory.SubFactory(TermFactory)
    course = factory.SubFactory(CourseFactory, school=factory.SelfAttribute("..term.school"))
    name = factory.Sequence(lambda n: f"Class {n:03d}")
    join_code = factory.Sequence(lambda n: f"T{n:06d}")
    allow_self_enrol = False

    @factory.post_generation
    def teachers(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if not create:
            return
        if extracted is None:
            extracted = [make_person(Role.TEACHER, school=self.term.school)]
        self.teachers.add(*extracted)

    @factory.post_generation
    def students(self, create: bool, extracted: int | None, **kwargs: Any) -> None:
        if create and extracted:
            for _ in range(extracted):
                EnrolmentFactory(
                    cohort=self, student=make_person(Role.STUDENT, school=self.term.school)
                )


class EnrolmentFactory(factory.django.DjangoModelFactory[Enrolment]):
    class Meta:
        model = Enrolment

    cohort = factory.SubFactory(CohortFactory)
    student = factory.LazyAttribute(
        lambda o: make_person(Role.STUDENT, school=o.cohort.term.school)
    )
    enrolled_by = None


# --- a scenario: classes in schools A1, A2 and B1 --------------------------------------------
@dataclass
class Classes:
    """On top of the ``courses`` fixture: a term and a class in each of schools A1, A2 (region
    A) and B1 (region B), each class with one pupil of its school.

    - ``cohort_a1``: the A1 course, taught by ``class_teacher`` (a teacher of A1 who is not the
      course's author), open to joining with its code; ``student_a1`` is in it.
    - ``cohort_a2``: the A2 course, taught by ``teacher_a2``; ``student_a2`` is in it; closed.
    - ``cohort_b1``: the B1 course, taught by ``teacher_b1``; ``student_b1`` is in it; open.

    ``lesson_a2`` and ``lesson_b1`` are published lessons of the A2 and B1 courses.
    """

    courses: "Courses"
    people: dict[str, User | None]
    terms: dict[str, Term]  # "a1", "a2", "b1"
    cohorts: dict[str, Cohort]
    lessons: dict[str, Lesson]  # a published lesson of each school's course

    def client(self, name: str) -> APIClient:
        client = APIClient()
        person = self.people[name]
        if person is not None:
            client.force_authenticate(person)
        return client

    def person(self, name: str) -> User:
        person = self.people[name]
        assert person is not None
        return person


def make_classes(courses: "Courses") -> Classes:
    world = courses.world
    schools = {"a1": world.school_a1, "a2": world.school_a2, "b1": world.school_b1}
    terms = {key: TermFactory(school=school, name="Autumn") for key, school in schools.items()}
    teacher_b1 = courses.course_b1.teachers.get()
    class_teacher = courses.people["other_teacher_a1"]
    cohorts = {
        "a1": CohortFactory(
            term=terms["a1"],
            course=courses.course,
            name="7A",
            join_code="A1CODE7",
            teachers=[class_teacher],
            allow_self_enrol=True,
        ),
        "a2": CohortFactory(
            term=terms["a2"],
            course=courses.course_a2,
            name="7B",
            join_code="A2CODE7",
            teachers=[world.teacher_a2],
        ),
        "b1": CohortFactory(
            term=terms["b1"],
            course=courses.course_b1,
            name="7C",
            join_code="B1CODE7",
            teachers=[teacher_b1],
            allow_self_enrol=True,
        ),
    }
    for key, student in (
        ("a1", world.student_a1),
        ("a2", world.student_a2),
        ("b1", world.student_b1),
    ):
        EnrolmentFactory(cohort=cohorts[key], student=student)
    lessons = {
        "a1": courses.lesson_published,
        "a2": LessonFactory(module=ModuleFactory(course=courses.course_a2)),
        "b1": LessonFactory(module=ModuleFactory(course=courses.course_b1)),
    }
    people: dict[str, User | None] = {
        "platform_admin": world.platform_admin,
        "region_admin_a": world.region_admin_a,
        "region_admin_b": world.region_admin_b,
        "school_admin_a1": world.school_admin_a1,
        "school_admin_a2": world.school_admin_a2,
        "school_admin_b1": world.school_admin_b1,
        "class_teacher": class_teacher,
        "author": world.teacher_a1,
        "teacher_a2": world.teacher_a2,
        "facilitator": world.facilitator_a1,
        "student_a1": world.student_a1,
        "student_a2": world.student_a2,
        "student_b1": world.student_b1,
        "anonymous": None,
    }
    return Classes(courses=courses, people=people, terms=terms, cohorts=cohorts, lessons=lessons)


def classes_database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the terms, classes and progress endpoints write, to prove that
    a refused request wrote nothing."""
    tables: dict[str, Any] = {
        "terms": Term.objects.all(),
        "cohorts": Cohort.objects.all(),
        "cohort_teachers": Cohort.teachers.through.objects.all(),
        "enrolments": Enrolment.objects.all(),
        "completions": LessonCompletion.objects.all(),
    }
    return {
        name: [{k: str(v) for k, v in row.items()} for row in rows.order_by("pk").values()]
        for name, rows in tables.items()
    }


def attempt(client: APIClient, method: str, url: str, body: Any = None) -> tuple[Any, bool]:
    """Send the request inside a savepoint that is rolled back; the response and whether the
    database changed."""
    with transaction.atomic():
        before = classes_database_state()
        call = getattr(client, method)
        response = call(url, body) if body is not None else call(url)
        wrote = classes_database_state() != before
        transaction.set_rollback(True)
    return response, wrote
