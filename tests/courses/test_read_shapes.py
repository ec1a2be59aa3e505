"""The fast read paths against the slow, obvious ones.

The course list is built from ``.values()`` rows and a lesson is shaped by hand (both are the
requests a class makes most); the serializers stay the documented schema. The module and lesson
counts are stored on the course by the authoring services. These tests hold each fast path equal
to the obvious computation, so neither can drift.
"""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from rest_framework.test import APIClient

from courses import selectors, services
from courses.api import serializers as s
from courses.models import Course, Lesson, LessonFile, Module
from lms.accounts.models import User
from tests.courses.conftest import Courses
from tests.courses.expectations import EDITORS, READERS
from tests.courses.test_lesson_files import MP4, PDF


def _counted_by_hand(course: Course) -> dict[str, int]:
    modules = Module.objects.filter(course=course)
    lessons = Lesson.objects.filter(module__course=course)
    published = Q(is_published=True, module__is_published=True)
    return {
        "modules_total": modules.count(),
        "modules_published": modules.filter(is_published=True).count(),
        "lessons_total": lessons.count(),
        "lessons_published": lessons.filter(published).count(),
    }


def _stored(course: Course) -> dict[str, int]:
    course.refresh_from_db()
    return {
        name: getattr(course, name)
        for name in ("modules_total", "modules_published", "lessons_total", "lessons_published")
    }


@pytest.mark.parametrize("role", sorted(EDITORS | READERS))
def test_a_listed_course_is_exactly_what_the_serializer_gives(courses: Courses, role: str) -> None:
    # given a reader whose time zone is Bishkek's, signed in (the session activates it)
    reader = courses.people[role]
    assert reader is not None
    reader.time_zone = "Asia/Bishkek"
    reader.save(update_fields=["time_zone"])
    client = APIClient()
    client.force_login(reader)
    # when they list their courses
    rows = client.get("/api/v1/courses/?page_size=200").json()["results"]
    # then every row is what CourseOutput makes of the same course, counts and time included
    assert rows, "every role here sees at least one course"
    with timezone.override("Asia/Bishkek"):
        for row in rows:
            course = selectors.course_list_visible(user=reader).get(pk=row["id"])
            assert row == s.CourseOutput(course).data
    assert all(row["updated_at"].endswith("+06:00") for row in rows)
    assert any(row["updated_at"].endswith("+06:00") for row in rows)


