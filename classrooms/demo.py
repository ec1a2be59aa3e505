"""The demo's classrooms: the smart classroom of the Karakol school a teacher teaches live
lessons from, and the rooms of the Tüp and Barskoon schools that join with a facilitator; and a
live lesson of the demo class, taught from Karakol with both rooms as spokes, due to start a few
minutes after loading (the teacher may open it at once). Through the services, as their
administrators and teacher would; loading again changes nothing while that lesson is still
ahead or on, and schedules a new one once it is over."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from classrooms import lessons, services
from classrooms.models import Classroom, LiveLesson, LiveLessonState
from courses.demo import DEMO_CLASS_NAME
from courses.models import Cohort
from lms.accounts.models import School, User

DEMO_CLASSROOMS: list[dict[str, Any]] = [
    {
        "school": "kg-ik-karakol-1",
        "name": "Акылдуу класс 204",
        "capacity": 30,
        "is_smart": True,
        "has_camera": True,
        "has_microphones": True,
        "has_interactive_display": True,
        "has_projector": True,
    },
    {"school": "kg-ik-tup-3", "name": "7-класс бөлмөсү", "capacity": 24, "has_projector": True},
    {
        "school": "kg-ik-barskoon",
        "name": "Информатика кабинети",
        "capacity": 16,
        "has_projector": True,
        "has_microphones": True,
    },
]


def demo_classrooms_load() -> int:
    """Register what is missing of the demo's classrooms; returns how many there are."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo is never loaded in production.")
    admin = User.objects.get(username="demo-region-admin")
    for item in DEMO_CLASSROOMS:
        data = dict(item)
        school = School.objects.get(code=data.pop("school"))
        if not Classroom.objects.filter(school=school, name=data["name"]).exists():
            services.classroom_create(by=admin, school=school, data=data)
    return len(DEMO_CLASSROOMS)


DEMO_LESSON_TITLE = "Бөлчөктөр: түз эфир"
DEMO_LESSON_SPOKES = [("kg-ik-tup-3", "demo-facilitator"), ("kg-ik-barskoon", "demo-facilitator-2")]


def demo_live_lesson_load() -> LiveLesson:
    """The demo class's live lesson: ahead or on already, or scheduled now."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo is never loaded in production.")
    cohort = Cohort.objects.get(name=DEMO_CLASS_NAME)
    now = timezone.now()
    current = (
        LiveLesson.objects.filter(
            cohort=cohort,
            title=DEMO_LESSON_TITLE,
            state__in=(LiveLessonState.SCHEDULED, LiveLessonState.LIVE),
            starts_at__gt=now - timedelta(minutes=40),
        )
        .order_by("-starts_at")
        .first()
    )
    if current is not None:
        return current
    teacher = cohort.teachers.order_by("pk").first()
    if teacher is None:
        raise ImproperlyConfigured("The demo class has no teacher.")
    spokes = [
        {
            "classroom": Classroom.objects.get(school__code=school, name=_room_name(school)),
            "facilitator": User.objects.get(username=facilitator),
        }
        for school, facilitator in DEMO_LESSON_SPOKES
    ]
    starts_at = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    return lessons.live_lesson_schedule(
        cohort=cohort,
        by=teacher,
        title=DEMO_LESSON_TITLE,
        starts_at=starts_at,
        duration_minutes=45,
        hub=Classroom.objects.get(school__code="kg-ik-karakol-1", is_smart=True),
        spokes=spokes,
    )


def _room_name(school: str) -> str:
    return next(str(item["name"]) for item in DEMO_CLASSROOMS if item["school"] == school)
