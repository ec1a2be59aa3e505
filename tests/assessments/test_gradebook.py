"""The gradebook of a class: weighted totals as documented, the same queries for 10, 40 and 200
pupils, a CSV export, and only the class's teachers may read it."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from courses.assessments import services
from courses.assessments.models import Assessment, Grade, GradeCategory
from courses.models import Cohort
from lms.accounts.models import Role, User
from tests.assessments.conftest import Bank
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
D = Decimal


def _assessment(
    cohort: Cohort, title: str, points: str, category: GradeCategory | None
) -> Assessment:
    return Assessment.objects.create(
        cohort=cohort, kind="quiz", title=title, due_at=DUE, points=D(points), category=category
    )


def _grade(assessment: Assessment, student: User, points: str | None) -> None:
    Grade.objects.create(
        assessment=assessment, student=student, points=None if points is None else D(points)
    )


def test_totals_are_weighted_by_category_over_graded_work(bank: Bank) -> None:
    # given a class with "Quizzes" 40% and "Projects" 60%, and an uncategorised assessment
    cohort, teacher = bank.classes.cohorts["a1"], bank.classes.person("class_teacher")
    quizzes = services.grade_category_create(
        cohort=cohort, by=teacher, name="Quizzes", weight=D(40)
    )
    projects = services.grade_category_create(
        cohort=cohort, by=teacher, name="Projects", weight=D(60)
    )
    q1, q2 = _assessment(cohort, "Q1", "10", quizzes), _assessment(cohort, "Q2", "10", quizzes)
    p1 = _assessment(cohort, "P1", "20", projects)
    other = _assessment(cohort, "Extra", "5", None)
    pupil = bank.classes.person("student_a1")
    late = make_person(Role.STUDENT, school=pupil.school)
    EnrolmentFactory(cohort=cohort, student=late)
    # pupil: quizzes 8/10 and 6/10 (70%), project 15/20 (75%); the extra is not graded
    for assessment, points in ((q1, "8"), (q2, "6"), (p1, "15")):
        _grade(assessment, pupil, points)
    # late: only Q1 graded, 5/10 (50%); Q2 has a grade row without points (not graded)
    _grade(q1, late, "5")
    _grade(q2, late, None)
    # when the gradebook is read
    book = bank.classes.client("class_teacher").get(f"/api/v1/classes/{cohort.pk}/gradebook/")
    assert book.status_code == 200, book.content
    rows = {row["student"]: row for row in book.json()["rows"]}
    # then categories are the share of graded points, the total the weighted mean of them
    assert rows[pupil.pk]["categories"] == {str(quizzes.pk): "70.00", str(projects.pk): "75.00"}
    assert rows[pupil.pk]["total"] == "73.00"  # (40 * 70 + 60 * 75) / 100
    # and with only one category graded, the weights are renormalised over it
    assert rows[late.pk]["categories"] == {str(quizzes.pk): "50.00", str(projects.pk): None}
    assert rows[late.pk]["total"] == "50.00"
    assert rows[late.pk]["grades"][str(q2.pk)] is None
    assert rows[pupil.pk]["grades"][str(other.pk)] is None


def test_without_categories_the_total_is_points_over_points(bank: Bank) -> None:
    cohort = bank.classes.cohorts["a1"]
    a, b = _assessment(cohort, "A", "10", None), _assessment(cohort, "B", "30", None)
    pupil = bank.classes.person("student_a1")
    _grade(a, pupil, "10")
    _grade(b, pupil, "15")
    rows = bank.classes.client("class_teacher").get(f"/api/v1/classes/{cohort.pk}/gradebook/")
    assert rows.json()["rows"][0]["total"] == "62.50"


def test_categories_cannot_weigh_more_than_the_whole(bank: Bank) -> None:
    cohort = bank.classes.cohorts["a1"]
    client = bank.classes.client("class_teacher")
    url = f"/api/v1/classes/{cohort.pk}/grade-categories/"
    assert client.post(url, {"name": "Quizzes", "weight": "70"}, format="json").status_code == 201
    too_much = client.post(url, {"name": "Projects", "weight": "31"}, format="json")
    assert too_much.status_code == 400
    assert "weight" in too_much.json()["fields"]
    twice = client.post(url, {"name": "Quizzes", "weight": "10"}, format="json")
    assert twice.status_code == 400
    assert "name" in twice.json()["fields"]
    assert GradeCategory.objects.filter(cohort=cohort).count() == 1


# The assessments, the categories, the pupils, the grades, plus the class and the teacher check.
GRADEBOOK_QUERIES = 6


@pytest.mark.parametrize("pupils", [10, 40, 200])
def test_the_gradebook_uses_the_same_queries_for_10_40_and_200_pupils(
    bank: Bank, django_assert_num_queries: Any, pupils: int
) -> None:
    # given a class of ``pupils`` with 5 assessments in 2 categories, everyone graded
    cohort, teacher = bank.classes.cohorts["a1"], bank.classes.person("class_teacher")
    categories = [
        services.grade_category_create(cohort=cohort, by=teacher, name=name, weight=D(50))
        for name in ("Quizzes", "Projects")
    ]
    assessments = [_assessment(cohort, f"A{n}", "10", categories[n % 2]) for n in range(5)]
    students = [make_person(Role.STUDENT, school=cohort.term.school) for _ in range(pupils - 1)]
    for student in students:
        EnrolmentFactory(cohort=cohort, student=student)
    everyone = [bank.classes.person("student_a1"), *students]
    Grade.objects.bulk_create(
        Grade(assessment=assessment, student=student, points=D(7))
        for assessment in assessments
        for student in everyone
    )
    client = bank.classes.client("class_teacher")
    # when / then
    with django_assert_num_queries(GRADEBOOK_QUERIES):
        response = client.get(f"/api/v1/classes/{cohort.pk}/gradebook/")
    rows = response.json()["rows"]
    assert len(rows) == pupils
    assert {row["total"] for row in rows} == {"70.00"}


def test_the_gradebook_downloads_as_csv(bank: Bank) -> None:
    cohort = bank.classes.cohorts["a1"]
    quiz = _assessment(cohort, "=Quiz 1", "10", None)  # a title that looks like a formula
    _grade(quiz, bank.classes.person("student_a1"), "9")
    response = bank.classes.client("class_teacher").get(
        f"/api/v1/classes/{cohort.pk}/gradebook.csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["username", "name", "'=Quiz 1 (10.00)", "total %"]
    assert rows[1][0] == bank.classes.person("student_a1").username
    assert rows[1][2:] == ["9.00", "90.00"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("class_teacher", 200),
        ("platform_admin", 200),
        ("author", 404),
        ("school_admin_a1", 403),
        ("region_admin_a", 403),
        ("student_a1", 403),
        ("teacher_a2", 404),
        ("student_b1", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_classes_teachers_read_the_gradebook(bank: Bank, role: str, status: int) -> None:
    cohort = bank.classes.cohorts["a1"]
    client = bank.classes.client(role)
    for url in (
        f"/api/v1/classes/{cohort.pk}/gradebook/",
        f"/api/v1/classes/{cohort.pk}/gradebook.csv",
        f"/api/v1/classes/{cohort.pk}/grade-categories/",
    ):
        assert client.get(url).status_code == status, (url, role)
