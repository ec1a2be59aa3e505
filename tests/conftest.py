"""Shared fixtures.

Tests that need a real service carry a marker (postgres, redis, browser, pgbouncer). Without
the service they are skipped on a developer's machine, and fail under CI (CI=true), where every
service must be there.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from classrooms import live_selectors
from lms.accounts.models import Region, Role, School, User
from realtime import statements
from tests.factories import RegionFactory, SchoolFactory, make_person
from tests.servers import pgbouncer_binary

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"
MARKERS = ("postgres", "redis", "browser", "pgbouncer")


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "PostgreSQL is not configured (DATABASE_URL)"
    if marker == "redis" and not settings.REDIS_URL:
        return "Redis is not configured (REDIS_URL)"
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is not installed"
    if marker == "pgbouncer" and not pgbouncer_binary():
        return "Debian's pgbouncer is not installed"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in MARKERS:
            if item.get_closest_marker(marker) is None:
                continue
            reason = _service_missing(marker)
            if reason is not None and not IN_CI:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not IN_CI:
        return
    for marker in MARKERS:
        if item.get_closest_marker(marker) is not None:
            reason = _service_missing(marker)
            if reason:
                pytest.fail(f"CI must run this test, but {reason}.")


def _clear_cache() -> None:
    """Forget throttle counters. On Redis, delete only the cache's own keys: ``cache.clear()``
    would FLUSHDB, emptying the Celery broker's queues that share the database."""
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        cache.clear()
        return
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        prefix = config["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters must not leak from one test into the next."""
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture(autouse=True)
def _fresh_lesson_reads() -> None:
    """A lesson read shared by the pupils who join at the same event number must not outlive
    its test (a rolled-back test may leave the next one the same ids and numbers)."""
    live_selectors.forget_shared_reads()


@pytest.fixture(autouse=True)
def _loop_connections_closed() -> Iterator[None]:
    """A test's event loops are gone after it, and the connections they opened for their
    statements (``realtime.statements``) must not keep its database open."""
    yield
    statements.close_all()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 is slow by design; tests that do not measure hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        # verifies hashes written by lms.accounts.hashers (bulk imports)
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@dataclass
class World:
    """Two regions; region A has schools A1 and A2, region B has school B1. One person of
    every role in A1 (the "own" school), plus people in A2 and B1 to test the boundaries."""

    region_a: Region
    region_b: Region
    school_a1: School
    school_a2: School
    school_b1: School
    platform_admin: User
    region_admin_a: User
    region_admin_b: User
    school_admin_a1: User
    school_admin_a2: User
    school_admin_b1: User
    teacher_a1: User
    facilitator_a1: User
    student_a1: User
    teacher_a2: User
    student_a2: User
    student_b1: User

    def everyone(self) -> list[User]:
        return [value for value in vars(self).values() if isinstance(value, User)]


@pytest.fixture
def world(db: None) -> World:
    region_a, region_b = RegionFactory(name="Region A"), RegionFactory(name="Region B")
    a1 = SchoolFactory(region=region_a, name="A1")
    a2 = SchoolFactory(region=region_a, name="A2")
    b1 = SchoolFactory(region=region_b, name="B1")
    return World(
        region_a=region_a,
        region_b=region_b,
        school_a1=a1,
        school_a2=a2,
        school_b1=b1,
        platform_admin=make_person(Role.PLATFORM_ADMIN),
        region_admin_a=make_person(Role.REGION_ADMIN, region=region_a),
        region_admin_b=make_person(Role.REGION_ADMIN, region=region_b),
        school_admin_a1=make_person(Role.SCHOOL_ADMIN, school=a1),
        school_admin_a2=make_person(Role.SCHOOL_ADMIN, school=a2),
        school_admin_b1=make_person(Role.SCHOOL_ADMIN, school=b1),
        teacher_a1=make_person(Role.TEACHER, school=a1),
        facilitator_a1=make_person(Role.FACILITATOR, school=a1),
        student_a1=make_person(Role.STUDENT, school=a1),
        teacher_a2=make_person(Role.TEACHER, school=a2),
        student_a2=make_person(Role.STUDENT, school=a2),
        student_b1=make_person(Role.STUDENT, school=b1),
    )
