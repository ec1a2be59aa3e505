"""The ``bank`` fixture: the classes scenario of tests/courses (a course of school A1 written by
``author``, a class of it taught by ``class_teacher`` with ``student_a1`` enrolled, and classes
in A2 and B1) plus one question in the A1 course's bank."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine

from courses.assessments import services
from courses.assessments.models import Question
from tests.courses.conftest import Courses, courses  # noqa: F401 - a fixture used here
from tests.courses.factories import Classes, make_classes


@dataclass
class Bank:
    classes: Classes
    question: Question

    @property
    def course_id(self) -> int:
        return self.classes.courses.course.pk


def capital_question(classes: Classes) -> Question:
    return services.question_create(
        course=classes.courses.course,
        by=classes.person("author"),
        kind="single",
        title="Capital",
        text_markdown="Кыргызстандын борбору кайсы?",
        keys=[
            {"text": "Бишкек", "fraction": Decimal(1), "feedback": "Туура!"},
            {"text": "Ош", "fraction": Decimal(0)},
        ],
        objectives=["geography"],
    )


@pytest.fixture
def bank(courses: Courses) -> Bank:  # noqa: F811 - the fixture imported above
    classes = make_classes(courses)
    return Bank(classes=classes, question=capital_question(classes))


@pytest.fixture
def eager_celery(settings: Any) -> None:
    """The grading task runs in the test's process; a real worker is tested apart."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def media_root(tmp_path: Path, settings: Any) -> Path:
    """An empty folder of the test's own as MEDIA_ROOT, where handed-in files are stored."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def clock() -> Iterator[Callable[[datetime], None]]:
    """Move the server's clock: ``clock(moment)``; it stands still there."""
    travellers: list[Any] = []

    def move(moment: datetime) -> None:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for traveller in travellers:
        traveller.stop()
