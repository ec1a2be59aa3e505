"""The throwaway database every benchmark runs on: a fresh SQLite file, or, when DATABASE_URL
names a PostgreSQL server, a database ``mektep_bench_<random>`` created there and dropped
afterwards. Django is pointed at it with the development settings and no Redis, unless a
benchmark that runs real Celery workers passes the Redis it uses."""

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit


@contextmanager
def throwaway_database(*, redis_url: str | None = None) -> Iterator[None]:
    url = os.environ.get("DATABASE_URL", "")
    admin_url = name = None
    if url.startswith("postgres"):
        import psycopg

        name = f"mektep_bench_{secrets.token_hex(4)}"
        admin_url = urlsplit(url)._replace(path="/postgres").geturl()
        url = urlsplit(url)._replace(path=f"/{name}").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="lms.settings", LMS_ENV="dev")
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    try:
        yield
    finally:
        if admin_url and name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_class() -> tuple[Any, Any, Any, Any, Any]:
    """In the throwaway database: a school with its administrator, a teacher, the teacher's
    course and a class of it this term. Returns (school, admin, teacher, course, cohort)."""
    from datetime import timedelta

    from django.utils import timezone

    from courses import services as course_services
    from lms.accounts.models import Region, Role, School, User

    region = Region.objects.create(name="Bench region", code="bench")
    school = School.objects.create(
        region=region, name="Bench school", code="bench-1", locality="rural", languages=["ky"]
    )
    admin = User.objects.create(username="bench-admin", role=Role.SCHOOL_ADMIN, school=school)
    teacher = User.objects.create(
        username="bench-teacher", last_name="Teacher", role=Role.TEACHER, school=school
    )
    course = course_services.course_create(
        by=teacher, title="Bench course", subject="Math", grade_level=7, language="ky"
    )
    today = timezone.localdate()
    term = course_services.term_create(
        by=admin, school=school, name="Term", starts_on=today, ends_on=today + timedelta(90)
    )
    cohort = course_services.cohort_create(
        by=admin, term=term, course=course, name="7A", teachers=[teacher]
    )
    return school, admin, teacher, course, cohort
