"""The question bank API: who may read and write it (answer keys never reach a pupil), every
question type through the API, bad input refused with nothing written, GIFT import."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from courses.assessments.models import Objective, Question, QuestionKey
from tests.assessments.conftest import Bank

ROLES = (
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "school_admin_b1",
    "author",
    "class_teacher",
    "teacher_a2",
    "facilitator",
    "student_a1",
    "student_a2",
    "student_b1",
    "anonymous",
)
EDITORS = {"platform_admin", "author"}
BANK_READERS = {"class_teacher"}  # teaches a class of the course: builds quizzes from the bank
# See the course, but not its bank: administrators over A1 and the enrolled pupil.
COURSE_READERS = {"region_admin_a", "school_admin_a1", "student_a1"}


def expected(*, editors: int, bank_readers: int, course_readers: int) -> dict[str, int]:
    table = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = 401
        elif role in EDITORS:
            table[role] = editors
        elif role in BANK_READERS:
            table[role] = bank_readers
        elif role in COURSE_READERS:
            table[role] = course_readers
        else:
            table[role] = 404
    return table


def state() -> dict[str, list[dict[str, Any]]]:
    return {
        "questions": list(Question.objects.order_by("pk").values()),
        "keys": list(QuestionKey.objects.order_by("pk").values()),
        "objectives": list(Objective.objects.order_by("pk").values()),
        "tags": list(Question.objectives.through.objects.order_by("pk").values()),
    }


NEW_QUESTION = {
    "kind": "true_false",
    "title": "Earth",
    "text_markdown": "Жер тегерек.",
    "keys": [{"text": "True", "fraction": "1"}, {"text": "False", "fraction": "0"}],
}


def _gift(mode: str) -> dict[str, Any]:
    upload = SimpleUploadedFile("bank.gift", b"2+2? {=4 ~5}\n")
    return {"file": upload, "mode": mode}


Request = tuple[str, Callable[[Bank], str], Callable[[], Any] | None, str]
REQUESTS: dict[str, tuple[Request, dict[str, int]]] = {
    "list": (
        ("get", lambda b: f"/api/v1/courses/{b.course_id}/questions/", None, "json"),
        expected(editors=200, bank_readers=200, course_readers=403),
    ),
    "objectives": (
        ("get", lambda b: f"/api/v1/courses/{b.course_id}/objectives/", None, "json"),
        expected(editors=200, bank_readers=200, course_readers=403),
    ),
    "create": (
        (
            "post",
            lambda b: f"/api/v1/courses/{b.course_id}/questions/",
            lambda: NEW_QUESTION,
            "json",
        ),
        expected(editors=201, bank_readers=403, course_readers=403),
    ),
    "import-apply": (
        (
            "post",
            lambda b: f"/api/v1/courses/{b.course_id}/questions/import/",
            lambda: _gift("apply"),
            "multipart",
        ),
        expected(editors=200, bank_readers=403, course_readers=403),
    ),
    "detail": (
        ("get", lambda b: f"/api/v1/questions/{b.question.pk}/", None, "json"),
        expected(editors=200, bank_readers=200, course_readers=404),
    ),
    "patch": (
        (
            "patch",
            lambda b: f"/api/v1/questions/{b.question.pk}/",
            lambda: {"title": "New"},
            "json",
        ),
        expected(editors=200, bank_readers=403, course_readers=404),
    ),
    "delete": (
        ("delete", lambda b: f"/api/v1/questions/{b.question.pk}/", None, "json"),
        expected(editors=204, bank_readers=403, course_readers=404),
    ),
}
WRITES = {"create", "import-apply", "patch", "delete"}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_role_gets_exactly_its_answer(bank: Bank, name: str) -> None:
    (method, url, body, form), answers = REQUESTS[name]
    observed: dict[str, int] = {}
    wrote: dict[str, bool] = {}
    for role in ROLES:
        with transaction.atomic():
            before = state()
            client = bank.classes.client(role)
            payload = body() if body else None
            response = getattr(client, method)(url(bank), payload, format=form)
            observed[role] = response.status_code
            wrote[role] = state() != before
            transaction.set_rollback(True)
    # then every role gets its answer, refused requests write nothing, accepted writes write
    assert observed == answers
    for role, status in observed.items():
        assert wrote[role] is (name in WRITES and status < 300), role


def test_a_pupil_never_receives_answer_keys(bank: Bank) -> None:
    client = bank.classes.client("student_a1")
    for url in (
        f"/api/v1/courses/{bank.course_id}/questions/",
        f"/api/v1/questions/{bank.question.pk}/",
        f"/api/v1/courses/{bank.course_id}/objectives/",
    ):
        body = client.get(url).content.decode()
        assert "Бишкек" not in body
        assert "Туура!" not in body


# --- every type through the API --------------------------------------------------------------
QUESTIONS: dict[str, dict[str, Any]] = {
    "single": {"keys": [{"text": "a", "fraction": "1"}, {"text": "b"}]},
    "multiple": {
        "keys": [
            {"text": "a", "fraction": "0.5"},
            {"text": "b", "fraction": "0.5"},
            {"text": "c", "fraction": "-1"},
        ]
    },
    "true_false": {"keys": [{"text": "True", "fraction": "0"}, {"text": "False", "fraction": "1"}]},
    "numeric": {"keys": [{"value": "3.14", "tolerance": "0.01", "fraction": "1"}]},
    "short_text": {"keys": [{"text": "Бишкек", "fraction": "1"}]},
    "matching": {
        "keys": [{"text": "KG", "match": "Бишкек"}, {"text": "MN", "match": "Улаанбаатар"}]
    },
    "ordering": {"keys": [{"text": "first"}, {"text": "second"}, {"text": "third"}]},
    "essay": {"keys": []},
}


@pytest.mark.parametrize("kind", sorted(QUESTIONS))
def test_an_author_writes_every_type_of_question(bank: Bank, kind: str) -> None:
    client = bank.classes.client("author")
    body = {
        "kind": kind,
        "title": f"A {kind} question",
        "text_markdown": "**Bold** <script>alert(1)</script>",
        "points": "2.5",
        "objectives": ["Бөлчөктөр кошуу", "fractions"],
        **QUESTIONS[kind],
    }
    response = client.post(f"/api/v1/courses/{bank.course_id}/questions/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == kind
    assert created["points"] == "2.50"
    assert len(created["keys"]) == len(QUESTIONS[kind]["keys"])
    assert "<strong>Bold</strong>" in created["text_html"]
    assert "<script" not in created["text_html"]
    assert sorted(created["objectives"]) == ["fractions", "бөлчөктөр-кошуу"]


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "no kind": ({"kind": "", "title": "x", "text_markdown": "x"}, "kind"),
    "unknown kind": ({**NEW_QUESTION, "kind": "crossword"}, "kind"),
    "no title": ({**NEW_QUESTION, "title": ""}, "title"),
    "zero points": ({**NEW_QUESTION, "points": "0"}, "points"),
    "fraction above 1": (
        {**NEW_QUESTION, "keys": [{"text": "True", "fraction": "2"}, {"text": "F"}]},
        "keys",
    ),
    "true/false without a right option": (
        {**NEW_QUESTION, "keys": [{"text": "True"}, {"text": "False"}]},
        "keys",
    ),
    "single with one option": (
        {**NEW_QUESTION, "kind": "single", "keys": [{"text": "a", "fraction": "1"}]},
        "keys",
    ),
    "multiple not adding up": (
        {
            **NEW_QUESTION,
            "kind": "multiple",
            "keys": [{"text": "a", "fraction": "0.5"}, {"text": "b", "fraction": "0.3"}],
        },
        "keys",
    ),
    "numeric without a value": (
        {**NEW_QUESTION, "kind": "numeric", "keys": [{"fraction": "1"}]},
        "keys",
    ),
    "negative tolerance": (
        {**NEW_QUESTION, "kind": "numeric", "keys": [{"value": "1", "tolerance": "-1"}]},
        "keys",
    ),
    "matching without answers": (
        {**NEW_QUESTION, "kind": "matching", "keys": [{"text": "a"}, {"text": "b"}]},
        "keys",
    ),
    "essay with keys": ({**NEW_QUESTION, "kind": "essay"}, "keys"),
    "keys not a list": ({**NEW_QUESTION, "keys": "True"}, "keys"),
    "empty objective": ({**NEW_QUESTION, "objectives": ["!!!"]}, "objectives"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_field_errors_and_writes_nothing(bank: Bank, case: str) -> None:
    body, field = BAD[case]
    before = state()
    response = bank.classes.client("author").post(
        f"/api/v1/courses/{bank.course_id}/questions/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert state() == before


def test_changing_the_type_revalidates_the_keys(bank: Bank) -> None:
    client = bank.classes.client("author")
    url = f"/api/v1/questions/{bank.question.pk}/"
    before = state()
    refused = client.patch(url, {"kind": "essay"}, format="json")
    assert refused.status_code == 400
    assert state() == before
    changed = client.patch(url, {"kind": "essay", "keys": []}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["keys"] == []


# --- GIFT ------------------------------------------------------------------------------------
GOOD_GIFT = """// A small bank
$CATEGORY: $course$/Математика/fractions

