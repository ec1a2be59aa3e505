"""The course list and a course's outline pin their query count: the same for 5 items as for
50 (no N+1), whoever reads them."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from courses.models import Course
from lms.accounts.models import Role, School, User
from tests.courses.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.factories import RegionFactory, SchoolFactory, make_person

# A page of the list that is not full: one query, the courses with their school and their module
# and lesson counts (the total is known from the short page; a full page also counts, below).
COURSE_LIST_QUERIES = 1
# The outline: the course (with its school and counts), whether the reader is an author (not
# asked of the platform admin, who may edit every course), the modules, then all their lessons
# at once (each lesson's data cost comes from its stored file total, no file query).
COURSE_OUTLINE_QUERIES = {"author": 4, "school_admin": 4, "platform_admin": 3}


def _course_with_content(school: School, authors: list[User]) -> Course:
    course = CourseFactory(school=school, teachers=authors)
    module = ModuleFactory(course=course)
    LessonFactory.create_batch(2, module=module)
    return course


Reader = Callable[[], tuple[User, Callable[[int], Any]]]


def _author() -> tuple[User, Callable[[int], Any]]:
    """A teacher who wrote every course (with a co-author each, to tempt a duplicate join)."""
    teacher = make_person(Role.TEACHER)
    school = teacher.school
    assert school is not None

    def add(n: int) -> None:
        for _ in range(n):
            _course_with_content(school, [teacher, make_person(Role.TEACHER, school=school)])

    return teacher, add


def _region_admin() -> tuple[User, Callable[[int], Any]]:
    """Each course of another school of the region."""
    region = RegionFactory()

    def add(n: int) -> None:
        for _ in range(n):
            school = SchoolFactory(region=region)
            _course_with_content(school, [make_person(Role.TEACHER, school=school)])

    return make_person(Role.REGION_ADMIN, region=region), add


def _platform_admin() -> tuple[User, Callable[[int], Any]]:
    def add(n: int) -> None:
        for _ in range(n):
            _course_with_content(SchoolFactory(), [])

    return make_person(Role.PLATFORM_ADMIN), add


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(_author, id="author"),
        pytest.param(_region_admin, id="region_admin"),
        pytest.param(_platform_admin, id="platform_admin"),
    ],
)
def test_the_course_list_uses_as_many_queries_for_50_courses_as_for_5(
    db: None, api_client: APIClient, django_assert_num_queries: Any, given: Reader
) -> None:
    # given a reader who sees 5 courses, each with a module of 2 lessons
    reader, add_courses = given()
    add_courses(5)
    api_client.force_authenticate(reader)
    # when / then
    with django_assert_num_queries(COURSE_LIST_QUERIES):
        response = api_client.get("/api/v1/courses/")
    assert response.json()["count"] == 5
    assert {(row["module_count"], row["lesson_count"]) for row in response.json()["results"]} == {
        (1, 2)
    }
    # given 45 more
    add_courses(45)
    # when / then
    with django_assert_num_queries(COURSE_LIST_QUERIES):
        response = api_client.get("/api/v1/courses/")
    assert response.json()["count"] == 50
    assert len(response.json()["results"]) == 50


def test_a_full_page_counts_the_rest_and_a_short_page_knows_its_total(
    db: None, api_client: APIClient, django_assert_num_queries: Any
) -> None:
    # given an author of 60 courses, pages of 50
    reader, add_courses = _author()
    add_courses(60)
    api_client.force_authenticate(reader)
    # when the first page is read: the rows, then a COUNT for the total and the next link
    with django_assert_num_queries(COURSE_LIST_QUERIES + 1):
        first = api_client.get("/api/v1/courses/").json()
    # and the second, short page: the rows alone tell the total
    with django_assert_num_queries(COURSE_LIST_QUERIES):
        second = api_client.get("/api/v1/courses/?page=2").json()
    # then both pages give the same total and every course once
    assert (first["count"], second["count"]) == (60, 60)
    assert (first["next"] is not None, second["next"]) == (True, None)
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 60
    # and a page past the end is an error, not an empty page
    assert api_client.get("/api/v1/courses/?page=3").status_code == 404


def _add_lessons(course: Course, n: int) -> None:
    """``n`` lessons over modules of 5 lessons each, half of them published."""
    for start in range(0, n, 5):
        module = ModuleFactory(course=course, is_published=True)
        for i in range(min(5, n - start)):
            LessonFactory(module=module, is_published=i % 2 == 0, video_url="https://v.example/")


@pytest.mark.parametrize("role", sorted(COURSE_OUTLINE_QUERIES))
def test_the_outline_uses_as_many_queries_for_50_lessons_as_for_5(
    db: None, api_client: APIClient, django_assert_num_queries: Any, role: str
) -> None:
    # given a course with 5 lessons (in one module), read by an author or an administrator
    author = make_person(Role.TEACHER)
    school = author.school
    assert school is not None
    course = CourseFactory(school=school, teachers=[author])
    reader = {
        "author": author,
        "platform_admin": make_person(Role.PLATFORM_ADMIN),
        "school_admin": make_person(Role.SCHOOL_ADMIN, school=school),
    }[role]
    api_client.force_authenticate(reader)
    _add_lessons(course, 5)
    url = f"/api/v1/courses/{course.pk}/"
    # when / then
    with django_assert_num_queries(COURSE_OUTLINE_QUERIES[role]):
        response = api_client.get(url)
    drafts_too = role != "school_admin"
    shown = sum(len(m["lessons"]) for m in response.json()["modules"])
    assert shown == (5 if drafts_too else 3)
    # given 45 more lessons, in 9 more modules
    _add_lessons(course, 45)
    # when / then
    with django_assert_num_queries(COURSE_OUTLINE_QUERIES[role]):
        response = api_client.get(url)
    assert len(response.json()["modules"]) == 10
    shown = sum(len(m["lessons"]) for m in response.json()["modules"])
    assert shown == (50 if drafts_too else 30)
