"""Bad input on every write endpoint of the courses API: a 400 with the one error body naming
the field at fault, and nothing written.

Each case starts from a body that succeeds (checked by its own test, so a refusal below is
caused by the one change the case makes) and breaks exactly one thing.
"""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from courses.models import Audience, Course, Lesson, Module
from lms.accounts.models import Role, User
from tests.accounts.expectations import assert_error
from tests.courses.expectations import database_state
from tests.courses.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.factories import make_person

REMOVE = object()  # a change that leaves the field out of the body


@pytest.fixture
def lesson(author: User) -> Lesson:
    course = CourseFactory(school=author.school, teachers=[author], grade_level=7)
    module = ModuleFactory(course=course)
    ModuleFactory(course=course)
    LessonFactory(module=module)
    return LessonFactory(module=module, video_url="https://video.example.org/1")


# The write endpoints: (method, URL from the lesson, a body that succeeds, success status).
Route = tuple[str, Callable[[Lesson], str], dict[str, Any], int]
ROUTES: dict[str, Route] = {
    "course-create": (
        "post",
        lambda ls: "/api/v1/courses/",
        {"title": "Fractions", "subject": "Mathematics", "language": "ky", "grade_level": 5},
        201,
    ),
    "course-patch": (
        "patch",
        lambda ls: f"/api/v1/courses/{ls.module.course_id}/",
        {"title": "Fractions", "grade_level": 6, "language": "ru", "audience": "teachers"},
        200,
    ),
    "module-create": (
        "post",
        lambda ls: f"/api/v1/courses/{ls.module.course_id}/modules/",
        {"title": "Week 1"},
        201,
    ),
    "module-patch": (
        "patch",
        lambda ls: f"/api/v1/modules/{ls.module_id}/",
        {"title": "Week 2", "is_published": True},
        200,
    ),
    "module-move": (
        "post",
        lambda ls: f"/api/v1/modules/{ls.module_id}/move/",
        {"position": 1},
        200,
    ),
    "lesson-create": (
        "post",
        lambda ls: f"/api/v1/modules/{ls.module_id}/lessons/",
        {"title": "Halves", "body_markdown": "# Halves", "video_url": "https://v.example.org/"},
        201,
    ),
    "lesson-patch": (
        "patch",
        lambda ls: f"/api/v1/lessons/{ls.pk}/",
        {"title": "Thirds", "video_url": "", "is_published": True, "body_markdown": "Hi"},
        200,
    ),
    "lesson-move": ("post", lambda ls: f"/api/v1/lessons/{ls.pk}/move/", {"position": 0}, 200),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_base_bodies_succeed(client: APIClient, lesson: Lesson, route: str) -> None:
    # given / when the author sends the unbroken body
    method, url, body, expected = ROUTES[route]
    response = getattr(client, method)(url(lesson), body)
    # then it is accepted
    assert response.status_code == expected, response.content


def case(route: str, case_id: str, changes: dict[str, Any], field: str) -> Any:
    return pytest.param(route, changes, field, id=f"{route}-{case_id}")


TITLE_CASES = [
    ("blank-title", {"title": ""}, "title"),
    ("whitespace-title", {"title": "   "}, "title"),
    ("null-title", {"title": None}, "title"),
    ("too-long-title", {"title": "x" * 201}, "title"),
]
COURSE_CASES = [
    *TITLE_CASES,
    ("blank-subject", {"subject": ""}, "subject"),
    ("grade-level-0", {"grade_level": 0}, "grade_level"),
    ("grade-level-13", {"grade_level": 13}, "grade_level"),
    ("grade-level-negative", {"grade_level": -1}, "grade_level"),
    ("grade-level-not-a-number", {"grade_level": "x"}, "grade_level"),
    ("grade-level-a-fraction", {"grade_level": 5.5}, "grade_level"),
    ("unknown-language", {"language": "de"}, "language"),
    ("blank-language", {"language": ""}, "language"),
    ("unknown-audience", {"audience": "parents"}, "audience"),
    ("audience-label-not-value", {"audience": "Students"}, "audience"),
]
MOVE_CASES = [
    ("negative-position", {"position": -1}, "position"),
    ("position-not-a-number", {"position": "first"}, "position"),
    ("null-position", {"position": None}, "position"),
    ("no-position", {"position": REMOVE}, "position"),
]
LESSON_CASES = [
    *TITLE_CASES,
    ("video-url-not-a-url", {"video_url": "not a link"}, "video_url"),
    ("video-url-javascript", {"video_url": "javascript:alert(1)"}, "video_url"),
    ("video-url-data", {"video_url": "data:text/html,<script>alert(1)</script>"}, "video_url"),
    ("video-url-without-scheme", {"video_url": "//evil.example/x"}, "video_url"),
    ("body-too-long", {"body_markdown": "x" * 200_001}, "body_markdown"),
    ("body-not-text", {"body_markdown": {"html": "<b>"}}, "body_markdown"),
]
CASES = [
    *(case("course-create", *row) for row in COURSE_CASES),
    case("course-create", "no-title", {"title": REMOVE}, "title"),
    case("course-create", "no-language", {"language": REMOVE}, "language"),
    *(case("course-patch", *row) for row in COURSE_CASES),
    *(case("module-create", *row) for row in TITLE_CASES),
    case("module-create", "no-title", {"title": REMOVE}, "title"),
    *(case("module-patch", *row) for row in TITLE_CASES),
    case("module-patch", "published-not-a-boolean", {"is_published": "maybe"}, "is_published"),
    *(case("module-move", *row) for row in MOVE_CASES),
    *(case("lesson-create", *row) for row in LESSON_CASES),
    case("lesson-create", "no-title", {"title": REMOVE}, "title"),
    *(case("lesson-patch", *row) for row in LESSON_CASES),
    case("lesson-patch", "published-not-a-boolean", {"is_published": "maybe"}, "is_published"),
    *(case("lesson-move", *row) for row in MOVE_CASES),
    case("lesson-move", "module-not-a-number", {"module": "next"}, "module"),
    case("lesson-move", "missing-module", {"module": 987_654_321}, "module"),
]


@pytest.mark.parametrize(("route", "changes", "field"), CASES)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(
    client: APIClient, lesson: Lesson, route: str, changes: dict[str, Any], field: str
) -> None:
    # given the body that succeeds, broken in one field
    method, url, base, _status = ROUTES[route]
    body = {key: value for key, value in {**base, **changes}.items() if value is not REMOVE}
    before = database_state()
    # when the author sends it
    response = getattr(client, method)(url(lesson), body)
    # then it is refused on that field and nothing changed
    assert_error(response, 400, "invalid", {field})
    assert database_state() == before


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param('{"title": "x"', id="truncated"),
        pytest.param("{'title': 'x'}", id="single-quotes"),
        pytest.param('{"title": "x",}', id="trailing-comma"),
        pytest.param("title=x", id="not-json"),
    ],
)
def test_malformed_json_is_a_parse_error_and_nothing_is_written(
    client: APIClient, lesson: Lesson, route: str, payload: str
) -> None:
    # given a body that is not JSON, sent as JSON
    method, url, _body, _status = ROUTES[route]
    before = database_state()
    # when the author sends it
    response = getattr(client, method)(url(lesson), payload, content_type="application/json")
    # then it is a parse error and nothing changed
    assert_error(response, 400, "parse_error", set())
    assert database_state() == before


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_json_body_that_is_not_an_object_is_refused(
    client: APIClient, lesson: Lesson, route: str
) -> None:
    # given a JSON list instead of an object
    method, url, _body, _status = ROUTES[route]
    before = database_state()
    # when / then
    response = getattr(client, method)(url(lesson), ["title", "x"])
    assert_error(response, 400, "invalid")
    assert database_state() == before


