"""Work marked by hand: a pupil hands in an assignment (text and files), the teacher finds it in
the marking queue, marks it on its rubric and marks it again; the marks reach the pupil only
once the grade is published. Essays of a quiz wait for the teacher the same way. Bad input gets
a field error and writes nothing."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from courses import uploads
from courses.assessments import services
from courses.assessments.models import (
    Assessment,
    Attempt,
    Grade,
    GradeChange,
    RubricScore,
    SubmissionFile,
)
from courses.assessments.services.attempts import attempts_ungraded_requeue
from tests.assessments.builders import (
    DUE,
    essay_assignment,
    essay_question,
    essay_quiz,
    handed_in_by_new_pupils,
    option_id,
    published_quiz,
    rubric_criteria,
    save_answers,
)
from tests.assessments.conftest import Bank
from tests.courses.test_lesson_files import HTML, PDF, PNG, stored_files

COMMENT_CANARY = "CANARY-rubric-comment-51c"
FEEDBACK_CANARY = "CANARY-feedback-51c"

pytestmark = pytest.mark.usefixtures("eager_celery", "media_root")


def _hand_in(client: APIClient, assessment: Assessment, **data: Any) -> Any:
    return client.post(
        f"/api/v1/assessments/{assessment.pk}/submissions/", data, format="multipart"
    )


def _mark(client: APIClient, attempt_id: int, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/attempts/{attempt_id}/marking/", body, format="json")


def _rubric_marks(assessment: Assessment, content: str, language: str) -> list[dict[str, Any]]:
    first, second = rubric_criteria(assessment)
    return [
        {"criterion": first, "points": content, "comment": COMMENT_CANARY},
        {"criterion": second, "points": language},
    ]


def test_a_pupil_hands_in_and_the_teacher_marks_publishes_and_marks_again(
    bank: Bank, clock: Callable[[datetime], None], media_root: Path
) -> None:
    # given a published assignment with a rubric, a day before it is due
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    pupil = bank.classes.client("student_a1")
    teacher = bank.classes.client("class_teacher")
    # when the pupil hands in a text and a photo of the notebook
    handed = _hand_in(
        pupil,
        assignment,
        text="Ысык-Көл — тоолордун арасындагы көл.",
        files=[SimpleUploadedFile("daftar.png", PNG, content_type="image/png")],
    )
    assert handed.status_code == 201, handed.content
    attempt = handed.json()
    assert (attempt["state"], attempt["score"], attempt["revealed"]) == ("submitted", None, False)
    assert [row["title"] for row in attempt["rubric"]] == ["Content", "Language"]
    assert "points" not in attempt["rubric"][0]
    [photo] = attempt["files"]
    assert (photo["name"], photo["content_type"]) == ("daftar.png", "image/png")
    # then it waits in the teacher's queue, for the class and across their classes
    cohort = bank.classes.cohorts["a1"]
    for url in (f"/api/v1/classes/{cohort.pk}/marking/", "/api/v1/marking/"):
        queue = teacher.get(url)
        assert queue.status_code == 200
        assert [row["attempt"] for row in queue.json()] == [attempt["id"]]
    # both may download the photo; another pupil may not
    download = teacher.get(photo["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert pupil.get(photo["download_url"]).status_code == 200
    assert bank.classes.client("student_a2").get(photo["download_url"]).status_code == 404
    # when the teacher marks it on the rubric, with feedback
    marked = _mark(
        teacher,
        attempt["id"],
        {"rubric": _rubric_marks(assignment, "5", "3"), "feedback": FEEDBACK_CANARY},
    )
    assert marked.status_code == 200, marked.content
    assert (marked.json()["state"], marked.json()["score"]) == ("graded", "8.00")
    assert teacher.get(f"/api/v1/classes/{cohort.pk}/marking/").json() == []
    # then the grade is set, as a draft: the pupil sees neither marks nor feedback
    student = bank.classes.person("student_a1")
    grade = Grade.objects.get(assessment=assignment, student=student)
    assert (grade.points, grade.state) == (Decimal("8.00"), "draft")
    unpublished = pupil.get(f"/api/v1/attempts/{attempt['id']}/")
    assert unpublished.json()["score"] is None
    assert COMMENT_CANARY not in unpublished.content.decode()
    assert FEEDBACK_CANARY not in unpublished.content.decode()
    # when the grades are published, the pupil sees the marks per criterion and the feedback
    assert teacher.post(f"/api/v1/assessments/{assignment.pk}/grades/publish/").json() == {
        "published": 1
    }
    shown = pupil.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert (shown["score"], shown["feedback"], shown["revealed"]) == (
        "8.00",
        FEEDBACK_CANARY,
        True,
    )
    assert [(row["points"], row["comment"]) for row in shown["rubric"]] == [
        ("5.00", COMMENT_CANARY),
        ("3.00", ""),
    ]
    # and a mistaken mark is corrected by marking again; the history keeps both
    again = _mark(teacher, attempt["id"], {"rubric": _rubric_marks(assignment, "6", "3")})
    assert again.status_code == 200, again.content
    history = teacher.get(f"/api/v1/assessments/{assignment.pk}/grades/{student.pk}/history/")
    assert [
        (row["source"], row["points_after"], row["state_after"], row["reason"])
        for row in history.json()
    ] == [
        ("person", "8.00", "draft", "Attempt 1 marked."),
        ("person", "8.00", "published", "Grades published."),
        ("person", "9.00", "draft", "Attempt 1 marked again."),
    ]
    # the new marks wait for the teacher to publish them again; until then nothing shows
    hidden = pupil.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert (hidden["score"], hidden["revealed"], hidden["feedback"]) == (None, False, "")
    teacher.post(f"/api/v1/assessments/{assignment.pk}/grades/publish/")
    assert pupil.get(f"/api/v1/attempts/{attempt['id']}/").json()["score"] == "9.00"
    assert RubricScore.objects.filter(attempt_id=attempt["id"]).count() == 2
    assert len(stored_files(media_root)) == 1


def test_the_latest_marked_hand_in_counts_with_its_late_penalty(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    assignment = essay_assignment(
        bank, max_attempts=2, late_policy="penalty", late_penalty_percent=Decimal(10)
    )
    pupil = bank.classes.client("student_a1")
    teacher = bank.classes.client("class_teacher")
    clock(DUE - timedelta(hours=1))
    first = _hand_in(pupil, assignment, text="First draft").json()
    clock(DUE + timedelta(hours=30))  # two started days late
    second = _hand_in(pupil, assignment, text="Better, but late").json()
    assert (first["late_days"], second["late_days"]) == (0, 2)
    # a third hand-in is one too many
    third = _hand_in(pupil, assignment, text="Again")
    assert (third.status_code, third.json()["code"]) == (409, "no_attempts_left")
    assert (
        _mark(teacher, first["id"], {"rubric": _rubric_marks(assignment, "6", "4")}).status_code
        == 200
    )
    assert (
        _mark(teacher, second["id"], {"rubric": _rubric_marks(assignment, "5", "4")}).status_code
        == 200
    )
    grade = Grade.objects.get(assessment=assignment, student=bank.classes.person("student_a1"))
    assert grade.points == Decimal("7.20")  # 9 points, less 2 x 10%


@pytest.mark.parametrize(
    ("options", "moment", "code"),
    [
        ({}, DUE, "past_due"),  # late work not accepted: refused at the due second
        (
            {"late_policy": "penalty", "closes_at": DUE + timedelta(days=1)},
            DUE + timedelta(days=1),
            "closed",
        ),
        ({"opens_at": DUE - timedelta(days=1)}, DUE - timedelta(days=1, seconds=1), "not_open"),
    ],
)
def test_hand_ins_outside_the_assignment_times_are_refused_by_the_server_clock(
    bank: Bank,
    clock: Callable[[datetime], None],
    options: dict[str, Any],
    moment: datetime,
    code: str,
) -> None:
    assignment = essay_assignment(bank, **options)
    clock(moment)
    refused = _hand_in(bank.classes.client("student_a1"), assignment, text="Here it is")
    assert (refused.status_code, refused.json()["code"]) == (409, code)
    assert not Attempt.objects.filter(assessment=assignment).exists()
    clock(moment - timedelta(seconds=1) if code != "not_open" else moment + timedelta(seconds=1))
    accepted = _hand_in(bank.classes.client("student_a1"), assignment, text="Here it is")
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 50_001}, "text"),
        (
            {"files": [SimpleUploadedFile("homework.pdf", HTML, content_type="application/pdf")]},
            "files",
        ),
        (
            {"files": [SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")]},
            "files",
        ),
        (
            {
                "files": [
                    SimpleUploadedFile(f"p{i}.pdf", PDF, content_type="application/pdf")
                    for i in range(6)
                ]
            },
            "files",
        ),
    ],
    ids=["blank", "too-long", "html-as-pdf", "empty-file", "six-files"],
)
def test_a_bad_hand_in_gets_a_field_error_and_writes_nothing(
    bank: Bank,
    clock: Callable[[datetime], None],
    media_root: Path,
    data: dict[str, Any],
    field: str,
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    refused = _hand_in(bank.classes.client("student_a1"), assignment, **data)
    assert refused.status_code == 400, refused.content
    assert field in refused.json()["fields"]
    assert not Attempt.objects.filter(assessment=assignment).exists()
    assert stored_files(media_root) == []


def test_a_file_over_the_limit_is_refused(
    bank: Bank,
    clock: Callable[[datetime], None],
    monkeypatch: pytest.MonkeyPatch,
    media_root: Path,
) -> None:
    clock(DUE - timedelta(days=1))
    monkeypatch.setattr(uploads, "SUBMISSION_MAX_BYTES", len(PDF) - 1)
    refused = _hand_in(
        bank.classes.client("student_a1"),
        essay_assignment(bank),
        files=[SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")],
    )
    assert refused.status_code == 400
    assert "big.pdf" in refused.json()["fields"]["files"][0]
    assert stored_files(media_root) == []


def test_a_failure_after_the_files_are_written_leaves_no_file_behind(
    bank: Bank,
    clock: Callable[[datetime], None],
    monkeypatch: pytest.MonkeyPatch,
    media_root: Path,
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)

    def broken_save(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SubmissionFile, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.submission_hand_in(
            assessment=assignment,
            student=bank.classes.person("student_a1"),
            files=[SimpleUploadedFile("p.pdf", PDF)],
        )
    assert stored_files(media_root) == []
    assert not Attempt.objects.filter(assessment=assignment).exists()


def test_a_quiz_is_not_handed_in_and_an_assignment_not_attempted(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    quiz = published_quiz(bank, [bank.question], title="Quiz")
    pupil = bank.classes.client("student_a1")
    assert _hand_in(pupil, quiz, text="x").status_code == 400
    assignment = essay_assignment(bank)
    assert pupil.post(f"/api/v1/assessments/{assignment.pk}/attempts/").status_code == 400


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        (lambda ids: [{"criterion": ids[0], "points": "5"}], "every criterion"),
        (
            lambda ids: [
                {"criterion": ids[0], "points": "7"},
                {"criterion": ids[1], "points": "1"},
            ],
            "between 0 and 6",
        ),
        (
            lambda ids: [
                {"criterion": ids[0], "points": "-1"},
                {"criterion": ids[1], "points": "1"},
            ],
            "between 0 and 6",
        ),
        (
            lambda ids: [
                {"criterion": ids[0], "points": "1"},
                {"criterion": ids[0], "points": "1"},
            ],
            "once",
        ),
        (
            lambda ids: [
                {"criterion": ids[0], "points": "1"},
                {"criterion": ids[1], "points": "1"},
                {"criterion": 999_999, "points": "1"},
            ],
            "every criterion",
        ),
    ],
    ids=["missing", "over", "negative", "twice", "unknown"],
)
def test_bad_marks_get_a_field_error_and_change_nothing(
    bank: Bank, clock: Callable[[datetime], None], marks: Any, message: str
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    attempt = _hand_in(bank.classes.client("student_a1"), assignment, text="Mine").json()
    teacher = bank.classes.client("class_teacher")
    refused = _mark(teacher, attempt["id"], {"rubric": marks(rubric_criteria(assignment))})
    assert refused.status_code == 400, refused.content
    assert message in str(refused.json()["fields"]["rubric"])
    assert Attempt.objects.get(pk=attempt["id"]).state == "submitted"
    assert not RubricScore.objects.exists()
    assert not Grade.objects.filter(assessment=assignment).exclude(points=None).exists()
    assert not GradeChange.objects.exists()


def test_only_the_class_teachers_read_and_mark_a_submission(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    attempt = _hand_in(bank.classes.client("student_a1"), assignment, text="Mine").json()
    body = {"rubric": _rubric_marks(assignment, "1", "1")}
    url = f"/api/v1/attempts/{attempt['id']}/marking/"
    for name in ("student_a1", "student_a2", "author", "teacher_a2", "school_admin_a1"):
        client = bank.classes.client(name)
        assert client.get(url).status_code == 404, name
        assert _mark(client, attempt["id"], body).status_code == 404, name
    assert bank.classes.client("anonymous").get(url).status_code in (401, 403)
    assert not GradeChange.objects.exists()
    assert bank.classes.client("platform_admin").get(url).status_code == 200
    cohort = bank.classes.cohorts["a1"]
    assert bank.classes.client("author").get("/api/v1/marking/").json() == []
    queue = f"/api/v1/classes/{cohort.pk}/marking/"
    assert bank.classes.client("student_a1").get(queue).status_code == 403
    assert bank.classes.client("teacher_a2").get(queue).status_code == 404


def _take(bank: Bank, quiz: Assessment, essay_text: str, capture: Any) -> dict[str, Any]:
    pupil = bank.classes.client("student_a1")
    attempt = pupil.post(f"/api/v1/assessments/{quiz.pk}/attempts/").json()
    capital, essay = attempt["questions"]
    save_answers(
        pupil,
        attempt["id"],
        {
            capital["id"]: {"option": option_id(capital, "Бишкек")},
            essay["id"]: {"text": essay_text},
        },
    )
    with capture(execute=True):
        assert pupil.post(f"/api/v1/attempts/{attempt['id']}/submit/").status_code == 202
    return attempt


def test_essays_wait_for_the_teacher_and_the_grade_follows_the_marking(
    bank: Bank,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(DUE - timedelta(days=1))
    quiz = essay_quiz(bank, essay_question(bank), reveal="after_submit")
    attempt = _take(bank, quiz, "It is deep and blue.", django_capture_on_commit_callbacks)
    essay_id = attempt["questions"][1]["id"]
    student = bank.classes.person("student_a1")
    teacher = bank.classes.client("class_teacher")
    # the grading job graded the choice question; the essay waits, and so does the grade
    waiting = Attempt.objects.get(pk=attempt["id"])
    assert (waiting.state, waiting.score) == ("submitted", Decimal("1.00"))
    assert not Grade.objects.filter(assessment=quiz, points__isnull=False).exists()
    cohort = bank.classes.cohorts["a1"]
    assert [
        row["attempt"] for row in teacher.get(f"/api/v1/classes/{cohort.pk}/marking/").json()
    ] == [attempt["id"]]
    view = teacher.get(f"/api/v1/attempts/{attempt['id']}/marking/").json()
    assert [question["marked_by_hand"] for question in view["questions"]] == [False, True]
    assert view["questions"][1]["response"] == {"text": "It is deep and blue."}
    # marking a question that is not an essay is refused
    wrong = _mark(
        teacher, attempt["id"], {"answers": [{"question": bank.question.pk, "points": "1"}]}
    )
    assert wrong.status_code == 400
    # the teacher marks the essay with a comment: the grade is the choice plus the essay
    marked = _mark(
        teacher,
        attempt["id"],
        {"answers": [{"question": essay_id, "points": "3", "comment": COMMENT_CANARY}]},
    )
    assert marked.status_code == 200, marked.content
    assert Grade.objects.get(assessment=quiz, student=student).points == Decimal("4.00")
    shown = bank.classes.client("student_a1").get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert shown["score"] == "4.00"
    assert shown["questions"][1]["result"]["comment"] == COMMENT_CANARY


def test_a_quiz_attempt_is_marked_only_after_the_grading_job(
    bank: Bank, clock: Callable[[datetime], None], settings: Any
) -> None:
    clock(DUE - timedelta(days=1))
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the job has not run yet
    quiz = essay_quiz(bank, essay_question(bank), reveal="after_submit")
    pupil = bank.classes.client("student_a1")
    attempt = pupil.post(f"/api/v1/assessments/{quiz.pk}/attempts/").json()
    teacher = bank.classes.client("class_teacher")
    assert teacher.get(f"/api/v1/attempts/{attempt['id']}/marking/").status_code == 404
    Attempt.objects.filter(pk=attempt["id"]).update(state="submitted", submitted_at=DUE)
    refused = _mark(teacher, attempt["id"], {"answers": []})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_graded_yet")


def test_an_override_stands_against_marking_until_it_is_lifted(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    student = bank.classes.person("student_a1")
    teacher = bank.classes.client("class_teacher")
    lift_url = f"/api/v1/assessments/{assignment.pk}/grades/{student.pk}/lift-override/"
    # lifting what was never overridden is refused
    assert teacher.post(lift_url, {"reason": "x"}, format="json").status_code == 409
    override = teacher.post(
        f"/api/v1/assessments/{assignment.pk}/grades/{student.pk}/override/",
        {"points": "10", "reason": "Presented in class"},
        format="json",
    )
    assert override.status_code == 200
    attempt = _hand_in(bank.classes.client("student_a1"), assignment, text="Mine").json()
    assert (
        _mark(teacher, attempt["id"], {"rubric": _rubric_marks(assignment, "4", "2")}).status_code
        == 200
    )
    assert Grade.objects.get(assessment=assignment, student=student).points == Decimal("10.00")
    # a reason is required
    assert teacher.post(lift_url, {"reason": ""}, format="json").status_code == 400
    lifted = teacher.post(lift_url, {"reason": "The override was a mistake"}, format="json")
    assert lifted.status_code == 200, lifted.content
    assert (lifted.json()["points"], lifted.json()["overridden"]) == ("6.00", False)
    last = GradeChange.objects.filter(grade__assessment=assignment).order_by("version").last()
    assert last is not None
    assert (last.source, last.reason, last.points_before, last.points_after) == (
        "override",
        "The override was a mistake",
        Decimal("10.00"),
        Decimal("6.00"),
    )
    # the pupil's later marking now counts again
    assert (
        _mark(teacher, attempt["id"], {"rubric": _rubric_marks(assignment, "5", "2")}).status_code
        == 200
    )
    assert Grade.objects.get(assessment=assignment, student=student).points == Decimal("7.00")


@pytest.mark.parametrize("size", [5, 20])
def test_the_marking_queue_is_one_query_at_any_size(
    bank: Bank, clock: Callable[[datetime], None], size: int
) -> None:
    clock(DUE - timedelta(days=1))
    handed_in_by_new_pupils(bank, size)
    cohort = bank.classes.cohorts["a1"]
    teacher = bank.classes.person("class_teacher")
    client = APIClient()
    client.force_authenticate(teacher)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/classes/{cohort.pk}/marking/")
    assert len(response.json()) == size
    # the class, may the reader manage it, and the queue itself
    assert len(queries) == 3, [query["sql"] for query in queries]


def test_the_grading_jobs_never_touch_a_hand_in(
    bank: Bank, clock: Callable[[datetime], None]
) -> None:
    # given a hand-in that waits for its teacher longer than the requeue delay
    clock(DUE - timedelta(days=1))
    assignment = essay_assignment(bank)
    attempt = services.submission_hand_in(
        assessment=assignment, student=bank.classes.person("student_a1"), text="Mine"
    )
    clock(DUE - timedelta(days=1) + timedelta(minutes=10))
    # when the periodic job asks for ungraded work and the grading task runs on it
    assert attempts_ungraded_requeue(older_than=timedelta(minutes=2)) == 0
    assert services.attempt_autograde(attempt_id=attempt.pk) is None
    # then it still waits in the marking queue, with no grade
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == ("submitted", None)
    assert not GradeChange.objects.exists()


def test_an_answered_essay_waits_even_when_a_later_essay_is_blank(
    bank: Bank,
    clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(DUE - timedelta(days=1))
    essays = [essay_question(bank, title=title) for title in ("First essay", "Second essay")]
    teacher = bank.classes.person("class_teacher")
    quiz = services.assessment_create(
        cohort=bank.classes.cohorts["a1"],
        by=teacher,
        kind="quiz",
        title="Two essays",
        due_at=DUE,
        reveal="after_submit",
        questions=[{"question": essay.pk, "points": "4"} for essay in essays],
    )
    services.assessment_publish(assessment=quiz, by=teacher)
    student = bank.classes.person("student_a1")
    attempt = services.attempt_start(assessment=quiz, student=student)
    first_on_paper = attempt.questions[0]["question"]
    services.answer_save(
        attempt=attempt,
        student=student,
        question_id=first_on_paper,
        response={"text": "Only this one."},
        revision=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt, student=student)
    attempt.refresh_from_db()
    assert attempt.state == "submitted"  # waits for the teacher: no score shown, no grade
    assert not Grade.objects.filter(assessment=quiz, points__isnull=False).exists()
