"""Taking a quiz: start, save as you go (retries applied once), submit or be submitted when time
runs out, all by the server's clock; automatic grading after commit, once; overrides with a
reason and an unbroken history."""

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from courses.assessments import services
from courses.assessments.models import (
    Assessment,
    Attempt,
    AttemptState,
    Grade,
    GradeChange,
    GradeSource,
    LatePolicy,
    Question,
)
from courses.assessments.services.attempts import (
    attempts_expired_submit,
    attempts_ungraded_requeue,
)
from lms.errors import ApplicationError
from tests.assessments.conftest import Bank

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("eager_celery")  # grading runs in this process


@pytest.fixture
def numeric(bank: Bank) -> Question:
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="numeric",
        title="Pi",
        text_markdown="π ≈ ?",
        points=Decimal(2),
        keys=[{"value": Decimal("3.14"), "tolerance": Decimal("0.01"), "fraction": Decimal(1)}],
    )


QuizMaker = Callable[..., Assessment]


@pytest.fixture
def quiz(bank: Bank, numeric: Question) -> QuizMaker:
    def make(**options: Any) -> Assessment:
        fields: dict[str, Any] = {
            "kind": "quiz",
            "title": "Quiz 1",
            "due_at": DUE,
            "questions": [{"question": bank.question.pk}, {"question": numeric.pk}],
        }
        fields.update(options)
        cohort = bank.classes.cohorts["a1"]
        teacher = bank.classes.person("class_teacher")
        assessment = services.assessment_create(cohort=cohort, by=teacher, **fields)
        return services.assessment_publish(assessment=assessment, by=teacher)

    return make


def _right_answers(bank: Bank, numeric: Question) -> dict[int, dict[str, Any]]:
    right = bank.question.keys.get(fraction=1)
    return {bank.question.pk: {"option": right.pk}, numeric.pk: {"value": "3,14"}}


def _answer_all(attempt: Attempt, answers: dict[int, dict[str, Any]], revision: int = 1) -> None:
    for question_id, response in answers.items():
        services.answer_save(
            attempt=attempt,
            student=attempt.student,
            question_id=question_id,
            response=response,
            revision=revision,
        )


@pytest.fixture
def at(clock: Callable[[datetime], None]) -> Callable[[datetime], None]:
    """Move the server's clock: ``at(moment)``."""
    return clock


def test_a_submitted_quiz_is_graded_once_after_commit(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a published quiz worth 3 points and a pupil of the class
    at(DUE - timedelta(hours=1))
    assessment = quiz()
    assert assessment.points == Decimal(3)
    pupil = bank.classes.person("student_a1")
    # when they start, answer everything right and submit
    attempt = services.attempt_start(assessment=assessment, student=pupil)
    _answer_all(attempt, _right_answers(bank, numeric))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.attempt_submit(attempt=attempt, student=pupil)
    # then one grading task was enqueued after commit, and it graded the attempt
    assert len(callbacks) == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == (AttemptState.GRADED, Decimal("3.00"))
    grade = Grade.objects.get(assessment=assessment, student=pupil)
    assert grade.points == Decimal("3.00")
    history = list(grade.changes.values_list("version", "source", "points_before", "points_after"))
    assert history == [(1, GradeSource.GRADING, None, Decimal("3.00"))]
    # and grading it again (a re-delivered task) changes nothing and writes no second row
    assert services.attempt_autograde(attempt_id=attempt.pk) is None
    assert grade.changes.count() == 1
    # and submitting again changes nothing either
    with django_capture_on_commit_callbacks(execute=True) as again:
        services.attempt_submit(attempt=attempt, student=pupil)
    assert again == []


def test_no_grading_task_comes_from_a_rolled_back_transaction(
    bank: Bank,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    at(DUE - timedelta(hours=1))
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz(), student=pupil)

    # when the submission's transaction is rolled back
    def submit_then_fail() -> None:
        with transaction.atomic():
            services.attempt_submit(attempt=attempt, student=pupil)
            raise RuntimeError("the request failed after submitting")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        submit_then_fail()
    # then no grading task was enqueued, and the attempt is still in progress
    assert callbacks == []
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.IN_PROGRESS


def test_a_retried_or_late_arriving_save_is_not_applied_twice(
    bank: Bank, quiz: QuizMaker, at: Callable[[datetime], None]
) -> None:
    at(DUE - timedelta(hours=1))
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz(), student=pupil)
    right, wrong = bank.question.keys.get(fraction=1), bank.question.keys.get(fraction=0)

    def save(option: int, revision: int) -> dict[str, Any]:
        answer = services.answer_save(
            attempt=attempt,
            student=pupil,
            question_id=bank.question.pk,
            response={"option": option},
            revision=revision,
        )
        answer.refresh_from_db()
        return {"option": answer.response["option"], "revision": answer.revision}

    assert save(wrong.pk, 1) == {"option": wrong.pk, "revision": 1}
    assert save(right.pk, 2) == {"option": right.pk, "revision": 2}
    # a retry of save 1 arriving late, and a retry of save 2, change nothing
    assert save(wrong.pk, 1) == {"option": right.pk, "revision": 2}
    assert save(wrong.pk, 2) == {"option": right.pk, "revision": 2}


