"""Enrolment: rosters, enrolling and unenrolling (/api/v1/classes/{id}/enrolments/), joining
with a code (/api/v1/classes/join/), and what enrolment lets a student see.

The scenario (``make_classes``): a class in each of schools A1, A2 (region A) and B1 (region
B), each with one pupil of its school. Expected answers are written out by hand from the rules.
"""

from typing import Any

import pytest

from courses.models import Enrolment, LessonCompletion
from lms.accounts.models import Role, User
from tests.accounts.expectations import assert_error
from tests.courses.conftest import Courses
from tests.courses.factories import Classes, attempt, classes_database_state, make_classes
from tests.courses.test_classes_api import LISTED, RUNS, SCHOOLS, VIEWERS
from tests.factories import make_person

# Who sees each class's roster: those who run its school and its teachers.
SEES_ROSTER: dict[str, set[str]] = {**RUNS, "class_teacher": {"a1"}, "teacher_a2": {"a2"}}
# The pupils each administrator manages, by school, and the region each works in.
MANAGES_PUPILS_OF: dict[str, set[str]] = {
    "platform_admin": {"a1", "a2", "b1"},
    "region_admin_a": {"a1", "a2"},
    "region_admin_b": {"b1"},
    "school_admin_a1": {"a1"},
    "school_admin_a2": {"a2"},
    "school_admin_b1": {"b1"},
}
REGION_OF = {"a1": "A", "a2": "A", "b1": "B"}
WORKS_IN: dict[str, set[str]] = {
    "platform_admin": {"A", "B"},
    "region_admin_a": {"A"},
    "region_admin_b": {"B"},
    "school_admin_a1": {"A"},
    "school_admin_a2": {"A"},
    "school_admin_b1": {"B"},
}


@pytest.fixture
def classes(courses: Courses) -> Classes:
    return make_classes(courses)


def _enrolments_url(classes: Classes, school: str) -> str:
    return f"/api/v1/classes/{classes.cohorts[school].pk}/enrolments/"


def _enrolled(classes: Classes, school: str, student: User) -> bool:
    return Enrolment.objects.filter(cohort=classes.cohorts[school], student=student).exists()


# --- rosters --------------------------------------------------------------------------------
def test_a_roster_is_shown_only_to_the_class_s_managers_and_teachers(classes: Classes) -> None:
    observed = {}
    for viewer in (*VIEWERS, "anonymous"):
        for school in SCHOOLS:
            # when each viewer asks for each class's roster
            response = classes.client(viewer).get(_enrolments_url(classes, school))
            if response.status_code >= 400:
                assert_error(response, response.status_code, response.json()["code"], set())
            observed[f"{viewer} {school}"] = response.status_code
    # then: managers and teachers see it; others who see the class get 403 (never a student);
    # the rest 404
    expected = {f"anonymous {school}": 401 for school in SCHOOLS}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            if school in SEES_ROSTER.get(viewer, set()):
                expected[f"{viewer} {school}"] = 200
            else:
                expected[f"{viewer} {school}"] = 403 if school in LISTED[viewer] else 404
    assert observed == expected


def test_a_roster_lists_the_class_s_students(classes: Classes) -> None:
    response = classes.client("class_teacher").get(_enrolments_url(classes, "a1"))
    assert response.status_code == 200, response.content
    rows = response.json()
    student = classes.person("student_a1")
    assert [row["student"] for row in rows] == [student.pk]
    assert rows[0]["username"] == student.username
    assert rows[0]["school"] == "A1"


# --- enrolling ------------------------------------------------------------------------------
def test_administrators_enrol_only_pupils_they_manage_into_classes_of_their_region(
    classes: Classes,
) -> None:
    # given a new pupil in each of A1, A2 and B1
    world = classes.courses.world
    pupils = {
        "a1": make_person(Role.STUDENT, school=world.school_a1),
        "a2": make_person(Role.STUDENT, school=world.school_a2),
        "b1": make_person(Role.STUDENT, school=world.school_b1),
    }
    observed: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for viewer in (*VIEWERS, "anonymous"):
        for school in SCHOOLS:
            for home, pupil in pupils.items():
                key = f"{viewer} enrols a pupil of {home} in {school}"
                # when each viewer enrols each pupil into each class
                response, wrote = attempt(
                    classes.client(viewer),
                    "post",
                    _enrolments_url(classes, school),
                    {"student": pupil.pk},
                )
                if response.status_code >= 400:
                    body = assert_error(response, response.status_code, response.json()["code"])
                    if response.status_code == 400:
                        assert set(body["fields"]) == {"student"}, (key, body)
                observed[key] = (response.status_code, wrote)
                # then
                if viewer == "anonymous":
                    expected[key] = (401, False)
                elif school not in LISTED[viewer]:
                    expected[key] = (404, False)
                elif home in MANAGES_PUPILS_OF.get(viewer, set()) and REGION_OF[
                    school
                ] in WORKS_IN.get(viewer, set()):
                    expected[key] = (201, True)
                else:
                    expected[key] = (400, False)
    assert observed == expected


