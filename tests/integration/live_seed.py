"""Seed a fresh database for the live lesson transport tests: a region, a school, a teacher, a
school administrator and ``n`` pupils, one class per scenario (the same teacher and pupils in
each) with a live lesson scheduled a few minutes ahead, and an API token for everyone.

Run as ``python -m tests.integration.live_seed <n> <scenario> [<scenario> ...]`` in the
environment of that database; prints one line of JSON: the ids and token keys."""

import json
import sys
from datetime import timedelta


def main(count: int, scenarios: list[str]) -> None:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from classrooms.lessons import live_lesson_schedule
    from courses import services as course_services
    from courses.models import Enrolment
    from lms.accounts.models import Region, Role, School, User
    from lms.accounts.services import api_token_create

    region = Region.objects.create(name="Live region", code="live")
    school = School.objects.create(
        region=region, name="Live school", code="live-1", locality="rural", languages=["ky"]
    )
    admin = User.objects.create(username="live-admin", role=Role.SCHOOL_ADMIN, school=school)
    teacher = User.objects.create(
        username="live-teacher",
        role=Role.TEACHER,
        school=school,
        first_name="Aida",
        last_name="Teacher",
    )
    course = course_services.course_create(
        by=teacher, title="Live course", subject="Math", grade_level=7, language="ky"
    )
    today = timezone.localdate()
    term = course_services.term_create(
        by=admin, school=school, name="Term", starts_on=today, ends_on=today + timedelta(days=90)
    )
    password = make_password("a-Long-live-passphrase-2026")  # hashed once, for every pupil
    pupils = User.objects.bulk_create(
        User(
            username=f"live-pupil-{number:03}",
            first_name="Pupil",
            last_name=f"{number:03}",
            role=Role.STUDENT,
            school=school,
            password=password,
        )
        for number in range(count)
    )
    lessons = {}
    for scenario in scenarios:
        cohort = course_services.cohort_create(
            by=admin, term=term, course=course, name=scenario, teachers=[teacher]
        )
        Enrolment.objects.bulk_create(
            Enrolment(cohort=cohort, student=pupil, enrolled_by=admin) for pupil in pupils
        )
        lesson = live_lesson_schedule(
            cohort=cohort,
            by=teacher,
            title=f"Live lesson: {scenario}",
            starts_at=timezone.now() + timedelta(minutes=5),
            duration_minutes=45,
        )
        lessons[scenario] = {"lesson": lesson.pk, "cohort": cohort.pk}

    def person(user: User) -> dict[str, object]:
        _instance, key = api_token_create(user=user)
        return {"id": user.pk, "token": key}

    print(
        json.dumps(
            {
                "teacher": person(teacher),
                "admin": person(admin),
                "pupils": [person(pupil) for pupil in pupils],
                "lessons": lessons,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
