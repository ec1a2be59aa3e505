"""Reads of assessments, scoped to the reader.

What a student may see of their own attempt is decided here, once (``attempt_for_student``):
the questions as they were given (texts and options, never which option is right), and only
when the assessment's reveal policy allows it, the score, the points and feedback per
question and the right answers.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from courses.assessments import policies
from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
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


def attempt_own(*, user: Any, attempt_id: int) -> Attempt | None:
    """A pupil's own attempt, while they may still take the assessment: not once it is
    withdrawn (unpublished) or they have left the class. Anyone else's is None."""
    if not user.is_authenticated:
        return None
    attempt = (
        Attempt.objects.select_related("assessment__cohort")
        .filter(pk=attempt_id, student_id=user.pk)
        .first()
    )
    if attempt is None or not policies.can_take(user, attempt.assessment):
        return None
    return attempt


def revealed(attempt: Attempt, now: datetime | None = None) -> bool:
    """May the student see the right answers, their marks and feedback for this attempt now?
    A quiz follows its reveal policy once graded; a marked assignment once its grade is
    published."""
    assessment = attempt.assessment
    if assessment.kind == AssessmentKind.ASSIGNMENT:
        return (
            attempt.state == AttemptState.GRADED
            and Grade.objects.filter(
                assessment_id=assessment.pk,
                student_id=attempt.student_id,
                state=GradeState.PUBLISHED,
            ).exists()
        )
    if attempt.state != AttemptState.GRADED and attempt.graded_at is None:
        return False
    if assessment.reveal == RevealPolicy.AFTER_SUBMIT:
        return True
    if assessment.reveal == RevealPolicy.AFTER_DUE:
        return (now or timezone.now()) >= assessment.due_at
    return False


def _files(attempt: Attempt) -> list[dict[str, Any]]:
    return [
        {
            "id": item.pk,
            "name": item.original_name,
            "content_type": item.content_type,
            "size": item.size,
            "download_url": reverse("api:submission-file-download", args=[item.pk]),
        }
        for item in attempt.files.all()
    ]


def _rubric(attempt: Attempt, *, with_marks: bool) -> list[dict[str, Any]]:
    scores = {score.criterion_id: score for score in attempt.rubric_scores.all()}
    rows = []
    for criterion in attempt.assessment.rubric.all():
        row: dict[str, Any] = {
            "id": criterion.pk,
            "title": criterion.title,
            "description": criterion.description,
            "points_possible": str(criterion.points),
        }
        if with_marks:
            score = scores.get(criterion.pk)
            row["points"] = str(score.points) if score is not None else None
            row["comment"] = score.comment if score is not None else ""
        rows.append(row)
    return rows


