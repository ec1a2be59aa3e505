"""What the two permission matrices of assessments share: the API's
(``tests/assessments/test_api_permissions.py``) and the pages'
(``tests/frontend/test_assessment_page_permissions.py``).

- The scenario: the classes of ``make_classes`` (tests/courses/factories.py) and a second class
  of A1, with questions, quizzes, attempts, grades and handed-in work in each class (``start``
  and ``fill``), built once for a test module (``built_once``).
- Trying a request inside a savepoint that is rolled back, and telling whether it wrote
  (``savepoint``).
- Reading the tables of expected answers written by hand (``table_cells``), and naming every
  cell that differs from them (``differences``).
"""

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from courses.assessments import services
from courses.assessments.models import (
    Answer,
    Assessment,
    AssessmentQuestion,
    Attempt,
    Grade,
    GradeCategory,
    GradeChange,
    Objective,
    Question,
    QuestionKey,
    RubricCriterion,
    RubricScore,
    SubmissionFile,
)
from courses.models import Cohort, Course
from lms.accounts.models import Role, User
from tests.assessments.builders import DUE
from tests.assessments.conftest import capital_question
from tests.conftest import World
from tests.conftest import world as world_fixture
from tests.courses.conftest import courses as courses_fixture
from tests.courses.expectations import database_state
from tests.courses.factories import (
    CohortFactory,
    EnrolmentFactory,
    classes_database_state,
    make_classes,
)
from tests.courses.test_lesson_files import PDF
from tests.factories import make_person

NOW = DUE - timedelta(days=1)  # every request of a matrix is made at this moment
MISSING_ID = 987_654_321
WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

# The four classes (the targets of the tables about a class), and who is who in each.
CLASSES = ("a1", "a1b", "a2", "b1")
COURSE_OF_CLASS = {"a1": "a1", "a1b": "a1", "a2": "a2", "b1": "b1"}
PUPIL_OF = {"a1": "student_a1", "a1b": "student_a1b", "a2": "student_a2", "b1": "student_b1"}
TEACHER_OF = {"a1": "class_teacher", "a1b": "teacher_a1b", "a2": "teacher_a2", "b1": "teacher_b1"}
AUTHOR_OF = {"a1": "author", "a2": "teacher_a2", "b1": "teacher_b1"}  # of each course

# The answer (a status, or a word for another answer or for what is wrong with it), and
# whether the request wrote.
Outcome = tuple[int | str, bool]


# --- the scenario ---------------------------------------------------------------------------------
@dataclass
class Scenario:
    """The classes of ``make_classes``, a second class of A1 (``a1b``: the A1 course, taught by
    ``teacher_a1b``, with ``student_a1b``), and in each of the four classes: a published quiz
    (``quizzes``) its pupil took (``graded``) and was graded in, the grade then overridden by the
    teacher (a draft grade); another published quiz with the pupil's attempt in progress
    (``attempts``); a published assignment (``assignments``) the pupil handed in
    (``handed_in``), not marked yet. The class of A1 also has a draft quiz (``a1-draft``). Each
    bank has a question the quizzes use (``used``) and one they do not (``spare``)."""

    people: dict[str, User | None]
    cohorts: dict[str, Cohort]
    courses: dict[str, Course]
    used: dict[str, Question] = field(default_factory=dict)
    spare: dict[str, Question] = field(default_factory=dict)
    quizzes: dict[str, Assessment] = field(default_factory=dict)
    graded: dict[str, Attempt] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    assignments: dict[str, Assessment] = field(default_factory=dict)
    handed_in: dict[str, Attempt] = field(default_factory=dict)

    def person(self, role: str) -> User:
        person = self.people[role]
        assert person is not None
        return person

    def question(self, target: str) -> Question:
        return self.used["a1"] if target == "a1-in-quiz" else self.spare[target]

    def to_mark(self, target: str) -> Attempt:
        return self.attempts["a1"] if target == "a1-in-progress" else self.handed_in[target]

    def pupil(self, target: str) -> User:
        if target == "a1-pupil-a1b":
            return self.person("student_a1b")
        return self.person(PUPIL_OF[target])


S = TypeVar("S", bound=Scenario)


def _single_choice(course: Course, author: User, title: str) -> Question:
    return services.question_create(
        course=course,
        by=author,
        kind="single",
        title=title,
        text_markdown=f"{title}?",
        keys=[{"text": "Right", "fraction": Decimal(1)}, {"text": "Wrong", "fraction": Decimal(0)}],
    )


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("work.pdf", PDF, content_type="application/pdf")


