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

from courses.assessments import grading, notices, policies
from courses.assessments.models import (
    Answer,
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
    submitted or already graded is left as it is. Essays wait for a teacher.

    A class hands in at once, and every query is a round trip: the answers are read in one
    query and written back in one per distinct outcome, not one per question."""
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("assessment")
        .filter(
            pk=attempt_id,
            state=AttemptState.SUBMITTED,
            graded_at__isnull=True,
            assessment__kind=AssessmentKind.QUIZ,  # an assignment is marked by a person
        )
        .first()
    )
    if attempt is None:
        return None
    answers = {
        question_id: (pk, response)
        for question_id, pk, response in Answer.objects.filter(attempt=attempt).values_list(
            "question_id", "pk", "response"
        )
    }
    kinds, keys_by_question = _keys([item["question"] for item in attempt.questions])
    total = Decimal(0)
    waiting_for_a_person = False
    # Answers with the same outcome (most are simply right or wrong) are written by one UPDATE:
    # a few queries for a quiz rather than one per question.
    outcomes: dict[tuple[Decimal, Decimal, tuple[str, ...]], list[int]] = {}
    for item in attempt.questions:
        question_id = item["question"]
        answer = answers.get(question_id)
        response = answer[1] if answer is not None else {}
        outcome = grading.score(kinds[question_id], keys_by_question[question_id], response)
        if outcome is None:
            # An answered essay waits for the teacher, whatever the other essays hold.
            waiting_for_a_person = waiting_for_a_person or answer is not None
            continue
        earned = grading.points_for(outcome.fraction, Decimal(item["points"]))
        total += earned
        if answer is not None:
            key = (outcome.fraction, earned, tuple(outcome.feedback))
            outcomes.setdefault(key, []).append(answer[0])
    for (fraction, points, feedback), answer_ids in outcomes.items():
        Answer.objects.filter(pk__in=answer_ids).update(
            fraction=fraction, points=points, feedback=list(feedback)
        )
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


def _keys(question_ids: Iterable[int]) -> tuple[dict[int, str], dict[int, list[grading.Key]]]:
    """The questions' kinds and answer keys (in their order), in one query."""
    kinds: dict[int, str] = {}
    keys: dict[int, list[grading.Key]] = {}
    rows = (
        Question.objects.filter(pk__in=list(question_ids))
        .order_by("keys__position", "keys__pk")
        .values_list(
            "pk",
            "kind",
            "keys__pk",
            "keys__text",
            "keys__fraction",
            "keys__feedback",
            "keys__match",
            "keys__value",
            "keys__tolerance",
            "keys__position",
        )
    )
    for question_id, kind, pk, text, fraction, feedback, match, value, tolerance, position in rows:
        kinds[question_id] = kind
        question_keys = keys.setdefault(question_id, [])
        if pk is None:
            continue  # an essay: no keys
        question_keys.append(
            grading.Key(
                id=pk,
                text=text,
                fraction=fraction,
                feedback=feedback,
                match=match,
                value=value,
                tolerance=tolerance,
                position=position,
            )
        )
    return kinds, keys


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
    published = []
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
        published.append(grade.student_id)
    notices.grade_published(assessment=assessment, students=published)
    return len(published)