def test_a_school_admin_enrols_their_pupil_into_another_school_s_class_without_its_roster(
    classes: Classes,
) -> None:
    # given a pupil of A1 and the class of A2 (same region: the e-school case)
    pupil = make_person(Role.STUDENT, school=classes.courses.world.school_a1)
    # when the administrator of A1 enrols the pupil
    response = classes.client("school_admin_a1").post(
        _enrolments_url(classes, "a2"), {"student": pupil.pk}
    )
    # then the pupil is enrolled, and the answer does not show the class's roster
    assert response.status_code == 201, response.content
    assert not response.content
    assert _enrolled(classes, "a2", pupil)


def test_enrolling_twice_changes_nothing(classes: Classes) -> None:
    # given a pupil enrolled once
    pupil = make_person(Role.STUDENT, school=classes.courses.world.school_a1)
    client = classes.client("school_admin_a1")
    first = client.post(_enrolments_url(classes, "a1"), {"student": pupil.pk})
    assert first.status_code == 201, first.content
    before = classes_database_state()
    # when they are enrolled again
    again = client.post(_enrolments_url(classes, "a1"), {"student": pupil.pk})
    # then: 200, not 201, and still one row, unchanged
    assert again.status_code == 200, again.content
    assert classes_database_state() == before
    assert Enrolment.objects.filter(cohort=classes.cohorts["a1"], student=pupil).count() == 1
    assert sorted(row["student"] for row in again.json()) == sorted(
        [pupil.pk, classes.person("student_a1").pk]
    )


@pytest.mark.parametrize("who", ["teacher", "deactivated-student", "student-of-another-region"])
def test_only_active_students_of_the_region_can_be_enrolled(classes: Classes, who: str) -> None:
    # given the platform administrator (who manages everyone) and the class of A1
    world = classes.courses.world
    if who == "teacher":
        person = make_person(Role.TEACHER, school=world.school_a1)
        client = classes.client("school_admin_a1")
    elif who == "deactivated-student":
        person = make_person(Role.STUDENT, school=world.school_a1)
        person.is_active = False
        person.save()
        client = classes.client("school_admin_a1")
    else:
        person = make_person(Role.STUDENT, school=world.school_b1)
        client = classes.client("region_admin_a")
    before = classes_database_state()
    # when they try to enrol the person
    response = client.post(_enrolments_url(classes, "a1"), {"student": person.pk})
    # then it is refused on "student", and nothing is written
    assert_error(response, 400, "invalid", {"student"})
    assert classes_database_state() == before


def test_enrolling_an_unknown_person_is_refused_on_student(classes: Classes) -> None:
    response = classes.client("platform_admin").post(
        _enrolments_url(classes, "a1"), {"student": 987_654_321}
    )
    assert_error(response, 400, "invalid", {"student"})


# --- unenrolling ----------------------------------------------------------------------------
# The answer each viewer gets for taking each class's own pupil out of it: those who run the
# class's school, or manage the pupil, may; a refusal never reveals a class or person the
# viewer does not see.
UNENROL: dict[str, dict[str, int]] = {
    "platform_admin": {"a1": 204, "a2": 204, "b1": 204},
    "region_admin_a": {"a1": 204, "a2": 204, "b1": 404},
    "region_admin_b": {"a1": 404, "a2": 404, "b1": 204},
    "school_admin_a1": {"a1": 204, "a2": 404, "b1": 404},
    "school_admin_a2": {"a1": 404, "a2": 204, "b1": 404},
    "school_admin_b1": {"a1": 404, "a2": 404, "b1": 204},
    "class_teacher": {"a1": 404, "a2": 404, "b1": 404},
    "author": {"a1": 404, "a2": 404, "b1": 404},
    "teacher_a2": {"a1": 404, "a2": 404, "b1": 404},
    "facilitator": {"a1": 404, "a2": 404, "b1": 404},
    "student_a1": {"a1": 403, "a2": 404, "b1": 404},
    "student_a2": {"a1": 404, "a2": 403, "b1": 404},
    "student_b1": {"a1": 404, "a2": 404, "b1": 403},
    "anonymous": {"a1": 401, "a2": 401, "b1": 401},
}


