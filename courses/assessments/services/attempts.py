"""A student's attempts: start, save answers as they go, submit (or be submitted when time runs
out). Every time is the server's: a client's clock never decides what is on time.

An attempt's deadline is the earliest of its time limit, the assessment's closing time, and
(when late work is not accepted) its due time. An attempt found past its deadline is
submitted as of that deadline, with the answers saved before it.
"""

import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.assessments import policies
from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    Answer,
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptState,
    LatePolicy,
    Question,
)
from lms.accounts.models import User
from lms.errors import ApplicationError

SHUFFLED_KINDS = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.ORDERING)


# What a response to each type of question holds (``response_check`` makes sure it does).
RESPONSE_FIELDS: dict[str, tuple[str, ...]] = {
    QuestionType.SINGLE: ("option",),
    QuestionType.TRUE_FALSE: ("option",),
    QuestionType.MULTIPLE: ("options",),
    QuestionType.NUMERIC: ("value",),
    QuestionType.SHORT_TEXT: ("text",),
    QuestionType.ESSAY: ("text",),
    QuestionType.MATCHING: ("pairs",),
    QuestionType.ORDERING: ("order",),
}


def _refuse(code: str, message: str, status_code: int = 409) -> ApplicationError:
    return ApplicationError(code, message, status_code=status_code)


def deadline_of(attempt: Attempt) -> datetime | None:
    assessment = attempt.assessment
    limits = [attempt.ends_at, assessment.closes_at]
    if assessment.late_policy == LatePolicy.NONE_ACCEPTED:
        limits.append(assessment.due_at)
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


def late_days(assessment: Assessment, submitted_at: datetime) -> int:
    """Whole days (started) after the due time; 0 when on time."""
    late = submitted_at - assessment.due_at
    return math.ceil(late / timedelta(days=1)) if late > timedelta(0) else 0


def _paper(assessment: Assessment, seed: int) -> list[dict[str, Any]]:
    """The questions of one attempt, in order, each with its points and (shuffled or not) the
    order of its keys."""
    chooser = random.Random(seed)  # noqa: S311 - shuffling a quiz, not a secret
    items: list[dict[str, Any]] = []
    slots = list(assessment.slots.select_related("random_objective"))
    chosen_ids = {slot.question_id for slot in slots if slot.question_id}
    for slot in slots:
        if slot.question_id:
            items.append({"question": slot.question_id, "points": str(slot.points)})
            continue
        objective = slot.random_objective
        if objective is None:  # the database's check makes every slot chosen or random
            continue
        pool = sorted(
            pk for pk in objective.questions.values_list("pk", flat=True) if pk not in chosen_ids
        )
        drawn = chooser.sample(pool, min(slot.random_count, len(pool)))
        chosen_ids.update(drawn)
        items.extend({"question": pk, "points": str(slot.points)} for pk in drawn)
    if assessment.shuffle_questions:
        chooser.shuffle(items)
    questions = Question.objects.prefetch_related("keys").in_bulk(
        [item["question"] for item in items]
    )
    for item in items:
        question = questions[item["question"]]
        keys = [key.pk for key in question.keys.all()]
        if assessment.shuffle_options and question.kind in SHUFFLED_KINDS:
            chooser.shuffle(keys)
        elif question.kind == QuestionType.ORDERING:
            chooser.shuffle(keys)  # showing the items in their right order would give it away
        item["keys"] = keys
    return items


def attempts_taken(assessment: Assessment, student: User, now: datetime) -> int:
    """How many attempts (hand-ins) the student has made, once it is sure they may make
    another now: the assessment is open, not closed, not past due when late work is refused,
    and attempts are left. The server's clock decides."""
    quiz = assessment.kind == AssessmentKind.QUIZ
    if assessment.opens_at is not None and now < assessment.opens_at:
        raise _refuse(
            "not_open",
            _("This quiz is not open yet.") if quiz else _("This assignment is not open yet."),
        )
    if assessment.closes_at is not None and now >= assessment.closes_at:
        raise _refuse(
            "closed", _("This quiz is closed.") if quiz else _("This assignment is closed.")
        )
    if assessment.late_policy == LatePolicy.NONE_ACCEPTED and now >= assessment.due_at:
        raise _refuse(
            "past_due",
            _("This quiz was due and late work is not accepted.")
            if quiz
            else _("This assignment was due and late work is not accepted."),
        )
    done = Attempt.objects.filter(assessment=assessment, student=student).count()
    if done >= assessment.max_attempts:
        raise _refuse(
            "no_attempts_left",
            _("You have used all your attempts.")
            if quiz
            else _("You have used all your hand-ins."),
        )
    return done


