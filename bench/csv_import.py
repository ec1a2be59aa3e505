"""Time to import a CSV file of new pupils into one class: dry run, then apply, with the
project's real password hashers (Django's default for sign-in; the bulk hasher for imports).

    .venv/bin/python bench/csv_import.py [--rows 10000] [--encoding windows-1251]

Uses a throwaway SQLite database, or PostgreSQL when DATABASE_URL is set (a database named
mektep_bench_<random> is created and dropped). Prints seconds per phase and per 1,000 rows.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throwaway import throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--encoding", default="windows-1251", choices=["utf-8", "windows-1251"])
    args = parser.parse_args()
    with throwaway_database():
        run(args.rows, args.encoding)


def run(row_count: int, encoding: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from courses import imports, services
    from lms.accounts.models import Region, Role, School, User

    region = Region.objects.create(name="Bench", code="bench")
    school = School.objects.create(
        region=region, name="Bench school", code="bench-1", locality="rural", languages=["ky"]
    )
    admin = User.objects.create(username="bench-admin", role=Role.SCHOOL_ADMIN, school=school)
    teacher = User.objects.create(username="bench-teacher", role=Role.TEACHER, school=school)
    course = services.course_create(
        by=teacher, title="Course", subject="Math", grade_level=7, language="ru"
    )
    term = services.term_create(
        by=admin, school=school, name="T", starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 31)
    )
    cohort = services.cohort_create(
        by=admin, term=term, course=course, name="C", teachers=[teacher]
    )
    lines = ["username,first_name,last_name,school"]
    lines += [f"pupil{n},Айбек,Сыдыков,bench-1" for n in range(row_count)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)

    started = time.perf_counter()
    report = imports.enrolment_import(cohort=cohort, by=admin, data=data, apply=False)
    dry = time.perf_counter() - started
    assert not report.has_errors
    started = time.perf_counter()
    report = imports.enrolment_import(cohort=cohort, by=admin, data=data, apply=True)
    applied = time.perf_counter() - started
    assert report.applied
    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{row_count} rows, {encoding}, database: {engine}, {os.cpu_count()} cores")
    print(f"dry run {dry:7.1f} s   ({dry / row_count * 1000:.2f} s per 1,000 rows)")
    print(f"apply   {applied:7.1f} s   ({applied / row_count * 1000:.2f} s per 1,000 rows)")


if __name__ == "__main__":
    main()
