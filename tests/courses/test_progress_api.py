"""Progress: a student marks lessons complete (/api/v1/lessons/{id}/complete/) and reads their
progress in a course (/api/v1/courses/{id}/progress/); a class's roster shows each student's.

Only published lessons of published modules count. Expected answers are written by hand.
"""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from courses.models import LessonCompletion
from tests.accounts.expectations import assert_error
from tests.courses.conftest import Courses
from tests.courses.factories import (
    Classes,
    CohortFactory,
    LessonFactory,
    ModuleFactory,
    attempt,
    classes_database_state,
    make_classes,
)
from tests.courses.test_classes_api import SCHOOLS, VIEWERS

# Whose course each viewer sees (A1, A2 and B1 courses, by school): its authors, the
# administrators over its school, the teachers of its classes and the students in them.
SEES_COURSE: dict[str, set[str]] = {
    "platform_admin": {"a1", "a2", "b1"},
    "region_admin_a": {"a1", "a2"},
    "region_admin_b": {"b1"},
    "school_admin_a1": {"a1"},
    "school_admin_a2": {"a2"},
    "school_admin_b1": {"b1"},
    "class_teacher": {"a1"},
    "author": {"a1"},
    "teacher_a2": {"a2"},
    "facilitator": set(),
    "student_a1": {"a1"},
    "student_a2": {"a2"},
    "student_b1": {"b1"},
}
STUDENTS = {"student_a1", "student_a2", "student_b1"}


@pytest.fixture
def classes(courses: Courses) -> Classes:
    return make_classes(courses)


def _complete_url(classes: Classes, school: str) -> str:
    return f"/api/v1/lessons/{classes.lessons[school].pk}/complete/"


def _expected_for_completion(accepted: int) -> dict[str, Any]:
    """A student marks lessons of the courses they are in; someone else who sees the lesson
    has no progress to mark (403); a lesson one does not see does not exist (404)."""
    expected: dict[str, Any] = {f"anonymous {school}": (401, False) for school in SCHOOLS}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            if school not in SEES_COURSE[viewer]:
                expected[f"{viewer} {school}"] = (404, False)
            elif viewer in STUDENTS:
                expected[f"{viewer} {school}"] = (accepted, True)
            else:
                expected[f"{viewer} {school}"] = (403, False)
    return expected


def _observe(classes: Classes, method: str) -> dict[str, Any]:
    observed = {}
    for viewer in (*VIEWERS, "anonymous"):
        for school in SCHOOLS:
            response, wrote = attempt(
                classes.client(viewer), method, _complete_url(classes, school)
            )
            if response.status_code >= 400:
                assert_error(response, response.status_code, response.json()["code"], set())
            observed[f"{viewer} {school}"] = (response.status_code, wrote)
    return observed


def test_only_students_of_the_course_complete_its_lessons(classes: Classes) -> None:
    assert _observe(classes, "post") == _expected_for_completion(204)


def test_only_students_of_the_course_undo_a_completion(classes: Classes) -> None:
    # given every student has completed the published lesson of their class's course
    for school in SCHOOLS:
        LessonCompletion.objects.create(
            lesson=classes.lessons[school], student=classes.person(f"student_{school}")
        )
    # when each viewer undoes the completion of each lesson / then
    assert _observe(classes, "delete") == _expected_for_completion(204)


def test_completing_twice_keeps_one_row_and_delete_undoes_it(classes: Classes) -> None:
    client = classes.client("student_a1")
    lesson = classes.lessons["a1"]
    student = classes.person("student_a1")
    # when the student completes the lesson twice
    for _ in range(2):
        assert client.post(f"/api/v1/lessons/{lesson.pk}/complete/").status_code == 204
    # then one row
    assert LessonCompletion.objects.filter(lesson=lesson, student=student).count() == 1
    # when they undo it
    assert client.delete(f"/api/v1/lessons/{lesson.pk}/complete/").status_code == 204
    # then it is gone; undoing again changes nothing
    assert not LessonCompletion.objects.filter(lesson=lesson, student=student).exists()
    assert client.delete(f"/api/v1/lessons/{lesson.pk}/complete/").status_code == 204


@pytest.mark.parametrize("draft", ["lesson_draft", "lesson_in_draft_module"])
def test_a_draft_lesson_cannot_be_completed(classes: Classes, draft: str) -> None:
    lesson = getattr(classes.courses, draft)
    before = classes_database_state()
    response = classes.client("student_a1").post(f"/api/v1/lessons/{lesson.pk}/complete/")
    assert_error(response, 404, "not_found", set())
    assert classes_database_state() == before


