"""Time to build a class's gradebook (40 pupils by 30 assessments, two weighted categories)
against a hand-written single-query read of the same grades, in the same run.

    .venv/bin/python bench/gradebook.py [--pupils 40] [--assessments 30] [--rounds 200]

Runs on a throwaway SQLite database, or on PostgreSQL when DATABASE_URL is set (a database
named mektep_bench_<random> is created and dropped). The target: at most 1.5 times the
single query's time, and at most 4 queries.
"""

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import throwaway_database  # noqa: E402 - after the path is set


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=40)
    parser.add_argument("--assessments", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with throwaway_database():
        run(args.pupils, args.assessments, args.rounds)


def run(pupils: int, count: int, rounds: int) -> None:
    import django

    django.setup()
    from datetime import UTC, date, datetime

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from courses.assessments.gradebook import gradebook_for_cohort
    from courses.assessments.models import Assessment, Grade, GradeCategory
    from courses.models import Cohort, Course, Enrolment, Term
    from lms.accounts.models import Region, Role, School, User

    call_command("migrate", verbosity=0)
    region = Region.objects.create(name="Bench", code="bench")
    school = School.objects.create(
        region=region, name="Bench school", code="bench-1", locality="rural", languages=["ky"]
    )
    course = Course.objects.create(title="Bench", subject="Math", language="ky", school=school)
    term = Term.objects.create(
        school=school,
        name="T",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 5, 31),
    )
    cohort = Cohort.objects.create(course=course, term=term, name="7A", join_code="BENCH7")
    categories = [
        GradeCategory.objects.create(cohort=cohort, name=name, weight=Decimal(50))
        for name in ("Quizzes", "Projects")
    ]
    due = datetime(2026, 12, 1, tzinfo=UTC)
    assessments = [
        Assessment.objects.create(
            cohort=cohort,
            kind="quiz",
            title=f"A{n}",
            due_at=due,
            points=Decimal(10),
            category=categories[n % 2],
        )
        for n in range(count)
    ]
    students = [
        User.objects.create(username=f"p{n}", role=Role.STUDENT, school=school, last_name=f"L{n}")
        for n in range(pupils)
    ]
    Enrolment.objects.bulk_create(Enrolment(cohort=cohort, student=s) for s in students)
    Grade.objects.bulk_create(
        Grade(assessment=a, student=s, points=Decimal((i * 7 + j) % 11))
        for i, s in enumerate(students)
        for j, a in enumerate(assessments)
    )
    single_query = """
        SELECT e.student_id, u.username, g.assessment_id, g.points
        FROM courses_enrolment e
        JOIN accounts_user u ON u.id = e.student_id
        LEFT JOIN assessments_grade g ON g.student_id = e.student_id
        LEFT JOIN assessments_assessment a ON a.id = g.assessment_id AND a.cohort_id = e.cohort_id
        WHERE e.cohort_id = %s
        ORDER BY u.last_name, u.first_name, e.student_id
    """

    def plain() -> None:
        with connection.cursor() as cursor:
            cursor.execute(single_query, [cohort.pk])
            cursor.fetchall()

    def ours() -> None:
        gradebook_for_cohort(cohort=cohort)

    with CaptureQueriesContext(connection) as queries:
        ours()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            for _ in range(50):
                ours()
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    timings: dict[str, list[float]] = {"ours": [], "plain": []}
    for _ in range(rounds):  # alternate, so a busy moment of the machine falls on both
        for name, call in (("ours", ours), ("plain", plain)):
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    ours_ms = statistics.median(timings["ours"]) * 1000
    plain_ms = statistics.median(timings["plain"]) * 1000
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{pupils} pupils x {count} assessments, {rounds} rounds, database: {engine}")
    print(
        f"gradebook {ours_ms:7.2f} ms ({len(queries)} queries)   single query {plain_ms:7.2f} ms"
        f"   ratio {ours_ms / plain_ms:.2f} (target: at most 1.5)"
    )


if __name__ == "__main__":
    main()
