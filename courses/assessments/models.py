"""Question banks, quizzes and assignments, attempts and answers, grades and their history.

A course keeps a bank of questions, tagged with the learning objectives they test. A class
(``courses.Cohort``) gets assessments: quizzes drawn from its course's bank, and assignments
graded by hand against a rubric. A student's attempt holds their answers; a grade per student
and assessment holds what counts, and every change to it is kept in ``GradeChange``, which is
only ever appended to.

Money-like numbers (points, fractions) are decimals, never floats: a total must add up exactly.
"""

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.assessments.grading import QuestionType
from courses.models import Course


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