def class_quiz(cohort: Cohort, teacher: User, question: Question, title: str) -> Assessment:
    """A draft quiz of the class, of one question, due at ``DUE``, with two attempts."""
    return services.assessment_create(
        cohort=cohort,
        by=teacher,
        kind="quiz",
        title=title,
        due_at=DUE,
        max_attempts=2,
        questions=[{"question": question.pk}],
    )


def class_assignment(cohort: Cohort, teacher: User, title: str) -> Assessment:
    """A draft assignment of the class, due at ``DUE``, with three hand-ins and one criterion
    (Content, 5 points)."""
    return services.assessment_create(
        cohort=cohort,
        by=teacher,
        kind="assignment",
        title=title,
        due_at=DUE,
        max_attempts=3,
        rubric=[{"title": "Content", "points": Decimal(5)}],
    )


def start(kind: type[S]) -> tuple[S, World]:
    """The scenario's people and classes, and the question of the A1 bank that its quizzes use
    (the capital): ``people`` are those of ``make_classes``, ``teacher_a1b``, ``student_a1b``
    and ``teacher_b1``; a test module adds its own, then calls ``fill``."""
    world: World = inspect.unwrap(world_fixture)(None)
    classes = make_classes(inspect.unwrap(courses_fixture)(world))
    used_in_a1 = capital_question(classes)
    teacher_a1b = make_person(Role.TEACHER, school=world.school_a1)
    cohort_a1b: Cohort = CohortFactory.create(
        term=classes.terms["a1"],
        course=classes.courses.course,
        name="7B",
        join_code="A1BCODE",
        teachers=[teacher_a1b],
    )
    student_a1b = make_person(Role.STUDENT, school=world.school_a1)
    EnrolmentFactory(cohort=cohort_a1b, student=student_a1b)
    s = kind(
        people=classes.people
        | {
            "teacher_a1b": teacher_a1b,
            "student_a1b": student_a1b,
            "teacher_b1": classes.courses.course_b1.teachers.get(),
        },
        cohorts=classes.cohorts | {"a1b": cohort_a1b},
        courses={
            "a1": classes.courses.course,
            "a2": classes.courses.course_a2,
            "b1": classes.courses.course_b1,
        },
    )
    s.used["a1"] = used_in_a1
    return s, world


def fill(s: Scenario, *, files: bool) -> None:
    """The banks' questions, and the quizzes, attempts, grades and hand-ins of every class, as
    ``Scenario`` says; with ``files``, each hand-in has a PDF file."""
    for key, course in s.courses.items():
        author = s.person(AUTHOR_OF[key])
        if key not in s.used:
            s.used[key] = _single_choice(course, author, "Used")
        s.spare[key] = _single_choice(course, author, "Spare")
    for key in CLASSES:
        cohort, teacher = s.cohorts[key], s.person(TEACHER_OF[key])
        pupil = s.person(PUPIL_OF[key])
        question = s.used[COURSE_OF_CLASS[key]]
        right = question.keys.get(fraction=1)
        taken = services.assessment_publish(
            assessment=class_quiz(cohort, teacher, question, "quiz"), by=teacher
        )
        graded = services.attempt_start(assessment=taken, student=pupil)
        services.answer_save(
            attempt=graded,
            student=pupil,
            question_id=question.pk,
            response={"option": right.pk},
            revision=1,
        )
        services.attempt_submit(attempt=graded, student=pupil)
        services.attempt_autograde(attempt_id=graded.pk)  # a draft grade of 1 point
        services.grade_override(
            assessment=taken, student=pupil, by=teacher, points=Decimal("0.75"), reason="Oral"
        )
        s.quizzes[key] = taken
        s.graded[key] = graded
        open_quiz = services.assessment_publish(
            assessment=class_quiz(cohort, teacher, question, "open"), by=teacher
        )
        s.attempts[key] = services.attempt_start(assessment=open_quiz, student=pupil)
        assignment = services.assessment_publish(
            assessment=class_assignment(cohort, teacher, "assignment"), by=teacher
        )
        s.assignments[key] = assignment
        s.handed_in[key] = services.submission_hand_in(
            assessment=assignment, student=pupil, text="My work", files=[_pdf()] if files else None
        )
    teacher_a1 = s.person("class_teacher")
    s.quizzes["a1-draft"] = class_quiz(s.cohorts["a1"], teacher_a1, s.used["a1"], "draft")