def _points_possible(attempt: Attempt) -> str:
    if attempt.assessment.kind == AssessmentKind.ASSIGNMENT:
        return str(attempt.assessment.points)
    return str(sum((Decimal(i["points"]) for i in attempt.questions), Decimal(0)))


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
                "comment": answer.teacher_comment if answer is not None else "",
                "general_feedback": question.general_feedback,
                "right_answers": _right_answers(question.kind, shown_keys),
            }
        items.append(entry)
    assessment = attempt.assessment
    graded = attempt.state == AttemptState.GRADED
    assignment = assessment.kind == AssessmentKind.ASSIGNMENT
    return {
        "id": attempt.pk,
        "assessment": assessment.pk,
        "kind": assessment.kind,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at,
        "ends_at": attempt.ends_at,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "late_days": attempt.late_days,
        "points_possible": _points_possible(attempt),
        "score": str(attempt.score) if show and graded and attempt.score is not None else None,
        "revealed": show,
        "feedback": attempt.feedback if show else "",
        "text": attempt.text,
        "files": _files(attempt) if assignment else [],
        "rubric": _rubric(attempt, with_marks=show) if assignment else [],
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


# --- marking by hand -------------------------------------------------------------------------
MARKING_ROW_FIELDS = (
    "pk",
    "number",
    "submitted_at",
    "late_days",
    "auto_submitted",
    "assessment_id",
    "assessment__title",
    "assessment__kind",
    "assessment__cohort_id",
    "assessment__cohort__name",
    "student_id",
    "student__username",
    "student__first_name",
    "student__last_name",
)


def _marking_row(row: dict[str, Any]) -> dict[str, Any]:
    name = f"{row['student__first_name']} {row['student__last_name']}".strip()
    return {
        "attempt": row["pk"],
        "number": row["number"],
        "submitted_at": row["submitted_at"],
        "late_days": row["late_days"],
        "auto_submitted": row["auto_submitted"],
        "assessment": {
            "id": row["assessment_id"],
            "title": row["assessment__title"],
            "kind": row["assessment__kind"],
        },
        "class": {"id": row["assessment__cohort_id"], "name": row["assessment__cohort__name"]},
        "student": {"id": row["student_id"], "name": name or row["student__username"]},
    }


def marking_queue(*, cohorts: QuerySet[Cohort]) -> list[dict[str, Any]]:
    """Work waiting for a teacher in these classes, oldest hand-in first: submitted
    assignments, and quiz attempts whose essays wait once the grading job has done the rest.
    One query."""
    rows = (
        Attempt.objects.filter(assessment__cohort__in=cohorts, state=AttemptState.SUBMITTED)
        .filter(Q(assessment__kind=AssessmentKind.ASSIGNMENT) | Q(graded_at__isnull=False))
        .order_by("submitted_at", "pk")
        .values(*MARKING_ROW_FIELDS)
    )
    return [_marking_row(row) for row in rows]


def cohorts_taught(*, user: Any) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    return Cohort.objects.filter(teachers=user)


def submissions_for_assessment(*, assessment: Assessment) -> list[dict[str, Any]]:
    """Every handed-in attempt of an assessment, for its teachers: who, when, marked or not,
    the score. One query."""
    rows = (
        Attempt.objects.filter(assessment=assessment)
        .exclude(state=AttemptState.IN_PROGRESS)
        .order_by("student__last_name", "student__first_name", "student_id", "number")
        .values(*MARKING_ROW_FIELDS, "state", "score", "marked_at")
    )
    return [
        {
            **_marking_row(row),
            "state": row["state"],
            "score": str(row["score"]) if row["score"] is not None else None,
            "marked_at": row["marked_at"],
        }
        for row in rows
    ]


def attempt_to_mark(*, user: Any, attempt_id: int) -> Attempt | None:
    """A handed-in attempt of a class the reader teaches (or the platform administrator);
    None for anything else, an attempt in progress included."""
    attempt = (
        Attempt.objects.select_related("assessment__cohort", "student")
        .filter(pk=attempt_id)
        .exclude(state=AttemptState.IN_PROGRESS)
        .first()
    )
    if attempt is None or not policies.can_manage_assessments(user, attempt.assessment.cohort):
        return None
    return attempt


def attempt_for_marking(*, attempt: Attempt) -> dict[str, Any]:
    """A handed-in attempt as its teacher marks it: the pupil's answers with the right ones,
    the automatic points, the essays and rubric with the marks given so far."""
    assessment = attempt.assessment
    questions = Question.objects.prefetch_related(
        Prefetch("keys", queryset=QuestionKey.objects.order_by("position", "pk"))
    ).in_bulk([item["question"] for item in attempt.questions])
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    items = []
    for item in attempt.questions:
        question = questions[item["question"]]
        answer = answers.get(question.pk)
        keys = list(question.keys.all())
        shown = {key.pk: key for key in keys}
        items.append(
            {
                "id": question.pk,
                "kind": question.kind,
                "title": question.title,
                "text_html": question.text_html,
                "points_possible": item["points"],
                "options": _options(
                    question.kind, [shown[pk] for pk in item["keys"] if pk in shown]
                ),
                "response": answer.response if answer is not None else None,
                "points": str(answer.points) if answer and answer.points is not None else None,
                "feedback": answer.feedback if answer is not None else [],
                "comment": answer.teacher_comment if answer is not None else "",
                "right_answers": _right_answers(question.kind, keys),
                "marked_by_hand": question.kind == QuestionType.ESSAY,
            }
        )
    student = attempt.student
    return {
        "id": attempt.pk,
        "assessment": {
            "id": assessment.pk,
            "title": assessment.title,
            "kind": assessment.kind,
            "points": str(assessment.points),
            "cohort": assessment.cohort_id,
        },
        "student": {"id": student.pk, "name": str(student)},
        "number": attempt.number,
        "state": attempt.state,
        "submitted_at": attempt.submitted_at,
        "late_days": attempt.late_days,
        "auto_submitted": attempt.auto_submitted,
        "graded_at": attempt.graded_at,
        "score": str(attempt.score) if attempt.score is not None else None,
        "points_possible": _points_possible(attempt),
        "feedback": attempt.feedback,
        "marked_at": attempt.marked_at,
        "text": attempt.text,
        "files": _files(attempt),
        "rubric": _rubric(attempt, with_marks=True),
        "questions": items,
    }
