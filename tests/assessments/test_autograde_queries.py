"""Grading an attempt takes the same queries for a short quiz and a long one: answers are read in
one query and written back in one per distinct outcome, never one per question (a class hands
in at once, and one worker grades them all)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from courses.assessments import services
from courses.assessments.models import Answer, AttemptState, Grade
from tests.assessments.conftest import Bank

# The transaction (a savepoint inside the test's, opened and released: 2), the attempt (locked),
# its answers, the questions with their keys (3), one UPDATE for the right answers and one for
# the wrong ones (2), the attempt (1); the grade: got or created in savepoints, locked, the
# attempts it comes from, saved, its history row (10).
AUTOGRADE_QUERIES = 18


@pytest.mark.parametrize("questions", [4, 16])
def test_grading_an_attempt_takes_the_same_queries_for_4_and_16_questions(
    bank: Bank, django_assert_num_queries: Any, questions: int
) -> None:
    # given a published quiz of numeric questions, answered half right, half wrong, and handed in
    author, teacher = bank.classes.person("author"), bank.classes.person("class_teacher")
    bank_questions = [
        services.question_create(
            course=bank.classes.courses.course,
            by=author,
            kind="numeric",
            title=f"Pi {number}",
            text_markdown="π ≈ ?",
            keys=[{"value": Decimal("3.14"), "tolerance": Decimal("0.01"), "fraction": Decimal(1)}],
        )
        for number in range(questions)
    ]
    quiz = services.assessment_create(
        cohort=bank.classes.cohorts["a1"],
        by=teacher,
        kind="quiz",
        title="Long quiz",
        due_at=timezone.now() + timedelta(days=30),
        questions=[{"question": question.pk} for question in bank_questions],
    )
    services.assessment_publish(assessment=quiz, by=teacher)
    pupil = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz, student=pupil)
    for number, question in enumerate(bank_questions):
        services.answer_save(
            attempt=attempt,
            student=pupil,
            question_id=question.pk,
            response={"value": "3.14" if number % 2 == 0 else "2.71"},
            revision=1,
        )
    services.attempt_submit(attempt=attempt, student=pupil)  # the test's transaction: no task
    # when it is graded / then the queries do not grow with the questions
    with django_assert_num_queries(AUTOGRADE_QUERIES):
        services.attempt_autograde(attempt_id=attempt.pk)
    # and every answer and the grade are written as before
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.score == Decimal(questions // 2)
    points = sorted(Answer.objects.filter(attempt=attempt).values_list("points", flat=True))
    assert points == [Decimal(0)] * (questions // 2) + [Decimal(1)] * (questions // 2)
    assert Grade.objects.get(assessment=quiz, student=pupil).points == Decimal(questions // 2)
