"""Work marked by a person: a pupil hands in an assignment (text, files or both), and a teacher
marks it against its rubric, or marks the essays of a quiz attempt the grading job has done
the rest of. Marking again replaces the marks (a mistaken mark is corrected, never stuck), and
each marking that changes the grade is kept in the grade's history.

Times are the server's: a hand-in after the due time is late (a penalty per started day) or
refused, as the assignment says; after its closing time it is always refused.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import uploads
from courses.assessments import policies
from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptState,
    Grade,
    GradeSource,
    GradeState,
    Question,
    RubricScore,
    SubmissionFile,
)
from courses.assessments.services.attempts import attempts_taken, late_days
from courses.assessments.services.grades import (
    _grade_change,
    _grade_locked,
    points_from_attempts,
)
from lms.accounts.models import User
from lms.errors import ApplicationError, FieldErrors
from lms.writes import text_check

TEXT_LIMIT = 50_000
COMMENT_LIMIT = 5_000


def _invalid(fields: FieldErrors) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, status_code=409)


@dataclass(frozen=True)
class _CheckedFile:
    upload: UploadedFile
    content_type: str


def _files_check(files: list[UploadedFile]) -> list[_CheckedFile]:
    if len(files) > uploads.SUBMISSION_MAX_FILES:
        raise _invalid(
            {
                "files": [
                    _("Hand in at most %(count)s files.") % {"count": uploads.SUBMISSION_MAX_FILES}
                ]
            }
        )
    checked = []
    for upload in files:
        name = uploads.clean_file_name(upload.name or "file")
        if upload.size is None or upload.size > uploads.SUBMISSION_MAX_BYTES:
            limit = filesizeformat(uploads.SUBMISSION_MAX_BYTES)
            raise _invalid(
                {
                    "files": [
                        _("%(name)s is larger than %(limit)s.") % {"name": name, "limit": limit}
                    ]
                }
            )
        upload.seek(0)
        content_type = uploads.sniff_content_type(upload.read(uploads.SNIFF_BYTES))
        upload.seek(0)
        if content_type not in uploads.SUBMISSION_TYPES:
            raise _invalid(
                {
                    "files": [
                        _(
                            "%(name)s cannot be handed in: send a PDF, a photo (JPEG, PNG, GIF, "
                            "WebP), a recording (MP3, OGG, M4A) or a document (DOCX, ODT)."
                        )
                        % {"name": name}
                    ]
                }
            )
        checked.append(_CheckedFile(upload=upload, content_type=content_type))
    return checked


def submission_hand_in(
    *,
    assessment: Assessment,
    student: User,
    text: str = "",
    files: list[UploadedFile] | None = None,
) -> Attempt:
    """Hand in an assignment: a new submission (the teacher marks the latest one), while the
    assignment takes them and the pupil has hand-ins left."""
    if not policies.can_take(student, assessment):
        raise PermissionDenied
    if assessment.kind != AssessmentKind.ASSIGNMENT:
        raise ApplicationError(
            "not_an_assignment", _("A quiz is attempted, not handed in."), status_code=400
        )
    files = files or []
    text_check(text, "text")
    if len(text) > TEXT_LIMIT:
        raise _invalid({"text": [_("Write at most %(limit)s characters.") % {"limit": TEXT_LIMIT}]})
    if not text.strip() and not files:
        raise _invalid({"text": [_("Write your answer or attach a file.")]})
    checked = _files_check(files)
    stored: list[SubmissionFile] = []
    try:
        return _hand_in(assessment, student, text, checked, stored)
    except BaseException:
        # Nothing was recorded: the files written so far must not stay on the disk.
        for item in stored:
            item.file.delete(save=False)
        raise


@transaction.atomic
def _hand_in(
    assessment: Assessment,
    student: User,
    text: str,
    checked: list[_CheckedFile],
    stored: list[SubmissionFile],
) -> Attempt:
    # One hand-in of a pupil at a time: two taps on "Hand in" make one submission each, in turn.
    User.objects.select_for_update().filter(pk=student.pk).values_list("pk").first()
    now = timezone.now()
    done = attempts_taken(assessment, student, now)
    attempt = Attempt.objects.create(
        assessment=assessment,
        student=student,
        number=done + 1,
        state=AttemptState.SUBMITTED,
        started_at=now,
        submitted_at=now,
        late_days=late_days(assessment, now),
        text=text,
    )
    for item in checked:
        submission_file = SubmissionFile(
            attempt=attempt,
            original_name=uploads.clean_file_name(item.upload.name or "file"),
            content_type=item.content_type,
            size=item.upload.size or 0,
        )
        submission_file.file.save("upload", item.upload, save=False)
        stored.append(submission_file)
        submission_file.save()
    return attempt


def _points(value: Any, most: Decimal, field: str) -> Decimal:
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid({field: [_("Give the points as a number.")]}) from None
    if not points.is_finite() or not Decimal(0) <= points <= most:
        raise _invalid({field: [_("Give between 0 and %(max)s points.") % {"max": most}]})
    return points.quantize(Decimal("0.01"))


def _comment(value: Any, field: str) -> str:
    comment = text_check(str(value or ""), field)
    if len(comment) > COMMENT_LIMIT:
        raise _invalid(
            {field: [_("Write at most %(limit)s characters.") % {"limit": COMMENT_LIMIT}]}
        )
    return comment


def _marks_by_id(items: list[dict[str, Any]], id_field: str, field: str) -> dict[int, Any]:
    marks: dict[int, Any] = {}
    for item in items:
        key = item.get(id_field)
        if not isinstance(key, int) or key in marks:
            raise _invalid({field: [_("Give each part its marks once.")]})
        marks[key] = item
    return marks


def _rubric_mark(attempt: Attempt, items: list[dict[str, Any]]) -> Decimal:
    criteria = {criterion.pk: criterion for criterion in attempt.assessment.rubric.all()}
    marks = _marks_by_id(items, "criterion", "rubric")
    if set(marks) != set(criteria):
        raise _invalid({"rubric": [_("Give points for every criterion of the rubric.")]})
    RubricScore.objects.filter(attempt=attempt).delete()
    scores = [
        RubricScore(
            attempt=attempt,
            criterion=criterion,
            points=_points(marks[pk].get("points"), criterion.points, "rubric"),
            comment=_comment(marks[pk].get("comment"), "rubric"),
        )
        for pk, criterion in criteria.items()
    ]
    RubricScore.objects.bulk_create(scores)
    return sum((score.points for score in scores), Decimal(0))


def _essays_mark(attempt: Attempt, items: list[dict[str, Any]]) -> Decimal:
    worth = {item["question"]: Decimal(item["points"]) for item in attempt.questions}
    essays = set(
        Question.objects.filter(pk__in=list(worth), kind=QuestionType.ESSAY).values_list(
            "pk", flat=True
        )
    )
    answers = {answer.question_id: answer for answer in attempt.answers.select_for_update()}
    marks = _marks_by_id(items, "question", "answers")
    if not set(marks) <= essays:
        raise _invalid({"answers": [_("Only the essays of the attempt are marked by hand.")]})
    missing = (essays & set(answers)) - set(marks)
    if missing:
        raise _invalid({"answers": [_("Give points for every essay the pupil answered.")]})
    for question_id, mark in marks.items():
        points = _points(mark.get("points"), worth[question_id], "answers")
        answer = answers.get(question_id)
        if answer is None:
            if points:
                raise _invalid({"answers": [_("An essay left blank earns no points.")]})
            continue
        answer.points = points
        answer.fraction = (points / worth[question_id]).quantize(Decimal("0.00001"))
        answer.teacher_comment = _comment(mark.get("comment"), "answers")
        answer.save(update_fields=["points", "fraction", "teacher_comment"])
    return sum(
        (answer.points for answer in answers.values() if answer.points is not None), Decimal(0)
    )


@transaction.atomic
def attempt_mark(
    *,
    attempt: Attempt,
    by: User,
    rubric: list[dict[str, Any]] | None = None,
    answers: list[dict[str, Any]] | None = None,
    feedback: str = "",
) -> Attempt:
    """Mark a submission by hand: an assignment's ``rubric`` (points and a comment per
    criterion) or a quiz attempt's essays (``answers``: points and a comment per essay), with
    feedback for the pupil. The pupil's grade follows, unless a teacher set it by hand."""
    attempt = (
        Attempt.objects.select_for_update().select_related("assessment__cohort").get(pk=attempt.pk)
    )
    assessment = attempt.assessment
    if not policies.can_manage_assessments(by, assessment.cohort):
        raise PermissionDenied
    if attempt.state == AttemptState.IN_PROGRESS:
        raise _refuse("not_submitted", _("This attempt has not been handed in yet."))
    feedback = _comment(feedback, "feedback")
    if assessment.kind == AssessmentKind.ASSIGNMENT:
        score = _rubric_mark(attempt, rubric or [])
    else:
        if attempt.graded_at is None:
            raise _refuse(
                "not_graded_yet", _("The automatic grading of this attempt has not run yet.")
            )
        score = _essays_mark(attempt, answers or [])
    now = timezone.now()
    first_marking = attempt.state != AttemptState.GRADED
    attempt.score = score
    attempt.state = AttemptState.GRADED
    attempt.graded_at = attempt.graded_at or now
    attempt.feedback = feedback
    attempt.marked_by = by
    attempt.marked_at = now
    attempt.save(
        update_fields=["score", "state", "graded_at", "feedback", "marked_by", "marked_at"]
    )
    reason = (
        _("Attempt %(number)s marked.") if first_marking else _("Attempt %(number)s marked again.")
    ) % {"number": attempt.number}
    # New marks are the teacher's to release: a published grade goes back to a draft (its
    # history says so), and the pupil sees the marks and feedback once it is published again.
    grade = _grade_locked(assessment, attempt.student_id)
    _grade_change(
        grade,
        points=grade.points
        if grade.overridden
        else points_from_attempts(assessment, attempt.student_id),
        source=GradeSource.PERSON,
        by=by,
        reason=reason,
        attempt=attempt,
        state=GradeState.DRAFT,
    )
    return attempt


@transaction.atomic
def grade_override_lift(*, assessment: Assessment, student: User, by: User, reason: str) -> Grade:
    """Undo a teacher's override: the grade goes back to what the pupil's marked attempts
    give (nothing when none is marked), recorded with a reason."""
    if not policies.can_manage_assessments(by, assessment.cohort):
        raise PermissionDenied
    if not text_check(reason, "reason").strip():
        raise _invalid({"reason": [_("Say why the grade is changed.")]})
    grade = _grade_locked(assessment, student.pk)
    if not grade.overridden:
        raise _refuse("not_overridden", _("This grade was not set by hand."))
    _grade_change(
        grade,
        points=points_from_attempts(assessment, student.pk),
        source=GradeSource.OVERRIDE,
        by=by,
        reason=reason,
        overridden=False,
    )
    return grade