def attempt_start(*, assessment: Assessment, student: User) -> Attempt:
    """The student's attempt in progress (resumed), or a new one if the rules allow it."""
    if not policies.can_take(student, assessment):
        raise PermissionDenied
    if assessment.kind != AssessmentKind.QUIZ:
        raise _refuse("not_a_quiz", _("An assignment is handed in, not attempted."), 400)
    # An attempt whose time ran out is handed in (and that is kept) before anything is refused.
    with transaction.atomic():
        now = timezone.now()
        current = (
            Attempt.objects.select_for_update()
            .select_related("assessment")
            .filter(assessment=assessment, student=student, state=AttemptState.IN_PROGRESS)
            .first()
        )
        if current is not None:
            if not _expired(current, now):
                return current
            _submit(current, now, auto=True)
    return _attempt_new(assessment=assessment, student=student)


@transaction.atomic
def _attempt_new(*, assessment: Assessment, student: User) -> Attempt:
    now = timezone.now()
    done = attempts_taken(assessment, student, now)
    ends_at = None
    if assessment.time_limit_minutes:
        ends_at = now + timedelta(minutes=assessment.time_limit_minutes)
    attempt = Attempt(
        assessment=assessment,
        student=student,
        number=done + 1,
        started_at=now,
        ends_at=ends_at,
        questions=_paper(assessment, seed=random.SystemRandom().randrange(2**31)),
    )
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # Another tab started one at the same moment: that one is the attempt.
        return Attempt.objects.get(
            assessment=assessment, student=student, state=AttemptState.IN_PROGRESS
        )
    return attempt


def _expired(attempt: Attempt, now: datetime) -> bool:
    deadline = deadline_of(attempt)
    return deadline is not None and now >= deadline


def _submit(attempt: Attempt, now: datetime, *, auto: bool) -> Attempt:
    from courses.assessments import tasks  # the task calls these services

    deadline = deadline_of(attempt)
    submitted_at = min(now, deadline) if deadline is not None else now
    attempt.state = AttemptState.SUBMITTED
    attempt.submitted_at = submitted_at
    attempt.auto_submitted = auto
    attempt.late_days = late_days(attempt.assessment, submitted_at)
    attempt.save(update_fields=["state", "submitted_at", "auto_submitted", "late_days"])
    attempt_id = attempt.pk
    transaction.on_commit(lambda: tasks.attempt_grade.delay(attempt_id=attempt_id))
    return attempt


@transaction.atomic
def attempt_submit(*, attempt: Attempt, student: User) -> Attempt:
    """Hand the attempt in. Submitting twice changes nothing."""
    attempt = Attempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
    if attempt.student_id != student.pk or not policies.can_take(student, attempt.assessment):
        raise PermissionDenied
    if attempt.state != AttemptState.IN_PROGRESS:
        return attempt
    now = timezone.now()
    return _submit(attempt, now, auto=_expired(attempt, now))


def attempts_expired_submit(*, now: datetime | None = None, limit: int = 500) -> int:
    """Submit attempts whose time ran out while nobody was looking (the student closed the
    phone): run by a periodic job, in bounded batches. Returns how many were submitted."""
    now = now or timezone.now()
    count = 0
    candidates = Attempt.objects.filter(state=AttemptState.IN_PROGRESS).select_related(
        "assessment"
    )[:limit]
    for attempt in candidates:
        if not _expired(attempt, now):
            continue
        with transaction.atomic():
            locked = (
                Attempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
            )
            if locked.state == AttemptState.IN_PROGRESS and _expired(locked, now):
                _submit(locked, now, auto=True)
                count += 1
    return count


def answer_save(
    *, attempt: Attempt, student: User, question_id: int, response: dict[str, Any], revision: int
) -> Answer:
    """Save one answer. ``revision`` counts the client's saves of this answer: a save with a
    revision not above the stored one (a retry, or an older save arriving late) changes
    nothing. After the deadline nothing is saved and the attempt is handed in (that is kept,
    then the save is refused)."""
    saved = _answer_save(
        attempt=attempt,
        student=student,
        question_id=question_id,
        response=response,
        revision=revision,
    )
    if saved is None:
        raise _refuse("time_is_up", _("Time is up: your attempt was handed in."))
    return saved


