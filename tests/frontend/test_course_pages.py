"""Course pages: a teacher writes a course in the browser; others see only what they may."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import Course, Lesson, Module
from lms.accounts.models import User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def course(world: World) -> Course:
    course = services.course_create(
        by=world.teacher_a1, title="Алгебра 7", subject="Математика", grade_level=7,
        language="ky",
    )  # fmt: skip
    module = services.module_create(course=course, by=world.teacher_a1, title="Published")
    services.module_update(module=module, by=world.teacher_a1, data={"is_published": True})
    lesson = services.lesson_create(module=module, by=world.teacher_a1, title="Open lesson")
    services.lesson_update(lesson=lesson, by=world.teacher_a1, data={"is_published": True})
    services.lesson_create(module=module, by=world.teacher_a1, title="Draft lesson")
    services.module_create(course=course, by=world.teacher_a1, title="Draft module")
    return course


def test_a_teacher_writes_a_course_through_the_pages(world: World) -> None:
    client = _signed_in(world.teacher_a1)
    # a course
    response = client.post(
        reverse("frontend:course-create"),
        {"title": "Физика 8", "subject": "Физика", "grade_level": "8", "language": "ru",
         "audience": "students"},
    )  # fmt: skip
    course = Course.objects.get(title="Физика 8")
    assert response.status_code == 302
    assert course.school == world.school_a1
    assert list(course.teachers.all()) == [world.teacher_a1]
    # two modules, the second moved up
    for title in ("Механика", "Оптика"):
        client.post(reverse("frontend:module-create", args=[course.pk]), {"title": title})
    optics = Module.objects.get(title="Оптика")
    client.post(reverse("frontend:module-change", args=[optics.pk]), {"change": "up"})
    assert [m.title for m in course.modules.order_by("position")] == ["Оптика", "Механика"]
    # a lesson with Markdown, published
    response = client.post(reverse("frontend:lesson-create", args=[optics.pk]), {"title": "Линза"})
    lesson = Lesson.objects.get(title="Линза")
    assert response["Location"] == reverse("frontend:lesson-edit", args=[lesson.pk])
    client.post(
        reverse("frontend:lesson-edit", args=[lesson.pk]),
        {"title": "Линза", "body_markdown": "**Фокус** <script>x()</script>", "is_published": "on"},
    )
    lesson.refresh_from_db()
    assert lesson.is_published
    assert "<strong>Фокус</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html
    page = client.get(reverse("frontend:lesson-detail", args=[lesson.pk])).content.decode()
    assert "<strong>Фокус</strong>" in page
    assert "<script>x()" not in page


def test_bad_course_input_is_shown_and_nothing_is_written(world: World) -> None:
    client = _signed_in(world.teacher_a1)
    response = client.post(
        reverse("frontend:course-create"),
        {"title": "", "subject": "X", "grade_level": "13", "language": "xx",
         "audience": "students"},
    )  # fmt: skip
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "grade_level", "language"}
    assert not Course.objects.exists()


def test_drafts_are_shown_to_the_author_only(world: World, course: Course) -> None:
    author = _signed_in(world.teacher_a1).get(reverse("frontend:course-detail", args=[course.pk]))
    admin = _signed_in(world.school_admin_a1).get(
        reverse("frontend:course-detail", args=[course.pk])
    )
    assert "Draft lesson" in author.content.decode()
    assert "Draft module" in author.content.decode()
    assert "Open lesson" in admin.content.decode()
    assert "Draft lesson" not in admin.content.decode()
    assert "Draft module" not in admin.content.decode()
    draft = Lesson.objects.get(title="Draft lesson")
    url = reverse("frontend:lesson-detail", args=[draft.pk])
    assert _signed_in(world.school_admin_a1).get(url).status_code == 404


@pytest.mark.parametrize(
    ("who", "detail", "edit"),
    [
        ("teacher_a1", 200, 200),
        ("platform_admin", 200, 200),
        ("school_admin_a1", 200, 403),
        ("region_admin_a", 200, 403),
        ("region_admin_b", 404, 404),
        ("school_admin_a2", 404, 404),
        ("teacher_a2", 404, 404),
        ("student_a1", 404, 404),
        ("facilitator_a1", 404, 404),
    ],
)
def test_who_may_open_and_edit_a_course(
    world: World, course: Course, who: str, detail: int, edit: int
) -> None:
    client = _signed_in(getattr(world, who))
    assert client.get(reverse("frontend:course-detail", args=[course.pk])).status_code == detail
    assert client.get(reverse("frontend:course-edit", args=[course.pk])).status_code == edit


def test_only_teachers_open_the_new_course_page(world: World) -> None:
    assert _signed_in(world.teacher_a1).get(reverse("frontend:course-create")).status_code == 200
    for who in ("student_a1", "school_admin_a1", "region_admin_a"):
        response = _signed_in(getattr(world, who)).get(reverse("frontend:course-create"))
        assert response.status_code == 403


def test_a_non_author_cannot_change_modules_or_lessons(world: World, course: Course) -> None:
    module = course.modules.get(title="Published")
    lesson = Lesson.objects.get(title="Open lesson")
    client = _signed_in(world.school_admin_a1)
    assert (
        client.post(
            reverse("frontend:module-change", args=[module.pk]), {"change": "delete"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("frontend:lesson-change", args=[lesson.pk]), {"change": "delete"}
        ).status_code
        == 403
    )
    assert Module.objects.filter(pk=module.pk).exists()
    assert Lesson.objects.filter(pk=lesson.pk).exists()


def test_an_author_uploads_and_removes_a_file_on_the_lesson_page(
    world: World, course: Course, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    lesson = Lesson.objects.get(title="Open lesson")
    client = _signed_in(world.teacher_a1)
    pdf = SimpleUploadedFile("notes.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(reverse("frontend:lesson-file-upload", args=[lesson.pk]), {"file": pdf})
    item = lesson.files.get()
    assert (item.original_name, item.content_type) == ("notes.pdf", "application/pdf")
    page = _signed_in(world.school_admin_a1).get(
        reverse("frontend:lesson-detail", args=[lesson.pk])
    )
    assert "notes.pdf" in page.content.decode()
    # a page posting an HTML file named .pdf is told why, and nothing is stored
    html = SimpleUploadedFile("evil.pdf", b"<html><script>x()</script>", content_type="text/html")
    response = client.post(
        reverse("frontend:lesson-file-upload", args=[lesson.pk]), {"file": html}, follow=True
    )
    assert "Attach a PDF" in response.content.decode()
    assert lesson.files.count() == 1
    # a non-author cannot remove it
    url = reverse("frontend:lesson-file-remove", args=[lesson.pk, item.pk])
    assert _signed_in(world.school_admin_a1).post(url).status_code == 403
    assert _signed_in(world.teacher_a1).post(url).status_code == 302
    assert not lesson.files.exists()