# --- fields the endpoints do not take are ignored, on every write endpoint ------------------
def test_course_create_ignores_fields_it_does_not_take(client: APIClient, author: User) -> None:
    # given a body that also names a school, authors, an id, counts and timestamps
    other_school_course = CourseFactory()
    body = {
        **ROUTES["course-create"][2],
        "id": other_school_course.pk,
        "school": other_school_course.school_id,
        "teachers": [make_person(Role.TEACHER).pk],
        "module_count": 9,
        "created_at": "2000-01-01T00:00:00Z",
    }
    # when the author creates the course
    response = client.post("/api/v1/courses/", body)
    # then those fields are ignored: a new course, of the author's school, by the author alone
    assert response.status_code == 201, response.content
    course = Course.objects.get(pk=response.json()["id"])
    assert course.pk != other_school_course.pk
    assert course.school_id == author.school_id
    assert list(course.teachers.all()) == [author]
    assert response.json()["module_count"] == 0
    assert course.created_at.year != 2000


def test_course_patch_ignores_fields_it_does_not_take(client: APIClient, lesson: Lesson) -> None:
    # given a body that tries to move the course to another school
    course = lesson.module.course
    other = CourseFactory()
    # when the author patches it
    response = client.patch(f"/api/v1/courses/{course.pk}/", {"school": other.school_id})
    # then nothing but what the endpoint takes changed
    assert response.status_code == 200, response.content
    course.refresh_from_db()
    assert course.school_id != other.school_id


