"""The demo's courses and class: loaded through the services, idempotent, and showing each
demo person what the rules say they see."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from courses.assessments.models import (
    Assessment,
    AssessmentQuestion,
    GradeCategory,
    Objective,
    Question,
    QuestionKey,
    RubricCriterion,
)
from courses.demo import (
    DEMO_ASSIGNMENT_TITLE,
    DEMO_CLASS_NAME,
    DEMO_CLASS_STUDENTS,
    DEMO_COURSES,
    DEMO_QUESTIONS,
    DEMO_QUIZ_QUESTIONS,
    DEMO_QUIZ_TITLE,
)
from courses.models import Cohort, Course, Enrolment, Lesson, Module, Term
from lms.accounts.models import User

MODELS = (
    Course, Module, Lesson, Term, Cohort, Enrolment, Question, QuestionKey, Objective,
    GradeCategory, Assessment, AssessmentQuestion, RubricCriterion,
)  # fmt: skip


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


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
    assert first["Question"] == len(DEMO_QUESTIONS)
    assert first["Assessment"] == 2


@pytest.mark.django_db
def test_the_demo_class_has_a_bank_a_quiz_and_an_assignment() -> None:
    call_command("demo_load", verbosity=0)
    maths = Course.objects.get(title=DEMO_COURSES[0].title)
    # a bank of every type, tagged with objectives
    kinds = set(Question.objects.filter(course=maths).values_list("kind", flat=True))
    assert kinds == {
        "single", "multiple", "true_false", "numeric", "short_text", "matching", "ordering",
        "essay",
    }  # fmt: skip
    assert set(Objective.objects.filter(course=maths).values_list("code", flat=True)) == {
        "fractions",
        "percent",
    }
    # a published quiz that shows the answers after submitting, taken through the API
    cohort = Cohort.objects.get(name=DEMO_CLASS_NAME)
    quiz = Assessment.objects.get(cohort=cohort, title=DEMO_QUIZ_TITLE)
    assert (quiz.kind, quiz.is_published, quiz.reveal) == ("quiz", True, "after_submit")
    assert quiz.slots.count() == len(DEMO_QUIZ_QUESTIONS)
    pupil = APIClient()
    pupil.force_authenticate(User.objects.get(username=DEMO_CLASS_STUDENTS[0]))
    listed = pupil.get(f"/api/v1/classes/{cohort.pk}/assessments/").json()
    assert {item["title"] for item in listed} == {DEMO_QUIZ_TITLE, DEMO_ASSIGNMENT_TITLE}
    started = pupil.post(f"/api/v1/assessments/{quiz.pk}/attempts/")
    assert started.status_code == 201, started.content
    assert len(started.json()["questions"]) == len(DEMO_QUIZ_QUESTIONS)
    # and a published assignment graded on a rubric
    assignment = Assessment.objects.get(cohort=cohort, title=DEMO_ASSIGNMENT_TITLE)
    assert (assignment.kind, assignment.is_published) == ("assignment", True)
    assert assignment.rubric.count() == 2
    assert assignment.points == sum(c.points for c in assignment.rubric.all())


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
