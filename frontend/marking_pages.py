"""Pages of work marked by hand: a pupil hands in an assignment and reads the marks once they
are published; a teacher works through the marking queue, marks a submission on its rubric or
a quiz's essays, and marks again to correct a mistake. Anyone else gets a 404."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from courses.assessments import policies, selectors, services
from courses.assessments.models import Assessment, AssessmentKind, Attempt
from courses.models import Cohort
from frontend.assessment_pages import managed_assessment, taught_cohort, user_of, visible_assessment
from lms.errors import ApplicationError


def _assignment_to_hand_in(request: HttpRequest, assessment_id: int) -> Assessment:
    assessment = visible_assessment(request, assessment_id)
    if assessment.kind != AssessmentKind.ASSIGNMENT or not policies.is_enrolled(
        request.user, assessment.cohort
    ):
        raise Http404
    return assessment


def _errors(error: ApplicationError) -> list[str]:
    return [message for messages_ in error.fields.values() for message in messages_] or [
        error.message
    ]


@login_required
def hand_in(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The assignment for a pupil: instructions, rubric, the hand-in form and their hand-ins,
    with the marks and feedback once the teacher has published them."""
    assessment = _assignment_to_hand_in(request, assessment_id)
    user = user_of(request)
    errors: list[str] = []
    text = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            services.submission_hand_in(
                assessment=assessment,
                student=user,
                text=text,
                files=request.FILES.getlist("files"),
            )
        except ApplicationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("Handed in. Your teacher will mark it."))
            return redirect("frontend:hand-in", assessment_id=assessment.pk)
    attempts = (
        Attempt.objects.filter(assessment=assessment, student=user)
        .select_related("assessment")
        .prefetch_related("files", "rubric_scores", "assessment__rubric")
        .order_by("-number")
    )
    submissions = [selectors.attempt_for_student(attempt=attempt) for attempt in attempts]
    return render(
        request,
        "frontend/marking/hand_in.html",
        {
            "assessment": assessment,
            "rubric": list(assessment.rubric.order_by("position", "pk")),
            "submissions": submissions,
            "hand_ins_left": max(assessment.max_attempts - len(submissions), 0),
            "errors": errors,
            "text": text,
        },
        status=400 if errors else 200,
    )


def _queue_page(request: HttpRequest, cohort: Cohort | None, rows: list[dict[str, Any]]) -> Any:
    return render(request, "frontend/marking/queue.html", {"cohort": cohort, "rows": rows})


@login_required
def marking_queue(request: HttpRequest) -> HttpResponse:
    """What waits to be marked in every class the reader teaches, oldest first."""
    rows = selectors.marking_queue(cohorts=selectors.cohorts_taught(user=request.user))
    return _queue_page(request, None, rows)


@login_required
def class_marking_queue(request: HttpRequest, class_id: int) -> HttpResponse:
    cohort = taught_cohort(request, class_id)
    rows = selectors.marking_queue(cohorts=Cohort.objects.filter(pk=cohort.pk))
    return _queue_page(request, cohort, rows)


@login_required
def submissions(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Every handed-in attempt of a quiz or an assignment, marked or not, for its teachers."""
    assessment = managed_assessment(request, assessment_id)
    return render(
        request,
        "frontend/marking/submissions.html",
        {
            "assessment": assessment,
            "rows": selectors.submissions_for_assessment(assessment=assessment),
        },
    )


def _attempt_to_mark(request: HttpRequest, attempt_id: int) -> Attempt:
    """A handed-in attempt of a class the reader teaches; anything else is not found."""
    attempt = selectors.attempt_to_mark(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


def _marks_from(post: Any, view: dict[str, Any]) -> dict[str, Any]:
    """The marks typed in the form, as the service takes them (the service checks them)."""
    rubric = [
        {
            "criterion": row["id"],
            "points": post.get(f"criterion-{row['id']}-points", "").strip().replace(",", "."),
            "comment": post.get(f"criterion-{row['id']}-comment", ""),
        }
        for row in view["rubric"]
    ]
    answers = [
        {
            "question": row["id"],
            "points": post.get(f"question-{row['id']}-points", "").strip().replace(",", "."),
            "comment": post.get(f"question-{row['id']}-comment", ""),
        }
        for row in view["questions"]
        if row["marked_by_hand"] and row["response"] is not None
    ]
    return {"rubric": rubric, "answers": answers, "feedback": post.get("feedback", "")}


def _with_typed(view: dict[str, Any], marks: dict[str, Any]) -> None:
    """Show what the teacher typed again after a refusal, so nothing is lost."""
    typed_rubric = {item["criterion"]: item for item in marks["rubric"]}
    for row in view["rubric"]:
        if row["id"] in typed_rubric:
            row["points"] = typed_rubric[row["id"]]["points"]
            row["comment"] = typed_rubric[row["id"]]["comment"]
    typed_answers = {item["question"]: item for item in marks["answers"]}
    for row in view["questions"]:
        if row["id"] in typed_answers:
            row["points"] = typed_answers[row["id"]]["points"]
            row["comment"] = typed_answers[row["id"]]["comment"]
    view["feedback"] = marks["feedback"]


def _next_in_queue(attempt: Attempt) -> int | None:
    rows = selectors.marking_queue(cohorts=Cohort.objects.filter(pk=attempt.assessment.cohort_id))
    return next((row["attempt"] for row in rows if row["attempt"] != attempt.pk), None)


@login_required
def attempt_mark(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Mark a submission: points and a comment per criterion or per essay, and feedback."""
    attempt = _attempt_to_mark(request, attempt_id)
    view = selectors.attempt_for_marking(attempt=attempt)
    errors: list[str] = []
    if request.method == "POST":
        marks = _marks_from(request.POST, view)
        try:
            services.attempt_mark(attempt=attempt, by=user_of(request), **marks)
        except ApplicationError as error:
            errors = _errors(error)
            _with_typed(view, marks)
        else:
            messages.success(request, _("Marked. The grade is a draft until you publish it."))
            following = _next_in_queue(attempt)
            if following is not None and "next" in request.POST:
                return redirect("frontend:attempt-mark", attempt_id=following)
            return redirect("frontend:class-marking-queue", class_id=attempt.assessment.cohort_id)
    essays_points = sum(
        (Decimal(row["points_possible"]) for row in view["questions"] if row["marked_by_hand"]),
        Decimal(0),
    )
    return render(
        request,
        "frontend/marking/mark.html",
        {
            "attempt": view,
            "essays_points": essays_points,
            "errors": errors,
            "is_assignment": view["assessment"]["kind"] == AssessmentKind.ASSIGNMENT,
        },
        status=400 if errors else 200,
    )
