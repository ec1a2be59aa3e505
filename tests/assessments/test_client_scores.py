"""Scores sent by a client are ignored: whatever a pupil's request claims about points, a
score, a fraction or a grade, the server grades the answers by itself."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from courses.assessments import services
from courses.assessments.models import Answer, Attempt, Grade
from tests.assessments.conftest import Bank

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CLAIMS = {"points": "100", "fraction": "1", "score": "100", "grade": "100", "state": "graded"}

pytestmark = pytest.mark.usefixtures("eager_celery")


def test_a_wrong_answer_claimed_right_scores_nothing(
    bank: Bank,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a published quiz of one single-choice question
    clock(DUE - timedelta(hours=1))
    teacher = bank.classes.person("class_teacher")
    quiz = services.assessment_create(
        cohort=bank.classes.cohorts["a1"],
        by=teacher,
        kind="quiz",
        title="Capital",
        due_at=DUE,
        questions=[{"question": bank.question.pk}],
    )
    services.assessment_publish(assessment=quiz, by=teacher)
    pupil = bank.classes.client("student_a1")
    attempt = pupil.post(f"/api/v1/assessments/{quiz.pk}/attempts/", CLAIMS, format="json").json()
    [question] = attempt["questions"]
    wrong = next(option["id"] for option in question["options"] if option["text"] == "Ош")
    # when the pupil saves the wrong answer and submits, every request claiming full marks
    saved = pupil.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}/",
        {"response": {"option": wrong, **CLAIMS}, "revision": 1, **CLAIMS},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    with django_capture_on_commit_callbacks(execute=True):
        submitted = pupil.post(f"/api/v1/attempts/{attempt['id']}/submit/", CLAIMS, format="json")
    assert submitted.status_code == 202
    # then the server's grading decides: nothing earned
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.state, stored.score) == ("graded", Decimal("0.00"))
    answer = Answer.objects.get(attempt=stored)
    assert (answer.points, answer.fraction) == (Decimal("0.00"), Decimal(0))
    assert answer.response == {"option": wrong}  # nothing else the client sent is kept
    grade = Grade.objects.get(assessment=quiz, student=bank.classes.person("student_a1"))
    assert grade.points == Decimal("0.00")


def test_a_hand_in_claiming_marks_is_waiting_to_be_marked(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(hours=1))
    teacher = bank.classes.person("class_teacher")
    assignment = services.assessment_create(
        cohort=bank.classes.cohorts["a1"],
        by=teacher,
        kind="assignment",
        title="Essay",
        due_at=DUE,
        rubric=[{"title": "Content", "points": "5"}],
    )
    services.assessment_publish(assessment=assignment, by=teacher)
    pupil = bank.classes.client("student_a1")
    handed = pupil.post(
        f"/api/v1/assessments/{assignment.pk}/submissions/",
        {"text": "Mine", **CLAIMS},
        format="multipart",
    )
    assert handed.status_code == 201, handed.content
    stored = Attempt.objects.get(pk=handed.json()["id"])
    assert (stored.state, stored.score) == ("submitted", None)
    assert not Grade.objects.filter(assessment=assignment).exists()
