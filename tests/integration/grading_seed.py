"""Seed a fresh database with a class of ``n`` pupils who have each submitted a quiz, through
the services, so that ``n`` grading tasks wait in the broker. Run by the real-worker test as
``python -m tests.integration.grading_seed <n>`` in the environment of that database."""

import sys
from datetime import timedelta
from decimal import Decimal


def main(count: int) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from courses import services as course_services
    from courses.assessments import services
    from lms.accounts.models import Region, Role, School, User

    region = Region.objects.create(name="Seed region", code="seed")
    school = School.objects.create(
        region=region, name="Seed school", code="seed-1", locality="rural", languages=["ky"]
    )
    admin = User.objects.create(username="seed-admin", role=Role.SCHOOL_ADMIN, school=school)
    teacher = User.objects.create(username="seed-teacher", role=Role.TEACHER, school=school)
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
    question = services.question_create(
        course=course,
        by=teacher,
        kind="numeric",
        title="Pi",
        text_markdown="Pi?",
        keys=[{"value": Decimal("3.14"), "tolerance": Decimal("0.01"), "fraction": Decimal(1)}],
    )
    quiz = services.assessment_create(
        cohort=cohort,
        by=teacher,
        kind="quiz",
        title="Seed quiz",
        due_at=timezone.now() + timedelta(days=1),
        questions=[{"question": question.pk}],
    )
    services.assessment_publish(assessment=quiz, by=teacher)
    for number in range(count):
        pupil = User.objects.create(
            username=f"seed-pupil-{number}", role=Role.STUDENT, school=school
        )
        course_services.enrolment_create(cohort=cohort, student=pupil, by=admin)
        attempt = services.attempt_start(assessment=quiz, student=pupil)
        value = "3.14" if number % 2 == 0 else "2.71"
        services.answer_save(
            attempt=attempt,
            student=pupil,
            question_id=question.pk,
            response={"value": value},
            revision=1,
        )
        services.attempt_submit(attempt=attempt, student=pupil)  # enqueues after commit
    print(f"seeded {count} submitted attempts")


if __name__ == "__main__":
    main(int(sys.argv[1]))
