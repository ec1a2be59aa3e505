"""The demo's courses and class: loaded through the services, idempotent, and showing each
demo person what the rules say they see."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from courses.demo import DEMO_CLASS_NAME, DEMO_CLASS_STUDENTS, DEMO_COURSES
from courses.models import Cohort, Course, Enrolment, Lesson, Module, Term
from lms.accounts.models import User


def _rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Course, Module, Lesson, Term, Cohort, Enrolment)
    }


def _titles(username: str, url: str) -> set[str]:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row.get("title") or row.get("name") for row in response.json()["results"]}


@pytest.mark.django_db
def test_the_demo_loads_twice_to_the_same_rows() -> None:
    # when the demo is loaded, then loaded again
    call_command("demo_load", verbosity=0)
    first = _rows()
    call_command("demo_load", verbosity=0)
    # then the second load changed nothing
    assert _rows() == first
    assert first["Course"] == len(DEMO_COURSES)
    assert first["Enrolment"] == len(DEMO_CLASS_STUDENTS)
    # and the stored outline counts are right (written by the services)
    maths = Course.objects.get(title=DEMO_COURSES[0].title)
    assert (maths.modules_published, maths.lessons_total, maths.lessons_published) == (2, 4, 3)


@pytest.mark.django_db
def test_each_demo_person_sees_what_the_rules_allow() -> None:
    call_command("demo_load", verbosity=0)
    maths, methods = (course.title for course in DEMO_COURSES)
    # the pupils of the class (one of Karakol, one of a village school) see the maths course
    for pupil in DEMO_CLASS_STUDENTS:
        assert _titles(pupil, "/api/v1/courses/") == {maths}
    # a pupil of another village school sees nothing until they join with the code
    assert _titles("demo-student-barskoon", "/api/v1/courses/") == set()
    # the authors see their own courses; the region administrator sees both
    assert _titles("demo-teacher", "/api/v1/courses/") == {maths}
    assert _titles("demo-teacher-2", "/api/v1/courses/") == {methods}
    assert _titles("demo-region-admin", "/api/v1/courses/") == {maths, methods}
    # the class is the teacher's and the Karakol administrator's
    assert _titles("demo-teacher", "/api/v1/classes/") == {DEMO_CLASS_NAME}
    assert _titles("demo-school-admin", "/api/v1/classes/") == {DEMO_CLASS_NAME}
    # the draft lesson is the author's only
    outline = APIClient()
    outline.force_authenticate(User.objects.get(username="demo-student"))
    course_id = Course.objects.get(title=maths).pk
    lessons = [
        lesson["title"]
        for module in outline.get(f"/api/v1/courses/{course_id}/").json()["modules"]
        for lesson in module["lessons"]
    ]
    assert len(lessons) == 3
    assert not any("даярдалууда" in title for title in lessons)