@transaction.atomic
def _answer_save(
    *, attempt: Attempt, student: User, question_id: int, response: dict[str, Any], revision: int
) -> Answer | None:
    attempt = Attempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
    if attempt.student_id != student.pk or not policies.can_take(student, attempt.assessment):
        raise PermissionDenied
    if attempt.state != AttemptState.IN_PROGRESS:
        raise _refuse("submitted", _("This attempt has been handed in."))
    now = timezone.now()
    if _expired(attempt, now):
        _submit(attempt, now, auto=True)
        return None
    paper = {item["question"]: item for item in attempt.questions}
    if question_id not in paper:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"question": [_("This question is not in your attempt.")]},
        )
    question = Question.objects.get(pk=question_id)
    response_check(question, paper[question_id]["keys"], response)
    # Only what answers the question is kept: anything else a client sends is dropped.
    response = {name: response[name] for name in RESPONSE_FIELDS[question.kind]}
    answer = Answer.objects.select_for_update().filter(attempt=attempt, question=question).first()
    if answer is None:
        return Answer.objects.create(
            attempt=attempt, question=question, response=response, revision=revision, saved_at=now
        )
    if revision <= answer.revision:
        return answer
    answer.response, answer.revision, answer.saved_at = response, revision, now
    answer.save(update_fields=["response", "revision", "saved_at"])
    return answer


def _holds_nul(value: Any) -> bool:
    """Does any text in the response hold a NUL character (which PostgreSQL cannot store)?"""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def response_check(question: Question, key_ids: list[int], response: dict[str, Any]) -> None:
    """Refuse a response that is not an answer to this question (a field error, never a 500):
    option ids must be the question's own."""

    def bad(message: str) -> ApplicationError:
        return ApplicationError(
            "invalid", _("Some fields are not valid."), fields={"response": [message]}
        )

    kind = question.kind
    ids = set(key_ids)
    if _holds_nul(response):
        raise bad(_("The text holds a character that cannot be stored."))
    if kind in (QuestionType.SINGLE, QuestionType.TRUE_FALSE):
        option = response.get("option")
        if not isinstance(option, int) or option not in ids:
            raise bad(_("Choose one of the options."))
    elif kind == QuestionType.MULTIPLE:
        chosen = response.get("options")
        if (
            not isinstance(chosen, list)
            or not all(isinstance(item, int) for item in chosen)
            or not set(chosen) <= ids
        ):
            raise bad(_("Choose among the options."))
    elif kind == QuestionType.NUMERIC:
        if not isinstance(response.get("value"), str) or len(response["value"]) > 50:
            raise bad(_("Write a number."))
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.ESSAY):
        limit = 50_000 if kind == QuestionType.ESSAY else 500
        if not isinstance(response.get("text"), str) or len(response["text"]) > limit:
            raise bad(_("Write your answer (at most %(limit)s characters).") % {"limit": limit})
    elif kind == QuestionType.MATCHING:
        pairs = response.get("pairs")
        if not isinstance(pairs, dict) or not all(
            isinstance(value, str)
            and len(value) <= 500
            and key.isascii()
            and key.isdigit()
            and len(key) <= 18
            and int(key) in ids
            for key, value in pairs.items()
        ):
            raise bad(_("Match each prompt with one of the answers."))
    elif kind == QuestionType.ORDERING:
        order = response.get("order")
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(map(str, ids)):
            raise bad(_("Put every item in order."))


def attempts_ungraded_requeue(*, older_than: timedelta, limit: int = 500) -> int:
    """Enqueue grading again for attempts submitted more than ``older_than`` ago and still not
    graded. The broker can lose a task (a worker killed between taking it from Redis and
    recording it as unacknowledged); grading is idempotent, so asking twice is harmless.
    Run by a periodic job. Returns how many were enqueued."""
    from courses.assessments import tasks  # the task calls these services

    cutoff = timezone.now() - older_than
    stale = Attempt.objects.filter(
        state=AttemptState.SUBMITTED,
        graded_at__isnull=True,
        submitted_at__lt=cutoff,
        assessment__kind=AssessmentKind.QUIZ,  # an assignment waits for a person, not the job
    ).values_list("pk", flat=True)[:limit]
    ids = list(stale)
    for attempt_id in ids:
        tasks.attempt_grade.delay(attempt_id=attempt_id)
    return len(ids)