def test_only_those_who_run_the_class_or_manage_the_pupil_unenrol(classes: Classes) -> None:
    pupils = {school: classes.person(f"student_{school}") for school in SCHOOLS}
    observed = {}
    for viewer in UNENROL:
        observed[viewer] = {}
        for school in SCHOOLS:
            # when each viewer takes each class's pupil out of it
            url = f"{_enrolments_url(classes, school)}{pupils[school].pk}/"
            response, wrote = attempt(classes.client(viewer), "delete", url)
            if response.status_code >= 400:
                assert_error(response, response.status_code, response.json()["code"], set())
            assert wrote == (response.status_code == 204), (viewer, school)
            observed[viewer][school] = response.status_code
    # then
    assert observed == UNENROL


def test_the_class_s_administrator_unenrols_a_pupil_of_another_school_of_the_region(
    classes: Classes,
) -> None:
    # given a pupil of A2 enrolled by their own administrator in the class of A1 (the e-school)
    pupil = classes.person("student_a2")
    enrolled = classes.client("school_admin_a2").post(
        _enrolments_url(classes, "a1"), {"student": pupil.pk}
    )
    assert enrolled.status_code == 201, enrolled.content
    # when the administrator of A1, who runs the class and sees the pupil in its roster,
    # takes the pupil out
    roster = classes.client("school_admin_a1").get(_enrolments_url(classes, "a1")).json()
    assert pupil.pk in {row["student"] for row in roster}
    response = classes.client("school_admin_a1").delete(
        f"{_enrolments_url(classes, 'a1')}{pupil.pk}/"
    )
    # then the pupil is out
    assert response.status_code == 204, response.content
    assert not _enrolled(classes, "a1", pupil)


def test_unenrolling_keeps_the_student_s_completed_lessons(classes: Classes) -> None:
    # given a pupil of A1 who completed a lesson of the class's course
    pupil = classes.person("student_a1")
    lesson = classes.lessons["a1"]
    done = classes.client("student_a1").post(f"/api/v1/lessons/{lesson.pk}/complete/")
    assert done.status_code == 204, done.content
    # when they are taken out of the class
    response = classes.client("school_admin_a1").delete(
        f"{_enrolments_url(classes, 'a1')}{pupil.pk}/"
    )
    # then they are out, and their completion is kept
    assert response.status_code == 204, response.content
    assert not _enrolled(classes, "a1", pupil)
    assert LessonCompletion.objects.filter(student=pupil, lesson=lesson).count() == 1


# --- joining with a code --------------------------------------------------------------------
def test_only_students_join_with_a_code(classes: Classes) -> None:
    code = classes.cohorts["a1"].join_code
    observed = {}
    for viewer in (*VIEWERS, "anonymous"):
        # when each viewer joins the open class of A1 with its code
        response, wrote = attempt(
            classes.client(viewer), "post", "/api/v1/classes/join/", {"code": code}
        )
        if response.status_code >= 400:
            assert_error(response, response.status_code, response.json()["code"], set())
        observed[viewer] = (response.status_code, wrote)
    # then students join (student_a1 is already in: nothing new is written); no one else
    expected = dict.fromkeys(VIEWERS, (403, False)) | {"anonymous": (401, False)}
    expected |= {"student_a1": (201, False), "student_a2": (201, True), "student_b1": (201, True)}
    assert observed == expected


