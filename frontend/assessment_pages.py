"""Pages of a class's quizzes and assignments: its teachers (and the platform administrator)
build and publish them; its pupils see the published ones with their own state. Anyone else
gets the answer of a class that does not exist (404)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors as course_selectors
from courses.assessments import policies, selectors, services
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptState,
    GradeCategory,
)
from courses.models import Cohort
from frontend.assessment_forms import AssessmentForm, PublishForm
from lms.accounts.models import User
from lms.errors import ApplicationError


def user_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def visible_cohort(request: HttpRequest, class_id: int) -> Cohort:
    return get_object_or_404(course_selectors.cohort_list_visible(user=request.user), pk=class_id)


def taught_cohort(request: HttpRequest, class_id: int) -> Cohort:
    """A class whose assessments the reader manages; for anyone else, not found."""
    cohort = visible_cohort(request, class_id)
    if not policies.can_manage_assessments(request.user, cohort):
        raise Http404
    return cohort


def visible_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    assessment = selectors.assessment_visible(user=request.user, assessment_id=assessment_id)
    if assessment is None:
        raise Http404
    return assessment


def managed_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    assessment = visible_assessment(request, assessment_id)
    if not policies.can_manage_assessments(request.user, assessment.cohort):
        raise Http404
    return assessment


def own_attempts(user: Any, assessments: list[int]) -> dict[int, list[Attempt]]:
    """The reader's own attempts at these assessments, by assessment, oldest first. (Only the
    fields a pupil may see of them are used by the pages: number, state, times.)"""
    attempts: dict[int, list[Attempt]] = {}
    rows = Attempt.objects.filter(student_id=user.pk, assessment_id__in=assessments).only(
        "pk", "assessment_id", "number", "state", "started_at", "submitted_at"
    )
    for attempt in rows.order_by("number"):
        attempts.setdefault(attempt.assessment_id, []).append(attempt)
    return attempts


def pupil_state(attempts: list[Attempt]) -> str:
    """Not started, in progress, submitted or graded: the latest attempt's state."""
    if not attempts:
        return "not_started"
    return str(attempts[-1].state)


@login_required
def assessment_list(request: HttpRequest, class_id: int) -> HttpResponse:
    user = user_of(request)
    cohort = visible_cohort(request, class_id)
    manages = policies.can_manage_assessments(user, cohort)
    if not manages and not policies.is_enrolled(user, cohort):
        raise Http404
    assessments = list(selectors.assessment_list_for_cohort(cohort=cohort, user=user))
    rows: list[dict[str, Any]] = [{"assessment": item} for item in assessments]
    if not manages:
        attempts = own_attempts(user, [item.pk for item in assessments])
        for row in rows:
            mine = attempts.get(row["assessment"].pk, [])
            row["state"] = pupil_state(mine)
            row["attempt"] = mine[-1] if mine else None
    return render(
        request,
        "frontend/assessments/assessment_list.html",
        {"cohort": cohort, "rows": rows, "manages": manages},
    )


def _assessment_create(request: HttpRequest, class_id: int, kind: str) -> HttpResponse:
    user = user_of(request)
    cohort = taught_cohort(request, class_id)
    questions: list[Any] = []
    objectives: list[str] = []
    if kind == AssessmentKind.QUIZ:
        questions = list(selectors.question_list_for_course(course=cohort.course, user=user))
        objectives = list(
            selectors.objective_list_for_course(course=cohort.course, user=user).values_list(
                "code", flat=True
            )
        )
    form = AssessmentForm(
        request.POST or None,
        kind=kind,
        cohort=cohort,
        questions=questions,
        objectives=objectives,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.assessment_create(
                    cohort=cohort, by=user, **form.service_data()
                )
                messages.success(request, _("The draft was saved. Publish it when it is ready."))
                return redirect("frontend:assessment-detail", assessment_id=assessment.pk)
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/assessments/assessment_form.html",
        {"form": form, "cohort": cohort, "kind": AssessmentKind(kind)},
    )


@login_required
def quiz_create(request: HttpRequest, class_id: int) -> HttpResponse:
    return _assessment_create(request, class_id, AssessmentKind.QUIZ)


@login_required
def assignment_create(request: HttpRequest, class_id: int) -> HttpResponse:
    return _assessment_create(request, class_id, AssessmentKind.ASSIGNMENT)


@login_required
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """For the class's teachers: what the assessment holds and its publishing; for a pupil:
    the instructions, their attempts and the button to start or go on."""
    user = user_of(request)
    assessment = visible_assessment(request, assessment_id)
    manages = policies.can_manage_assessments(user, assessment.cohort)
    context: dict[str, Any] = {
        "assessment": assessment,
        "manages": manages,
        "rubric": list(assessment.rubric.order_by("position", "pk")),
    }
    if manages:
        context["slots"] = list(
            assessment.slots.select_related("question", "random_objective").order_by(
                "position", "pk"
            )
        )
        context["category"] = (
            GradeCategory.objects.filter(pk=assessment.category_id).first()
            if assessment.category_id
            else None
        )
    else:
        attempts = own_attempts(user, [assessment.pk]).get(assessment.pk, [])
        context["attempts"] = attempts
        context["state"] = pupil_state(attempts)
        context["in_progress"] = next(
            (item for item in attempts if item.state == AttemptState.IN_PROGRESS), None
        )
        context["attempts_left"] = max(assessment.max_attempts - len(attempts), 0)
    return render(request, "frontend/assessments/assessment_detail.html", context)


@login_required
@require_POST
def assessment_publish(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = managed_assessment(request, assessment_id)
    form = PublishForm(request.POST)
    form.is_valid()
    published = bool(form.cleaned_data.get("published"))
    services.assessment_publish(assessment=assessment, by=user_of(request), published=published)
    if published:
        messages.success(request, _("Published: the class's pupils can see it now."))
    else:
        messages.success(request, _("Unpublished: the pupils no longer see it."))
    return redirect("frontend:assessment-detail", assessment_id=assessment.pk)
