"""The demo school system that ``make run`` loads: one region, three schools, every role.

Loading is idempotent (run it twice, get the same rows) and refused in production.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

DEMO_PASSWORD = "mektep-demo-2026"  # noqa: S105 - published on the sign-in page on purpose


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    role: str
    school: str | None = None
    region: str | None = None


DEMO_REGION: dict[str, str] = {
    "code": "kg-issyk-kul",
    "name": "Ысык-Көл облусу",
    "time_zone": "Asia/Bishkek",
}
DEMO_SCHOOLS: list[dict[str, Any]] = [
    {
        "code": "kg-ik-karakol-1",
        "name": "Каракол шаардык №1 гимназиясы",
        "locality": "urban",
        "languages": ["ky", "ru"],
    },
    {
        "code": "kg-ik-tup-3",
        "name": "Түп айылындагы №3 орто мектеби",
        "locality": "rural",
        "languages": ["ky"],
    },
    {
        "code": "kg-ik-barskoon",
        "name": "Барскоон орто мектеби",
        "locality": "remote",
        "languages": ["ky", "ru"],
    },
]
DEMO_PEOPLE = [
    DemoPerson("demo-region-admin", "Айгүл", "Токтосунова", "region_admin", region="kg-issyk-kul"),
    DemoPerson("demo-school-admin", "Бакыт", "Осмонов", "school_admin", "kg-ik-karakol-1"),
    DemoPerson("demo-school-admin-tup", "Нургүл", "Асанова", "school_admin", "kg-ik-tup-3"),
    DemoPerson("demo-teacher", "Гүлнара", "Жумабаева", "teacher", "kg-ik-karakol-1"),
    DemoPerson("demo-teacher-2", "Эрлан", "Касымов", "teacher", "kg-ik-karakol-1"),
    DemoPerson("demo-facilitator", "Чолпон", "Мамытова", "facilitator", "kg-ik-tup-3"),
    DemoPerson("demo-facilitator-2", "Азамат", "Бейшеев", "facilitator", "kg-ik-barskoon"),
    DemoPerson("demo-student", "Айбек", "Сыдыков", "student", "kg-ik-karakol-1"),
    DemoPerson("demo-student-tup", "Жазгүл", "Абдыкадырова", "student", "kg-ik-tup-3"),
    DemoPerson("demo-student-tup-2", "Темирлан", "Усенов", "student", "kg-ik-tup-3"),
    DemoPerson("demo-student-barskoon", "Мээрим", "Токтогулова", "student", "kg-ik-barskoon"),
]
DEMO_USERNAMES = [person.username for person in DEMO_PEOPLE]


@transaction.atomic
def demo_load() -> dict[str, int]:
    """Create the demo region, schools and people, or bring them back to their demo state
    (names, roles, schools, active). A demo account's password is set when it is created and
    left alone afterwards, so that loading the demo again stays quick."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo is never loaded in production.")
    from lms.accounts.models import Region, School, User

    region, _ = Region.objects.update_or_create(
        code=DEMO_REGION["code"],
        defaults={"name": DEMO_REGION["name"], "time_zone": DEMO_REGION["time_zone"]},
    )
    schools = {}
    for data in DEMO_SCHOOLS:
        schools[data["code"]], _ = School.objects.update_or_create(
            code=data["code"],
            defaults={
                "region": region,
                "name": data["name"],
                "locality": data["locality"],
                "languages": data["languages"],
                "time_zone": region.time_zone,
            },
        )
    created = 0
    for person in DEMO_PEOPLE:
        user, was_created = User.objects.update_or_create(
            username=person.username,
            defaults={
                "is_active": True,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "role": person.role,
                "school": schools[person.school] if person.school else None,
                "region": region if person.region else None,
                "time_zone": region.time_zone,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
    return {"regions": 1, "schools": len(schools), "people": len(DEMO_PEOPLE), "created": created}
