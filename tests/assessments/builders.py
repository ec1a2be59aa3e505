"""What the assessment tests build again and again on the ``bank`` fixture
(tests/assessments/conftest.py): questions, quizzes and assignments of the class of A1, pupils
enrolled in a class, a page client signed in, and the API requests that answer a quiz."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from courses.assessments import services
from courses.assessments.models import Assessment, Question
from courses.models import Cohort
from lms.accounts.models import Role, User
from tests.assessments.conftest import Bank
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # when the quizzes and assignments built here are due


# --- people ---------------------------------------------------------------------------------------
def signed_in(user: User | None) -> Client:
    """A client of the pages, signed in as ``user``; a visitor for ``None``."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def enrolled_pupils(cohort: Cohort, count: int) -> list[User]:
    """``count`` new pupils of the class's school, enrolled in the class."""
    school = cohort.term.school
    pupils = [make_person(Role.STUDENT, school=school) for _ in range(count)]
    for pupil in pupils:
        EnrolmentFactory(cohort=cohort, student=pupil)
    return pupils


# --- questions of the A1 bank ---------------------------------------------------------------------
def secret_word(bank: Bank, answer: str, feedback: str, general_feedback: str = "") -> Question:
    """A short-answer question, "Secret word", whose one accepted answer is ``answer``, with
    ``feedback``."""
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="short_text",
        title="Secret word",
        text_markdown="Which word?",
        general_feedback=general_feedback,
        keys=[{"text": answer, "fraction": Decimal(1), "feedback": feedback}],
    )


def essay_question(bank: Bank, title: str = "Describe") -> Question:
    """An essay, "Describe the lake", marked by hand, of 4 points."""
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="essay",
        title=title,
        text_markdown="Describe the lake.",
        points=Decimal(4),
        keys=[],
    )


# --- quizzes and assignments of the class of A1, set by ``class_teacher`` -------------------------
def draft_quiz(bank: Bank, chosen: list[Question], **options: Any) -> Assessment:
    """A draft quiz, "Weekly quiz", due at ``DUE``, of the ``chosen`` questions; ``options`` set
    any other field, or change these."""
    fields: dict[str, Any] = {
        "cohort": bank.classes.cohorts["a1"],
        "by": bank.classes.person("class_teacher"),
        "kind": "quiz",
        "title": "Weekly quiz",
        "due_at": DUE,
        "questions": [{"question": question.pk} for question in chosen],
        **options,
    }
    return services.assessment_create(**fields)


def published_quiz(bank: Bank, chosen: list[Question], **options: Any) -> Assessment:
    """The quiz of ``draft_quiz``, published."""
    made = draft_quiz(bank, chosen, **options)
    services.assessment_publish(assessment=made, by=bank.classes.person("class_teacher"))
    return made


def essay_quiz(bank: Bank, essay: Question, **options: Any) -> Assessment:
    """A published quiz, "Lake quiz": the bank's question (the capital), then ``essay`` for 4
    points."""
    slots = [{"question": bank.question.pk}, {"question": essay.pk, "points": "4"}]
    return published_quiz(bank, [], title="Lake quiz", questions=slots, **options)


def essay_assignment(bank: Bank, **options: Any) -> Assessment:
    """A published assignment, an essay on the Issyk-Kul due at ``DUE``, marked on a rubric of
    two criteria: Content (6 points) and Language (4); ``options`` set any other field."""
    fields: dict[str, Any] = {
        "kind": "assignment",
        "title": "Essay on the Issyk-Kul",
        "instructions_markdown": "Write a page, or photograph your notebook.",
        "due_at": DUE,
        "rubric": [
            {"title": "Content", "points": "6"},
            {"title": "Language", "points": "4"},
        ],
        **options,
    }
    teacher = bank.classes.person("class_teacher")
    assessment = services.assessment_create(cohort=bank.classes.cohorts["a1"], by=teacher, **fields)
    services.assessment_publish(assessment=assessment, by=teacher)
    return assessment


def handed_in_by_new_pupils(bank: Bank, count: int) -> Assessment:
    """An ``essay_assignment`` that ``count`` new pupils of the class of A1 handed in (a text
    each), not marked yet."""
    assignment = essay_assignment(bank)
    for pupil in enrolled_pupils(bank.classes.cohorts["a1"], count):
        services.submission_hand_in(assessment=assignment, student=pupil, text="Mine")
    return assignment


def rubric_criteria(assessment: Assessment) -> list[int]:
    """The ids of the assessment's rubric criteria, in their order."""
    return list(assessment.rubric.order_by("position").values_list("pk", flat=True))


# --- answering a quiz through the API -------------------------------------------------------------
def option_id(question: dict[str, Any], text: str) -> int:
    """The id of the option with ``text`` of a question of an attempt, as the API shows it."""
    return int(next(option["id"] for option in question["options"] if option["text"] == text))


def save_answers(client: APIClient, attempt_id: int, responses: dict[int, Any]) -> None:
    """Save a response to each question (by its id), the first revision of each; every save
    must be accepted."""
    for question_id, response in responses.items():
        saved = client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question_id}/",
            {"response": response, "revision": 1},
            format="json",
        )
        assert saved.status_code == 200, saved.content
