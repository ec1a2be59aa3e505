"""Who may see and do what with /api/v1/courses/, /modules/ and /lessons/: every role against a
course of school A1 that has published and draft content.

The expected answers are written out by hand in ``tests/courses/expectations.py``. For each
endpoint every role is tried in turn, each inside a savepoint that is rolled back, and the
whole table of answers is compared at once, so a failure shows every role that leaks or is
wrongly refused. A refused request must write nothing; an accepted write must write.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from courses.models import Course
from lms.accounts.models import Role
from tests.accounts.expectations import assert_error
from tests.courses.conftest import Courses
from tests.courses.expectations import (
    EDITORS,
    FULL_OUTLINE,
    LISTED_COURSES,
    PUBLISHED_OUTLINE,
    READERS,
    ROLES,
    TEACHERS,
    answers,
    database_state,
)
from tests.courses.factories import LessonFactory
from tests.factories import make_person

MISSING_ID = 987_654_321
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[Courses], str]
    body: Callable[[Courses], dict[str, Any]] | None = None
    # The same request against an id that does not exist, to compare 404 bodies with.
    missing_url: str | None = None


def _course(c: Courses) -> str:
    return f"/api/v1/courses/{c.course.pk}/"


def _module(name: str, suffix: str = "") -> Callable[[Courses], str]:
    return lambda c: f"/api/v1/modules/{getattr(c, name).pk}/{suffix}"


def _lesson(name: str, suffix: str = "") -> Callable[[Courses], str]:
    return lambda c: f"/api/v1/lessons/{getattr(c, name).pk}/{suffix}"


def _fixed(body: dict[str, Any]) -> Callable[[Courses], dict[str, Any]]:
    return lambda c: body


RENAME = _fixed({"title": "Renamed"})

# Each move actually changes something when it is accepted.
ENDPOINTS: dict[str, tuple[Endpoint, dict[str, int]]] = {
    "course-detail": (
        Endpoint("get", _course, missing_url=f"/api/v1/courses/{MISSING_ID}/"),
        answers(editors=200, readers=200),
    ),
    "course-patch": (
        Endpoint("patch", _course, RENAME, f"/api/v1/courses/{MISSING_ID}/"),
        answers(editors=200, readers=403),
    ),
    "course-add-module": (
        Endpoint(
            "post",
            lambda c: f"{_course(c)}modules/",
            _fixed({"title": "New module"}),
            f"/api/v1/courses/{MISSING_ID}/modules/",
        ),
        answers(editors=201, readers=403),
    ),
}
for target, move_to in (("module_published", 1), ("module_draft", 0)):
    # Administrators see published modules (403 on writes); a draft module they cannot see,
    # so a write to it must answer as if it did not exist.
    readers = 403 if target == "module_published" else 404
    ENDPOINTS |= {
        f"{target}-patch": (
            Endpoint("patch", _module(target), RENAME, f"/api/v1/modules/{MISSING_ID}/"),
            answers(editors=200, readers=readers),
        ),
        f"{target}-delete": (
            Endpoint("delete", _module(target), None, f"/api/v1/modules/{MISSING_ID}/"),
            answers(editors=204, readers=readers),
        ),
        f"{target}-move": (
            Endpoint(
                "post",
                _module(target, "move/"),
                _fixed({"position": move_to}),
                f"/api/v1/modules/{MISSING_ID}/move/",
            ),
            answers(editors=200, readers=readers),
        ),
        f"{target}-add-lesson": (
            Endpoint(
                "post",
                _module(target, "lessons/"),
                _fixed({"title": "New lesson"}),
                f"/api/v1/modules/{MISSING_ID}/lessons/",
            ),
            answers(editors=201, readers=readers),
        ),
    }
LESSON_MOVES: dict[str, Callable[[Courses], dict[str, Any]]] = {
    "lesson_published": lambda c: {"position": 0, "module": c.module_draft.pk},
    "lesson_draft": lambda c: {"position": 0},
    "lesson_in_draft_module": lambda c: {"position": 5, "module": c.module_published.pk},
}
for target, move in LESSON_MOVES.items():
    readers = 403 if target == "lesson_published" else 404
    ENDPOINTS |= {
        f"{target}-get": (
            Endpoint("get", _lesson(target), None, f"/api/v1/lessons/{MISSING_ID}/"),
            answers(editors=200, readers=200 if target == "lesson_published" else 404),
        ),
        f"{target}-patch": (
            Endpoint("patch", _lesson(target), RENAME, f"/api/v1/lessons/{MISSING_ID}/"),
            answers(editors=200, readers=readers),
        ),
        f"{target}-delete": (
            Endpoint("delete", _lesson(target), None, f"/api/v1/lessons/{MISSING_ID}/"),
            answers(editors=204, readers=readers),
        ),
        f"{target}-move": (
            Endpoint("post", _lesson(target, "move/"), move, f"/api/v1/lessons/{MISSING_ID}/move/"),
            answers(editors=200, readers=readers),
        ),
    }


def _request(client: APIClient, endpoint: Endpoint, url: str, body: Any) -> Any:
    call = getattr(client, endpoint.method)
    return call(url, body) if body is not None else call(url)


def try_as(courses: Courses, role: str, endpoint: Endpoint) -> tuple[int, bool]:
    """The status ``role`` gets and whether the database changed; rolled back afterwards."""
    client = courses.client(role)
    body = endpoint.body(courses) if endpoint.body else None
    with transaction.atomic():
        before = database_state()
        response = _request(client, endpoint, endpoint.url(courses), body)
        wrote = database_state() != before
        if response.status_code >= 400:
            error = assert_error(response, response.status_code, ERROR_CODES[response.status_code])
            if response.status_code == 404 and endpoint.missing_url:
                # a refusal must not reveal that the object exists
                missing = _request(client, endpoint, endpoint.missing_url, body)
                assert missing.status_code == 404, missing.content
                assert error == missing.json(), (role, error, missing.json())
        transaction.set_rollback(True)
    return response.status_code, wrote


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_every_role_gets_the_expected_answer_and_only_accepted_writes_write(
    courses: Courses, name: str
) -> None:
    # given the course of school A1, and a person of every role
    endpoint, expected_status = ENDPOINTS[name]
    # when each of them sends the request
    observed = {role: try_as(courses, role, endpoint) for role in ROLES}
    # then each gets the expected answer; a write happened exactly when it was accepted
    writes = endpoint.method != "get"
    expected = {role: (code, writes and code < 300) for role, code in expected_status.items()}
    assert observed == expected


# --- the course list and creating a course --------------------------------------------------
def test_the_course_list_shows_each_role_exactly_its_courses(courses: Courses) -> None:
    # given courses in schools A1, A2 (region A) and B1 (region B)
    names = {getattr(courses, n).pk: n for n in ("course", "course_a2", "course_b1")}
    observed: dict[str, set[str]] = {}
    for role in ROLES:
        # when each role asks for the list
        response = courses.client(role).get("/api/v1/courses/")
        if role == "anonymous":
            assert_error(response, 401, "not_authenticated", set())
            continue
        assert response.status_code == 200, (role, response.content)
        body = response.json()
        assert body["count"] == len(body["results"]), role
        ids = [row["id"] for row in body["results"]]
        assert len(ids) == len(set(ids)), (role, ids)  # no course twice
        observed[role] = {names.get(pk, f"unknown id {pk}") for pk in ids}
    # then each sees exactly its courses
    assert observed == LISTED_COURSES


def test_a_course_with_two_authors_is_listed_once_and_both_may_edit_it(courses: Courses) -> None:
    # given a second author of the A1 course
    co_author = courses.people["other_teacher_a1"]
    courses.course.teachers.add(co_author)
    client = courses.client("other_teacher_a1")
    # when they ask for the list / the outline / patch the course
    listed = client.get("/api/v1/courses/").json()
    outline = client.get(f"/api/v1/courses/{courses.course.pk}/").json()
    patched = client.patch(f"/api/v1/courses/{courses.course.pk}/", {"title": "Ours"})
    # then the course is listed once, with its drafts, and the edit is accepted
    assert [row["id"] for row in listed["results"]] == [courses.course.pk]
    assert {m["title"]: [ls["title"] for ls in m["lessons"]] for m in outline["modules"]} == (
        FULL_OUTLINE
    )
    assert patched.status_code == 200, patched.content
    courses.course.refresh_from_db()
    assert courses.course.title == "Ours"
    # and the platform admin sees it once too
    admin_list = courses.client("platform_admin").get("/api/v1/courses/").json()
    assert [row["id"] for row in admin_list["results"]].count(courses.course.pk) == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_teachers_create_courses_and_only_for_their_own_school(
    courses: Courses, role: str
) -> None:
    # given a valid course that names another school (B1) and another author
    other = courses.world.school_b1
    body = {
        "title": "Fractions",
        "subject": "Mathematics",
        "language": "ru",
        "school": other.pk,
        "teachers": [courses.world.teacher_a2.pk],
    }
    before = database_state()
    # when the role creates it
    response = courses.client(role).post("/api/v1/courses/", body)
    # then teachers get it in their own school, as its only author; everyone else is refused
    person = courses.people[role]
    if role == "anonymous":
        assert_error(response, 401, "not_authenticated", set())
    elif role not in TEACHERS:
        assert_error(response, 403, "permission_denied", set())
    else:
        assert person is not None
        assert response.status_code == 201, response.content
        created = response.json()
        assert created["school"] == person.school_id
        assert created["title"] == "Fractions"
        assert created["module_count"] == 0
        course = Course.objects.get(pk=created["id"])
        assert course.school_id == person.school_id
        assert list(course.teachers.all()) == [person]
        return
    assert database_state() == before


# --- what the readers see -------------------------------------------------------------------
def outline_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.content
    return {m["title"]: [ls["title"] for ls in m["lessons"]] for m in response.json()["modules"]}


@pytest.mark.parametrize("role", sorted(EDITORS | READERS))
def test_the_outline_shows_drafts_only_to_the_authors_and_the_platform_admin(
    courses: Courses, role: str
) -> None:
    # given the A1 course with published and draft modules and lessons
    # when the role opens its outline
    response = courses.client(role).get(f"/api/v1/courses/{courses.course.pk}/")
    # then authors and the platform admin see everything, administrators what is published
    expected = FULL_OUTLINE if role in EDITORS else PUBLISHED_OUTLINE
    assert outline_of(response) == expected


@pytest.mark.parametrize("role", sorted(EDITORS | READERS))
def test_the_counts_of_a_course_count_only_what_the_reader_may_see(
    courses: Courses, role: str
) -> None:
    # given the A1 course: 2 modules and 3 lessons, of which 1 module and 1 lesson published
    client = courses.client(role)
    expected = FULL_OUTLINE if role in EDITORS else PUBLISHED_OUTLINE
    expected_counts = (len(expected), sum(len(lessons) for lessons in expected.values()))
    # when the role opens the outline and the list
    detail = client.get(f"/api/v1/courses/{courses.course.pk}/").json()
    listed = next(
        row
        for row in client.get("/api/v1/courses/").json()["results"]
        if row["id"] == courses.course.pk
    )
    # then the counts do not reveal drafts the role cannot open
    observed = {
        "outline": (detail["module_count"], detail["lesson_count"]),
        "list": (listed["module_count"], listed["lesson_count"]),
    }
    assert observed == {"outline": expected_counts, "list": expected_counts}


@pytest.mark.parametrize("role", sorted(EDITORS | READERS))
def test_only_editors_get_the_markdown_source_of_a_lesson(courses: Courses, role: str) -> None:
    # given a published lesson
    lesson = courses.lesson_published
    # when the role opens it
    response = courses.client(role).get(f"/api/v1/lessons/{lesson.pk}/")
    # then everyone who may open it gets the HTML; only editors get the Markdown
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body_html"] == lesson.body_html
    assert ("body_markdown" in body) is (role in EDITORS)
    if role in EDITORS:
        assert body["body_markdown"] == lesson.body_markdown
    # nor does the source leak through the outline
    outline = courses.client(role).get(f"/api/v1/courses/{courses.course.pk}/").json()
    for module in outline["modules"]:
        for summary in module["lessons"]:
            assert "body_markdown" not in summary


def test_a_teacher_of_another_school_cannot_open_a_published_lesson(courses: Courses) -> None:
    # given a published lesson of A1 and teachers of A1 and A2 who are not its authors
    # when / then they get the same 404 as for a lesson that does not exist
    for role in ("other_teacher_a1", "teacher_a2"):
        client = courses.client(role)
        response = client.get(f"/api/v1/lessons/{courses.lesson_published.pk}/")
        assert_error(response, 404, "not_found", set())
        assert response.json() == client.get(f"/api/v1/lessons/{MISSING_ID}/").json()


def test_an_administrator_of_a_school_without_courses_sees_none(courses: Courses) -> None:
    # given the administrator of a new school in a new region, which has no courses
    admin = make_person(Role.SCHOOL_ADMIN)
    client = APIClient()
    client.force_authenticate(admin)
    # when / then
    assert client.get("/api/v1/courses/").json()["results"] == []
    assert client.get(f"/api/v1/courses/{courses.course_b1.pk}/").status_code == 404


def test_publishing_shows_a_lesson_to_the_administrators(courses: Courses) -> None:
    # given a draft lesson in a published module, hidden from the school's administrator
    lesson, admin = courses.lesson_draft, courses.client("school_admin_a1")
    assert admin.get(f"/api/v1/lessons/{lesson.pk}/").status_code == 404
    # when the author publishes it
    response = courses.client("author").patch(
        f"/api/v1/lessons/{lesson.pk}/", {"is_published": True}
    )
    # then the administrator can open it and sees it in the outline
    assert response.status_code == 200, response.content
    assert admin.get(f"/api/v1/lessons/{lesson.pk}/").status_code == 200
    outline = outline_of(admin.get(f"/api/v1/courses/{courses.course.pk}/"))
    assert outline == {"Published module": ["Published lesson", "Draft lesson"]}


def test_publishing_a_module_shows_its_published_lessons_only(courses: Courses) -> None:
    # given the draft module, holding a published lesson
    module = courses.module_draft
    courses.lesson_in_draft_module.is_published = False
    courses.lesson_in_draft_module.save()
    visible = LessonFactory(module=module, title="Ready", is_published=True)
    # when the author publishes the module
    response = courses.client("author").patch(
        f"/api/v1/modules/{module.pk}/", {"is_published": True}
    )
    # then administrators see the module with its published lesson, not its draft
    assert response.status_code == 200, response.content
    admin = courses.client("region_admin_a")
    outline = outline_of(admin.get(f"/api/v1/courses/{courses.course.pk}/"))
    assert outline == {**PUBLISHED_OUTLINE, "Draft module": ["Ready"]}
    assert admin.get(f"/api/v1/lessons/{visible.pk}/").status_code == 200
    lesson_id = courses.lesson_in_draft_module.pk
    assert admin.get(f"/api/v1/lessons/{lesson_id}/").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/courses/{course}/"),
        ("delete", "/api/v1/courses/{course}/"),
        ("put", "/api/v1/modules/{module}/"),
        ("get", "/api/v1/modules/{module}/"),
        ("put", "/api/v1/lessons/{lesson}/"),
    ],
)
def test_methods_the_api_does_not_offer_are_refused_and_write_nothing(
    courses: Courses, method: str, url: str
) -> None:
    # given the author, who may do everything the API offers with the course
    path = url.format(
        course=courses.course.pk,
        module=courses.module_published.pk,
        lesson=courses.lesson_published.pk,
    )
    body = {"title": "Replaced", "subject": "x", "language": "ky"}
    before = database_state()
    # when they use a method it does not offer / then
    response = getattr(courses.client("author"), method)(path, body)
    assert_error(response, 405, "method_not_allowed", set())
    assert database_state() == before
