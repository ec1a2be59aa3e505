"""Question banks, quizzes and assignments, attempts and answers, grades and their history.

A course keeps a bank of questions, tagged with the learning objectives they test. A class
(``courses.Cohort``) gets assessments: quizzes drawn from its course's bank, and assignments
graded by hand against a rubric. A student's attempt holds their answers; a grade per student
and assessment holds what counts, and every change to it is kept in ``GradeChange``, which is
only ever appended to.

Money-like numbers (points, fractions) are decimals, never floats: a total must add up exactly.
"""

import uuid
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from courses.assessments.grading import QuestionType
from courses.models import Cohort, Course


class QuestionKind(models.TextChoices):
    SINGLE = QuestionType.SINGLE, _("Single choice")
    MULTIPLE = QuestionType.MULTIPLE, _("Multiple choice")
    TRUE_FALSE = QuestionType.TRUE_FALSE, _("True or false")
    NUMERIC = QuestionType.NUMERIC, _("Numeric")
    SHORT_TEXT = QuestionType.SHORT_TEXT, _("Short answer")
    MATCHING = QuestionType.MATCHING, _("Matching")
    ORDERING = QuestionType.ORDERING, _("Ordering")
    ESSAY = QuestionType.ESSAY, _("Essay")


class Objective(models.Model):
    """A learning objective of a course ("add fractions with equal denominators"), named by a
    short code; questions are tagged with the objectives they test."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="objectives")
    code = models.SlugField(_("code"), max_length=60, allow_unicode=True)
    title = models.CharField(_("title"), max_length=200, blank=True)

    class Meta:
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("course", "code"), name="objective_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Question(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("type"), max_length=12, choices=QuestionKind.choices)
    title = models.CharField(_("name"), max_length=200)
    text_markdown = models.TextField(_("question"))
    text_html = models.TextField(editable=False)
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    general_feedback = models.TextField(_("feedback for everyone"), blank=True)
    objectives = models.ManyToManyField(Objective, blank=True, related_name="questions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("title", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(points__gt=0), name="question_points_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKey(models.Model):
    """An option (choice questions), an accepted answer (short text, numeric), a pair
    (matching: ``text`` → ``match``) or an item in its right place (ordering). Answer keys:
    never shown to a student before the assessment's reveal policy allows it."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="keys")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(_("text"), blank=True)
    match = models.CharField(_("matching answer"), max_length=500, blank=True)
    fraction = models.DecimalField(
        _("share of the points"),
        max_digits=6,
        decimal_places=5,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(-1)), MaxValueValidator(Decimal(1))],
    )
    feedback = models.TextField(_("feedback"), blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    tolerance = models.DecimalField(
        _("tolerance"), max_digits=20, decimal_places=6, default=Decimal(0)
    )

    class Meta:
        ordering = ("position", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(fraction__gte=-1, fraction__lte=1), name="key_fraction_in_range"
            ),
            models.CheckConstraint(condition=Q(tolerance__gte=0), name="key_tolerance_positive"),
        ]

    def __str__(self) -> str:
        return self.text or self.match or str(self.value)


# --- assessments of a class ------------------------------------------------------------------
class GradeCategory(models.Model):
    """A part of a class's final grade ("Quizzes 40%"): the weights of a class's categories
    are shares of its total."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="grade_categories")
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ("name", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("cohort", "name"), name="category_name_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="category_weight_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentKind(models.TextChoices):
    QUIZ = "quiz", _("Quiz")
    ASSIGNMENT = "assignment", _("Assignment")


class LatePolicy(models.TextChoices):
    NONE_ACCEPTED = "refuse", _("No late work")
    PENALTY = "penalty", _("A penalty per day late")


class RevealPolicy(models.TextChoices):
    AFTER_SUBMIT = "after_submit", _("After submitting")
    AFTER_DUE = "after_due", _("After the due time")
    NEVER = "never", _("Never")


class Assessment(models.Model):
    """A quiz or an assignment of a class. Times are instants (UTC in the database); the
    server's clock decides, never the client's."""

    # Graded work is a record: a class with assessments, an assessment with attempts or grades,
    # cannot be deleted by accident (the services refuse it with a message first).
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(_("type"), max_length=10, choices=AssessmentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    instructions_markdown = models.TextField(_("instructions"), blank=True)
    instructions_html = models.TextField(editable=False, blank=True)
    category = models.ForeignKey(
        GradeCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("grade category"),
    )
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, default=Decimal(0), editable=False
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    late_policy = models.CharField(
        _("late work"), max_length=8, choices=LatePolicy.choices, default=LatePolicy.NONE_ACCEPTED
    )
    late_penalty_percent = models.DecimalField(
        _("penalty per day late (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    reveal = models.CharField(
        _("show correct answers"),
        max_length=12,
        choices=RevealPolicy.choices,
        default=RevealPolicy.AFTER_DUE,
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), null=True, blank=True
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, validators=[MinValueValidator(1)]
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_options = models.BooleanField(_("shuffle options"), default=False)
    is_published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("due_at", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(opens_at__lte=F("due_at")),
                name="assessment_opens_before_due",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gte=F("due_at")),
                name="assessment_closes_after_due",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="assessment_at_least_one_attempt"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentQuestion(models.Model):
    """A quiz's slot: a chosen question of the course's bank, or ``random_count`` questions
    drawn for each attempt from those tagged ``random_objective``."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveIntegerField(default=0)
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    random_objective = models.ForeignKey(
        Objective, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    random_count = models.PositiveSmallIntegerField(default=0)
    # What each question of the slot is worth in this quiz (a drawn question's score is scaled
    # to it, so that every student's paper has the same total).
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ("position", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(question__isnull=False, random_objective__isnull=True, random_count=0)
                    | Q(question__isnull=True, random_objective__isnull=False, random_count__gte=1)
                ),
                name="slot_is_chosen_or_random",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}#{self.position}"