def test_a_partial_course_patch_keeps_the_other_fields(client: APIClient, author: User) -> None:
    # given a course with every optional field set
    course = CourseFactory(
        school=author.school,
        teachers=[author],
        grade_level=9,
        audience=Audience.TEACHERS,
        description="For colleagues.",
    )
    # when the author changes only its title
    response = client.patch(f"/api/v1/courses/{course.pk}/", {"title": "New title"})
    # then the fields not sent keep their values (no defaults applied to a PATCH)
    assert response.status_code == 200, response.content
    course.refresh_from_db()
    assert (course.title, course.grade_level, course.audience, course.description) == (
        "New title",
        9,
        Audience.TEACHERS,
        "For colleagues.",
    )


def test_grade_level_may_be_cleared(client: APIClient, lesson: Lesson) -> None:
    # given a course of grade 7; when the author clears the grade (professional development)
    course = lesson.module.course
    response = client.patch(f"/api/v1/courses/{course.pk}/", {"grade_level": None})
    # then
    assert response.status_code == 200, response.content
    course.refresh_from_db()
    assert course.grade_level is None


def test_module_writes_ignore_fields_they_do_not_take(client: APIClient, lesson: Lesson) -> None:
    # given a module at position 0 and another course
    module = lesson.module
    other = CourseFactory()
    # when the author patches / creates / moves with fields those endpoints do not take
    patched = client.patch(
        f"/api/v1/modules/{module.pk}/", {"title": "T", "position": 7, "course": other.pk}
    )
    created = client.post(
        f"/api/v1/courses/{module.course_id}/modules/",
        {"title": "New", "position": 0, "course": other.pk},
    )
    moved = client.post(f"/api/v1/modules/{module.pk}/move/", {"position": 0, "course": other.pk})
    # then they are ignored: the module stays in its course, positions stay dense
    assert (patched.status_code, created.status_code, moved.status_code) == (200, 201, 200)
    assert list(Module.objects.filter(course=other)) == []
    assert list(
        Module.objects.filter(course_id=module.course_id)
        .order_by("position")
        .values_list("position", flat=True)
    ) == [0, 1, 2]
    assert created.json()["position"] == 2


def test_lesson_writes_ignore_fields_they_do_not_take(client: APIClient, lesson: Lesson) -> None:
    # given a lesson (position 1) and a body that tries to set its HTML, position and module
    other_module = ModuleFactory(course=lesson.module.course)
    module_id = lesson.module_id
    smuggled = {
        "body_html": "<script>alert(1)</script>",
        "position": 0,
        "module": other_module.pk,
        "data_cost": {"bytes": 0},
    }
    # when the author patches it and creates another lesson with the same extras
    patched = client.patch(f"/api/v1/lessons/{lesson.pk}/", {"title": "T", **smuggled})
    created = client.post(
        f"/api/v1/modules/{lesson.module_id}/lessons/", {"title": "N", **smuggled}
    )
    # then the extras are ignored: HTML comes from the Markdown, the lessons stay where they are
    assert (patched.status_code, created.status_code) == (200, 201)
    lesson.refresh_from_db()
    new = Lesson.objects.get(pk=created.json()["id"])
    assert "<script" not in lesson.body_html
    assert new.body_html == ""
    assert (lesson.module_id, lesson.position) == (module_id, 1)
    assert (new.module_id, new.position) == (module_id, 2)
    assert not other_module.lessons.exists()
