"""Pages of work marked by hand: a pupil hands in an assignment with a photo, the teacher finds
it in the marking queue and marks it on the rubric; the pupil sees the marks once the grade is
published. Bad input gets a message on the page and writes nothing; others get a 404."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.assessments import services
from courses.assessments.models import Assessment, Attempt, Grade, GradeChange, RubricScore
from tests.assessments.builders import (
    DUE,
    essay_assignment,
    essay_question,
    essay_quiz,
    handed_in_by_new_pupils,
    rubric_criteria,
    signed_in,
)
from tests.assessments.conftest import Bank
from tests.courses.test_lesson_files import HTML, PNG, stored_files

COMMENT_CANARY = "CANARY-page-comment-9d2"
FEEDBACK_CANARY = "CANARY-page-feedback-9d2"

pytestmark = pytest.mark.usefixtures("eager_celery", "media_root")


def _handed_in(bank: Bank) -> tuple[Assessment, Attempt]:
    """An ``essay_assignment`` that ``student_a1`` handed in (a text), not marked yet."""
    assignment = essay_assignment(bank)
    services.submission_hand_in(
        assessment=assignment, student=bank.classes.person("student_a1"), text="Mine"
    )
    return assignment, Attempt.objects.get()


def test_hand_in_mark_publish_through_the_pages(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank, instructions_markdown="Write **one page**.")
    pupil = signed_in(bank.classes.person("student_a1"))
    teacher = signed_in(bank.classes.person("class_teacher"))
    hand_in_url = reverse("frontend:hand-in", args=[assignment.pk])
    # the pupil reads the instructions and the rubric, and hands in a text and a photo
    page = pupil.get(hand_in_url).content.decode()
    assert "<strong>one page</strong>" in page
    assert "Language" in page
    handed = pupil.post(
        hand_in_url,
        {"text": "Көл терең.", "files": [SimpleUploadedFile("notebook.png", PNG)]},
    )
    assert handed.status_code == 302
    page = pupil.get(hand_in_url).content.decode()
    assert "notebook.png" in page
    assert "Waiting to be marked" in page
    # the teacher finds it in the queue of the class and across classes
    cohort = bank.classes.cohorts["a1"]
    attempt = Attempt.objects.get(assessment=assignment)
    mark_url = reverse("frontend:attempt-mark", args=[attempt.pk])
    for url in (
        reverse("frontend:class-marking-queue", args=[cohort.pk]),
        reverse("frontend:marking-queue"),
    ):
        assert mark_url in teacher.get(url).content.decode()
    # and marks it on the rubric with comments and feedback
    content, language = rubric_criteria(assignment)
    page = teacher.get(mark_url).content.decode()
    assert "Көл терең." in page
    assert "notebook.png" in page
    marked = teacher.post(
        mark_url,
        {
            f"criterion-{content}-points": "5,5",  # a decimal comma is fine
            f"criterion-{content}-comment": COMMENT_CANARY,
            f"criterion-{language}-points": "3",
            "feedback": FEEDBACK_CANARY,
        },
    )
    assert marked.status_code == 302
    assert marked["Location"] == reverse("frontend:class-marking-queue", args=[cohort.pk])
    student = bank.classes.person("student_a1")
    assert Grade.objects.get(assessment=assignment, student=student).points == Decimal("8.50")
    # the pupil sees that it is marked, but no marks before the grade is published
    page = pupil.get(hand_in_url).content.decode()
    assert "has not published the grade yet" in page
    assert COMMENT_CANARY not in page
    assert FEEDBACK_CANARY not in page
    assert "8.50" not in page
    services.grades_publish(assessment=assignment, by=bank.classes.person("class_teacher"))
    page = pupil.get(hand_in_url).content.decode()
    assert COMMENT_CANARY in page
    assert FEEDBACK_CANARY in page
    assert "8.50 of 10.00 points" in page
    # the list of hand-ins offers marking again
    submissions = teacher.get(reverse("frontend:assessment-submissions", args=[assignment.pk]))
    assert "Mark again" in submissions.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "  "}, "Write your answer or attach a file."),
        ({"files": [SimpleUploadedFile("work.pdf", HTML)]}, "work.pdf cannot be handed in"),
    ],
    ids=["blank", "html-as-pdf"],
)
def test_a_bad_hand_in_shows_a_message_and_writes_nothing(
    bank: Bank,
    clock: Callable[[datetime], None],
    media_root: Path,
    data: dict[str, Any],
    message: str,
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    pupil = signed_in(bank.classes.person("student_a1"))
    refused = pupil.post(reverse("frontend:hand-in", args=[assignment.pk]), data)
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert not Attempt.objects.exists()
    assert stored_files(media_root) == []


def test_bad_marks_show_a_message_keep_what_was_typed_and_write_nothing(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment, attempt = _handed_in(bank)
    content, language = rubric_criteria(assignment)
    teacher = signed_in(bank.classes.person("class_teacher"))
    refused = teacher.post(
        reverse("frontend:attempt-mark", args=[attempt.pk]),
        {
            f"criterion-{content}-points": "9",
            f"criterion-{content}-comment": "Kept comment",
            f"criterion-{language}-points": "2",
        },
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Give between 0 and 6.00 points." in page
    assert "Kept comment" in page
    assert not RubricScore.objects.exists()
    assert not GradeChange.objects.exists()
    attempt.refresh_from_db()
    assert attempt.state == "submitted"


def test_only_the_class_teachers_mark_and_only_its_pupils_hand_in(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment, attempt = _handed_in(bank)
    cohort = bank.classes.cohorts["a1"]
    pages = {
        "mark": reverse("frontend:attempt-mark", args=[attempt.pk]),
        "submissions": reverse("frontend:assessment-submissions", args=[assignment.pk]),
        "class queue": reverse("frontend:class-marking-queue", args=[cohort.pk]),
    }
    for name in ("student_a1", "student_a2", "author", "teacher_a2", "school_admin_a1"):
        client = signed_in(bank.classes.person(name))
        for page, url in pages.items():
            assert client.get(url).status_code == 404, (name, page)
        assert client.post(pages["mark"], {}).status_code == 404, name
    for name in ("class_teacher", "teacher_a2", "student_a2", "school_admin_a1"):
        client = signed_in(bank.classes.person(name))
        hand_in = reverse("frontend:hand-in", args=[assignment.pk])
        assert client.get(hand_in).status_code == 404, name
        assert client.post(hand_in, {"text": "x"}).status_code == 404, name
    assert Attempt.objects.count() == 1
    visitor = signed_in(None)
    for url in [*pages.values(), reverse("frontend:marking-queue")]:
        assert visitor.get(url)["Location"].startswith(reverse("frontend:sign-in")), url
    # a teacher without classes has an empty queue, never another's work
    page = signed_in(bank.classes.person("author")).get(reverse("frontend:marking-queue"))
    assert "Nothing is waiting to be marked." in page.content.decode()


def test_marking_an_essay_of_a_quiz_through_the_page(
    bank: Bank,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(DUE - timedelta(days=1))
    essay = essay_question(bank)
    quiz = essay_quiz(bank, essay, reveal="after_due")
    student = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz, student=student)
    services.answer_save(
        attempt=attempt,
        student=student,
        question_id=essay.pk,
        response={"text": "Deep and blue."},
        revision=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt, student=student)
    teacher = signed_in(bank.classes.person("class_teacher"))
    url = reverse("frontend:attempt-mark", args=[attempt.pk])
    page = teacher.get(url).content.decode()
    assert "Deep and blue." in page
    assert "Бишкек" in page  # the right answer of the automatic question, for the teacher
    marked = teacher.post(url, {f"question-{essay.pk}-points": "3"})
    assert marked.status_code == 302
    assert Grade.objects.get(assessment=quiz, student=student).points == Decimal("3.00")


@pytest.mark.parametrize("size", [5, 20])
def test_the_queue_page_makes_the_same_queries_at_any_size(
    bank: Bank, clock: Callable[[datetime], None], size: int
) -> None:
    clock(DUE - timedelta(days=1))
    handed_in_by_new_pupils(bank, size)
    cohort = bank.classes.cohorts["a1"]
    teacher = signed_in(bank.classes.person("class_teacher"))
    url = reverse("frontend:class-marking-queue", args=[cohort.pk])
    teacher.get(url)  # the session and the person are cached after the first request
    with CaptureQueriesContext(connection) as queries:
        page = teacher.get(url)
    assert page.content.decode().count("/mark/") == size
    # (one of them is the navigation's unread notices)
    assert len(queries) == 6, [query["sql"] for query in queries]


def test_an_override_is_undone_on_the_grade_page(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment, attempt = _handed_in(bank)
    student = bank.classes.person("student_a1")
    teacher_user = bank.classes.person("class_teacher")
    content, language = rubric_criteria(assignment)
    services.attempt_mark(
        attempt=attempt,
        by=teacher_user,
        rubric=[{"criterion": content, "points": "4"}, {"criterion": language, "points": "3"}],
    )
    services.grade_override(
        assessment=assignment, student=student, by=teacher_user, points=Decimal(10), reason="Oral"
    )
    teacher = signed_in(teacher_user)
    url = reverse("frontend:grade-detail", args=[assignment.pk, student.pk])
    assert "Undo the change by hand" in teacher.get(url).content.decode()
    # without a reason nothing changes
    refused = teacher.post(url, {"action": "lift", "lift_reason": " "})
    assert refused.status_code == 400
    assert "Say why the grade is changed." in refused.content.decode()
    assert Grade.objects.get(assessment=assignment, student=student).points == Decimal("10.00")
    lifted = teacher.post(url, {"action": "lift", "lift_reason": "Typed in the wrong row"})
    assert lifted.status_code == 302
    grade = Grade.objects.get(assessment=assignment, student=student)
    assert (grade.points, grade.overridden) == (Decimal("7.00"), False)
    page = teacher.get(url).content.decode()
    assert "Typed in the wrong row" in page
    assert "Undo the change by hand" not in page
