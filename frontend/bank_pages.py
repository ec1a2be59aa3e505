"""Pages of a course's question bank: its authors (and the platform administrator) write,
change, delete and import questions; the teachers of the course's classes read it to build
their quizzes. Anyone else gets the answer of a course that does not exist (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from courses import selectors as course_selectors
from courses.assessments import policies, selectors, services
from courses.assessments.grading import QuestionType
from courses.assessments.models import Question, QuestionKind
from courses.models import Course
from frontend.assessment_forms import GiftImportForm, QuestionForm
from lms.accounts.models import User
from lms.errors import ApplicationError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _bank(request: HttpRequest, course_id: int, *, manage: bool = False) -> Course:
    course = course_selectors.course_visible(user=request.user, course_id=course_id)
    if course is None or not policies.can_view_bank(request.user, course):
        raise Http404
    if manage and not policies.can_manage_bank(request.user, course):
        raise Http404
    return course


def _question(request: HttpRequest, question_id: int) -> Question:
    """A question its reader may change; anyone else is answered 404."""
    course_id = Question.objects.filter(pk=question_id).values_list("course_id", flat=True).first()
    if course_id is None:
        raise Http404
    course = _bank(request, course_id, manage=True)
    question = (
        selectors.question_list_for_course(course=course, user=request.user)
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise Http404
    question.course = course
    return question


def _refused(request: HttpRequest) -> None:
    messages.error(request, _("Nothing was saved: correct what is marked below."))


@login_required
def question_list(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _bank(request, course_id)
    return render(
        request,
        "frontend/assessments/question_list.html",
        {
            "course": course,
            "questions": selectors.question_list_for_course(course=course, user=request.user),
            "can_manage": policies.can_manage_bank(request.user, course),
            "kinds": QuestionKind.choices,
        },
    )


@login_required
def question_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _bank(request, course_id, manage=True)
    kind = request.GET.get("kind", "")
    if kind not in QuestionType.ALL:
        messages.error(request, _("Choose the type of the new question."))
        return redirect("frontend:question-list", course_id=course.pk)
    rows = QuestionForm.rows_for(kind, 0, request.GET.get("rows"))
    form = QuestionForm(
        request.POST or None, kind=kind, rows=rows, initial=QuestionForm.initial_for_new(kind)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.question_create(
                    course=course, by=_user(request), kind=kind, **form.question_data()
                )
                messages.success(request, _("The question was added to the bank."))
                return redirect("frontend:question-list", course_id=course.pk)
            except ApplicationError as error:
                form.add_service_errors(error)
        _refused(request)
    return render(
        request,
        "frontend/assessments/question_form.html",
        {"form": form, "course": course, "kind": QuestionKind(kind), "question": None},
    )


@login_required
def question_edit(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    course = question.course
    rows = QuestionForm.rows_for(question.kind, len(question.keys.all()), request.GET.get("rows"))
    form = QuestionForm(
        request.POST or None,
        kind=question.kind,
        rows=rows,
        initial=QuestionForm.initial_for(question),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.question_update(
                    question=question, by=_user(request), data=form.question_data()
                )
                messages.success(request, _("The question was saved."))
                return redirect("frontend:question-list", course_id=course.pk)
            except ApplicationError as error:
                form.add_service_errors(error)
        _refused(request)
    return render(
        request,
        "frontend/assessments/question_form.html",
        {"form": form, "course": course, "kind": QuestionKind(question.kind), "question": question},
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    course_id = question.course_id
    try:
        services.question_delete(question=question, by=_user(request))
    except ApplicationError as error:  # a quiz or a pupil's answer still uses it
        messages.error(request, error.message)
        return redirect("frontend:question-edit", question_id=question.pk)
    messages.success(request, _("The question was deleted."))
    return redirect("frontend:question-list", course_id=course_id)


@login_required
def question_import(request: HttpRequest, course_id: int) -> HttpResponse:
    """Add questions from a GIFT file or pasted text: check first (every error with its line,
    nothing written), then import (every question or none). After a check the text stays in
    the page, so that it can be corrected and imported without choosing the file again."""
    course = _bank(request, course_id, manage=True)
    form = GiftImportForm(request.POST or None, request.FILES or None)
    report = None
    text = ""
    if request.method == "POST" and form.is_valid():
        text = form.gift_text()
        if form.is_valid():
            try:
                report = services.questions_import_gift(
                    course=course,
                    by=_user(request),
                    text=text,
                    apply=request.POST.get("mode") == "apply",
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
    if request.method == "POST" and not form.is_valid():
        _refused(request)
    if report is not None and report.applied:
        count = len(report.questions)
        message = ngettext(
            "%(count)s question was added to the bank.",
            "%(count)s questions were added to the bank.",
            count,
        )
        messages.success(request, message % {"count": count})
        return redirect("frontend:question-list", course_id=course.pk)
    if report is not None and report.errors:
        messages.error(request, _("Nothing was imported: correct the lines named below."))
    if report is not None:
        form = GiftImportForm(initial={"text": text})
    return render(
        request,
        "frontend/assessments/question_import.html",
        {
            "course": course,
            "form": form,
            "report": report,
            "report_questions": [
                {**item, "kind_label": QuestionKind(item["kind"]).label}
                for item in (report.questions if report is not None else [])
            ],
            "applying": request.POST.get("mode") == "apply",
        },
    )