@pytest.mark.parametrize(
    "response",
    [{}, {"option": 999_999}, {"option": [1]}, {"options": [1]}, {"option": "1"}],
)
def test_an_answer_that_does_not_fit_the_question_is_refused(
    bank: Bank, quiz: QuizMaker, at: Callable[[datetime], None], response: dict[str, Any]
) -> None:
    at(DUE - timedelta(hours=1))
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz(), student=pupil)
    with pytest.raises(ApplicationError) as refused:
        services.answer_save(
            attempt=attempt,
            student=pupil,
            question_id=bank.question.pk,
            response=response,
            revision=1,
        )
    assert "response" in refused.value.fields
    assert not attempt.answers.exists()


def test_the_due_time_is_the_servers(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a quiz that takes no late work, started before it is due
    at(DUE - timedelta(minutes=30))
    assessment = quiz(late_policy=LatePolicy.NONE_ACCEPTED)
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=assessment, student=pupil)
    # when an answer arrives one second before the due time, it is saved
    at(DUE - timedelta(seconds=1))
    _answer_all(attempt, {bank.question.pk: _right_answers(bank, numeric)[bank.question.pk]})
    # and one second after, it is refused and the attempt is handed in as of the due time
    at(DUE + timedelta(seconds=1))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ApplicationError) as late,
    ):
        _answer_all(attempt, {numeric.pk: {"value": "3.14"}})
    assert late.value.code == "time_is_up"
    attempt.refresh_from_db()
    assert (attempt.state, attempt.submitted_at, attempt.auto_submitted) == (
        AttemptState.GRADED,
        DUE,
        True,
    )
    assert attempt.score == Decimal("1.00")  # only the answer saved in time counts
    # and a new attempt cannot start after the due time
    with pytest.raises(ApplicationError) as closed:
        services.attempt_start(assessment=assessment, student=pupil)
    assert closed.value.code in {"past_due", "no_attempts_left"}


@pytest.mark.parametrize(
    ("submitted", "late_days", "points"),
    [
        (DUE - timedelta(seconds=1), 0, Decimal("3.00")),
        (DUE, 0, Decimal("3.00")),
        (DUE + timedelta(seconds=1), 1, Decimal("2.70")),
        (DUE + timedelta(days=1, seconds=1), 2, Decimal("2.40")),
    ],
)
def test_late_work_is_penalised_per_started_day_by_the_servers_clock(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
    submitted: datetime,
    late_days: int,
    points: Decimal,
) -> None:
    at(DUE - timedelta(hours=2))
    assessment = quiz(
        late_policy=LatePolicy.PENALTY,
        late_penalty_percent=Decimal(10),
        closes_at=DUE + timedelta(days=7),
    )
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=assessment, student=pupil)
    _answer_all(attempt, _right_answers(bank, numeric))
    at(submitted)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt, student=pupil)
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.late_days) == (submitted, late_days)
    assert Grade.objects.get(assessment=assessment, student=pupil).points == points


