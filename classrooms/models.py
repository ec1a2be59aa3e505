"""Classrooms of schools: the smart classrooms a teacher teaches live lessons from (the hub),
and the rooms of rural schools that take part with a facilitator (the spokes); live lessons
scheduled for a class. Attendance and in-lesson state come with the realtime work."""

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import Cohort
from lms.accounts.models import School

MAX_CAPACITY = 500


class Classroom(models.Model):
    """A room of a school, with what it has for a live lesson. A smart classroom has a camera
    and microphones: the teacher is seen and heard from it."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="classrooms", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    is_smart = models.BooleanField(_("smart classroom"), default=False)
    has_camera = models.BooleanField(_("camera"), default=False)
    has_microphones = models.BooleanField(_("microphones"), default=False)
    has_interactive_display = models.BooleanField(_("interactive display"), default=False)
    has_projector = models.BooleanField(_("projector"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "pk")
        verbose_name = _("classroom")
        verbose_name_plural = _("classrooms")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("school", "name"), name="classroom_name_unique"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="classroom_capacity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(is_smart=False) | Q(has_camera=True, has_microphones=True),
                name="smart_classroom_has_camera_and_microphones",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LiveLessonState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 240


class LiveLesson(models.Model):
    """A live lesson of a class: the teacher teaches from a hub (a smart classroom, or none:
    from home), spoke classrooms of the region take part, each with its facilitator, and the
    other pupils join from home."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="live_lessons", verbose_name=_("class")
    )
    title = models.CharField(_("title"), max_length=200)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="live_lessons_taught",
        verbose_name=_("teacher"),
    )
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"),
        validators=[
            MinValueValidator(MIN_DURATION_MINUTES),
            MaxValueValidator(MAX_DURATION_MINUTES),
        ],
    )
    hub = models.ForeignKey(
        Classroom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons_hosted",
        verbose_name=_("taught from"),
    )
    state = models.CharField(
        max_length=10, choices=LiveLessonState.choices, default=LiveLessonState.SCHEDULED
    )
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("starts_at", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(
                    duration_minutes__gte=MIN_DURATION_MINUTES,
                    duration_minutes__lte=MAX_DURATION_MINUTES,
                ),
                name="live_lesson_duration_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class LessonSpoke(models.Model):
    """A classroom taking part in a live lesson, with the facilitator in the room."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="spokes")
    classroom = models.ForeignKey(
        Classroom, on_delete=models.PROTECT, related_name="lessons_joined"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="spokes_facilitated"
    )

    class Meta:
        ordering = ("pk",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "classroom"), name="spoke_once_per_lesson"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}/{self.classroom_id}"
