"""The demo's classrooms: the smart classroom of the Karakol school a teacher teaches live
lessons from, and the rooms of the Tüp and Barskoon schools that join with a facilitator.
Through the services, as their administrators would; loading twice changes nothing."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from classrooms import services
from classrooms.models import Classroom
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
