"""A live lesson's slide deck: the teacher uploads one PDF (each page becomes a slide) or up
to 60 images. Every slide is stored as a WebP image at most 1280 pixels wide: a phone on a
2G link fetches a slide of tens of kilobytes, not the teacher's original file, and nothing of
the upload but its pixels is ever served (no scripts, no metadata).

Uploading again replaces the deck; during the lesson everyone is told (``slides.replaced``)
and no slide is on show until the teacher picks one."""

import io
from typing import Any

import pypdfium2
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from classrooms import policies
from classrooms.models import LessonProgress, LessonSlide, LiveLesson, LiveLessonState
from courses.uploads import sniff_content_type
from lms.accounts.models import User
from lms.errors import ApplicationError
from realtime import bus

MAX_SLIDES = 60
MAX_DECK_BYTES = 40 * 1024 * 1024  # all files of one upload together
SLIDE_WIDTH = 1280
WEBP_QUALITY = 75
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
Image.MAX_IMAGE_PIXELS = 40_000_000  # a larger picture is refused, not decoded


def _refuse(message: str) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields={"files": [message]})


def _slide_bytes(picture: Image.Image) -> tuple[bytes, int, int]:
    picture = picture.convert("RGB")
    if picture.width > SLIDE_WIDTH:
        height = round(picture.height * SLIDE_WIDTH / picture.width)
        picture = picture.resize((SLIDE_WIDTH, max(height, 1)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue(), picture.width, picture.height


def _pdf_pages(data: bytes) -> list[tuple[bytes, int, int]]:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise _refuse(_("The PDF file cannot be read.")) from error
    try:
        if len(document) == 0:
            raise _refuse(_("The PDF file has no pages."))
        if len(document) > MAX_SLIDES:
            raise _refuse(_("A deck has at most %(count)s slides.") % {"count": MAX_SLIDES})
        pages = []
        for index in range(len(document)):
            page = document[index]
            scale = min(SLIDE_WIDTH / max(page.get_width(), 1), 4.0)
            pages.append(_slide_bytes(page.render(scale=scale).to_pil()))
        return pages
    finally:
        document.close()


def _image(data: bytes) -> tuple[bytes, int, int]:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            return _slide_bytes(picture)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise _refuse(_("A picture cannot be read.")) from error


def _read(files: list[UploadedFile]) -> list[tuple[bytes, int, int]]:
    if not files:
        raise _refuse(_("Choose a PDF file or pictures."))
    if len(files) > MAX_SLIDES:
        raise _refuse(_("A deck has at most %(count)s slides.") % {"count": MAX_SLIDES})
    if sum(upload.size or 0 for upload in files) > MAX_DECK_BYTES:
        raise _refuse(_("The files are larger than 40 MB together."))
    contents = [upload.read() for upload in files]
    types = [sniff_content_type(data[:8192]) for data in contents]
    if types == ["application/pdf"]:
        return _pdf_pages(contents[0])
    if "application/pdf" in types:
        raise _refuse(_("Upload one PDF file, or pictures, not both."))
    if not all(kind in IMAGE_TYPES for kind in types):
        raise _refuse(_("Slides are a PDF file or PNG, JPEG, WebP or GIF pictures."))
    return [_image(data) for data in contents]


def slides_upload(*, lesson: LiveLesson, by: User, files: list[UploadedFile]) -> int:
    """Replace the lesson's deck; answers the number of slides."""
    if not policies.can_schedule(by, lesson.cohort):
        raise PermissionDenied
    if lesson.state not in (LiveLessonState.SCHEDULED, LiveLessonState.LIVE):
        raise ApplicationError(
            "over", _("This lesson has ended or was cancelled."), status_code=409
        )
    slides = _read(files)  # rendered before the transaction: it may take a few seconds
    with transaction.atomic():
        old = list(LessonSlide.objects.filter(lesson=lesson))
        LessonSlide.objects.filter(lesson=lesson).delete()
        for position, (data, width, height) in enumerate(slides):
            slide = LessonSlide(
                lesson=lesson,
                position=position,
                content_type="image/webp",
                width=width,
                height=height,
            )
            slide.image.save("slide.webp", ContentFile(data), save=False)
            slide.save()
        progress = LessonProgress.objects.filter(lesson=lesson).first()
        if progress is not None and progress.slide is not None:
            progress.slide = None
            progress.save(update_fields=["slide"])
        # Before the lesson too: pupils waiting in the room see the new deck's size.
        bus.event_append(
            lesson_id=lesson.pk, kind="slides.replaced", data={"count": len(slides)}, actor_id=by.pk
        )
        transaction.on_commit(lambda: _files_delete(old))
    return len(slides)


def _files_delete(slides: list[LessonSlide]) -> None:
    for slide in slides:
        slide.image.delete(save=False)


def slide_visible(*, user: Any, lesson_id: int, position: int) -> LessonSlide | None:
    """A slide, for those who may be in the lesson (``policies.lesson_role``)."""
    slide = (
        LessonSlide.objects.select_related("lesson__cohort")
        .filter(lesson_id=lesson_id, position=position)
        .first()
    )
    if slide is None or policies.lesson_role(user, slide.lesson) is None:
        return None
    return slide
