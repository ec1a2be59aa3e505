"""Reads of assessments, scoped to the reader.

What a student may see of their own attempt is decided here, once (``attempt_for_student``):
the questions as they were given (texts and options, never which option is right), and only
when the assessment's reveal policy allows it, the score, the points and feedback per
question and the right answers.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from courses.assessments import policies
from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    Assessment,
    Attempt,
    AttemptState,
    Grade,
    GradeState,
    Objective,
    Question,
    QuestionKey,
    RevealPolicy,
)
from courses.models import Cohort, Course


def question_list_for_course(*, course: Course, user: Any) -> QuerySet[Question]:
    """The course's bank, keys and objectives loaded, for those who may read it; else empty."""
    if not policies.can_view_bank(user, course):
        return Question.objects.none()
    return Question.objects.filter(course=course).prefetch_related(
        Prefetch("keys", queryset=QuestionKey.objects.order_by("position", "pk")),
        Prefetch("objectives", queryset=Objective.objects.order_by("code")),
    )


def objective_list_for_course(*, course: Course, user: Any) -> QuerySet[Objective]:
    if not policies.can_view_bank(user, course):
        return Objective.objects.none()
    return Objective.objects.filter(course=course)


def assessment_list_for_cohort(*, cohort: Cohort, user: Any) -> QuerySet[Assessment]:
    """Teachers of the class see every assessment, drafts too; its pupils the published ones."""
    assessments = Assessment.objects.filter(cohort=cohort).select_related("cohort")
    if policies.can_manage_assessments(user, cohort):
        return assessments
    if policies.is_enrolled(user, cohort):
        return assessments.filter(is_published=True)
    return assessments.none()


def assessment_visible(*, user: Any, assessment_id: int) -> Assessment | None:
    assessment = (
        Assessment.objects.select_related("cohort__course", "cohort__term__school")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        return None
    if policies.can_manage_assessments(user, assessment.cohort):
        return assessment
    if assessment.is_published and policies.is_enrolled(user, assessment.cohort):
        return assessment
    return None


def revealed(attempt: Attempt, now: datetime | None = None) -> bool:
    """May the student see the right answers and their score for this attempt now?"""
    if attempt.state != AttemptState.GRADED and attempt.graded_at is None:
        return False
    reveal = attempt.assessment.reveal
    if reveal == RevealPolicy.AFTER_SUBMIT:
        return True
    if reveal == RevealPolicy.AFTER_DUE:
        return (now or timezone.now()) >= attempt.assessment.due_at
    return False


def attempt_for_student(*, attempt: Attempt, now: datetime | None = None) -> dict[str, Any]:
    """The student's own attempt as they may see it now (see the module's docstring)."""
    show = revealed(attempt, now)
    questions = Question.objects.in_bulk([item["question"] for item in attempt.questions])
    keys = {
        key.pk: key
        for key in QuestionKey.objects.filter(question_id__in=list(questions)).order_by("pk")
    }
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    items = []
    for item in attempt.questions:
        question = questions[item["question"]]
        answer = answers.get(question.pk)
        shown_keys = [keys[pk] for pk in item["keys"] if pk in keys]
        entry: dict[str, Any] = {
            "id": question.pk,
            "kind": question.kind,
            "text_html": question.text_html,
            "points": item["points"],
            "options": _options(question.kind, shown_keys),
            "response": answer.response if answer is not None else None,
            "revision": answer.revision if answer is not None else 0,
        }
        if show:
            entry["result"] = {
                "points": str(answer.points) if answer and answer.points is not None else None,
                "feedback": answer.feedback if answer is not None else [],
                "general_feedback": question.general_feedback,
                "right_answers": _right_answers(question.kind, shown_keys),
            }
        items.append(entry)
    assessment = attempt.assessment
    return {
        "id": attempt.pk,
        "assessment": assessment.pk,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at,
        "ends_at": attempt.ends_at,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "late_days": attempt.late_days,
        "points_possible": str(sum((Decimal(i["points"]) for i in attempt.questions), Decimal(0))),
        "score": str(attempt.score) if show and attempt.score is not None else None,
        "revealed": show,
        "questions": items,
    }


def _options(kind: str, keys: list[QuestionKey]) -> list[dict[str, Any]]:
    """What a student is shown to answer with: never a fraction, a value or which is right."""
    if kind in (
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.TRUE_FALSE,
        QuestionType.ORDERING,
    ):
        return [{"id": key.pk, "text": key.text} for key in keys]
    if kind == QuestionType.MATCHING:
        answers = sorted({key.match for key in keys})  # not in the prompts' order
        return [{"id": key.pk, "text": key.text, "choices": answers} for key in keys]
    return []  # numeric, short text, essay: typed in


def _right_answers(kind: str, keys: list[QuestionKey]) -> list[dict[str, Any]]:
    if kind == QuestionType.MATCHING:
        return [{"id": key.pk, "text": key.text, "match": key.match} for key in keys]
    if kind == QuestionType.ORDERING:
        ordered = sorted(keys, key=lambda key: (key.position, key.pk))
        return [{"id": key.pk, "text": key.text} for key in ordered]
    if kind == QuestionType.NUMERIC:
        return [
            {"value": str(key.value), "tolerance": str(key.tolerance)}
            for key in keys
            if key.fraction == 1
        ]
    return [{"id": key.pk, "text": key.text} for key in keys if key.fraction > 0]


def grades_for_student(*, cohort: Cohort, student: Any) -> list[dict[str, Any]]:
    """A pupil's own grades in a class: every published assessment, with the points only once
    the teacher has published them (never a draft grade, never another pupil's)."""
    if not policies.is_enrolled(student, cohort):
        return []
    assessments = Assessment.objects.filter(cohort=cohort, is_published=True).order_by(
        "due_at", "pk"
    )
    published = {
        grade.assessment_id: grade
        for grade in Grade.objects.filter(
            assessment__cohort=cohort, student_id=student.pk, state=GradeState.PUBLISHED
        )
    }
    return [
        {
            "assessment": assessment.pk,
            "title": assessment.title,
            "kind": assessment.kind,
            "due_at": assessment.due_at,
            "points_possible": assessment.points,
            "points": published[assessment.pk].points if assessment.pk in published else None,
            "published": assessment.pk in published,
        }
        for assessment in assessments
    ]
