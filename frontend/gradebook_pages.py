"""The gradebook of a class for its teachers (and the platform administrator): the grid of
``courses.assessments.gradebook``, grade categories, overriding a grade with a reason, a
grade's history and publishing an assessment's grades; and a pupil's own grades."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from courses.assessments import policies, selectors, services
from courses.assessments.gradebook import gradebook_for_cohort
from courses.assessments.models import Assessment, Grade, GradeState
from courses.models import Cohort
from frontend.assessment_forms import CategoryForm, OverrideForm
from frontend.assessment_pages import (
    managed_assessment,
    own_attempts,
    taught_cohort,
    user_of,
    visible_cohort,
)
from lms.accounts.models import User
from lms.errors import ApplicationError

GRADES_FILE_MAX_BYTES = 5 * 1024 * 1024  # the service refuses anything larger


def _drafts_by_assessment(cohort: Cohort) -> dict[int, int]:
    """How many graded, unpublished grades each assessment of the class has (one query)."""
    return dict(
        Grade.objects.filter(
            assessment__cohort=cohort, state=GradeState.DRAFT, points__isnull=False
        )
        .values("assessment_id")
        .annotate(count=Count("pk"))
        .values_list("assessment_id", "count")
    )


def _gradebook_page(
    request: HttpRequest, cohort: Cohort, category_form: CategoryForm
) -> HttpResponse:
    book = gradebook_for_cohort(cohort=cohort)
    drafts = _drafts_by_assessment(cohort)
    columns = [{**item, "drafts": drafts.get(item["id"], 0)} for item in book.assessments]
    rows = [
        {
            "student": row.student,
            "username": row.username,
            "name": row.name,
            # grades follow the book's assessments, category shares its categories
            "grades": list(zip(columns, row.grades, strict=True)),
            "categories": row.categories,
            "total": row.total,
        }
        for row in book.rows
    ]
    return render(
        request,
        "frontend/assessments/gradebook.html",
        {
            "cohort": cohort,
            "columns": columns,
            "categories": book.categories,
            "rows": rows,
            "category_form": category_form,
        },
    )


@login_required
def gradebook(request: HttpRequest, class_id: int) -> HttpResponse:
    return _gradebook_page(request, taught_cohort(request, class_id), CategoryForm())


@login_required
@require_POST
def grade_category_create(request: HttpRequest, class_id: int) -> HttpResponse:
    cohort = taught_cohort(request, class_id)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.grade_category_create(cohort=cohort, by=user_of(request), **form.cleaned_data)
            messages.success(request, _("The grade category was added."))
            return redirect("frontend:gradebook", class_id=cohort.pk)
        except ApplicationError as error:
            form.add_service_errors(error)
    messages.error(request, _("Nothing was saved: correct what is marked below."))
    return _gradebook_page(request, cohort, form)


@login_required
def grades_import(request: HttpRequest, class_id: int) -> HttpResponse:
    """Grades typed into the gradebook's CSV file: check the file, then import it."""
    cohort = taught_cohort(request, class_id)
    report: dict[str, Any] | None = None
    error = ""
    mode = request.POST.get("mode", "dry-run")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose the file to import.")
        else:
            try:
                result = services.grades_import(
                    cohort=cohort,
                    by=user_of(request),
                    data=upload.read(GRADES_FILE_MAX_BYTES + 1),
                    apply=mode == "apply",
                    encoding=request.POST.get("encoding") or None,
                    file_name=upload.name or "",
                )
            except ApplicationError as refused:
                error = refused.text()
            else:
                report = result.as_dict()
                if result.applied:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s grade was imported.",
                            "%(count)s grades were imported.",
                            report["changes"],
                        )
                        % {"count": report["changes"]},
                    )
    return render(
        request,
        "frontend/assessments/grade_import.html",
        {"cohort": cohort, "report": report, "error": error, "mode": mode},
        status=400 if error or (report and report["errors"]) else 200,
    )


def _pupil(assessment: Assessment, student_id: int) -> User:
    student = User.objects.filter(pk=student_id).first()
    if student is None or not policies.is_enrolled(student, assessment.cohort):
        raise Http404
    return student


@login_required
def grade_detail(request: HttpRequest, assessment_id: int, student_id: int) -> HttpResponse:
    """One pupil's grade in one assessment: override it with a reason, and its history."""
    assessment = managed_assessment(request, assessment_id)
    student = _pupil(assessment, student_id)
    grade = Grade.objects.filter(assessment=assessment, student=student).first()
    initial = {"points": grade.points} if grade is not None else None
    lifting = request.method == "POST" and request.POST.get("action") == "lift"
    form = OverrideForm(None if lifting else request.POST or None, initial=initial)
    lift_error = ""
    if lifting:
        try:
            services.grade_override_lift(
                assessment=assessment,
                student=student,
                by=user_of(request),
                reason=request.POST.get("lift_reason", ""),
            )
            messages.success(request, _("The grade follows the marked work again."))
            return redirect(
                "frontend:grade-detail", assessment_id=assessment.pk, student_id=student.pk
            )
        except ApplicationError as error:
            lift_error = error.text()
    elif request.method == "POST":
        if form.is_valid():
            try:
                services.grade_override(
                    assessment=assessment,
                    student=student,
                    by=user_of(request),
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("The grade was changed."))
                return redirect(
                    "frontend:grade-detail", assessment_id=assessment.pk, student_id=student.pk
                )
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    changes: Any = (
        grade.changes.select_related("by").order_by("version") if grade is not None else []
    )
    return render(
        request,
        "frontend/assessments/grade_detail.html",
        {
            "assessment": assessment,
            "cohort": assessment.cohort,
            "student": student,
            "grade": grade,
            "changes": changes,
            "form": form,
            "lift_error": lift_error,
        },
        status=400 if lift_error else 200,
    )


@login_required
@require_POST
def grades_publish(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = managed_assessment(request, assessment_id)
    count = services.grades_publish(assessment=assessment, by=user_of(request))
    if count:
        message = ngettext(
            "%(count)s grade was published: the pupil sees it now.",
            "%(count)s grades were published: the pupils see them now.",
            count,
        )
        messages.success(request, message % {"count": count})
    else:
        messages.info(request, _("There were no new grades to publish."))
    return redirect("frontend:gradebook", class_id=assessment.cohort_id)


@login_required
def my_grades(request: HttpRequest, class_id: int) -> HttpResponse:
    """A pupil's own grades in a class: points only once the teacher published them."""
    user = user_of(request)
    cohort = visible_cohort(request, class_id)
    if not policies.is_enrolled(user, cohort):
        raise Http404
    rows = selectors.grades_for_student(cohort=cohort, student=user)
    attempts = own_attempts(user, [row["assessment"] for row in rows])
    for row in rows:
        row["attempts"] = attempts.get(row["assessment"], [])
    return render(request, "frontend/assessments/my_grades.html", {"cohort": cohort, "rows": rows})
