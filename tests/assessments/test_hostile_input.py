"""Hostile or malformed input to the quiz, hand-in and marking doors gets a clear refusal and
writes nothing, never a 500: digits that are not ASCII ("²"), numbers too large for a column,
NUL characters (which PostgreSQL cannot store)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from courses.assessments import services
from courses.assessments.models import Answer, Attempt, Question, RubricScore
from tests.assessments.builders import DUE, essay_assignment, published_quiz, signed_in
from tests.assessments.conftest import Bank

pytestmark = pytest.mark.usefixtures("eager_celery")


def _matching(bank: Bank) -> Question:
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="matching",
        title="Capitals",
        text_markdown="Match.",
        keys=[
            {"text": "Kyrgyzstan", "match": "Bishkek"},
            {"text": "Mongolia", "match": "Ulaanbaatar"},
        ],
    )


def _short(bank: Bank) -> Question:
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="short_text",
        title="Word",
        text_markdown="Which word?",
        keys=[{"text": "köl", "fraction": 1}],
    )


@pytest.fixture
def started(bank: Bank, clock: Callable[[datetime], None]) -> tuple[Attempt, list[Question]]:
    clock(DUE - timedelta(hours=1))
    questions = [bank.question, _matching(bank), _short(bank)]
    quiz = published_quiz(bank, questions)
    attempt = services.attempt_start(assessment=quiz, student=bank.classes.person("student_a1"))
    return attempt, questions


@pytest.mark.parametrize(
    ("which", "body"),
    [
        ("capital", {"response": {"option": 1}, "revision": 2**70}),
        ("matching", {"response": {"pairs": {"²": "Bishkek"}}, "revision": 1}),
        ("matching", {"response": {"pairs": {"1" * 5000: "Bishkek"}}, "revision": 1}),
        ("short", {"response": {"text": "kö\x00l"}, "revision": 1}),
    ],
    ids=["huge-revision", "superscript-key", "huge-key", "nul-text"],
)
def test_a_hostile_answer_through_the_api_is_refused_and_saves_nothing(
    bank: Bank, started: tuple[Attempt, list[Question]], which: str, body: dict[str, Any]
) -> None:
    attempt, (capital, matching, short) = started
    question = {"capital": capital, "matching": matching, "short": short}[which]
    response = bank.classes.client("student_a1").put(
        f"/api/v1/attempts/{attempt.pk}/answers/{question.pk}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"answer-{capital}": "²"},
        {"answer-{capital}": "1" * 5000},
        {"answer-{capital}": "0", "revision-{capital}": "²"},
        {"answer-{capital}": "0", "revision-{capital}": "9" * 30},
        {"answer-{matching}-0": "Bishkek", "revision-{matching}": "-1"},
        {"answer-{short}": "kö\x00l"},
    ],
    ids=["superscript", "huge-place", "superscript-revision", "huge-revision", "negative", "nul"],
)
def test_a_hostile_form_on_the_quiz_page_never_fails(
    bank: Bank, started: tuple[Attempt, list[Question]], fields: dict[str, str]
) -> None:
    attempt, (capital, matching, short) = started
    ids = {"capital": capital.pk, "matching": matching.pk, "short": short.pk}
    data = {name.format(**ids): value for name, value in fields.items()}
    client = signed_in(bank.classes.person("student_a1"))
    response = client.post(reverse("frontend:attempt-save", args=[attempt.pk]), data)
    assert response.status_code in (200, 302, 400), response.status_code
    for answer in Answer.objects.all():  # what was kept is a valid answer, nothing else
        assert "\x00" not in str(answer.response)
        assert answer.revision < 2**31


def test_nul_characters_in_a_hand_in_or_a_marking_are_refused(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    pupil = signed_in(bank.classes.person("student_a1"))
    url = reverse("frontend:hand-in", args=[assignment.pk])
    refused = pupil.post(url, {"text": "Mine\x00"})
    assert refused.status_code == 400
    assert "cannot be stored" in refused.content.decode()
    assert not Attempt.objects.exists()
    pupil.post(url, {"text": "Mine"})
    attempt = Attempt.objects.get()
    teacher = signed_in(bank.classes.person("class_teacher"))
    criteria = list(assignment.rubric.values_list("pk", flat=True))
    marks = {f"criterion-{pk}-points": "1" for pk in criteria}
    refused = teacher.post(
        reverse("frontend:attempt-mark", args=[attempt.pk]), {**marks, "feedback": "Good\x00"}
    )
    assert refused.status_code == 400
    assert "cannot be stored" in refused.content.decode()
    assert not RubricScore.objects.exists()