def test_time_running_out_on_a_closed_phone_hands_the_attempt_in(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a 10-minute quiz started, one answer saved, then the phone switched off
    start = DUE - timedelta(hours=1)
    at(start)
    assessment = quiz(time_limit_minutes=10)
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=assessment, student=pupil)
    assert attempt.ends_at == start + timedelta(minutes=10)
    _answer_all(attempt, {numeric.pk: {"value": "3.14"}})
    # when the periodic job runs before and after the limit
    at(start + timedelta(minutes=9))
    assert attempts_expired_submit() == 0
    at(start + timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_expired_submit() == 1
    # then the attempt was handed in as of the limit and graded on what was saved
    attempt.refresh_from_db()
    assert attempt.submitted_at == start + timedelta(minutes=10)
    assert attempt.auto_submitted is True
    assert attempt.score == Decimal("2.00")


def test_the_opening_time_and_the_number_of_attempts_are_kept(
    bank: Bank,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    at(DUE - timedelta(days=2))
    assessment = quiz(opens_at=DUE - timedelta(days=1), max_attempts=2)
    pupil = bank.classes.person("student_a1")
    with pytest.raises(ApplicationError) as early:
        services.attempt_start(assessment=assessment, student=pupil)
    assert early.value.code == "not_open"
    at(DUE - timedelta(hours=1))
    for _ in range(2):
        attempt = services.attempt_start(assessment=assessment, student=pupil)
        # starting again while one is in progress resumes it
        assert services.attempt_start(assessment=assessment, student=pupil).pk == attempt.pk
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_submit(attempt=attempt, student=pupil)
    with pytest.raises(ApplicationError) as spent:
        services.attempt_start(assessment=assessment, student=pupil)
    assert spent.value.code == "no_attempts_left"


def test_only_the_classes_pupils_take_a_published_quiz(
    bank: Bank, quiz: QuizMaker, at: Callable[[datetime], None]
) -> None:
    at(DUE - timedelta(hours=1))
    assessment = quiz()
    for name in ("student_a2", "student_b1", "class_teacher", "author"):
        with pytest.raises(PermissionDenied):
            services.attempt_start(assessment=assessment, student=bank.classes.person(name))
    services.assessment_publish(
        assessment=assessment, by=bank.classes.person("class_teacher"), published=False
    )
    with pytest.raises(PermissionDenied):
        services.attempt_start(assessment=assessment, student=bank.classes.person("student_a1"))


def test_an_override_stands_against_later_grading_and_is_in_the_history(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    at(DUE - timedelta(hours=1))
    assessment = quiz(max_attempts=2)
    pupil, teacher = bank.classes.person("student_a1"), bank.classes.person("class_teacher")
    # when the teacher overrides before the pupil's second attempt is graded
    first = services.attempt_start(assessment=assessment, student=pupil)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=first, student=pupil)
    services.grade_override(
        assessment=assessment, student=pupil, by=teacher, points=Decimal("2.5"), reason="Oral exam"
    )
    second = services.attempt_start(assessment=assessment, student=pupil)
    _answer_all(second, _right_answers(bank, numeric))
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=second, student=pupil)
    # then the override stands, and the history says who changed what, when and why
    grade = Grade.objects.get(assessment=assessment, student=pupil)
    assert (grade.points, grade.overridden) == (Decimal("2.50"), True)
    rows = list(grade.changes.order_by("version"))
    assert [(row.version, row.source, row.points_after) for row in rows] == [
        (1, GradeSource.GRADING, Decimal("0.00")),
        (2, GradeSource.OVERRIDE, Decimal("2.50")),
    ]
    assert (rows[1].by, rows[1].reason, rows[1].points_before) == (teacher, "Oral exam", Decimal(0))


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [
        (Decimal("3.01"), "Too many", "points"),
        (Decimal(-1), "Below", "points"),
        (Decimal(1), " ", "reason"),
    ],
)
def test_a_bad_override_is_refused_and_writes_nothing(
    bank: Bank,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    points: Decimal,
    reason: str,
    field: str,
) -> None:
    at(DUE - timedelta(hours=1))
    assessment = quiz()
    with pytest.raises(ApplicationError) as refused:
        services.grade_override(
            assessment=assessment,
            student=bank.classes.person("student_a1"),
            by=bank.classes.person("class_teacher"),
            points=points,
            reason=reason,
        )
    assert field in refused.value.fields
    assert not GradeChange.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_overrides_leave_the_last_committed_and_an_unbroken_chain(
    bank: Bank, quiz: QuizMaker
) -> None:
    # given a quiz, and 50 teachers' requests overriding one pupil's grade at the same moment
    with time_machine.travel(DUE - timedelta(hours=1), tick=True):
        assessment = quiz()
    pupil, teacher = bank.classes.person("student_a1"), bank.classes.person("class_teacher")
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def override(n: int) -> None:
        try:
            start.wait()
            services.grade_override(
                assessment=assessment,
                student=pupil,
                by=teacher,
                points=Decimal(n) / Decimal(20),
                reason=f"request {n}",
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=override, args=(n,)) for n in range(1, 51)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then all succeeded, one version each, each row starting where the previous one ended
    assert errors == []
    grade = Grade.objects.get(assessment=assessment, student=pupil)
    chain = list(grade.changes.order_by("version"))
    assert [row.version for row in chain] == list(range(1, 51))
    assert chain[0].points_before is None
    for previous, row in itertools.pairwise(chain):
        assert row.points_before == previous.points_after
    # and the grade is the last committed change
    assert grade.points == chain[-1].points_after
    assert grade.version == 50


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_grade_history(
    bank: Bank, quiz: QuizMaker, at: Callable[[datetime], None]
) -> None:
    at(DUE - timedelta(hours=1))
    assessment = quiz()
    services.grade_override(
        assessment=assessment,
        student=bank.classes.person("student_a1"),
        by=bank.classes.person("class_teacher"),
        points=Decimal(1),
        reason="Checked by hand",
    )
    change = GradeChange.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        GradeChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        GradeChange.objects.filter(pk=change.pk).delete()
    assert GradeChange.objects.get().reason == "Checked by hand"


def test_attempts_left_ungraded_are_asked_for_again_and_graded_once(
    bank: Bank,
    numeric: Question,
    quiz: QuizMaker,
    at: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a submitted attempt whose grading task was lost (its callback never ran)
    at(DUE - timedelta(hours=2))
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz(), student=pupil)
    _answer_all(attempt, _right_answers(bank, numeric))
    with django_capture_on_commit_callbacks(execute=False):
        services.attempt_submit(attempt=attempt, student=pupil)
    # when the periodic job runs before and after the waiting time
    at(DUE - timedelta(hours=2) + timedelta(seconds=60))
    assert attempts_ungraded_requeue(older_than=timedelta(minutes=2)) == 0
    at(DUE - timedelta(hours=2) + timedelta(minutes=3))
    assert attempts_ungraded_requeue(older_than=timedelta(minutes=2)) == 1
    # then it is graded (the task ran eagerly), and asking again finds nothing to do
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempts_ungraded_requeue(older_than=timedelta(minutes=2)) == 0
    assert GradeChange.objects.filter(attempt=attempt).count() == 1