::Sum::1/2 + 1/4? {=3/4#Туура ~2/6#Бөлүмдөрдү кошпо}

::Pi::Пи саны? {#3.14:0.01}

Жер тегерек. {T}
"""


def _import(bank: Bank, text: str | bytes, mode: str, role: str = "author") -> Any:
    data = text.encode() if isinstance(text, str) else text
    return bank.classes.client(role).post(
        f"/api/v1/courses/{bank.course_id}/questions/import/",
        {"file": SimpleUploadedFile("bank.gift", data), "mode": mode},
        format="multipart",
    )


def test_a_gift_dry_run_lists_the_questions_and_writes_nothing(bank: Bank) -> None:
    before = state()
    response = _import(bank, GOOD_GIFT, "dry-run")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "applied": False,
        "questions": [
            {"line": 4, "kind": "single", "title": "Sum"},
            {"line": 6, "kind": "numeric", "title": "Pi"},
            {"line": 8, "kind": "true_false", "title": "Жер тегерек."},
        ],
        "errors": [],
    }
    assert state() == before


def test_a_gift_apply_adds_every_question_tagged_with_its_category(bank: Bank) -> None:
    response = _import(bank, GOOD_GIFT, "apply")
    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    added = Question.objects.filter(course_id=bank.course_id).exclude(pk=bank.question.pk)
    assert sorted(added.values_list("kind", flat=True)) == ["numeric", "single", "true_false"]
    assert {q.objectives.get().code for q in added} == {"fractions"}
    pi = added.get(title="Pi").keys.get()
    assert (pi.value, pi.tolerance) == (Decimal("3.14"), Decimal("0.01"))


def test_a_gift_file_with_any_error_adds_nothing_and_names_each_line(bank: Bank) -> None:
    text = GOOD_GIFT + "\nБузук суроо? {~a ~b}\n\nДагы бирөө {#x}\n"
    before = state()
    response = _import(bank, text, "apply")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is False
    assert [error["line"] for error in body["errors"]] == [10, 12]
    assert state() == before


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("Кыргызча суроо? {=ооба}".encode("cp1251", errors="replace"), "file"),
        (b"x" * 2_000_001, "file"),
    ],
)
def test_an_unreadable_gift_file_is_refused(bank: Bank, content: bytes, field: str) -> None:
    before = state()
    response = _import(bank, content, "apply")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert state() == before


def test_the_import_needs_a_mode(bank: Bank) -> None:
    response = bank.classes.client("author").post(
        f"/api/v1/courses/{bank.course_id}/questions/import/",
        {"file": SimpleUploadedFile("bank.gift", b"2+2? {=4 ~5}")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "mode" in response.json()["fields"]


def test_the_bank_list_uses_the_same_queries_for_5_and_50_questions(
    bank: Bank, django_assert_num_queries: Any
) -> None:
    client = bank.classes.client("author")
    url = f"/api/v1/courses/{bank.course_id}/questions/"

    def add(n: int) -> None:
        for _ in range(n):
            _import(bank, "2+2? {=4 ~5}\n", "apply")

    add(4)
    with django_assert_num_queries(BANK_LIST_QUERIES):
        assert len(client.get(url).json()["results"]) == 5
    add(45)
    with django_assert_num_queries(BANK_LIST_QUERIES):
        assert len(client.get(url).json()["results"]) == 50


# The course with its counts, the author check, the questions, their keys, their objectives.
BANK_LIST_QUERIES = 5
