"""factory_boy factories for courses, modules and lessons.

Positions follow the rule the services keep (0, 1, 2, ... among siblings): a new module or
lesson goes after the last one. Lesson HTML is rendered by the app's own renderer, as the
services do, so a factory-made lesson looks like one written through the API.
"""

from typing import Any

import factory

from courses.content import markdown_to_safe_html
from courses.models import Audience, Course, Lesson, Module
from lms.accounts.models import Role
from tests.factories import SchoolFactory, make_person


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

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n:03d}")
    position = factory.LazyAttribute(lambda o: Module.objects.filter(course=o.course).count())
    is_published = True


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n:03d}")
    position = factory.LazyAttribute(lambda o: Lesson.objects.filter(module=o.module).count())
    is_published = True
    body_markdown = factory.Sequence(lambda n: f"# Lesson {n}\n\nSome *text*.")
    body_html = factory.LazyAttribute(lambda o: markdown_to_safe_html(o.body_markdown))
    video_url = ""