class RubricCriterion(models.Model):
    """What an assignment is graded on, and how many of its points each part is worth."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="rubric")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what earns the points"), blank=True)
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.title


# --- a student's work ------------------------------------------------------------------------
class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")  # waiting for the grading job or a teacher
    GRADED = "graded", _("Graded")


class Attempt(models.Model):
    """One try at a quiz (or the submission of an assignment). ``questions`` is the paper the
    student got: question ids in order, with each question's option order."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="attempts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(
        max_length=12, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS
    )
    questions = models.JSONField(default=list)
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)  # the time limit, capped at closing
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    late_days = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(_("your answer"), blank=True)  # an assignment's text submission
    # Marking by hand (essays of a quiz, an assignment against its rubric).
    feedback = models.TextField(_("feedback"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("assessment", "student", "number")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("assessment", "student", "number"), name="attempt_number_unique"
            ),
            # One attempt in progress per student and assessment, whatever two tabs do.
            models.UniqueConstraint(
                fields=("assessment", "student"),
                condition=Q(state="in_progress"),
                name="attempt_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.student_id}/{self.number}"


class Answer(models.Model):
    """A student's answer to one question of an attempt, saved as they go. ``revision`` grows
    with every save the client makes: a retried or late-arriving older save is not applied."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    response = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField()
    fraction = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    feedback = models.JSONField(default=list)
    teacher_comment = models.TextField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("attempt", "question"), name="answer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.question_id}"


def _submission_file_path(instance: "SubmissionFile", filename: str) -> str:
    # The stored name is random: nothing of the pupil's file name reaches the disk.
    return f"submissions/{instance.attempt_id}/{uuid.uuid4().hex}"


class SubmissionFile(models.Model):
    """A file handed in with an assignment (a photo of a notebook page, a PDF, a document, a
    recording). Its type is read from its bytes when it is uploaded, never from its name."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=_submission_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.original_name


class RubricScore(models.Model):
    """The points a teacher gave an assignment's submission on one criterion of its rubric."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="rubric_scores")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ("criterion__position", "criterion_id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("attempt", "criterion"), name="rubric_score_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="rubric_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.criterion_id}"


class GradeState(models.TextChoices):
    DRAFT = "draft", _("Not published")
    PUBLISHED = "published", _("Published")


class Grade(models.Model):
    """What counts for one student in one assessment. Changed only by the grading services,
    each change recorded in ``GradeChange``."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="grades")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grades"
    )
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=10, choices=GradeState.choices, default=GradeState.DRAFT)
    overridden = models.BooleanField(default=False)
    feedback = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("assessment", "student"), name="grade_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.student_id}"


class GradeSource(models.TextChoices):
    PERSON = "person", _("A teacher")
    GRADING = "grading", _("Automatic grading")
    IMPORT = "import", _("An import")
    OVERRIDE = "override", _("An override")


class GradeChange(models.Model):
    """One change to a grade: who (or which job), before, after, when, why. Rows are only ever
    added (the services never update or delete them; on PostgreSQL a trigger refuses it)."""

    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="changes")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=GradeSource.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    points_before = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    points_after = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    state_before = models.CharField(max_length=10, blank=True)
    state_after = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    attempt = models.ForeignKey(
        Attempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ("grade", "version")
        constraints: ClassVar = [
            # The chain of a grade's history: one row per version, none skipped twice.
            models.UniqueConstraint(
                fields=("grade", "version"), name="grade_change_version_unique"
            ),
            # A grading job's result is recorded once per attempt, however often it runs.
            models.UniqueConstraint(
                fields=("attempt",),
                condition=Q(source="grading"),
                name="grade_change_one_grading_per_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade_id} v{self.version}"
