"""Classrooms of schools: the smart classrooms a teacher teaches live lessons from (the hub),
and the rooms of rural schools that take part with a facilitator (the spokes); live lessons
scheduled for a class. Attendance and in-lesson state come with the realtime work."""

import uuid
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


# --- in the lesson ----------------------------------------------------------------------------
# What happens during a live lesson is written here by ``classrooms.live`` and told to the
# people in it through the lesson's event log (``realtime``). These rows are the state the
# rules are checked against and a late joiner's snapshot is read from.

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6


class LessonProgress(models.Model):
    """A lesson's running state: when it started and ended, and the slide on show."""

    lesson = models.OneToOneField(
        LiveLesson, on_delete=models.CASCADE, primary_key=True, related_name="progress"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    slide = models.PositiveSmallIntegerField(null=True, blank=True)  # position in the deck

    def __str__(self) -> str:
        return f"{self.lesson_id}: slide {self.slide}"


def _slide_path(instance: "LessonSlide", filename: str) -> str:
    """Random names: a slide's address says nothing about the lesson or its author."""
    return f"slides/{instance.lesson_id}/{uuid.uuid4().hex}.webp"


class LessonSlide(models.Model):
    """One page of the lesson's slide deck, as an image (a PDF is split into pages)."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="slides")
    position = models.PositiveSmallIntegerField()
    image = models.FileField(upload_to=_slide_path, max_length=200)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("lesson", "position")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "position"), name="slide_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}/{self.position}"


class SpokeCode(models.Model):
    """The short code a spoke classroom's projector shows; a pupil in the room checks in by
    entering it."""

    spoke = models.OneToOneField(
        LessonSpoke, on_delete=models.CASCADE, primary_key=True, related_name="code"
    )
    code = models.CharField(max_length=CODE_LENGTH)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("code",), name="spoke_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class CheckIn(models.Model):
    """A pupil present in a spoke classroom, checked in by its facilitator or by the room's
    code. A pupil is checked in once per lesson; a later check-in moves them."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="check_ins")
    spoke = models.ForeignKey(LessonSpoke, on_delete=models.CASCADE, related_name="check_ins")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="check_ins_made"
    )
    at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "student"), name="check_in_once"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.spoke_id}"


class Presence(models.Model):
    """One connection of a person to a lesson, from when it opened to when it closed
    (``closed_at`` is empty while it is open, or when the server holding it died). Attendance
    is read from these intervals."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_presences"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Renewed every half minute while the socket is open: a connection whose server process
    # died never closes, and counts only until it was last seen.
    seen_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=("lesson", "user"), name="presence_lesson_user"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="presence_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.opened_at:%H:%M}-{self.closed_at or ''}"


class Hand(models.Model):
    """A raised hand, in the order hands went up; lowering deletes it."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="hands")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ("raised_at", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "user"), name="hand_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.raised_at:%H:%M:%S}"


class ChatMessage(models.Model):
    """A chat message, or a question a facilitator relays from their room. Its number is the
    event's sequence number. A deleted message keeps its row, without its text."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="chat")
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    relayed_from = models.ForeignKey(
        Classroom, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("seq",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "seq"), name="chat_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}#{self.seq}"


class Mute(models.Model):
    """A pupil the teacher has muted in the lesson's chat."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "user"), name="mute_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} muted in {self.lesson_id}"


class PollState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


MAX_POLL_OPTIONS = 10


class Poll(models.Model):
    """A question the teacher puts to the lesson, single or multiple choice. Results go to the
    teacher and facilitators live, and to everyone once the teacher shares them."""

    lesson = models.ForeignKey(LiveLesson, on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(max_length=300)
    options = models.JSONField()  # a list of strings
    multiple = models.BooleanField(default=False)
    state = models.CharField(max_length=6, choices=PollState.choices, default=PollState.OPEN)
    shared = models.BooleanField(default=False)
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ("pk",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("lesson",),
                condition=Q(state="open"),
                name="one_open_poll_per_lesson",
            ),
        ]

    def __str__(self) -> str:
        return self.question


class PollAnswer(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="answers")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    choices = models.JSONField()  # option positions, sorted
    at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("poll", "student"), name="poll_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.choices}"
