"""The pages of question banks, quizzes and assignments, taking a quiz, gradebooks and a pupil's
own grades: who may open each (others get 404 as for a missing id, visitors the sign-in page),
what each form writes, that bad input writes nothing and says why, that a quiz page holds no
right answer before the reveal, and that the busiest pages keep their number of queries
whatever the size of the class or the quiz."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.assessments import services
from courses.assessments.models import (
    Answer,
    Assessment,
    Attempt,
    AttemptState,
    Grade,
    GradeState,
    Question,
    QuestionKey,
)
from lms.errors import ApplicationError
from tests.assessments import conftest as assessment_fixtures
from tests.assessments.builders import (
    DUE,
    draft_quiz,
    enrolled_pupils,
    published_quiz,
    secret_word,
    signed_in,
)
from tests.assessments.conftest import Bank
from tests.assessments.matrix import assessments_database_state
from tests.courses.conftest import courses  # noqa: F401 - a fixture used by ``bank``

# The fixtures of tests/assessments/conftest.py: ``bank`` (the classes of tests/courses, where
# ``class_teacher`` teaches the class of A1 and ``student_a1`` is in it, and one single-choice
# question, "Capital", in the A1 course's bank), ``clock`` and ``eager_celery``.
bank = assessment_fixtures.bank
clock = assessment_fixtures.clock
eager_celery = assessment_fixtures.eager_celery

pytestmark = pytest.mark.usefixtures("eager_celery")  # grading runs in this process

BEFORE_DUE = DUE - timedelta(days=1)
CANARY = "CANARY-9d41-right-answer"
CANARY_FEEDBACK = "CANARY-9d41-feedback"
CANARY_GENERAL = "CANARY-9d41-general"
NOT_SAVED = "Nothing was saved: correct what is marked below."
HTMX = {"HTTP_HX_REQUEST": "true"}


def _as(bank: Bank, role: str) -> Client:
    return signed_in(bank.classes.people[role])


def _signs_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("frontend:sign-in")
    )


@pytest.fixture
def at_noon(clock: Callable[[datetime], None]) -> None:
    clock(BEFORE_DUE)


# --- the question bank --------------------------------------------------------------------------
BANK_READERS = {"author": 200, "platform_admin": 200, "class_teacher": 200}
BANK_WRITERS = {"author": 200, "platform_admin": 200}
EVERY_ROLE = (
    "author",
    "platform_admin",
    "class_teacher",
    "teacher_a2",
    "school_admin_a1",
    "region_admin_a",
    "facilitator",
    "student_a1",
    "student_a2",
)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_who_may_open_the_bank_pages(bank: Bank, role: str) -> None:
    course_id = bank.course_id
    client = _as(bank, role)
    listing = client.get(reverse("frontend:question-list", args=[course_id]))
    assert listing.status_code == BANK_READERS.get(role, 404)
    if listing.status_code == 200:
        page = listing.content.decode()
        assert "Capital" in page
        assert "Single choice" in page
        assert "geography" in page
    urls = [
        reverse("frontend:question-create", args=[course_id]) + "?kind=single",
        reverse("frontend:question-edit", args=[bank.question.pk]),
        reverse("frontend:question-import", args=[course_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == BANK_WRITERS.get(role, 404), url
    before = assessments_database_state()
    refused = client.post(reverse("frontend:question-delete", args=[bank.question.pk]))
    if role not in BANK_WRITERS:
        assert refused.status_code == 404
        assert assessments_database_state() == before


def test_visitors_are_sent_to_sign_in_and_missing_ids_are_not_found(bank: Bank) -> None:
    visitor = Client()
    for url in (
        reverse("frontend:question-list", args=[bank.course_id]),
        reverse("frontend:question-edit", args=[bank.question.pk]),
        reverse("frontend:assessment-list", args=[bank.classes.cohorts["a1"].pk]),
        reverse("frontend:gradebook", args=[bank.classes.cohorts["a1"].pk]),
        reverse("frontend:my-grades", args=[bank.classes.cohorts["a1"].pk]),
        reverse("frontend:attempt-detail", args=[1]),
    ):
        assert _signs_in(visitor.get(url)), url
    author = _as(bank, "author")
    assert author.get(reverse("frontend:question-list", args=[987654])).status_code == 404
    assert author.get(reverse("frontend:question-edit", args=[987654])).status_code == 404


def test_the_course_page_links_to_the_bank_for_its_readers_only(bank: Bank) -> None:
    url = reverse("frontend:course-detail", args=[bank.course_id])
    bank_url = reverse("frontend:question-list", args=[bank.course_id])
    for role, linked in (("author", True), ("class_teacher", True), ("student_a1", False)):
        page = _as(bank, role).get(url)
        assert page.status_code == 200
        assert (bank_url in page.content.decode()) is linked, role


KEYS: dict[str, dict[str, str]] = {
    "single": {"key-0-text": "a", "key-0-percent": "100", "key-1-text": "b", "key-1-percent": "0"},
    "multiple": {
        "key-0-text": "a", "key-0-percent": "50", "key-1-text": "b", "key-1-percent": "50",
        "key-2-text": "c", "key-2-percent": "-100", "key-2-feedback": "Not c.",
    },
    "true_false": {
        "key-0-text": "True", "key-0-percent": "0", "key-1-text": "False", "key-1-percent": "100",
    },
    "numeric": {"key-0-value": "3,14", "key-0-tolerance": "0.01", "key-0-percent": "100"},
    "short_text": {"key-0-text": "Бишкек", "key-0-percent": "100", "key-0-feedback": "Ооба!"},
    "matching": {
        "key-0-text": "KG", "key-0-match": "Бишкек", "key-1-text": "MN",
        "key-1-match": "Улаанбаатар",
    },
    "ordering": {"key-0-text": "first", "key-1-text": "second", "key-2-text": "third"},
    "essay": {},
}  # fmt: skip


def _question_form(kind: str, **extra: str) -> dict[str, str]:
    return {
        "title": f"A {kind} question",
        "text_markdown": "**Bold** <script>alert(1)</script>",
        "points": "2,5",
        "general_feedback": "",
        "objectives": "fractions, Бөлчөктөр кошуу",
        **KEYS[kind],
        **extra,
    }


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_an_author_writes_every_type_of_question_on_the_page(bank: Bank, kind: str) -> None:
    client = _as(bank, "author")
    url = reverse("frontend:question-create", args=[bank.course_id]) + f"?kind={kind}"
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(url, _question_form(kind))
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("frontend:question-list", args=[bank.course_id])
    question = Question.objects.get(title=f"A {kind} question")
    assert (question.kind, question.points) == (kind, Decimal("2.5"))
    assert "<strong>Bold</strong>" in question.text_html
    assert "<script" not in question.text_html
    assert sorted(o.code for o in question.objectives.all()) == ["fractions", "бөлчөктөр-кошуу"]
    keys = list(question.keys.order_by("position"))
    assert len(keys) == len({name.split("-")[1] for name in KEYS[kind]})
    if kind == "multiple":
        assert [key.fraction for key in keys] == [Decimal("0.5"), Decimal("0.5"), Decimal(-1)]
        assert keys[2].feedback == "Not c."
    if kind == "numeric":
        assert (keys[0].value, keys[0].tolerance) == (Decimal("3.14"), Decimal("0.01"))
    if kind == "matching":
        assert [(key.text, key.match) for key in keys] == [("KG", "Бишкек"), ("MN", "Улаанбаатар")]
    if kind == "ordering":
        assert [key.text for key in keys] == ["first", "second", "third"]


def test_an_author_changes_a_question_and_its_keys(bank: Bank) -> None:
    client = _as(bank, "author")
    url = reverse("frontend:question-edit", args=[bank.question.pk])
    form = client.get(url).content.decode()
    assert 'value="Бишкек"' in form
    assert 'value="100"' in form  # the right option's share, as a percentage
    response = client.post(
        url,
        {"title": "Capital city", "text_markdown": "Борбор?", "points": "3", "objectives": "geo",
         "key-0-text": "Бишкек", "key-0-percent": "100", "key-1-text": "Ош",
         "key-1-percent": "0", "key-2-text": "Каракол", "key-2-percent": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    bank.question.refresh_from_db()
    assert (bank.question.title, bank.question.points) == ("Capital city", Decimal(3))
    assert [key.text for key in bank.question.keys.order_by("position")] == [
        "Бишкек",
        "Ош",
        "Каракол",
    ]
    assert [o.code for o in bank.question.objectives.all()] == ["geo"]


BAD_QUESTIONS: dict[str, tuple[str, dict[str, str], str | None]] = {
    "no title": ("single", {"title": ""}, "title"),
    "zero points": ("single", {"points": "0"}, "points"),
    "points not a number": ("single", {"points": "many"}, "points"),
    "share not a number": ("single", {"key-0-percent": "all"}, "key-0-percent"),
    "share above 100": ("single", {"key-0-percent": "200"}, "key-0-percent"),
    "no right option": ("single", {"key-0-percent": "0"}, None),
    "multiple not adding up": ("multiple", {"key-1-percent": "10"}, None),
    "numeric without a value": ("numeric", {"key-0-value": ""}, None),
    "negative tolerance": ("numeric", {"key-0-tolerance": "-1"}, "key-0-tolerance"),
    "matching without an answer": ("matching", {"key-1-match": ""}, None),
    "empty objective": ("single", {"objectives": "!!!"}, "objectives"),
}


@pytest.mark.parametrize("case", sorted(BAD_QUESTIONS))
def test_a_bad_question_is_refused_on_the_page_and_writes_nothing(bank: Bank, case: str) -> None:
    kind, changes, field = BAD_QUESTIONS[case]
    before = assessments_database_state()
    url = reverse("frontend:question-create", args=[bank.course_id]) + f"?kind={kind}"
    response = _as(bank, "author").post(url, _question_form(kind, **changes))
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    form = response.context["form"]
    assert form.errors.get(field or "__all__"), form.errors
    assert assessments_database_state() == before


def test_a_question_is_deleted_unless_a_quiz_uses_it(bank: Bank) -> None:
    client = _as(bank, "author")
    spare = services.question_create(
        course=bank.classes.courses.course, by=bank.classes.person("author"), kind="essay",
        title="Spare", text_markdown="Write.", keys=[],
    )  # fmt: skip
    assert client.post(reverse("frontend:question-delete", args=[spare.pk])).status_code == 302
    assert not Question.objects.filter(pk=spare.pk).exists()
    draft_quiz(bank, [bank.question])
    before = assessments_database_state()
    refused = client.post(reverse("frontend:question-delete", args=[bank.question.pk]), follow=True)
    assert "used in a quiz" in refused.content.decode()
    assert assessments_database_state() == before


GIFT = """// A small bank
$CATEGORY: $course$/Математика/fractions

