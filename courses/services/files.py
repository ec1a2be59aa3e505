"""A lesson's files: its video and attachments, checked from their bytes when uploaded."""

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from courses import policies, uploads
from courses.models import Lesson, LessonFile
from lms.accounts.models import User
from lms.errors import ApplicationError


def _refuse(message: str) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields={"file": [message]})


@transaction.atomic
def lesson_file_add(*, lesson: Lesson, by: User, upload: UploadedFile, kind: str) -> LessonFile:
    """Attach a file to a lesson (a video replaces the lesson's previous one)."""
    if not policies.can_edit_course(by, lesson.module.course):
        raise PermissionDenied
    if kind not in LessonFile.Kind.values:
        raise ApplicationError(
            "invalid", _("Some fields are not valid."), fields={"kind": [_("Unknown kind.")]}
        )
    limit = uploads.MAX_BYTES[kind]
    if upload.size is None or upload.size > limit:
        raise _refuse(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    upload.seek(0)
    head = upload.read(uploads.SNIFF_BYTES)
    upload.seek(0)
    content_type = uploads.sniff_content_type(head)
    if not uploads.allowed_for(kind, content_type):
        if kind == LessonFile.Kind.VIDEO:
            raise _refuse(_("A lesson video must be an MP4 or WebM file."))
        raise _refuse(_("Attach a PDF, an image (PNG, JPEG, GIF, WebP) or audio (MP3, OGG, M4A)."))
    # One upload to a lesson at a time: a second video waits, then replaces this one.
    Lesson.objects.select_for_update().filter(pk=lesson.pk).values_list("pk").first()
    if kind == LessonFile.Kind.VIDEO:
        for old in LessonFile.objects.filter(lesson_id=lesson.pk, kind=LessonFile.Kind.VIDEO):
            lesson_file_delete(lesson_file=old, by=by)
    lesson_file = LessonFile(
        lesson=lesson,
        kind=kind,
        original_name=uploads.clean_file_name(upload.name or "file"),
        content_type=content_type or "application/octet-stream",
        size=upload.size,
    )
    lesson_file.file.save("upload", upload, save=False)
    lesson_file.save()
    lesson_files_count(lesson_id=lesson.pk)
    return lesson_file


@transaction.atomic
def lesson_file_delete(*, lesson_file: LessonFile, by: User) -> None:
    if not policies.can_edit_course(by, lesson_file.lesson.module.course):
        raise PermissionDenied
    stored = lesson_file.file
    lesson_file.delete()
    lesson_files_count(lesson_id=lesson_file.lesson_id)
    transaction.on_commit(lambda: stored.delete(save=False))


@transaction.atomic
def lesson_files_count(*, lesson_id: int) -> None:
    """Store how many files the lesson has and their bytes; every write to its files calls it.
    The lesson's row is locked first, so that two uploads at once count one after the other."""
    Lesson.objects.select_for_update().filter(pk=lesson_id).values_list("pk").first()
    totals = LessonFile.objects.filter(lesson_id=lesson_id).aggregate(
        file_count=Count("pk"), files_bytes=Coalesce(Sum("size"), 0)
    )
    Lesson.objects.filter(pk=lesson_id).update(**totals)
