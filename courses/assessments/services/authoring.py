"""A class's quizzes and assignments: built by the class's teachers from the course's bank."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from courses.assessments import policies
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentQuestion,
    GradeCategory,
    LatePolicy,
    Objective,
    Question,
    RevealPolicy,
    RubricCriterion,
)
from courses.content import markdown_to_safe_html
from courses.models import Cohort
from lms.accounts.models import User
from lms.errors import ApplicationError
from lms.writes import validated_save


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _times_check(opens_at: datetime | None, due_at: datetime, closes_at: datetime | None) -> None:
    if opens_at is not None and opens_at > due_at:
        raise _invalid({"opens_at": [_("An assessment opens before it is due.")]})
    if closes_at is not None and closes_at < due_at:
        raise _invalid({"closes_at": [_("An assessment closes at or after its due time.")]})


@transaction.atomic
def assessment_create(
    *,
    cohort: Cohort,
    by: User,
    kind: str,
    title: str,
    due_at: datetime,
    instructions_markdown: str = "",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    late_policy: str = LatePolicy.NONE_ACCEPTED,
    late_penalty_percent: Decimal = Decimal(0),
    reveal: str = RevealPolicy.AFTER_DUE,
    time_limit_minutes: int | None = None,
    max_attempts: int = 1,
    shuffle_questions: bool = False,
    shuffle_options: bool = False,
    category: GradeCategory | None = None,
    questions: list[dict[str, Any]] | None = None,
    rubric: list[dict[str, Any]] | None = None,
) -> Assessment:
    """A draft quiz or assignment. ``questions`` (quizzes): items ``{"question": id}`` or
    ``{"objective": code, "count": n}`` (drawn at random for each attempt), each with optional
    ``points``. ``rubric`` (assignments): items ``{"title", "description", "points"}``."""
    if not policies.can_manage_assessments(by, cohort):
        raise PermissionDenied
    _times_check(opens_at, due_at, closes_at)
    if category is not None and category.cohort_id != cohort.pk:
        raise _invalid({"category": [_("Choose a grade category of this class.")]})
    assessment = Assessment(
        cohort=cohort,
        kind=kind,
        title=title,
        instructions_markdown=instructions_markdown,
        instructions_html=markdown_to_safe_html(instructions_markdown),
        due_at=due_at,
        opens_at=opens_at,
        closes_at=closes_at,
        late_policy=late_policy,
        late_penalty_percent=late_penalty_percent,
        reveal=reveal,
        time_limit_minutes=time_limit_minutes,
        max_attempts=max_attempts,
        shuffle_questions=shuffle_questions,
        shuffle_options=shuffle_options,
        category=category,
        created_by=by,
    )
    validated_save(assessment)
    if kind == AssessmentKind.QUIZ:
        if rubric:
            raise _invalid({"rubric": [_("A quiz is graded by its questions, not a rubric.")]})
        assessment.points = _slots_write(assessment, questions or [])
    else:
        if questions:
            raise _invalid({"questions": [_("An assignment has a rubric, not questions.")]})
        assessment.points = _rubric_write(assessment, rubric or [])
    assessment.save(update_fields=["points"])
    return assessment


def _slots_write(assessment: Assessment, items: list[dict[str, Any]]) -> Decimal:
    if not items:
        raise _invalid({"questions": [_("Add at least one question.")]})
    course_id = assessment.cohort.course_id
    bank = {question.pk: question for question in Question.objects.filter(course_id=course_id)}
    total = Decimal(0)
    slots = []
    for position, item in enumerate(items):
        points = item.get("points")
        if item.get("question") is not None:
            question = bank.get(int(item["question"]))
            if question is None:
                raise _invalid({"questions": [_("Choose questions of this course's bank.")]})
            slot = AssessmentQuestion(
                assessment=assessment,
                position=position,
                question=question,
                points=Decimal(points) if points is not None else question.points,
            )
            total += slot.points
        else:
            objective = Objective.objects.filter(
                course_id=course_id, code=item.get("objective") or ""
            ).first()
            count = int(item.get("count") or 0)
            if objective is None or count < 1:
                raise _invalid(
                    {
                        "questions": [
                            _("A random draw needs an objective of the course and a count.")
                        ]
                    }
                )
            available = objective.questions.count()
            if available < count:
                raise _invalid(
                    {
                        "questions": [
                            _("Only %(available)s questions test “%(code)s”.")
                            % {"available": available, "code": objective.code}
                        ]
                    }
                )
            slot = AssessmentQuestion(
                assessment=assessment,
                position=position,
                random_objective=objective,
                random_count=count,
                points=Decimal(points) if points is not None else Decimal(1),
            )
            total += slot.points * count
        slot.full_clean(exclude=["assessment"])
        slots.append(slot)
    AssessmentQuestion.objects.bulk_create(slots)
    return total


def _rubric_write(assessment: Assessment, items: list[dict[str, Any]]) -> Decimal:
    if not items:
        raise _invalid({"rubric": [_("Add at least one criterion to grade on.")]})
    criteria = [
        RubricCriterion(
            assessment=assessment,
            position=position,
            title=str(item.get("title") or ""),
            description=str(item.get("description") or ""),
            points=Decimal(item.get("points") or 0),
        )
        for position, item in enumerate(items)
    ]
    for criterion in criteria:
        if not criterion.title or criterion.points <= 0:
            raise _invalid({"rubric": [_("Each criterion needs a title and its points.")]})
    RubricCriterion.objects.bulk_create(criteria)
    return sum((criterion.points for criterion in criteria), Decimal(0))


@transaction.atomic
def assessment_publish(*, assessment: Assessment, by: User, published: bool = True) -> Assessment:
    if not policies.can_manage_assessments(by, assessment.cohort):
        raise PermissionDenied
    assessment.is_published = published
    assessment.save(update_fields=["is_published"])
    return assessment


@transaction.atomic
def grade_category_create(*, cohort: Cohort, by: User, name: str, weight: Decimal) -> GradeCategory:
    """A part of the class's final grade; the weights of a class's categories add up to at
    most 100%."""
    if not policies.can_manage_assessments(by, cohort):
        raise PermissionDenied
    # Lock the class: two categories added at once must not together pass 100%.
    Cohort.objects.select_for_update().filter(pk=cohort.pk).values_list("pk").first()
    used = sum(
        (category.weight for category in GradeCategory.objects.filter(cohort=cohort)), Decimal(0)
    )
    if used + weight > 100:
        message = _("The class's categories would weigh more than 100%% (%(used)s%% used).")
        raise _invalid({"weight": [message % {"used": used}]})
    category = GradeCategory(cohort=cohort, name=name, weight=weight)
    validated_save(category, unique_error_field="name")
    return category