def test_a_student_who_joins_gets_the_class_without_its_code(classes: Classes) -> None:
    cohort = classes.cohorts["a1"]
    response = classes.client("student_a2").post("/api/v1/classes/join/", {"code": "a1code7"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == cohort.pk
    assert "join_code" not in body
    assert "teachers" not in body
    # and afterwards the class's page does not show it either
    detail = classes.client("student_a2").get(f"/api/v1/classes/{cohort.pk}/").json()
    assert "join_code" not in detail
    assert "teachers" not in detail


@pytest.mark.parametrize("typed", ["a1code7", " A1-CODE 7 ", "a1 co-de7", "A1CODE7\n"])
def test_a_code_is_read_whatever_its_case_spaces_and_dashes(classes: Classes, typed: str) -> None:
    # given a pupil of A2 and the open class of A1 (code A1CODE7)
    pupil = classes.person("student_a2")
    # when they type the code loosely
    response = classes.client("student_a2").post("/api/v1/classes/join/", {"code": typed})
    # then they are in the class, once
    assert response.status_code == 201, response.content
    assert Enrolment.objects.filter(cohort=classes.cohorts["a1"], student=pupil).count() == 1


@pytest.mark.parametrize("case", ["wrong-code", "closed-class", "empty"])
def test_a_wrong_code_or_a_closed_class_is_refused_on_code(classes: Classes, case: str) -> None:
    # the class of A2 does not allow joining with its code
    code = {"wrong-code": "ZZZZZZZ", "closed-class": "A2CODE7", "empty": ""}[case]
    before = classes_database_state()
    response = classes.client("student_b1").post("/api/v1/classes/join/", {"code": code})
    assert_error(response, 400, "invalid", {"code"})
    assert classes_database_state() == before


def test_joining_twice_keeps_one_enrolment(classes: Classes) -> None:
    client = classes.client("student_a2")
    for _ in range(2):
        assert client.post("/api/v1/classes/join/", {"code": "A1CODE7"}).status_code == 201
    pupil = classes.person("student_a2")
    assert Enrolment.objects.filter(cohort=classes.cohorts["a1"], student=pupil).count() == 1


# --- what enrolment lets a student see ------------------------------------------------------
def _course_ids(client: Any) -> set[int]:
    response = client.get("/api/v1/courses/")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_an_enrolled_student_sees_the_course_and_its_published_lessons_only(
    classes: Classes,
) -> None:
    # given a pupil of A2 who joins the class of A1
    c = classes.courses
    client = classes.client("student_a2")
    assert c.course.pk not in _course_ids(client)
    assert client.post("/api/v1/classes/join/", {"code": "A1CODE7"}).status_code == 201
    # then the course is listed and opens, with its published content only
    assert c.course.pk in _course_ids(client)
    outline = client.get(f"/api/v1/courses/{c.course.pk}/")
    assert outline.status_code == 200, outline.content
    assert {m["title"]: [x["title"] for x in m["lessons"]] for m in outline.json()["modules"]} == {
        "Published module": ["Published lesson"]
    }
    lesson = client.get(f"/api/v1/lessons/{c.lesson_published.pk}/")
    assert lesson.status_code == 200, lesson.content
    assert "body_markdown" not in lesson.json()
    assert lesson.json()["body_html"]
    for draft in (c.lesson_draft, c.lesson_in_draft_module):
        assert_error(client.get(f"/api/v1/lessons/{draft.pk}/"), 404, "not_found", set())


def test_after_unenrolment_the_course_and_its_lessons_are_gone_again(classes: Classes) -> None:
    # given the pupil of A1, enrolled in the class of A1 and reading its course
    c = classes.courses
    client = classes.client("student_a1")
    assert client.get(f"/api/v1/lessons/{c.lesson_published.pk}/").status_code == 200
    # when they are taken out of the class
    pupil = classes.person("student_a1")
    response = classes.client("school_admin_a1").delete(
        f"{_enrolments_url(classes, 'a1')}{pupil.pk}/"
    )
    assert response.status_code == 204, response.content
    # then the course and its lessons no longer exist for them
    assert c.course.pk not in _course_ids(client)
    assert_error(client.get(f"/api/v1/courses/{c.course.pk}/"), 404, "not_found", set())
    assert_error(client.get(f"/api/v1/lessons/{c.lesson_published.pk}/"), 404, "not_found", set())
    assert_error(client.get(f"/api/v1/courses/{c.course.pk}/progress/"), 404, "not_found", set())


def test_a_teacher_of_the_class_who_is_not_an_author_sees_published_content_only(
    classes: Classes,
) -> None:
    c = classes.courses
    client = classes.client("class_teacher")
    assert c.course.pk in _course_ids(client)
    outline = client.get(f"/api/v1/courses/{c.course.pk}/")
    assert outline.status_code == 200, outline.content
    assert {m["title"]: [x["title"] for x in m["lessons"]] for m in outline.json()["modules"]} == {
        "Published module": ["Published lesson"]
    }
    lesson = client.get(f"/api/v1/lessons/{c.lesson_published.pk}/")
    assert lesson.status_code == 200, lesson.content
    assert "body_markdown" not in lesson.json()
    for draft in (c.lesson_draft, c.lesson_in_draft_module):
        assert_error(client.get(f"/api/v1/lessons/{draft.pk}/"), 404, "not_found", set())
    # and writing is not theirs
    response = client.patch(f"/api/v1/lessons/{c.lesson_published.pk}/", {"title": "Mine"})
    assert_error(response, 403, "permission_denied", set())
