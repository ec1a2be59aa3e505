"""The CSV import page: check a file, then import it; errors are shown per row."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import Cohort, Enrolment
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
    return services.cohort_create(
        by=world.school_admin_a1, term=term, course=course, name="X", teachers=[world.teacher_a1]
    )


def _csv(world: World, extra: str = "") -> SimpleUploadedFile:
    text = (
        "username,first_name,last_name,school\r\n"
        f"{world.student_a1.username},,,\r\n"
        f"new.pupil,Жазгүл,Абдыкадырова,{world.school_a1.code}\r\n" + extra
    )
    return SimpleUploadedFile("pupils.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_check_then_import(world: World, cohort: Cohort) -> None:
    client = Client()
    client.force_login(world.school_admin_a1)
    url = reverse("frontend:class-import", args=[cohort.pk])
    checked = client.post(url, {"file": _csv(world), "mode": "dry-run"})
    assert checked.context["report"].counts == {
        "create": 1, "enrol": 1, "already_enrolled": 0, "error": 0
    }  # fmt: skip
    assert not Enrolment.objects.exists()
    imported = client.post(url, {"file": _csv(world), "mode": "apply"})
    assert imported.context["report"].applied
    assert Enrolment.objects.filter(cohort=cohort).count() == 2
    assert User.objects.get(username="new.pupil").first_name == "Жазгүл"


def test_a_bad_row_is_shown_and_nothing_is_imported(world: World, cohort: Cohort) -> None:
    client = Client()
    client.force_login(world.school_admin_a1)
    url = reverse("frontend:class-import", args=[cohort.pk])
    bad = _csv(world, "other.pupil,A,B,no-such-school\r\n")
    response = client.post(url, {"file": bad, "mode": "apply"})
    report = response.context["report"]
    assert not report.applied
    assert report.counts["error"] == 1
    assert "no-such-school" in response.content.decode()
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("who", ["teacher_a1", "student_a1", "school_admin_b1"])
def test_others_may_not_import(world: World, cohort: Cohort, who: str) -> None:
    client = Client()
    client.force_login(getattr(world, who))
    response = client.get(reverse("frontend:class-import", args=[cohort.pk]))
    assert response.status_code in {403, 404}