::Sum::1/2 + 1/4? {=3/4#Туура ~2/6#Бөлүмдөрдү кошпо}

::Pi::Пи саны? {#3.14:0.01}
"""


def test_a_gift_file_is_checked_with_its_errors_then_imported(bank: Bank) -> None:
    client = _as(bank, "author")
    url = reverse("frontend:question-import", args=[bank.course_id])
    broken = GIFT + "\nБузук суроо? {~a ~b}\n"
    before = assessments_database_state()
    # a check of a file with an error names its line and writes nothing
    checked = client.post(
        url, {"file": SimpleUploadedFile("bank.gift", broken.encode()), "mode": "dry-run"}
    )
    page = checked.content.decode()
    assert checked.status_code == 200
    assert re.search(r"<td>8</td><td class=\"error\">[^<]+</td>", page)
    assert "Nothing was imported: correct the lines named below." in page
    assert "Бузук суроо?" in page  # the text is kept in the page, to correct it there
    assert assessments_database_state() == before
    # importing it adds nothing either
    client.post(url, {"text": broken, "mode": "apply"})
    assert assessments_database_state() == before
    # a check of the good file lists its questions; importing adds them
    good = client.post(url, {"text": GIFT, "mode": "dry-run"})
    assert "Check: nothing was written yet" in good.content.decode()
    assert [q["title"] for q in good.context["report"].questions] == ["Sum", "Pi"]
    assert assessments_database_state() == before
    applied = client.post(url, {"text": GIFT, "mode": "apply"}, follow=True)
    assert "2 questions were added to the bank." in applied.content.decode()
    assert set(Question.objects.values_list("title", flat=True)) == {"Capital", "Sum", "Pi"}


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("bank.gift", "Суроо? {=ооба}".encode("cp1251")),
        SimpleUploadedFile("bank.gift", b"x" * 2_000_001),
        None,
    ],
)
def test_an_unreadable_gift_file_is_refused(bank: Bank, upload: Any) -> None:
    before = assessments_database_state()
    data = {"mode": "apply"} if upload is None else {"file": upload, "mode": "apply"}
    response = _as(bank, "author").post(
        reverse("frontend:question-import", args=[bank.course_id]), data
    )
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert response.context["form"].errors
    assert assessments_database_state() == before


# --- assessments of a class ---------------------------------------------------------------------
CLASS_TEACHERS = {"class_teacher": 200, "platform_admin": 200}


@pytest.mark.parametrize("role", [*EVERY_ROLE, "student_b1"])
def test_who_may_open_the_assessment_pages(bank: Bank, role: str, at_noon: None) -> None:
    cohort = bank.classes.cohorts["a1"]
    draft = draft_quiz(bank, [bank.question], title="Draft quiz")
    published = published_quiz(bank, [bank.question], title="Open quiz")
    client = _as(bank, role)
    listing = client.get(reverse("frontend:assessment-list", args=[cohort.pk]))
    expected = {**CLASS_TEACHERS, "student_a1": 200}.get(role, 404)
    assert listing.status_code == expected
    if expected == 200:
        page = listing.content.decode()
        assert "Open quiz" in page
        assert ("Draft quiz" in page) is (role != "student_a1")
    for url in (
        reverse("frontend:quiz-create", args=[cohort.pk]),
        reverse("frontend:assignment-create", args=[cohort.pk]),
        reverse("frontend:assessment-detail", args=[draft.pk]),
    ):
        assert client.get(url).status_code == CLASS_TEACHERS.get(role, 404), url
    detail = client.get(reverse("frontend:assessment-detail", args=[published.pk]))
    assert detail.status_code == expected
    before = assessments_database_state()
    publish = client.post(
        reverse("frontend:assessment-publish", args=[draft.pk]), {"published": "on"}
    )
    start = client.post(reverse("frontend:attempt-start", args=[published.pk]))
    if role not in CLASS_TEACHERS:
        assert publish.status_code == 404
    if role != "student_a1":
        assert start.status_code == 404
    if role not in {*CLASS_TEACHERS, "student_a1"}:
        assert assessments_database_state() == before


def test_a_pupil_sees_published_work_with_its_due_time_in_their_zone_and_their_state(
    bank: Bank, at_noon: None
) -> None:
    pupil = bank.classes.person("student_a1")
    pupil.time_zone = "Asia/Ulaanbaatar"  # UTC+8
    pupil.save(update_fields=["time_zone"])
    teacher = bank.classes.person("class_teacher")  # Asia/Bishkek, UTC+6
    first = published_quiz(bank, [bank.question], title="First quiz")
    second = published_quiz(bank, [bank.question], title="Second quiz")
    services.attempt_start(assessment=second, student=pupil)
    url = reverse("frontend:assessment-list", args=[bank.classes.cohorts["a1"].pk])
    page = signed_in(pupil).get(url)
    rows = {row["assessment"].title: row["state"] for row in page.context["rows"]}
    assert rows == {"First quiz": "not_started", "Second quiz": "in_progress"}
    html = page.content.decode()
    assert "2026-12-01 17:00" in html
    assert "Asia/Ulaanbaatar" in html
    assert "In progress" in html
    assert "Not started" in html
    assert "2026-12-01 15:00" in signed_in(teacher).get(url).content.decode()
    assert first.pk  # both listed


def _quiz_form(bank: Bank, **extra: str) -> dict[str, str]:
    return {
        "title": "Page quiz",
        "instructions_markdown": "Read *carefully*.",
        "due_at": "2026-12-01T15:00",  # in the teacher's zone, Asia/Bishkek: 09:00 UTC
        "late_policy": "penalty",
        "late_penalty_percent": "10",
        "reveal": "after_submit",
        "time_limit_minutes": "20",
        "max_attempts": "2",
        "shuffle_options": "on",
        f"q-{bank.question.pk}": "on",
        f"q-{bank.question.pk}-points": "2",
        "draw-0-objective": "geography",
        "draw-0-count": "1",
        "draw-0-points": "3",
        **extra,
    }


def test_a_teacher_builds_a_quiz_and_publishes_it_on_the_pages(bank: Bank, at_noon: None) -> None:
    cohort = bank.classes.cohorts["a1"]
    client = _as(bank, "class_teacher")
    other = services.question_create(
        course=bank.classes.courses.course, by=bank.classes.person("author"), kind="true_false",
        title="Other", text_markdown="?", objectives=["geography"],
        keys=[{"text": "T", "fraction": Decimal(1)}, {"text": "F", "fraction": Decimal(0)}],
    )  # fmt: skip
    form = client.get(reverse("frontend:quiz-create", args=[cohort.pk])).content.decode()
    assert "Capital" in form
    assert "Other" in form
    response = client.post(reverse("frontend:quiz-create", args=[cohort.pk]), _quiz_form(bank))
    assert response.status_code == 302, response.content.decode()
    quiz = Assessment.objects.get(title="Page quiz")
    assert response["Location"] == reverse("frontend:assessment-detail", args=[quiz.pk])
    assert (quiz.due_at, quiz.points, quiz.is_published) == (DUE, Decimal(5), False)
    assert (quiz.reveal, quiz.time_limit_minutes, quiz.max_attempts) == ("after_submit", 20, 2)
    assert (quiz.late_penalty_percent, quiz.shuffle_options) == (Decimal(10), True)
    slots = list(quiz.slots.order_by("position"))
    assert [(s.question_id, s.random_count, s.points) for s in slots] == [
        (bank.question.pk, 0, Decimal(2)),
        (None, 1, Decimal(3)),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "Capital" in detail
    assert "1 question drawn from “geography”, 3 points each" in detail
    client.post(reverse("frontend:assessment-publish", args=[quiz.pk]), {"published": "on"})
    quiz.refresh_from_db()
    assert quiz.is_published
    client.post(reverse("frontend:assessment-publish", args=[quiz.pk]), {"published": ""})
    quiz.refresh_from_db()
    assert not quiz.is_published
    assert other.pk


def test_a_teacher_sets_an_assignment_with_a_rubric(bank: Bank, at_noon: None) -> None:
    cohort = bank.classes.cohorts["a1"]
    category = services.grade_category_create(
        cohort=cohort, by=bank.classes.person("class_teacher"), name="Homework", weight=Decimal(40)
    )
    response = _as(bank, "class_teacher").post(
        reverse("frontend:assignment-create", args=[cohort.pk]),
        {"title": "Essay", "instructions_markdown": "Write.", "due_at": "2026-12-01T15:00",
         "late_policy": "refuse", "late_penalty_percent": "0", "category": str(category.pk),
         "criterion-0-title": "Ideas", "criterion-0-points": "6",
         "criterion-1-title": "Spelling", "criterion-1-description": "Few mistakes.",
         "criterion-1-points": "4"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    assignment = Assessment.objects.get(title="Essay")
    assert (assignment.kind, assignment.points, assignment.category) == (
        "assignment",
        Decimal(10),
        category,
    )
    assert [(c.title, c.points) for c in assignment.rubric.order_by("position")] == [
        ("Ideas", Decimal(6)),
        ("Spelling", Decimal(4)),
    ]


BAD_QUIZZES: dict[str, tuple[dict[str, str], str | None]] = {
    "no title": ({"title": ""}, "title"),
    "no due time": ({"due_at": ""}, "due_at"),
    "a due time that is no time": ({"due_at": "tomorrow"}, "due_at"),
    "opening after the due time": ({"opens_at": "2026-12-02T10:00"}, "opens_at"),
    "closing before the due time": ({"closes_at": "2026-11-30T10:00"}, "closes_at"),
    "no attempts": ({"max_attempts": "0"}, "max_attempts"),
    "no questions": ({f"q-{0}": "", "draw-0-objective": "", "draw-0-count": ""}, None),
    "a draw of more questions than there are": ({"draw-0-count": "5"}, None),
    "a draw without a count": ({"draw-0-count": ""}, None),
    "bad points": ({"draw-0-points": "lots"}, "draw-0-points"),
}


@pytest.mark.parametrize("case", sorted(BAD_QUIZZES))
def test_a_bad_quiz_is_refused_on_the_page_and_writes_nothing(
    bank: Bank, case: str, at_noon: None
) -> None:
    changes, field = BAD_QUIZZES[case]
    data = _quiz_form(bank, **changes)
    if case == "no questions":
        data.pop(f"q-{bank.question.pk}")
    before = assessments_database_state()
    response = _as(bank, "class_teacher").post(
        reverse("frontend:quiz-create", args=[bank.classes.cohorts["a1"].pk]), data
    )
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert response.context["form"].errors.get(field or "__all__"), response.context["form"].errors
    assert assessments_database_state() == before


def test_an_assignment_without_a_rubric_is_refused(bank: Bank, at_noon: None) -> None:
    before = assessments_database_state()
    response = _as(bank, "class_teacher").post(
        reverse("frontend:assignment-create", args=[bank.classes.cohorts["a1"].pk]),
        {"title": "Essay", "due_at": "2026-12-01T15:00", "late_policy": "refuse",
         "late_penalty_percent": "0", "criterion-0-description": "Only a description."},
    )  # fmt: skip
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert assessments_database_state() == before


def test_the_class_page_links_to_the_assessments(bank: Bank) -> None:
    cohort = bank.classes.cohorts["a1"]
    url = reverse("frontend:class-detail", args=[cohort.pk])
    teacher = _as(bank, "class_teacher").get(url).content.decode()
    assert reverse("frontend:assessment-list", args=[cohort.pk]) in teacher
    assert reverse("frontend:gradebook", args=[cohort.pk]) in teacher
    pupil = _as(bank, "student_a1").get(url).content.decode()
    assert reverse("frontend:assessment-list", args=[cohort.pk]) in pupil
    assert reverse("frontend:my-grades", args=[cohort.pk]) in pupil
    assert reverse("frontend:gradebook", args=[cohort.pk]) not in pupil


# --- taking a quiz ------------------------------------------------------------------------------
@pytest.fixture
def canary(bank: Bank) -> Question:
    """A short-answer question whose accepted answer and its feedback are canaries."""
    return secret_word(bank, CANARY, CANARY_FEEDBACK, general_feedback=CANARY_GENERAL)


@pytest.fixture
def choice_canary(bank: Bank) -> Question:
    """A single-choice question whose right option's feedback is a canary."""
    return services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="single",
        title="Colour",
        text_markdown="Which colour?",
        keys=[
            {"text": "Blue", "fraction": Decimal(1), "feedback": CANARY_FEEDBACK},
            {"text": "Red", "fraction": Decimal(0)},
        ],
    )


def _option_index(page: str, question: int, text: str) -> str:
    """The value of the option with ``text`` on a quiz page (options are numbered by place)."""
    match = re.search(
        rf'name="answer-{question}" value="(\d+)"[^>]*> {re.escape(text)}</label>', page
    )
    assert match, text
    return match.group(1)


def test_a_pupil_takes_a_quiz_through_the_pages(
    bank: Bank,
    canary: Question,
    at_noon: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    quiz = published_quiz(
        bank, [bank.question, canary], reveal="after_submit", time_limit_minutes=30
    )
    pupil = _as(bank, "student_a1")
    # start: the answering page, with a countdown from the server's deadline
    detail = pupil.get(reverse("frontend:assessment-detail", args=[quiz.pk])).content.decode()
    assert "Start the quiz" in detail
    started = pupil.post(reverse("frontend:attempt-start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    url = reverse("frontend:attempt-detail", args=[attempt.pk])
    assert started["Location"] == url
    page = pupil.get(url).content.decode()
    assert 'data-seconds-left="1800"' in page
    assert 'hx-post="' + reverse("frontend:answer-save", args=[attempt.pk, canary.pk]) in page
    right = _option_index(page, bank.question.pk, "Бишкек")
    wrong = _option_index(page, bank.question.pk, "Ош")
    save_choice = reverse("frontend:answer-save", args=[attempt.pk, bank.question.pk])
    # an htmx save answers with its state and the revision to send next
    saved = pupil.post(
        save_choice, {f"answer-{bank.question.pk}": wrong, f"revision-{bank.question.pk}": "1"},
        **HTMX,
    )  # fmt: skip
    assert saved.status_code == 200
    assert "Saved at" in saved.content.decode()
    assert f'name="revision-{bank.question.pk}" value="2"' in saved.content.decode()
    pupil.post(
        save_choice, {f"answer-{bank.question.pk}": right, f"revision-{bank.question.pk}": "2"},
        **HTMX,
    )  # fmt: skip
    # an older save arriving late is ignored, and the page says so
    stale = pupil.post(
        save_choice, {f"answer-{bank.question.pk}": wrong, f"revision-{bank.question.pk}": "1"},
        **HTMX,
    )  # fmt: skip
    assert "A newer answer was saved" in stale.content.decode()
    right_id = bank.question.keys.get(text="Бишкек").pk
    answer = Answer.objects.get(question=bank.question)
    assert (answer.response, answer.revision) == ({"option": right_id}, 2)
    # the form's button (no JavaScript) saves the typed answer; a reload shows both kept
    kept = pupil.post(
        reverse("frontend:attempt-save", args=[attempt.pk]),
        {f"answer-{bank.question.pk}": right, f"answer-{canary.pk}": "wrong word",
         f"revision-{canary.pk}": "1", "action": "save"},
        follow=True,
    )  # fmt: skip
    assert "Your answers were saved." in kept.content.decode()
    assert f'value="{right}" checked' in kept.content.decode()
    assert 'value="wrong word"' in kept.content.decode()
    # hand in: the confirmation counts the answers, then the attempt is graded after commit
    review = pupil.post(
        reverse("frontend:attempt-save", args=[attempt.pk]), {"action": "review"}, follow=True
    )
    assert "you answered 2 of 2 questions" in review.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = pupil.post(reverse("frontend:attempt-submit", args=[attempt.pk]))
    assert done["Location"] == url
    result = pupil.get(url).content.decode()
    assert "Your score: 1.00 of 2.00 points." in result
    assert CANARY in result  # revealed after submitting, as the quiz says
    assert CANARY_GENERAL in result
    # a save after handing in changes nothing and goes to the result
    after = pupil.post(
        save_choice, {f"answer-{bank.question.pk}": wrong, f"revision-{bank.question.pk}": "9"},
        **HTMX,
    )  # fmt: skip
    assert after["HX-Redirect"] == url
    assert Answer.objects.get(question=bank.question).revision == 2


def test_a_bad_answer_is_refused_with_its_message_and_not_saved(bank: Bank, at_noon: None) -> None:
    numeric = services.question_create(
        course=bank.classes.courses.course, by=bank.classes.person("author"), kind="numeric",
        title="N", text_markdown="?", keys=[{"value": Decimal(2), "fraction": Decimal(1)}],
    )  # fmt: skip
    quiz = published_quiz(bank, [bank.question, numeric])
    pupil = _as(bank, "student_a1")
    pupil.post(reverse("frontend:attempt-start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    before = assessments_database_state()
    htmx = pupil.post(
        reverse("frontend:answer-save", args=[attempt.pk, numeric.pk]),
        {f"answer-{numeric.pk}": "9" * 60, f"revision-{numeric.pk}": "1"},
        **HTMX,
    )
    assert "Write a number." in htmx.content.decode()
    page = pupil.post(
        reverse("frontend:attempt-save", args=[attempt.pk]),
        {f"answer-{bank.question.pk}": "7", f"answer-{numeric.pk}": "9" * 60, "action": "save"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Some answers were not saved" in html
    assert "Choose one of the options." in html
    assert "Write a number." in html
    assert assessments_database_state() == before


def test_time_running_out_hands_the_attempt_in(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(BEFORE_DUE)
    quiz = published_quiz(bank, [bank.question], time_limit_minutes=10)
    pupil = _as(bank, "student_a1")
    pupil.post(reverse("frontend:attempt-start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    clock(BEFORE_DUE + timedelta(minutes=11))
    page = pupil.get(reverse("frontend:attempt-detail", args=[attempt.pk])).content.decode()
    assert 'data-seconds-left="0"' in page
    assert "Time is up" in page
    # what the countdown sends at zero: the attempt is handed in as of its deadline
    pupil.post(reverse("frontend:attempt-save", args=[attempt.pk]), {"action": "finish"})
    attempt.refresh_from_db()
    assert attempt.state != AttemptState.IN_PROGRESS
    assert attempt.submitted_at == BEFORE_DUE + timedelta(minutes=10)


def test_nobody_else_opens_or_answers_a_pupils_attempt(bank: Bank, at_noon: None) -> None:
    quiz = published_quiz(bank, [bank.question])
    attempt = services.attempt_start(assessment=quiz, student=bank.classes.person("student_a1"))
    [other] = enrolled_pupils(bank.classes.cohorts["a1"], 1)
    before = assessments_database_state()
    for client in (signed_in(other), _as(bank, "class_teacher"), _as(bank, "platform_admin")):
        assert client.get(reverse("frontend:attempt-detail", args=[attempt.pk])).status_code == 404
        save = reverse("frontend:answer-save", args=[attempt.pk, bank.question.pk])
        assert client.post(save, {f"answer-{bank.question.pk}": "0"}).status_code == 404
        submit = reverse("frontend:attempt-submit", args=[attempt.pk])
        assert client.post(submit).status_code == 404
    assert assessments_database_state() == before


def _everything_a_pupil_reads(client: Client, attempt: Attempt) -> str:
    """Every page a pupil can open about their quiz, answers saved by htmx included."""
    quiz = attempt.assessment
    urls = [
        reverse("frontend:assessment-list", args=[quiz.cohort_id]),
        reverse("frontend:assessment-detail", args=[quiz.pk]),
        reverse("frontend:attempt-detail", args=[attempt.pk]),
        reverse("frontend:my-grades", args=[quiz.cohort_id]),
    ]
    if attempt.state == AttemptState.IN_PROGRESS:
        urls.append(reverse("frontend:attempt-submit", args=[attempt.pk]))
    return "\n".join(client.get(url).content.decode() for url in urls)


def test_no_page_holds_a_right_answer_before_the_reveal(
    bank: Bank,
    canary: Question,
    choice_canary: Question,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a quiz that shows the right answers after its due time
    clock(BEFORE_DUE)
    quiz = published_quiz(bank, [canary, choice_canary], reveal="after_due", late_policy="penalty")
    pupil = _as(bank, "student_a1")
    pupil.post(reverse("frontend:attempt-start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    # while answering: no key, share, feedback or right answer anywhere
    page = _everything_a_pupil_reads(pupil, attempt)
    blue = _option_index(page, choice_canary.pk, "Blue")
    saved = pupil.post(
        reverse("frontend:answer-save", args=[attempt.pk, choice_canary.pk]),
        {f"answer-{choice_canary.pk}": blue, f"revision-{choice_canary.pk}": "1"},
        **HTMX,
    ).content.decode()
    for text in (page, saved):
        for secret in (CANARY, CANARY_FEEDBACK, CANARY_GENERAL, "fraction", "1.00000"):
            assert secret not in text
    # the option ids (in the order the author typed them) are not in the page either
    for key in QuestionKey.objects.filter(question=choice_canary):
        assert f'value="{key.pk}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        pupil.post(reverse("frontend:attempt-submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    # one second before the due time: graded, but nothing shown yet
    clock(DUE - timedelta(seconds=1))
    before = _everything_a_pupil_reads(pupil, attempt)
    for secret in (CANARY, CANARY_FEEDBACK, CANARY_GENERAL, "Your score:"):
        assert secret not in before
    assert "shown after the due time" in before
    # one second after: the score, the feedback and the right answers
    clock(DUE + timedelta(seconds=1))
    after = _everything_a_pupil_reads(pupil, attempt)
    for secret in (CANARY, CANARY_FEEDBACK, CANARY_GENERAL, "Your score: 1.00 of 2.00 points."):
        assert secret in after


def test_a_quiz_that_never_reveals_never_shows_the_answers(
    bank: Bank,
    canary: Question,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(BEFORE_DUE)
    quiz = published_quiz(bank, [canary], reveal="never", late_policy="penalty")
    pupil = _as(bank, "student_a1")
    pupil.post(reverse("frontend:attempt-start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        pupil.post(reverse("frontend:attempt-submit", args=[attempt.pk]))
    clock(DUE + timedelta(days=30))
    attempt.refresh_from_db()
    seen = _everything_a_pupil_reads(pupil, attempt)
    for secret in (CANARY, CANARY_FEEDBACK, CANARY_GENERAL, "Your score:"):
        assert secret not in seen


def test_a_question_drawn_onto_a_paper_cannot_be_deleted_and_the_page_stands(
    bank: Bank, at_noon: None
) -> None:
    author = bank.classes.person("author")
    drawn = services.question_create(
        course=bank.classes.courses.course, by=author, kind="essay", title="Only one",
        text_markdown="Why?", keys=[], objectives=["alone"],
    )  # fmt: skip
    quiz = published_quiz(bank, [], questions=[{"objective": "alone", "count": 1}])
    attempt = services.attempt_start(assessment=quiz, student=bank.classes.person("student_a1"))
    with pytest.raises(ApplicationError) as refused:
        services.question_delete(question=drawn, by=author)
    assert refused.value.code == "in_use"
    assert Question.objects.filter(pk=drawn.pk).exists()
    page = _as(bank, "student_a1").get(reverse("frontend:attempt-detail", args=[attempt.pk]))
    assert page.status_code == 200


# --- gradebook, overrides, publishing, a pupil's grades -----------------------------------------
def _graded(bank: Bank, points: str = "1") -> Assessment:
    quiz = published_quiz(bank, [bank.question])
    services.grade_override(
        assessment=quiz, student=bank.classes.person("student_a1"),
        by=bank.classes.person("class_teacher"), points=Decimal(points), reason="Marked on paper.",
    )  # fmt: skip
    return quiz


@pytest.mark.parametrize("role", [*EVERY_ROLE, "teacher_b1"])
def test_who_may_open_the_gradebook(bank: Bank, role: str, at_noon: None) -> None:
    quiz = _graded(bank)
    cohort = bank.classes.cohorts["a1"]
    if role == "teacher_b1":
        client = signed_in(bank.classes.cohorts["b1"].teachers.get())
    else:
        client = _as(bank, role)
    pupil = bank.classes.person("student_a1")
    expected = CLASS_TEACHERS.get(role, 404)
    book = client.get(reverse("frontend:gradebook", args=[cohort.pk]))
    assert book.status_code == expected
    if expected == 200:
        html = book.content.decode()
        assert pupil.username in html
        assert reverse("api:gradebook-csv", args=[cohort.pk]) in html
        assert "Publish 1 grade" in html
    history = reverse("frontend:grade-detail", args=[quiz.pk, pupil.pk])
    assert client.get(history).status_code == expected
    before = assessments_database_state()
    answers = [
        client.post(history, {"points": "0", "reason": "x"}).status_code,
        client.post(reverse("frontend:grades-publish", args=[quiz.pk])).status_code,
        client.post(
            reverse("frontend:grade-category-create", args=[cohort.pk]),
            {"name": "Tests", "weight": "50"},
        ).status_code,
    ]
    if expected == 404:
        assert answers == [404, 404, 404]
        assert assessments_database_state() == before


def test_a_teacher_overrides_reads_the_history_and_publishes(bank: Bank, at_noon: None) -> None:
    quiz = _graded(bank, points="0.5")
    pupil = bank.classes.person("student_a1")
    teacher = _as(bank, "class_teacher")
    url = reverse("frontend:grade-detail", args=[quiz.pk, pupil.pk])
    # the pupil sees no points before they are published
    mine = reverse("frontend:my-grades", args=[quiz.cohort_id])
    assert "Not published yet" in signed_in(pupil).get(mine).content.decode()
    changed = teacher.post(url, {"points": "0,75", "reason": "Partly right after all."})
    assert changed.status_code == 302
    page = teacher.get(url).content.decode()
    assert "0.75 of 1 points" in page
    assert "Partly right after all." in page
    assert "Marked on paper." in page
    assert "An override" in page
    grade = Grade.objects.get(assessment=quiz, student=pupil)
    assert (grade.points, grade.version) == (Decimal("0.75"), 2)
    published = teacher.post(reverse("frontend:grades-publish", args=[quiz.pk]), follow=True)
    assert "1 grade was published" in published.content.decode()
    grade.refresh_from_db()
    assert grade.state == GradeState.PUBLISHED
    assert "0.75 of 1" in signed_in(pupil).get(mine).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"points": "5", "reason": "Too many."}, "points"),
        ({"points": "-1", "reason": "Below zero."}, "points"),
        ({"points": "1", "reason": ""}, "reason"),
        ({"points": "1", "reason": "   "}, "reason"),
        ({"points": "one", "reason": "Words."}, "points"),
    ],
)
def test_a_bad_override_is_refused_and_writes_nothing(
    bank: Bank, data: dict[str, str], field: str, at_noon: None
) -> None:
    quiz = _graded(bank)
    before = assessments_database_state()
    response = _as(bank, "class_teacher").post(
        reverse("frontend:grade-detail", args=[quiz.pk, bank.classes.person("student_a1").pk]),
        data,
    )
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert assessments_database_state() == before


def test_grade_categories_are_added_and_a_bad_one_is_refused(bank: Bank) -> None:
    cohort = bank.classes.cohorts["a1"]
    teacher = _as(bank, "class_teacher")
    url = reverse("frontend:grade-category-create", args=[cohort.pk])
    added = teacher.post(url, {"name": "Quizzes", "weight": "60"}, follow=True)
    assert "The grade category was added." in added.content.decode()
    before = assessments_database_state()
    for data, field in (
        ({"name": "More", "weight": "50"}, "weight"),  # 110% in all
        ({"name": "Quizzes", "weight": "10"}, "name"),  # the same name
        ({"name": "", "weight": "10"}, "name"),
        ({"name": "X", "weight": "heavy"}, "weight"),
    ):
        refused = teacher.post(url, data)
        assert refused.status_code == 200
        assert NOT_SAVED in refused.content.decode()
        assert refused.context["category_form"].errors.get(field), data
    assert assessments_database_state() == before


@pytest.mark.parametrize(
    "role", ["student_a1", "class_teacher", "student_a2", "platform_admin", "school_admin_a1"]
)
def test_only_the_classes_pupils_have_my_grades(bank: Bank, role: str) -> None:
    response = _as(bank, role).get(
        reverse("frontend:my-grades", args=[bank.classes.cohorts["a1"].pk])
    )
    assert response.status_code == (200 if role == "student_a1" else 404)


def test_my_grades_link_to_the_pupils_attempts(
    bank: Bank, at_noon: None, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = published_quiz(bank, [bank.question], reveal="after_submit")
    student = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz, student=student)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt, student=student)
    page = signed_in(student).get(reverse("frontend:my-grades", args=[quiz.cohort_id]))
    assert reverse("frontend:attempt-detail", args=[attempt.pk]) in page.content.decode()
    assert "Not published yet" in page.content.decode()


# --- the same queries whatever the size ---------------------------------------------------------
def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# session, person, class, policy, the gradebook's 4, the drafts to publish, the navigation's
# unread notices
GRADEBOOK_QUERIES = 10


def test_the_gradebook_page_has_the_same_queries_for_10_and_40_pupils(
    bank: Bank, at_noon: None, django_assert_num_queries: Any
) -> None:
    cohort = bank.classes.cohorts["a1"]
    teacher = bank.classes.person("class_teacher")
    category = services.grade_category_create(
        cohort=cohort, by=teacher, name="Quizzes", weight=Decimal(60)
    )
    quizzes = [
        draft_quiz(bank, [bank.question], title=f"Q{n}", category=category) for n in range(3)
    ]
    url = reverse("frontend:gradebook", args=[cohort.pk])
    client = signed_in(teacher)
    counts = []
    for added in (9, 30):  # with student_a1: 10 pupils, then 40
        for pupil in enrolled_pupils(cohort, added):
            for quiz in quizzes:
                Grade.objects.create(assessment=quiz, student=pupil, points=Decimal(1))
        counts.append(_queries(client, url))
    assert counts[0] == counts[1]
    with django_assert_num_queries(GRADEBOOK_QUERIES):
        page = client.get(url)
    assert len(page.context["rows"]) == 40


# session, person, the attempt, is the pupil still in the class, its questions, their options,
# the answers, the navigation's unread notices
TAKING_QUERIES = 8


@pytest.fixture
def many_questions(bank: Bank) -> list[Question]:
    kinds = ["single", "multiple", "numeric", "short_text", "matching", "ordering", "essay"]
    made = []
    for n in range(20):
        kind = kinds[n % len(kinds)]
        body = _question_form(kind)
        keys: list[dict[str, Any]] = []
        rows = sorted({name.split("-")[1] for name in KEYS[kind]})
        for row in rows:
            key: dict[str, Any] = {}
            for column in ("text", "match", "feedback", "value", "tolerance", "percent"):
                value = body.get(f"key-{row}-{column}")
                if value is None:
                    continue
                if column == "percent":
                    key["fraction"] = Decimal(value) / 100
                elif column in ("value", "tolerance"):
                    key[column] = Decimal(value.replace(",", "."))
                else:
                    key[column] = value
            keys.append(key)
        made.append(
            services.question_create(
                course=bank.classes.courses.course,
                by=bank.classes.person("author"),
                kind=kind,
                title=f"Q{n:02d}",
                text_markdown=f"Question {n}",
                keys=keys,
            )
        )
    return made


def test_the_quiz_page_has_the_same_queries_for_5_and_20_questions(
    bank: Bank,
    many_questions: list[Question],
    at_noon: None,
    django_assert_num_queries: Any,
) -> None:
    pupil = bank.classes.person("student_a1")
    client = signed_in(pupil)
    counts = []
    for size in (5, 20):
        quiz = published_quiz(
            bank, many_questions[:size], title=f"{size} questions", max_attempts=1
        )
        attempt = services.attempt_start(assessment=quiz, student=pupil)
        for item in attempt.questions[:3]:
            Answer.objects.create(
                attempt=attempt, question_id=item["question"], response={}, revision=1,
                saved_at=BEFORE_DUE,
            )  # fmt: skip
        url = reverse("frontend:attempt-detail", args=[attempt.pk])
        counts.append(_queries(client, url))
        with django_assert_num_queries(TAKING_QUERIES):
            page = client.get(url)
        assert len(page.context["questions"]) == size
        services.attempt_submit(attempt=attempt, student=pupil)
    assert counts[0] == counts[1]
