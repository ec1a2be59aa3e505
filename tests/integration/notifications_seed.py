"""Seed a fresh database for the real-worker notification tests, through the services where
the tests are about them. Run by those tests as ``python -m tests.integration.notifications_seed
<command> ...`` in the environment of that database; each command prints one line of JSON.

- ``lesson <n>``: a class of ``n`` pupils, its teacher, and a live lesson starting in ten
  minutes with a spoke classroom and its facilitator (scheduling it notifies the class);
- ``pupils <n>``: ``n`` pupils of one school, bulk created, every other one with an e-mail
  address;
- ``notify``: one ``notify`` call, after commit, to every pupil ``pupils`` made.
"""

import json
import sys
from datetime import timedelta
from typing import Any

PUPIL_PREFIX = "seed-pupil-"


def _school() -> Any:
    from lms.accounts.models import Region, School

    region = Region.objects.create(name="Seed region", code="seed")
    return School.objects.create(
        region=region, name="Seed school", code="seed-1", locality="rural", languages=["ky"]
    )


def lesson(count: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from classrooms.lessons import live_lesson_schedule
    from classrooms.models import Classroom
    from classrooms.notices import audience
    from courses import services as course_services
    from courses.models import Enrolment
    from lms.accounts.models import Role, User

    school = _school()
    admin = User.objects.create(username="seed-admin", role=Role.SCHOOL_ADMIN, school=school)
    teacher = User.objects.create(username="seed-teacher", role=Role.TEACHER, school=school)
    facilitator = User.objects.create(
        username="seed-facilitator", role=Role.FACILITATOR, school=school
    )
    room = Classroom.objects.create(school=school, name="Room 1", capacity=40)
    course = course_services.course_create(
        by=teacher, title="Seed course", subject="Math", grade_level=7, language="ky"
    )
    today = timezone.localdate()
    term = course_services.term_create(
        by=admin, school=school, name="Term", starts_on=today, ends_on=today + timedelta(days=90)
    )
    cohort = course_services.cohort_create(
        by=admin, term=term, course=course, name="7A", teachers=[teacher]
    )
    password = make_password(None)  # unusable, and hashed once for every pupil
    pupils = User.objects.bulk_create(
        User(
            username=f"{PUPIL_PREFIX}{number:04}",
            role=Role.STUDENT,
            school=school,
            password=password,
        )
        for number in range(count)
    )
    Enrolment.objects.bulk_create(
        Enrolment(cohort=cohort, student=pupil, enrolled_by=admin) for pupil in pupils
    )
    live = live_lesson_schedule(
        cohort=cohort,
        by=teacher,
        title="Fractions",
        starts_at=timezone.now() + timedelta(minutes=10),
        duration_minutes=45,
        spokes=[{"classroom": room, "facilitator": facilitator}],
    )
    return {
        "lesson": live.pk,
        "starts_at": live.starts_at.isoformat(),
        "pupils": [pupil.pk for pupil in pupils],
        "teacher": teacher.pk,
        "facilitator": facilitator.pk,
        "audience": audience(live),
    }


def pupils(count: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password

    from lms.accounts.models import Role, User

    school = _school()
    password = make_password(None)
    made = User.objects.bulk_create(
        User(
            username=f"{PUPIL_PREFIX}{number:04}",
            email=f"pupil-{number:04}@example.kg" if number % 2 == 0 else "",
            role=Role.STUDENT,
            school=school,
            password=password,
        )
        for number in range(count)
    )
    return {"pupils": len(made), "emails": sum(1 for pupil in made if pupil.email)}


def notify_pupils() -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from lms.accounts.models import User
    from lms.notifications.services import notify

    ids = list(User.objects.filter(username__startswith=PUPIL_PREFIX).values_list("pk", flat=True))
    with transaction.atomic():  # the fan-out is asked for once this commits
        dispatch = notify(
            kind="lesson_cancelled",
            recipients=ids,
            params={
                "title": "Fractions",
                "class": "E-school 7",
                "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
                "reason": "The teacher is ill.",
                "link": "/lessons/1/",
            },
            dedupe_key="lesson-cancelled:seed",
        )
    assert dispatch is not None
    return {"dispatch": dispatch.pk, "recipients": len(ids)}


def main(args: list[str]) -> None:
    import django

    django.setup()
    command = args[0]
    if command == "lesson":
        result = lesson(int(args[1]))
    elif command == "pupils":
        result = pupils(int(args[1]))
    elif command == "notify":
        result = notify_pupils()
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