# --- a course's progress --------------------------------------------------------------------
def test_course_progress_is_shown_only_to_those_who_see_the_course(classes: Classes) -> None:
    courses = {"a1": classes.courses.course, "a2": classes.courses.course_a2}
    courses["b1"] = classes.courses.course_b1
    observed = {}
    for viewer in (*VIEWERS, "anonymous"):
        for school in SCHOOLS:
            response = classes.client(viewer).get(f"/api/v1/courses/{courses[school].pk}/progress/")
            if response.status_code >= 400:
                assert_error(response, response.status_code, response.json()["code"], set())
            observed[f"{viewer} {school}"] = response.status_code
    expected = {f"anonymous {school}": 401 for school in SCHOOLS}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            expected[f"{viewer} {school}"] = 200 if school in SEES_COURSE[viewer] else 404
    assert observed == expected


def test_progress_counts_only_published_lessons_of_published_modules(classes: Classes) -> None:
    # given the A1 course: one published lesson in a published module (plus a draft lesson
    # and a published lesson in a draft module), to which we add a second published lesson
    c = classes.courses
    second = LessonFactory(module=c.module_published, is_published=True)
    student = classes.person("student_a1")
    # and completions of the draft lesson and the lesson in the draft module (made while they
    # were visible, say), and of the second lesson
    for lesson in (c.lesson_draft, c.lesson_in_draft_module, second):
        LessonCompletion.objects.create(lesson=lesson, student=student)
    # when the student asks for their progress
    response = classes.client("student_a1").get(f"/api/v1/courses/{c.course.pk}/progress/")
    # then only the two published lessons count, one of them done
    assert response.status_code == 200, response.content
    assert response.json() == {
        "completed_lessons": 1,
        "total_lessons": 2,
        "percent": 50,
        "completed_lesson_ids": [second.pk],
    }


def test_a_completion_through_the_api_shows_in_progress(classes: Classes) -> None:
    c = classes.courses
    client = classes.client("student_a1")
    url = f"/api/v1/courses/{c.course.pk}/progress/"
    assert client.get(url).json()["completed_lessons"] == 0
    assert client.post(f"/api/v1/lessons/{c.lesson_published.pk}/complete/").status_code == 204
    assert client.get(url).json() == {
        "completed_lessons": 1,
        "total_lessons": 1,
        "percent": 100,
        "completed_lesson_ids": [c.lesson_published.pk],
    }


def test_the_roster_agrees_with_each_student_s_progress(classes: Classes) -> None:
    # given a class of the A1 course with three pupils who completed 0, 1 and 2 lessons (and
    # the lessons hidden as drafts, which must not count)
    c = classes.courses
    second = LessonFactory(module=c.module_published, is_published=True)
    cohort = CohortFactory(term=classes.terms["a1"], course=c.course, students=3)
    pupils = [e.student for e in cohort.enrolments.order_by("pk")]
    for pupil, lessons in zip(pupils, ([], [second], [second, c.lesson_published]), strict=True):
        for lesson in (*lessons, c.lesson_draft, c.lesson_in_draft_module):
            LessonCompletion.objects.create(lesson=lesson, student=pupil)
    # when the administrator reads the roster and each pupil their progress
    roster = classes.client("school_admin_a1").get(f"/api/v1/classes/{cohort.pk}/enrolments/")
    assert roster.status_code == 200, roster.content
    rows = {row["student"]: row for row in roster.json()}
    # then the two agree
    assert set(rows) == {p.pk for p in pupils}
    for pupil, done in zip(pupils, (0, 1, 2), strict=True):
        pupil_client = APIClient()
        pupil_client.force_authenticate(pupil)
        progress = pupil_client.get(f"/api/v1/courses/{c.course.pk}/progress/").json()
        assert progress["completed_lessons"] == done
        assert (rows[pupil.pk]["completed_lessons"], rows[pupil.pk]["total_lessons"]) == (
            progress["completed_lessons"],
            progress["total_lessons"],
        )


# cohort (with its count), "is a teacher of it", the published-lesson total, the roster rows
ROSTER_QUERIES = 4


def _roster_queries(classes: Classes, size: int) -> int:
    c = classes.courses
    cohort = CohortFactory(
        term=classes.terms["a1"], course=c.course, name=f"Size {size}", students=size
    )
    module = ModuleFactory(course=c.course)
    lessons = [LessonFactory(module=module) for _ in range(3)]
    for enrolment in cohort.enrolments.all():
        for lesson in lessons:
            LessonCompletion.objects.create(lesson=lesson, student=enrolment.student)
    client = APIClient()
    client.force_authenticate(cohort.teachers.get())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/classes/{cohort.pk}/enrolments/")
    assert response.status_code == 200, response.content
    assert len(response.json()) == size
    assert all(row["completed_lessons"] == 3 for row in response.json())
    return len(queries)


def test_a_roster_of_40_costs_the_same_queries_as_a_roster_of_5(classes: Classes) -> None:
    small = _roster_queries(classes, 5)
    large = _roster_queries(classes, 40)
    assert small == large == ROSTER_QUERIES, (small, large)
