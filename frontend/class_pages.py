"""Pages for terms and classes: administrators create them and enrol students, teachers see
rosters with progress, students join with a code and mark lessons complete."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from courses import imports, policies, selectors, services
from courses.models import Course, Term
from frontend.forms import ServiceErrorsMixin
from lms.accounts import policies as accounts_policies
from lms.accounts import selectors as accounts_selectors
from lms.accounts.models import Role, School, User
from lms.errors import ApplicationError

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class TermForm(ServiceErrorsMixin, forms.Form):
    school = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=School.objects.none())
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput({"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        schools = accounts_selectors.school_list_visible(user=user)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]


class CohortForm(ServiceErrorsMixin, forms.Form):
    term = forms.ModelChoiceField(label=gettext_lazy("Term"), queryset=Term.objects.none())
    course = forms.ModelChoiceField(label=gettext_lazy("Course"), queryset=Course.objects.none())
    name = forms.CharField(label=gettext_lazy("Name of the class"), max_length=100)
    teachers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teachers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    allow_self_enrol = forms.BooleanField(
        label=gettext_lazy("Students may join with the class code"), required=False
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        terms = selectors.term_list_visible(user=user)
        region_ids = terms.values("school__region_id")
        self.fields["term"].queryset = terms  # type: ignore[attr-defined]
        self.fields["course"].queryset = Course.objects.filter(  # type: ignore[attr-defined]
            school__region_id__in=region_ids
        ).order_by("title")
        self.fields["teachers"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role=Role.TEACHER, is_active=True, school__region_id__in=region_ids
        ).order_by("last_name", "first_name")


@login_required
def term_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not accounts_policies.can_use_admin(user):
        raise PermissionDenied
    form = TermForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.term_create(by=user, **form.cleaned_data)
            messages.success(request, _("The term was added."))
            return redirect("frontend:term-list")
        except ApplicationError as error:
            form.add_service_errors(error)
    terms = selectors.term_list_visible(user=user)
    return render(request, "frontend/term_list.html", {"terms": terms, "form": form})


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "frontend/class_list.html",
        {
            "classes": selectors.cohort_list_visible(user=user),
            "can_create": accounts_policies.can_use_admin(user),
        },
    )


@login_required
def class_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not accounts_policies.can_use_admin(user):
        raise PermissionDenied
    form = CohortForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["teachers"] = list(data["teachers"])
        try:
            cohort = services.cohort_create(by=user, **data)
            messages.success(request, _("The class was added."))
            return redirect("frontend:class-detail", class_id=cohort.pk)
        except ApplicationError as error:
            form.add_service_errors(error)
    return render(request, "frontend/class_form.html", {"form": form})


@login_required
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    user = _user(request)
    cohort = get_object_or_404(selectors.cohort_list_visible(user=user), pk=class_id)
    can_roster = policies.can_view_roster(user, cohort)
    enrollable = (
        accounts_selectors.person_list_manageable(user=user)
        .filter(role=Role.STUDENT, is_active=True)
        .exclude(Q(enrolments__cohort=cohort))
    )
    return render(
        request,
        "frontend/class_detail.html",
        {
            "cohort": cohort,
            "roster": selectors.roster_for_cohort(cohort=cohort) if can_roster else None,
            "can_manage": policies.can_manage_cohort(user, cohort),
            "enrollable": enrollable if accounts_policies.can_list_people(user) else [],
        },
    )


@login_required
@require_POST
def class_enrol(request: HttpRequest, class_id: int) -> HttpResponse:
    user = _user(request)
    cohort = get_object_or_404(selectors.cohort_list_visible(user=user), pk=class_id)
    student = (
        accounts_selectors.person_list_visible(user=user)
        .filter(pk=request.POST.get("student") or 0)
        .first()
    )
    if student is None:
        messages.error(request, _("Choose a student."))
    else:
        try:
            services.enrolment_create(cohort=cohort, student=student, by=user)
            messages.success(request, _("%(name)s is in the class.") % {"name": student})
        except ApplicationError as error:
            messages.error(request, " ".join(m for ms in error.fields.values() for m in ms))
    return redirect("frontend:class-detail", class_id=cohort.pk)


@login_required
@require_POST
def class_join(request: HttpRequest) -> HttpResponse:
    try:
        enrolment = services.cohort_join(student=_user(request), code=request.POST.get("code", ""))
    except ApplicationError as error:
        messages.error(request, error.fields["code"][0])
        return redirect("frontend:home")
    messages.success(request, _("You joined %(name)s.") % {"name": enrolment.cohort})
    return redirect("frontend:course-detail", course_id=enrolment.cohort.course_id)


@login_required
@require_POST
def lesson_complete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = selectors.lesson_visible(user=request.user, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    if request.POST.get("undo"):
        services.lesson_uncomplete(lesson=lesson, student=_user(request))
    else:
        services.lesson_complete(lesson=lesson, student=_user(request))
    return redirect("frontend:lesson-detail", lesson_id=lesson.pk)


@login_required
def class_import(request: HttpRequest, class_id: int) -> HttpResponse:
    """Enrol pupils from a CSV file: check it first, then import it (all rows or none)."""
    user = _user(request)
    cohort = get_object_or_404(selectors.cohort_list_visible(user=user), pk=class_id)
    if not imports.can_import_into(user, cohort):
        raise PermissionDenied
    report = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file.")
        elif upload.size is not None and upload.size > IMPORT_MAX_BYTES:
            error = _("The file is larger than 5 MB; split it into smaller files.")
        else:
            try:
                report = imports.enrolment_import(
                    cohort=cohort,
                    by=user,
                    data=upload.read(),
                    encoding=request.POST.get("encoding") or None,
                    apply=request.POST.get("mode") == "apply",
                )
            except ApplicationError as refusal:
                error = " ".join(
                    [refusal.message, *(m for ms in refusal.fields.values() for m in ms)]
                )
    return render(
        request,
        "frontend/class_import.html",
        {"cohort": cohort, "report": report, "error": error},
    )
