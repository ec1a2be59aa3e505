"""Quizzes through the API: a teacher builds and publishes, a pupil takes it, the answers and
the score stay hidden until the reveal policy allows, a teacher overrides with a reason."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from courses.assessments import services
from courses.assessments.models import Assessment, Question
from tests.assessments.builders import (
    DUE,
    enrolled_pupils,
    option_id,
    published_quiz,
    save_answers,
    secret_word,
)
from tests.assessments.conftest import Bank

CANARY = "CANARY-7f3a-answer"
CANARY_FEEDBACK = "CANARY-7f3a-feedback"


pytestmark = pytest.mark.usefixtures("eager_celery")  # grading runs in this process


@pytest.fixture
def canary(bank: Bank) -> Question:
    return secret_word(bank, CANARY, CANARY_FEEDBACK)


def _create_quiz(bank: Bank, question: Question, **options: Any) -> Any:
    client = bank.classes.client("class_teacher")
    body = {
        "kind": "quiz",
        "title": "Weekly quiz",
        "due_at": DUE.isoformat(),
        "questions": [{"question": bank.question.pk}, {"question": question.pk, "points": "2"}],
        **options,
    }
    cohort = bank.classes.cohorts["a1"]
    return client.post(f"/api/v1/classes/{cohort.pk}/assessments/", body, format="json")


def test_a_teacher_builds_and_publishes_and_a_pupil_takes_a_quiz(
    bank: Bank,
    canary: Question,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(DUE - timedelta(hours=2))
    created = _create_quiz(bank, canary, reveal="after_submit")
    assert created.status_code == 201, created.content
    quiz = created.json()
    assert (quiz["points"], quiz["is_published"]) == ("3.00", False)
    pupil = bank.classes.client("student_a1")
    cohort = bank.classes.cohorts["a1"]
    # a draft is not the pupil's to see or start
    assert pupil.get(f"/api/v1/classes/{cohort.pk}/assessments/").json() == []
    assert pupil.post(f"/api/v1/assessments/{quiz['id']}/attempts/").status_code == 404
    teacher = bank.classes.client("class_teacher")
    published = teacher.post(
        f"/api/v1/assessments/{quiz['id']}/publish/", {"published": True}, format="json"
    )
    assert published.status_code == 200
    # the pupil starts, answers the first question right and the second wrong, submits
    started = pupil.post(f"/api/v1/assessments/{quiz['id']}/attempts/")
    assert started.status_code == 201, started.content
    attempt = started.json()
    first, second = attempt["questions"]
    assert [option["text"] for option in first["options"]] in (["Бишкек", "Ош"], ["Ош", "Бишкек"])
    assert "fraction" not in str(attempt)
    right = option_id(first, "Бишкек")
    save_answers(
        pupil, attempt["id"], {first["id"]: {"option": right}, second["id"]: {"text": "x"}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted = pupil.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert submitted.status_code == 202
    # then the attempt is graded and, the policy being "after submitting", shown with feedback
    shown = pupil.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert (shown["state"], shown["score"], shown["revealed"]) == ("graded", "1.00", True)
    assert shown["questions"][1]["result"]["right_answers"] == [
        {"id": canary.keys.get().pk, "text": CANARY}
    ]
    # and the teacher overrides the grade, with a reason, and reads the history
    student_id = bank.classes.person("student_a1").pk
    override = teacher.post(
        f"/api/v1/assessments/{quiz['id']}/grades/{student_id}/override/",
        {"points": "2.5", "reason": "Answered orally"},
        format="json",
    )
    assert override.status_code == 200, override.content
    history = teacher.get(f"/api/v1/assessments/{quiz['id']}/grades/{student_id}/history/").json()
    assert [(row["source"], row["points_after"]) for row in history] == [
        ("grading", "1.00"),
        ("override", "2.50"),
    ]


def _crawl(client: APIClient, bank: Bank, quiz_id: int, attempt_id: int) -> str:
    """Everything the pupil can read about the class, the course and the quiz."""
    cohort = bank.classes.cohorts["a1"]
    course = bank.classes.courses.course
    urls = [
        f"/api/v1/classes/{cohort.pk}/assessments/",
        f"/api/v1/classes/{cohort.pk}/",
        f"/api/v1/assessments/{quiz_id}/",
        f"/api/v1/attempts/{attempt_id}/",
        f"/api/v1/courses/{course.pk}/",
        f"/api/v1/courses/{course.pk}/questions/",
        f"/api/v1/courses/{course.pk}/objectives/",
        f"/api/v1/courses/{course.pk}/progress/",
        "/api/v1/courses/",
        "/api/v1/classes/",
        "/api/v1/me/",
    ]
    urls += [f"/api/v1/questions/{question.pk}/" for question in Question.objects.all()]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        bodies.append(response.content.decode())
    pages = ["/", f"/courses/{course.pk}/", f"/classes/{cohort.pk}/"]
    client.force_login(bank.classes.person("student_a1"))
    bodies += [client.get(url).content.decode() for url in pages]
    return "\n".join(bodies)


def test_the_right_answer_reaches_the_pupil_only_after_the_reveal_time(
    bank: Bank,
    canary: Question,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a quiz revealing its answers after the due time, taken and graded before it
    clock(DUE - timedelta(hours=2))
    quiz_id = _create_quiz(bank, canary, reveal="after_due").json()["id"]
    quiz = Assessment.objects.get(pk=quiz_id)
    services.assessment_publish(assessment=quiz, by=bank.classes.person("class_teacher"))
    pupil = bank.classes.client("student_a1")
    attempt = pupil.post(f"/api/v1/assessments/{quiz_id}/attempts/").json()
    pupil.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{canary.pk}/",
        {"response": {"text": "a guess"}, "revision": 1},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        pupil.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    # when the pupil reads everything they can one second before the due time
    clock(DUE - timedelta(seconds=1))
    before = _crawl(bank.classes.client("student_a1"), bank, quiz_id, attempt["id"])
    # then neither the answer nor its feedback nor the score is anywhere
    assert CANARY not in before
    assert CANARY_FEEDBACK not in before
    assert '"score":null' in before.replace(" ", "")
    # and one second after, the attempt shows them
    clock(DUE + timedelta(seconds=1))
    after = _crawl(bank.classes.client("student_a1"), bank, quiz_id, attempt["id"])
    assert CANARY in after
    assert CANARY_FEEDBACK not in after  # the pupil's guess matched no answer: no feedback of it


def test_a_pupil_never_reads_another_pupils_attempt(
    bank: Bank, canary: Question, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(hours=2))
    quiz_id = _create_quiz(bank, canary, reveal="after_submit").json()["id"]
    services.assessment_publish(
        assessment=Assessment.objects.get(pk=quiz_id), by=bank.classes.person("class_teacher")
    )
    attempt = bank.classes.client("student_a1").post(f"/api/v1/assessments/{quiz_id}/attempts/")
    attempt_id = attempt.json()["id"]
    for role in ("student_a2", "student_b1", "class_teacher", "author", "school_admin_a1"):
        client = bank.classes.client(role)
        assert client.get(f"/api/v1/attempts/{attempt_id}/").status_code == 404, role
        saved = client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{canary.pk}/",
            {"response": {"text": "x"}, "revision": 1},
            format="json",
        )
        assert saved.status_code == 404, role
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit/").status_code == 404, role


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_at": "not a date"}, "due_at"),
        ({"questions": []}, "questions"),
        ({"questions": [{"question": 987654}]}, "questions"),
        ({"opens_at": (DUE + timedelta(days=1)).isoformat()}, "opens_at"),
        ({"closes_at": (DUE - timedelta(days=1)).isoformat()}, "closes_at"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"late_penalty_percent": "101"}, "late_penalty_percent"),
        ({"rubric": [{"title": "Style", "points": "5"}]}, "rubric"),
    ],
)
def test_a_bad_quiz_is_refused_with_field_errors_and_writes_nothing(
    bank: Bank, canary: Question, body: dict[str, Any], field: str
) -> None:
    before = Assessment.objects.count()
    response = _create_quiz(bank, canary, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert Assessment.objects.count() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("class_teacher", 201),
        ("platform_admin", 201),
        ("author", 404),  # writes the course, but the class is not theirs to see
        ("school_admin_a1", 403),
        ("student_a1", 403),
        ("teacher_a2", 404),
        ("student_b1", 404),
        ("anonymous", 401),
    ],
)
def test_who_may_build_a_quiz_for_the_class(
    bank: Bank, canary: Question, role: str, status: int
) -> None:
    cohort = bank.classes.cohorts["a1"]
    body = {
        "kind": "quiz",
        "title": "Q",
        "due_at": DUE.isoformat(),
        "questions": [{"question": canary.pk}],
    }
    response = bank.classes.client(role).post(
        f"/api/v1/classes/{cohort.pk}/assessments/", body, format="json"
    )
    assert response.status_code == status, response.content


def test_a_pupil_sees_their_own_grades_only_once_published(
    bank: Bank,
    canary: Question,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a published quiz that two pupils of the class took and that was graded
    clock(DUE - timedelta(hours=2))
    quiz_id = _create_quiz(bank, canary, reveal="never").json()["id"]
    quiz = Assessment.objects.get(pk=quiz_id)
    teacher = bank.classes.person("class_teacher")
    services.assessment_publish(assessment=quiz, by=teacher)
    cohort = bank.classes.cohorts["a1"]
    [other] = enrolled_pupils(cohort, 1)
    for pupil in (bank.classes.person("student_a1"), other):
        attempt = services.attempt_start(assessment=quiz, student=pupil)
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_submit(attempt=attempt, student=pupil)
    services.grade_override(
        assessment=quiz, student=other, by=teacher, points=Decimal("2.75"), reason="Oral exam"
    )
    url = f"/api/v1/classes/{cohort.pk}/my-grades/"
    pupil_client = bank.classes.client("student_a1")
    # when the pupil reads their grades before publication: the quiz, no points
    before = pupil_client.get(url).json()
    assert before == [
        {
            "assessment": quiz_id,
            "title": "Weekly quiz",
            "kind": "quiz",
            "due_at": before[0]["due_at"],
            "points_possible": "3.00",
            "points": None,
            "published": False,
        }
    ]
    # and after the teacher publishes: their own points, and never the other pupil's
    published = bank.classes.client("class_teacher").post(
        f"/api/v1/assessments/{quiz_id}/grades/publish/"
    )
    assert published.json() == {"published": 2}
    after = pupil_client.get(url)
    assert [(row["points"], row["published"]) for row in after.json()] == [("0.00", True)]
    assert "2.75" not in after.content.decode()
    # and the publication is in each grade's history
    history = bank.classes.client("class_teacher").get(
        f"/api/v1/assessments/{quiz_id}/grades/{other.pk}/history/"
    )
    assert [row["source"] for row in history.json()] == ["grading", "override", "person"]
    # and who is not a pupil of the class cannot read "my grades" there
    for role in ("class_teacher", "student_b1", "school_admin_a1"):
        assert bank.classes.client(role).get(url).status_code in {403, 404}, role


def test_option_ids_tell_nothing_of_the_right_order(bank: Bank) -> None:
    # given an ordering question of ten items, written in their right order
    items = [f"step {number}" for number in range(10)]
    question = services.question_create(
        course=bank.classes.courses.course,
        by=bank.classes.person("author"),
        kind="ordering",
        title="Steps",
        text_markdown="Put the steps in order.",
        keys=[{"text": text} for text in items],
    )
    # then the ids a pupil is shown do not follow that order (one chance in 3.6 million that
    # a random order does), while the keys keep it
    keys = list(question.keys.order_by("position"))
    assert [key.text for key in keys] == items
    assert [key.pk for key in keys] != sorted(key.pk for key in keys)


def test_an_attempt_is_closed_to_its_pupil_once_the_quiz_is_withdrawn(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    # given a pupil with an attempt in progress
    clock(DUE - timedelta(hours=2))
    teacher = bank.classes.person("class_teacher")
    quiz = published_quiz(bank, [bank.question], title="Withdrawn")
    pupil = bank.classes.client("student_a1")
    attempt = pupil.post(f"/api/v1/assessments/{quiz.pk}/attempts/").json()
    option = attempt["questions"][0]["options"][0]["id"]
    # when the teacher withdraws the quiz
    services.assessment_publish(assessment=quiz, by=teacher, published=False)
    # then the attempt is not found, and nothing can be saved or handed in
    url = f"/api/v1/attempts/{attempt['id']}/"
    assert pupil.get(url).status_code == 404
    saved = pupil.put(
        f"{url}answers/{bank.question.pk}/",
        {"response": {"option": option}, "revision": 1},
        format="json",
    )
    assert saved.status_code == 404
    assert pupil.post(f"{url}submit/").status_code == 404
    stored = Assessment.objects.get(pk=quiz.pk).attempts.get()
    assert (stored.state, stored.answers.count()) == ("in_progress", 0)
