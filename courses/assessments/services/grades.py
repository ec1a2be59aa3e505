"""Grades and their history. Every change to a grade goes through ``_grade_change``, which
writes the new value and appends one ``GradeChange`` row (who or which job, before, after,
when, why) in the same transaction, under a lock on the grade: the history is a chain with no
gap and no fork, whatever runs at the same time.

The automatic grading of an attempt (``attempt_autograde``, run by the Celery task) is
idempotent: it grades an attempt once; a re-delivered task finds it graded and changes nothing.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.assessments import grading, policies
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptState,
    Grade,
    GradeChange,
    GradeSource,
    GradeState,
    LatePolicy,
    Question,
)
from lms.accounts.models import User
from lms.errors import ApplicationError

HUNDRED = Decimal(100)


def _grade_locked(assessment: Assessment, student_id: int) -> Grade:
    try:
        with transaction.atomic():
            Grade.objects.get_or_create(assessment=assessment, student_id=student_id)
    except IntegrityError:
        pass  # created at the same moment by another transaction: lock that one
    return Grade.objects.select_for_update().get(assessment=assessment, student_id=student_id)


def _grade_change(
    grade: Grade,
    *,
    points: Decimal | None,
    source: str,
    by: User | None = None,
    reason: str = "",
    attempt: Attempt | None = None,
    overridden: bool | None = None,
    state: str | None = None,
) -> GradeChange | None:
    """Set the (locked) grade's points (and state) and record the change; nothing when nothing
    changes."""
    new_state = state or grade.state
    if (
        points == grade.points
        and new_state == grade.state
        and (overridden is None or overridden == grade.overridden)
    ):
        return None
    change = GradeChange(
        grade=grade,
        version=grade.version + 1,
        source=source,
        by=by,
        points_before=grade.points,
        points_after=points,
        state_before=grade.state,
        state_after=new_state,
        reason=reason,
        attempt=attempt,
        at=timezone.now(),
    )
    grade.points = points
    grade.state = new_state
    grade.version = change.version
    if overridden is not None:
        grade.overridden = overridden
    grade.save(update_fields=["points", "state", "version", "overridden", "updated_at"])
    change.save()
    return change


def _with_penalty(assessment: Assessment, points: Decimal, days: int) -> Decimal:
    if days <= 0 or assessment.late_policy != LatePolicy.PENALTY:
        return points
    share = max(Decimal(0), 1 - days * assessment.late_penalty_percent / HUNDRED)
    return (points * share).quantize(Decimal("0.01"))


@transaction.atomic
def attempt_autograde(*, attempt_id: int) -> Attempt | None:
    """Grade the automatically graded questions of a submitted attempt and update the
    student's grade (their best attempt, late penalty applied). An attempt that is gone, not
    submitted or already graded is left as it is. Essays wait for a teacher."""
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("assessment")
        .filter(pk=attempt_id, state=AttemptState.SUBMITTED, graded_at__isnull=True)
        .first()
    )
    if attempt is None:
        return None
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    questions = Question.objects.prefetch_related("keys").in_bulk(
        [item["question"] for item in attempt.questions]
    )
    keys_by_question = _keys(questions.values())
    total = Decimal(0)
    waiting_for_a_person = False
    for item in attempt.questions:
        question = questions[item["question"]]
        worth = Decimal(item["points"])
        answer = answers.get(question.pk)
        response = answer.response if answer is not None else {}
        outcome = grading.score(question.kind, keys_by_question[question.pk], response)
        if outcome is None:
            waiting_for_a_person = answer is not None
            continue
        earned = grading.points_for(outcome.fraction, worth)
        total += earned
        if answer is not None:
            answer.fraction, answer.points, answer.feedback = (
                outcome.fraction,
                earned,
                outcome.feedback,
            )
            answer.save(update_fields=["fraction", "points", "feedback"])
    attempt.score = total
    attempt.graded_at = timezone.now()
    if not waiting_for_a_person:
        attempt.state = AttemptState.GRADED
    attempt.save(update_fields=["score", "graded_at", "state"])
    if attempt.state == AttemptState.GRADED:
        _grade_from_attempts(
            attempt,
            source=GradeSource.GRADING,
            reason=_("Attempt %(number)s graded automatically.") % {"number": attempt.number},
        )
    return attempt


def _keys(questions: Iterable[Question]) -> dict[int, list[grading.Key]]:
    result: dict[int, list[grading.Key]] = {}
    for question in questions:
        result[question.pk] = [
            grading.Key(
                id=key.pk,
                text=key.text,
                fraction=key.fraction,
                feedback=key.feedback,
                match=key.match,
                value=key.value,
                tolerance=key.tolerance,
                position=key.position,
            )
            for key in question.keys.all()
        ]
    return result


def points_from_attempts(assessment: Assessment, student_id: int) -> Decimal | None:
    """What a pupil's fully graded attempts give, late penalty applied: the best attempt of a
    quiz, the latest marked submission of an assignment; None when none is graded. An attempt
    with essays or an assignment waiting for a teacher does not count yet."""
    graded = Attempt.objects.filter(
        assessment=assessment, student_id=student_id, state=AttemptState.GRADED
    ).order_by("number")
    scores = [
        _with_penalty(assessment, attempt.score or Decimal(0), attempt.late_days)
        for attempt in graded
    ]
    if not scores:
        return None
    return scores[-1] if assessment.kind == AssessmentKind.ASSIGNMENT else max(scores)


def _grade_from_attempts(
    attempt: Attempt, *, source: str, reason: str, by: User | None = None
) -> None:
    """Set the student's grade from their graded attempts, unless a teacher overrode it."""
    grade = _grade_locked(attempt.assessment, attempt.student_id)
    if grade.overridden:
        return  # a teacher's override stands until they lift it
    _grade_change(
        grade,
        points=points_from_attempts(attempt.assessment, attempt.student_id),
        source=source,
        by=by,
        reason=reason,
        attempt=attempt,
    )


@transaction.atomic
def grade_override(
    *, assessment: Assessment, student: User, by: User, points: Decimal | None, reason: str
) -> Grade:
    """A teacher sets a grade by hand (or, with ``points`` None, clears it), with a reason;
    the override stands against later automatic grading until it is changed again."""
    if not policies.can_manage_assessments(by, assessment.cohort):
        raise PermissionDenied
    if not reason.strip():
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"reason": [_("Say why the grade is changed.")]},
        )
    if points is not None and not Decimal(0) <= points <= assessment.points:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={
                "points": [_("Give between 0 and %(max)s points.") % {"max": assessment.points}]
            },
        )
    if not policies.is_enrolled(student, assessment.cohort):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"student": [_("This student is not in the class.")]},
        )
    grade = _grade_locked(assessment, student.pk)
    _grade_change(
        grade, points=points, source=GradeSource.OVERRIDE, by=by, reason=reason, overridden=True
    )
    return grade


@transaction.atomic
def grades_publish(*, assessment: Assessment, by: User) -> int:
    """Show the assessment's grades to its pupils (those graded so far; a grade given later
    is published with the next call). Returns how many were published."""
    if not policies.can_manage_assessments(by, assessment.cohort):
        raise PermissionDenied
    published = 0
    drafts = Grade.objects.select_for_update().filter(
        assessment=assessment, state=GradeState.DRAFT, points__isnull=False
    )
    for grade in drafts.order_by("pk"):
        _grade_change(
            grade,
            points=grade.points,
            source=GradeSource.PERSON,
            by=by,
            reason=_("Grades published."),
            state=GradeState.PUBLISHED,
        )
        published += 1
    return published
