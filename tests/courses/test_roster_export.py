"""A class roster as a CSV file: for its teachers and administrators only, readable in Excel,
and a name typed as a formula stays text."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from courses import services
from courses.models import Cohort
from lms.accounts.models import User
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(world: World) -> Cohort:
    course = services.course_create(
        by=world.teacher_a1, title="C", subject="S", grade_level=7, language="ky"
    )
    term = services.term_create(
        by=world.school_admin_a1, school=world.school_a1, name="T",
        starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2026, 12, 31),
    )  # fmt: skip
    cohort = services.cohort_create(
        by=world.school_admin_a1, term=term, course=course, name="X", teachers=[world.teacher_a1]
    )
    world.student_a1.first_name = "=HYPERLINK(1)"
    world.student_a1.save()
    services.enrolment_create(cohort=cohort, student=world.student_a1, by=world.school_admin_a1)
    return cohort


def _get(user: User | None, cohort: Cohort):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(reverse("api:class-roster-csv", args=[cohort.pk]))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher_a1", 200),
        ("school_admin_a1", 200),
        ("region_admin_a", 200),
        ("platform_admin", 200),
        ("school_admin_a2", 403),
        ("student_a1", 403),
        ("teacher_a2", 404),
        ("school_admin_b1", 404),
        ("student_b1", 404),
    ],
)
def test_who_may_download_the_roster(world: World, cohort: Cohort, who: str, status: int) -> None:
    assert _get(getattr(world, who), cohort).status_code == status


def test_anonymous_visitors_get_nothing(cohort: Cohort) -> None:
    assert _get(None, cohort).status_code == 401


def test_the_roster_file_opens_in_a_spreadsheet_and_formulas_stay_text(
    world: World, cohort: Cohort
) -> None:
    response = _get(world.teacher_a1, cohort)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["username", "last_name", "first_name"]
    assert len(rows) == 2
    assert rows[1][0] == world.student_a1.username
    assert rows[1][2] == "'=HYPERLINK(1)"
    assert rows[1][4:6] == ["0", "0"]
