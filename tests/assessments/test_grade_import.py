"""Grades imported from the gradebook's own CSV file: exported, typed into, imported back. The
dry run writes nothing; applying writes every change or none; each change is set by hand with
a history row whose source is the import; importing the same file again changes nothing."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from courses.assessments import services
from courses.assessments.models import Assessment, Grade, GradeChange
from lms.accounts.models import Role, User
from tests.assessments.conftest import Bank
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _assessment(bank: Bank, title: str, points: str) -> Assessment:
    return Assessment.objects.create(
        cohort=bank.classes.cohorts["a1"],
        kind="assignment",
        title=title,
        due_at=DUE,
        points=Decimal(points),
        is_published=True,
    )


def _export(client: APIClient, bank: Bank) -> list[list[str]]:
    response = client.get(f"/api/v1/classes/{bank.classes.cohorts['a1'].pk}/gradebook.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))


def _csv(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def _import(client: APIClient, bank: Bank, data: bytes, mode: str, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/classes/{bank.classes.cohorts['a1'].pk}/gradebook/import/",
        {"file": SimpleUploadedFile("marks.csv", data), "mode": mode, **extra},
        format="multipart",
    )


@pytest.fixture
def two_pupils(bank: Bank) -> list[User]:
    cohort = bank.classes.cohorts["a1"]
    second = make_person(Role.STUDENT, school=cohort.term.school)
    EnrolmentFactory(cohort=cohort, student=second)
    return [bank.classes.person("student_a1"), second]


def test_export_type_in_and_import_back(bank: Bank, two_pupils: list[User]) -> None:
    # given a class with two assessments, one of them graded for the first pupil
    essay = _assessment(bank, "=Essay", "10")  # a title that looks like a formula
    poster = _assessment(bank, "Poster", "5")
    first, second = two_pupils
    teacher = bank.classes.client("class_teacher")
    services.grade_override(
        assessment=essay,
        student=first,
        by=bank.classes.person("class_teacher"),
        points=Decimal(7),
        reason="Paper",
    )
    # when the teacher exports the gradebook and types grades in (a decimal comma too)
    rows = _export(teacher, bank)
    header = rows[0]
    essay_at, poster_at = header.index("'=Essay (10.00)"), header.index("Poster (5.00)")
    line_of = {row[0]: row for row in rows[1:]}
    line_of[first.username][essay_at] = "7.00"  # unchanged
    line_of[first.username][poster_at] = "4,5"
    line_of[second.username][essay_at] = "9"
    data = _csv(rows)
    # then the dry run lists the changes and writes nothing
    changes_before = GradeChange.objects.count()
    dry = _import(teacher, bank, data, "dry-run")
    assert dry.status_code == 200, dry.content
    report = dry.json()
    assert (report["applied"], report["changes"], report["errors"]) == (False, 2, 0)
    assert {
        (row["username"], change["title"], change["before"], change["after"])
        for row in report["rows"]
        for change in row["changes"]
    } == {(first.username, "Poster", None, "4.50"), (second.username, "=Essay", None, "9.00")}
    assert GradeChange.objects.count() == changes_before
    # and applying sets the grades by hand, each with a history row from the import
    applied = _import(teacher, bank, data, "apply")
    assert applied.json()["applied"] is True
    assert Grade.objects.get(assessment=poster, student=first).points == Decimal("4.50")
    grade = Grade.objects.get(assessment=essay, student=second)
    assert (grade.points, grade.overridden, grade.state) == (Decimal("9.00"), True, "draft")
    change = grade.changes.get()
    assert (change.source, change.reason) == ("import", "Imported from the file marks.csv.")
    assert change.by == bank.classes.person("class_teacher")
    # and importing the same file again changes nothing
    again = _import(teacher, bank, data, "apply").json()
    assert (again["changes"], again["rows"]) == (0, [])
    assert GradeChange.objects.count() == changes_before + 2


def test_bad_lines_are_reported_with_their_line_and_nothing_is_written(
    bank: Bank, two_pupils: list[User]
) -> None:
    _assessment(bank, "Essay", "10")
    first, second = two_pupils
    third = make_person(Role.STUDENT, school=bank.classes.cohorts["a1"].term.school)
    EnrolmentFactory(cohort=bank.classes.cohorts["a1"], student=third)
    outsider = bank.classes.person("student_a2")  # a pupil of another class
    data = _csv(
        [
            ["username", "Essay (10.00)"],
            [first.username, "8"],
            [second.username, "eleven"],
            [outsider.username, "5"],
            ["nobody", "5"],
            [first.username, "9"],
            [third.username.upper(), "10.5"],  # usernames are matched whatever their case
        ]
    )
    response = _import(bank.classes.client("class_teacher"), bank, data, "apply")
    assert response.status_code == 200
    report = response.json()
    assert report["applied"] is False
    errors = {row["line"]: row["errors"] for row in report["rows"] if row["errors"]}
    assert errors == {
        3: {"essay (10.00)": ["“eleven” is not a number."]},
        4: {"username": ["No pupil of this class has this username."]},
        5: {"username": ["No pupil of this class has this username."]},
        6: {"username": ["This pupil is already on an earlier line."]},
        7: {"essay (10.00)": ["Give between 0 and 10.00 points."]},
    }
    assert not Grade.objects.exists()
    assert not GradeChange.objects.exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["name", "Essay (10.00)"], "one column named username"),
        (["username", "Essai (10.00)"], "not assessments of the class: essai (10.00)"),
        (["username", "Essay (10.00)", "Essay (10.00)"], "more than one assessment, or one twice"),
        (["username", "name", "total %"], "no column of grades"),
    ],
)
def test_a_file_with_wrong_columns_is_refused_as_a_whole(
    bank: Bank, header: list[str], message: str
) -> None:
    _assessment(bank, "Essay", "10")
    data = _csv([header, [bank.classes.person("student_a1").username, "1", "1"]])
    response = _import(bank.classes.client("class_teacher"), bank, data, "dry-run")
    assert response.status_code == 400
    assert message in response.json()["fields"]["file"][0]


def test_two_assessments_of_one_title_cannot_be_told_apart(bank: Bank) -> None:
    _assessment(bank, "Essay", "10")
    _assessment(bank, "Essay", "10")
    data = _csv([["username", "Essay (10.00)"], [bank.classes.person("student_a1").username, "1"]])
    response = _import(bank.classes.client("class_teacher"), bank, data, "dry-run")
    assert response.status_code == 400
    assert "more than one assessment" in response.json()["message"]


def test_a_windows_1251_file_with_semicolons_is_read(bank: Bank) -> None:
    _assessment(bank, "Дил баян", "10")
    pupil = bank.classes.person("student_a1")
    data = _csv(
        [["username", "Дил баян (10)"], [pupil.username, "6,5"]],  # "(10)" names "(10.00)"
        delimiter=";",
        encoding="cp1251",
    )
    response = _import(bank.classes.client("class_teacher"), bank, data, "apply")
    assert response.json()["encoding"] == "windows-1251"
    assert Grade.objects.get(student=pupil).points == Decimal("6.50")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("class_teacher", 200),
        ("platform_admin", 200),
        ("author", 404),
        ("school_admin_a1", 403),
        ("student_a1", 403),
        ("teacher_a2", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_class_teachers_import_grades(bank: Bank, role: str, status: int) -> None:
    _assessment(bank, "Essay", "10")
    data = _csv([["username", "Essay (10.00)"], [bank.classes.person("student_a1").username, "3"]])
    response = _import(bank.classes.client(role), bank, data, "apply")
    assert response.status_code == status
    assert Grade.objects.exists() is (status == 200)


def test_the_import_page_checks_then_imports(bank: Bank) -> None:
    essay = _assessment(bank, "Essay", "10")
    pupil = bank.classes.person("student_a1")
    cohort = bank.classes.cohorts["a1"]
    client = Client()
    client.force_login(bank.classes.person("class_teacher"))
    url = reverse("frontend:grades-import", args=[cohort.pk])
    assert url in client.get(reverse("frontend:gradebook", args=[cohort.pk])).content.decode()
    good = _csv([["username", "Essay (10.00)"], [pupil.username, "8,5"]])
    # a check lists the change and writes nothing
    checked = client.post(url, {"file": SimpleUploadedFile("g.csv", good), "mode": "dry-run"})
    assert checked.status_code == 200
    assert "Essay: — → 8.50" in checked.content.decode()
    assert not Grade.objects.exists()
    # a file with a bad line is refused, with the line, and writes nothing
    bad = _csv([["username", "Essay (10.00)"], [pupil.username, "80"]])
    refused = client.post(url, {"file": SimpleUploadedFile("g.csv", bad), "mode": "apply"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Nothing was imported: fix the lines with errors." in page
    assert "Give between 0 and 10.00 points." in page
    assert not Grade.objects.exists()
    # a file whose columns are wrong gets a message
    wrong = client.post(url, {"file": SimpleUploadedFile("g.csv", b"who,what\n"), "mode": "apply"})
    assert wrong.status_code == 400
    assert "one column named username" in wrong.content.decode()
    # importing sets the grade
    imported = client.post(url, {"file": SimpleUploadedFile("g.csv", good), "mode": "apply"})
    assert "1 grade was imported." in imported.content.decode()
    assert Grade.objects.get(assessment=essay, student=pupil).points == Decimal("8.50")
