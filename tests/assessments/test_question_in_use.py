"""A question on a quiz or a pupil's paper can be corrected, but not in a way that breaks the
papers pupils hold: its options keep their ids, none is added or removed, its type stays."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from courses.assessments import services
from courses.assessments.models import Answer, QuestionKey
from lms.errors import ApplicationError
from tests.assessments.builders import DUE, published_quiz
from tests.assessments.conftest import Bank

pytestmark = pytest.mark.usefixtures("eager_celery")


def test_a_question_in_use_is_corrected_in_place(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    # given a pupil with the question on their paper
    clock(DUE - timedelta(hours=1))
    quiz = published_quiz(bank, [bank.question])
    student = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz, student=student)
    ids = list(bank.question.keys.order_by("position").values_list("pk", flat=True))
    author = bank.classes.person("author")
    keys = [
        {"text": "Бишкек шаары", "fraction": Decimal(1), "feedback": "Туура!"},
        {"text": "Ош шаары", "fraction": Decimal(0)},
    ]
    # when the author corrects the options' texts
    services.question_update(question=bank.question, by=author, data={"keys": keys})
    # then the options keep their ids, and the pupil answers on the paper they hold
    corrected = list(bank.question.keys.order_by("position"))
    assert [key.pk for key in corrected] == ids
    assert [key.text for key in corrected] == ["Бишкек шаары", "Ош шаары"]
    services.answer_save(
        attempt=attempt,
        student=student,
        question_id=bank.question.pk,
        response={"option": ids[0]},
        revision=1,
    )
    assert Answer.objects.get().response == {"option": ids[0]}
    # but an option added, or another type, is refused and changes nothing
    with pytest.raises(ApplicationError) as added:
        services.question_update(
            question=bank.question,
            by=author,
            data={"keys": [*keys, {"text": "Нарын", "fraction": Decimal(0)}]},
        )
    assert added.value.code == "in_use"
    with pytest.raises(ApplicationError) as retyped:
        services.question_update(question=bank.question, by=author, data={"kind": "essay"})
    assert retyped.value.code == "in_use"
    assert QuestionKey.objects.filter(question=bank.question).count() == 2
    bank.question.refresh_from_db()
    assert bank.question.kind == "single"


def test_a_question_nobody_uses_gets_new_keys(bank: Bank) -> None:
    ids = set(bank.question.keys.values_list("pk", flat=True))
    services.question_update(
        question=bank.question,
        by=bank.classes.person("author"),
        data={"keys": [{"text": "A", "fraction": 1}, {"text": "B"}, {"text": "C"}]},
    )
    assert bank.question.keys.count() == 3
    assert not ids & set(bank.question.keys.values_list("pk", flat=True))
