"""Courses, their ordered modules and lessons.

A course belongs to the school of the teacher who created it; its authors (``teachers``) edit
it. Modules and lessons are drafts until published; a lesson is visible to students only when it
and its module are published. Lesson text is stored as written (Markdown) and as sanitised HTML,
rendered once when it is saved.
"""

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import LANGUAGE_CHOICES, School


class Audience(models.TextChoices):
    STUDENTS = "students", _("Students")
    TEACHERS = "teachers", _("Teachers (professional development)")


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    subject = models.CharField(_("subject"), max_length=100)
    grade_level = models.PositiveSmallIntegerField(
        _("grade level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 to 12; empty for professional-development courses."),
    )
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.STUDENTS
    )
    description = models.TextField(_("description"), blank=True)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="courses", verbose_name=_("school")
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="authored_courses", verbose_name=_("teachers")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The outline's size, stored by the authoring services whenever it changes, so that the
    # course list reads numbers instead of counting on every request (docs/decisions/0008).
    modules_total = models.PositiveIntegerField(default=0, editable=False)
    modules_published = models.PositiveIntegerField(default=0, editable=False)
    lessons_total = models.PositiveIntegerField(default=0, editable=False)
    lessons_published = models.PositiveIntegerField(
        default=0, editable=False, help_text="Published lessons in published modules."
    )

    class Meta:
        ordering = ("title", "pk")
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(grade_level__isnull=True) | Q(grade_level__gte=1, grade_level__lte=12),
                name="course_grade_level_1_to_12",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=False)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=False)
    body_markdown = models.TextField(_("text (Markdown)"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    video_url = models.URLField(
        _("video link"),
        blank=True,
        help_text=_("An external video; its size is not known in advance."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Its files, counted by the file services on every upload and removal: the data cost of a
    # lesson in an outline needs no file query, and a lesson without files none at all.
    file_count = models.PositiveIntegerField(default=0, editable=False)
    files_bytes = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title


class Term(models.Model):
    """A school's teaching period (a quarter, a semester, a year)."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="terms", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ("-starts_on", "name")
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("school", "name"), name="term_name_unique_in_school"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """A class: one offering of a course in a term, taught by one or more teachers, with
    students from one school or many (the e-school case)."""

    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("course")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("term")
    )
    name = models.CharField(_("name"), max_length=100)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="taught_cohorts", verbose_name=_("teachers")
    )
    join_code = models.CharField(_("join code"), max_length=12, unique=True)
    allow_self_enrol = models.BooleanField(_("students may join with the code"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "pk")
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("term", "name"), name="cohort_name_unique_in_term"),
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("pk",)
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("cohort", "student"), name="enrolment_once_per_class"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.cohort_id}"


class LessonCompletion(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("completed lesson")
        verbose_name_plural = _("completed lessons")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "student"), name="lesson_completed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} completed {self.lesson_id}"


def _lesson_file_path(instance: "LessonFile", filename: str) -> str:
    # The stored name is random: nothing of the uploader's file name reaches the disk.
    return f"lessons/{instance.lesson_id}/{uuid.uuid4().hex}"


class LessonFile(models.Model):
    """A lesson's video or an attached file (PDF, image, audio). Its type is read from its
    bytes when it is uploaded, never from its name."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        ATTACHMENT = "attachment", _("Attachment")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=_lesson_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("kind", "pk")
        verbose_name = _("lesson file")
        verbose_name_plural = _("lesson files")

    def __str__(self) -> str:
        return self.original_name