@pytest.fixture
def media_root(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("role", sorted(EDITORS | READERS))
def test_a_lesson_is_exactly_what_the_serializer_gives(courses: Courses, role: str) -> None:
    # given a published lesson with an attachment
    lesson = courses.lesson_published
    services.lesson_file_add(
        lesson=lesson,
        by=courses.author,
        upload=_pdf_upload(),
        kind="attachment",
    )
    reader: User | None = courses.people[role]
    # when the role opens it
    body = courses.client(role).get(f"/api/v1/lessons/{lesson.pk}/").json()
    # then the hand-made shape equals the serializer of the same lesson for that reader
    fresh = selectors.lesson_visible(user=reader, lesson_id=lesson.pk)
    assert fresh is not None
    serializer = s.LessonAuthorOutput if role in EDITORS else s.LessonOutput
    assert body == serializer(fresh).data
    assert len(body["files"]) == 1


def _pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.pdf", PDF)


def test_stored_counts_follow_every_change_to_an_outline(courses: Courses) -> None:
    # given the A1 course (2 modules, 3 lessons; 1 module and 1 lesson published)
    course, author = courses.course, courses.author
    read_before = Course.objects.get(pk=course.pk)
    assert (
        _stored(course)
        == _counted_by_hand(course)
        == {
            "modules_total": 2,
            "modules_published": 1,
            "lessons_total": 3,
            "lessons_published": 1,
        }
    )
    steps: list[tuple[str, Any]] = [
        ("add a module", lambda: services.module_create(course=course, by=author, title="New")),
        (
            "publish the draft module",
            lambda: services.module_update(
                module=courses.module_draft, by=author, data={"is_published": True}
            ),
        ),
        (
            "add a lesson",
            lambda: services.lesson_create(
                module=courses.module_published, by=author, title="Added"
            ),
        ),
        (
            "publish a draft lesson",
            lambda: services.lesson_update(
                lesson=courses.lesson_draft, by=author, data={"is_published": True}
            ),
        ),
        (
            "hide a module again",
            lambda: services.module_update(
                module=courses.module_draft, by=author, data={"is_published": False}
            ),
        ),
        (
            "move a published lesson into the hidden module",
            lambda: services.lesson_move(
                lesson=courses.lesson_published,
                by=author,
                position=0,
                module=courses.module_draft,
            ),
        ),
        ("delete a lesson", lambda: services.lesson_delete(lesson=courses.lesson_draft, by=author)),
        (
            "delete a module with its lessons",
            lambda: services.module_delete(module=courses.module_draft, by=author),
        ),
    ]
    for name, step in steps:
        # when the author makes the change
        step()
        # then the stored counts are the counts
        assert _stored(course) == _counted_by_hand(course), name
    # and an edit of the course made from a copy read before all that writes no old counts back
    services.course_update(course=read_before, by=author, data={"title": "Renamed"})
    assert _stored(course) == _counted_by_hand(course)


def test_the_list_shows_the_stored_counts_to_each_reader(courses: Courses) -> None:
    # given a new published lesson in the published module
    services.lesson_create(module=courses.module_published, by=courses.author, title="Third")
    services.lesson_update(
        lesson=Lesson.objects.get(title="Third"), by=courses.author, data={"is_published": True}
    )

    # when the author and a pupil's administrator list the courses
    def counts(client: APIClient) -> tuple[int, int]:
        row = next(
            row
            for row in client.get("/api/v1/courses/").json()["results"]
            if row["id"] == courses.course.pk
        )
        return row["module_count"], row["lesson_count"]

    # then the author counts drafts, the administrator only what is published
    assert counts(courses.client("author")) == (2, 4)
    assert counts(courses.client("school_admin_a1")) == (1, 2)


# Reading a lesson: the lesson with its module and course, whether the reader wrote the course,
# and (a pupil or a teacher of a class) whether they are in one of its classes; an
# administrator's check reads the course's school instead. Its files are one more query, only
# when it has any.
LESSON_QUERIES = {"author": 2, "school_admin_a1": 3, "platform_admin": 1}


@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("role", sorted(LESSON_QUERIES))
def test_reading_a_lesson_asks_for_files_only_when_it_has_some(
    courses: Courses, role: str, django_assert_num_queries: Any
) -> None:
    # given a published lesson without files, read by a signed-in reader
    lesson = courses.lesson_published
    client = courses.client(role)
    # when / then
    with django_assert_num_queries(LESSON_QUERIES[role]):
        body = client.get(f"/api/v1/lessons/{lesson.pk}/").json()
    assert body["files"] == []
    # given two attachments
    for _ in range(2):
        services.lesson_file_add(
            lesson=lesson, by=courses.author, upload=_pdf_upload(), kind="attachment"
        )
    # when / then: one query more, whatever the number of files
    with django_assert_num_queries(LESSON_QUERIES[role] + 1):
        body = client.get(f"/api/v1/lessons/{lesson.pk}/").json()
    assert len(body["files"]) == 2
    assert body["data_cost"]["bytes"] == len(lesson.body_html.encode()) + 2 * len(PDF)


@pytest.mark.usefixtures("media_root")
def test_stored_file_totals_follow_every_upload_and_removal(courses: Courses) -> None:
    lesson, author = courses.lesson_published, courses.author
    read_before = Lesson.objects.select_related("module__course").get(pk=lesson.pk)

    def stored() -> tuple[int, int]:
        lesson.refresh_from_db(fields=["file_count", "files_bytes"])
        return lesson.file_count, lesson.files_bytes

    def counted() -> tuple[int, int]:
        sizes = list(LessonFile.objects.filter(lesson=lesson).values_list("size", flat=True))
        return len(sizes), sum(sizes)

    # when an attachment, a video, and a second video (which replaces the first) are uploaded
    attachment = services.lesson_file_add(
        lesson=lesson, by=author, upload=_pdf_upload(), kind="attachment"
    )
    assert stored() == counted() == (1, len(PDF))
    services.lesson_file_add(lesson=lesson, by=author, upload=_video(), kind="video")
    assert stored() == counted() == (2, len(PDF) + len(MP4))
    services.lesson_file_add(lesson=lesson, by=author, upload=_video(), kind="video")
    assert stored() == counted() == (2, len(PDF) + len(MP4))
    # and the attachment is removed
    services.lesson_file_delete(lesson_file=attachment, by=author)
    # then the stored totals are the totals
    assert stored() == counted() == (1, len(MP4))
    # and a later edit of the lesson's text does not write back what it read before
    services.lesson_update(lesson=read_before, by=author, data={"title": "Renamed"})
    assert stored() == (1, len(MP4))


def _video() -> SimpleUploadedFile:
    return SimpleUploadedFile("clip.mp4", MP4)