@contextmanager
def built_once(django_db_blocker: Any, media: Path, build: Callable[[], S]) -> Iterator[S]:
    """The scenario of ``build``, for a module-scoped fixture: built inside a transaction rolled
    back at the module's end; each test runs in its own savepoint inside it (the ``db``
    fixture), and every request in another, so no test sees another's writes. Files are stored
    in ``media``; the clock stands at ``NOW`` throughout."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=fast),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        yield build()
        transaction.set_rollback(True)


# --- trying a request -----------------------------------------------------------------------------
ASSESSMENT_MODELS: dict[str, type[Model]] = {
    "objectives": Objective,
    "questions": Question,
    "keys": QuestionKey,
    "question_objectives": Question.objectives.through,
    "categories": GradeCategory,
    "assessments": Assessment,
    "slots": AssessmentQuestion,
    "rubric": RubricCriterion,
    "attempts": Attempt,
    "answers": Answer,
    "grades": Grade,
    "grade_changes": GradeChange,
    "rubric_scores": RubricScore,
    "submission_files": SubmissionFile,
}


def assessments_database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the assessments API and pages may write (and those of courses
    and classes), to prove that a refused request wrote nothing and an accepted one did."""
    state = {
        name: [
            {k: str(v) for k, v in row.items()}
            for row in model._default_manager.order_by("pk").values()
        ]
        for name, model in ASSESSMENT_MODELS.items()
    }
    return state | database_state() | classes_database_state()


R = TypeVar("R")


class Savepoint:
    """Requests sent inside a savepoint that is rolled back (``savepoint``), and whether the
    one sent with ``send`` wrote: rows are read only after a request that sent an INSERT,
    UPDATE or DELETE, inside the savepoint and again once it is rolled back, which is the state
    the request started from."""

    def __init__(self) -> None:
        self.rows_after: dict[str, list[dict[str, Any]]] | None = None
        self.wrote = False

    def send(self, request: Callable[[], R]) -> R:
        with CaptureQueriesContext(connection) as queries:
            response = request()
        if any(WRITE_SQL.match(query["sql"]) for query in queries.captured_queries):
            self.rows_after = assessments_database_state()
        return response


@contextmanager
def savepoint() -> Iterator[Savepoint]:
    """``with savepoint() as point: response = point.send(...)``; once out of the block,
    everything is rolled back and ``point.wrote`` says whether the request wrote."""
    point = Savepoint()
    with transaction.atomic():
        yield point
        transaction.set_rollback(True)
    point.wrote = point.rows_after is not None and point.rows_after != assessments_database_state()


def fixed(body: dict[str, Any]) -> Callable[[Any, str], dict[str, Any]]:
    """The same body for every scenario and target."""
    return lambda s, target: body


# --- the tables -----------------------------------------------------------------------------------
def table_cells(text: str, roles: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """A table written as text: a header of targets, then one row per role, exactly ``roles``
    in their order; the cells as written, by role and target."""
    header, *rows = (line.split() for line in text.strip().splitlines())
    parsed: dict[str, dict[str, str]] = {}
    for role, *cells in rows:
        assert len(cells) == len(header), f"row {role}: {len(cells)} cells for {header}"
        assert role not in parsed, f"row {role} twice"
        parsed[role] = dict(zip(header, cells, strict=True))
    assert tuple(parsed) == roles, f"the rows must be exactly ROLES, in order: {tuple(parsed)}"
    return parsed


def cells(
    roles: tuple[str, ...], targets: list[str], wrong: set[tuple[str, str]], *, known_wrong: bool
) -> list[tuple[str, str]]:
    """Every (role, target) of a table: those in ``wrong`` with ``known_wrong``, the others
    without."""
    return [
        (role, target)
        for role in roles
        for target in targets
        if ((role, target) in wrong) is known_wrong
    ]


def differences(observed: dict[str, Any], expected: dict[str, Any]) -> str:
    """Every cell that is not as expected, one a line, whatever pytest's verbosity."""
    return "\n".join(
        f"{key}: got {observed.get(key, '-')}, expected {expected.get(key, '-')}"
        for key in sorted(set(observed) | set(expected))
        if observed.get(key) != expected.get(key)
    )
