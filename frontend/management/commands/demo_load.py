"""``manage.py demo_load``: the whole demo (``make run`` loads it). It lives in the top layer
because it loads every app's part: the school system, then the courses and classes, then
the classrooms."""

from typing import Any

from django.core.management.base import BaseCommand

from classrooms.demo import demo_classrooms_load, demo_live_lesson_load
from courses.demo import demo_courses_load
from lms.accounts.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo schools, people, courses and classes (idempotent; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo_load()
        courses = demo_courses_load()
        classrooms = demo_classrooms_load()
        live_lesson = demo_live_lesson_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {counts['schools']} schools, {counts['people']} people "
                f"({counts['created']} new), {courses['courses']} courses, "
                f"{courses['classes']} class, {classrooms} classrooms, a live lesson at "
                f"{live_lesson.starts_at:%H:%M} UTC. "
                f"Password for every demo account: {DEMO_PASSWORD}"
            )
        )
