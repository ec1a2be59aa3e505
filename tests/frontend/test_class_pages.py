"""Class pages: an administrator adds a term and a class and enrols a pupil; a pupil of another
school joins with the code, reads a lesson and marks it complete; the teacher sees progress."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import Cohort, Enrolment, LessonCompletion, Term
from lms.accounts.models import User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_whole_way_from_term_to_progress(world: World) -> None:
    # given a course with one published lesson, written by a teacher of A1
    teacher = world.teacher_a1
    course = services.course_create(
        by=teacher, title="Алгебра", subject="Математика", grade_level=7, language="ky"
    )
    module = services.module_create(course=course, by=teacher, title="M")
    services.module_update(module=module, by=teacher, data={"is_published": True})
    lesson = services.lesson_create(module=module, by=teacher, title="L", body_markdown="**x**")
    services.lesson_update(lesson=lesson, by=teacher, data={"is_published": True})
    admin = _signed_in(world.school_admin_a1)
    # when the school administrator adds a term and a class open to its code
    admin.post(
        reverse("frontend:term-list"),
        {"school": world.school_a1.pk, "name": "Q2", "starts_on": "2026-11-01",
         "ends_on": "2026-12-28"},
    )  # fmt: skip
    term = Term.objects.get(name="Q2")
    response = admin.post(
        reverse("frontend:class-create"),
        {"term": term.pk, "course": course.pk, "name": "7-A", "teachers": [teacher.pk],
         "allow_self_enrol": "on"},
    )  # fmt: skip
    cohort = Cohort.objects.get(name="7-A")
    assert response["Location"] == reverse("frontend:class-detail", args=[cohort.pk])
    # and enrols a pupil of the school
    admin.post(reverse("frontend:class-enrol", args=[cohort.pk]), {"student": world.student_a1.pk})
    assert Enrolment.objects.filter(cohort=cohort, student=world.student_a1).exists()
    # and a pupil of another school of the region joins with the code, typed carelessly
    pupil = _signed_in(world.student_a2)
    code = " " + cohort.join_code.lower()[:3] + "-" + cohort.join_code.lower()[3:] + " "
    response = pupil.post(reverse("frontend:class-join"), {"code": code})
    assert response["Location"] == reverse("frontend:course-detail", args=[course.pk])
    # then the pupil reads the lesson and marks it complete
    page = pupil.get(reverse("frontend:lesson-detail", args=[lesson.pk]))
    assert "<strong>x</strong>" in page.content.decode()
    pupil.post(reverse("frontend:lesson-complete", args=[lesson.pk]))
    assert LessonCompletion.objects.filter(lesson=lesson, student=world.student_a2).exists()
    home = pupil.get(reverse("frontend:home")).content.decode()
    assert "1 of 1 lessons" in home
    # and the teacher sees both pupils with their progress
    roster = _signed_in(teacher).get(reverse("frontend:class-detail", args=[cohort.pk]))
    rows = {row["username"]: row for row in roster.context["roster"]}
    assert rows[world.student_a2.username]["completed_lessons"] == 1
    assert rows[world.student_a1.username]["completed_lessons"] == 0


def test_a_wrong_code_is_explained_and_joins_nothing(world: World) -> None:
    response = _signed_in(world.student_a1).post(
        reverse("frontend:class-join"), {"code": "NOPE123"}, follow=True
    )
    assert "No class takes this code" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_a_term_ending_before_it_starts_is_refused_on_the_page(world: World) -> None:
    response = _signed_in(world.school_admin_a1).post(
        reverse("frontend:term-list"),
        {"school": world.school_a1.pk, "name": "Q3", "starts_on": "2026-11-01",
         "ends_on": "2026-10-01"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors.get("ends_on")
    assert not Term.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("school_admin_a1", 200), ("region_admin_a", 200), ("teacher_a1", 403), ("student_a1", 403)],
)
def test_who_may_open_the_pages_of_terms_and_new_classes(
    world: World, who: str, status: int
) -> None:
    client = _signed_in(getattr(world, who))
    assert client.get(reverse("frontend:term-list")).status_code == status
    assert client.get(reverse("frontend:class-create")).status_code == status


def test_a_class_of_another_region_is_not_found(world: World) -> None:
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
    url = reverse("frontend:class-detail", args=[cohort.pk])
    assert _signed_in(world.school_admin_b1).get(url).status_code == 404
    assert _signed_in(world.student_b1).get(url).status_code == 404
    # a school administrator of the same region sees it (to enrol pupils) but not its roster
    page = _signed_in(world.school_admin_a2).get(url)
    assert page.status_code == 200
    assert page.context["roster"] is None
