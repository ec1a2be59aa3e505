"""Server-rendered pages. Each view parses the request, asks the policies, calls one service or
selector and renders; no rules live here."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from classrooms import selectors as classroom_selectors
from courses import selectors as course_selectors
from frontend.forms import PersonForm, SchoolForm
from lms.accounts import policies, selectors, services
from lms.accounts.models import Role, School, User
from lms.accounts.throttles import sign_in_allowed
from lms.errors import ApplicationError, error_body, lockout_message


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class SignInView(auth_views.LoginView):
    template_name = "frontend/sign_in.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sign_in_allowed(request):
            message = _("Too many sign-in attempts from this connection. Wait a minute.")
            return render(request, "frontend/locked_out.html", {"message": message}, status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = selectors.demo_accounts()
        return context


class SignOutView(auth_views.LogoutView):
    """Django's sign-out view only answers POST (a link or an image cannot sign you out)."""


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        try:
            services.user_language_set(user=request.user, language=language)
        except ApplicationError as error:
            messages.error(request, error.fields["language"][0])
            return redirect("frontend:home")
    return i18n.set_language(request)


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """What django-axes answers while an account is locked (AXES_LOCKOUT_CALLABLE): the API's
    error body under /api/, a page elsewhere."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("locked_out", message), status=429)
    return render(request, "frontend/locked_out.html", {"message": message}, status=429)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {"role": Role(user.role)}
    if policies.can_create_schools(user) or policies.is_school_admin(user):
        context["schools"] = selectors.school_list_with_counts(user=user)
    if user.role == Role.STUDENT:
        context["courses"] = course_selectors.course_list_for_student(student=user)
    if user.role == Role.TEACHER:
        context["classes"] = course_selectors.cohort_list_visible(user=user)
    if user.role == Role.FACILITATOR:
        context["live_lessons"] = [
            lesson
            for lesson in classroom_selectors.live_lessons_facilitated(user=user)
            if lesson.ends_at > timezone.now()
        ]
    return render(request, "frontend/home.html", context)


def _school_initial(school: School | None) -> dict[str, Any] | None:
    return SchoolForm.initial_for(school) if school else None


def _person_initial(person: User | None) -> dict[str, Any] | None:
    return PersonForm.initial_for(person) if person else None


# --- schools --------------------------------------------------------------------------------
@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    if not (policies.can_create_schools(request.user) or policies.is_school_admin(request.user)):
        raise PermissionDenied
    return render(
        request,
        "frontend/school_list.html",
        {
            "schools": selectors.school_list_with_counts(user=request.user),
            "can_create": policies.can_create_schools(request.user),
        },
    )


@login_required
def school_edit(request: HttpRequest, school_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    school = None
    if school_id is not None:
        school = get_object_or_404(selectors.school_list_visible(user=user), pk=school_id)
        if not policies.can_manage_school(user, school):
            raise PermissionDenied
    elif not policies.can_create_schools(user):
        raise PermissionDenied

    if request.method == "POST":
        form = SchoolForm(request.POST, initial=_school_initial(school), user=user)
        if form.is_valid():
            try:
                if school is None:
                    school = services.school_create(by=user, **form.cleaned_data)
                    messages.success(request, _("The school was added."))
                else:
                    services.school_update(school=school, by=user, data=form.cleaned_data)
                    messages.success(request, _("The school was saved."))
                return redirect("frontend:school-list")
            except ApplicationError as error:
                form.add_service_errors(error)
    else:
        form = SchoolForm(initial=_school_initial(school), user=user)
    return render(request, "frontend/school_form.html", {"form": form, "school": school})


# --- people ---------------------------------------------------------------------------------
@vary_on_headers("HX-Request")
@login_required
def person_list(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    if not policies.can_list_people(user):
        raise PermissionDenied
    people = selectors.person_list_visible(user=user)
    role = request.GET.get("role", "")
    if role in Role.values:
        people = people.filter(role=role)
    query = request.GET.get("q", "").replace("\x00", "").strip()
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    manageable = set(
        selectors.person_list_manageable(user=user)
        .filter(pk__in=[person.pk for person in page])
        .values_list("pk", flat=True)
    )
    # htmx asks for the table alone when the filters change: fewer bytes on a slow link. When
    # it restores a page from history it needs the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "frontend/person_table.html" if partial else "frontend/person_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "manageable": manageable,
            "roles": Role.choices,
            "role": role,
            "query": query,
        },
    )


@login_required
def person_edit(request: HttpRequest, person_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = None
    if person_id is not None:
        person = get_object_or_404(selectors.person_list_visible(user=user), pk=person_id)
        if not policies.can_manage_person(user, person):
            raise PermissionDenied
    elif not policies.can_list_people(user):
        raise PermissionDenied

    if request.method == "POST":
        form = PersonForm(
            request.POST, initial=_person_initial(person), user=user, creating=person is None
        )
        if form.is_valid():
            password = form.cleaned_data["password"]
            try:
                if person is None:
                    services.person_create(by=user, password=password, **form.person_data())
                    messages.success(request, _("The person was added."))
                else:
                    services.person_update(
                        person=person, by=user, data=form.person_data(), password=password or None
                    )
                    messages.success(request, _("The changes were saved."))
                return redirect("frontend:person-list")
            except ApplicationError as error:
                form.add_service_errors(error)
    else:
        form = PersonForm(initial=_person_initial(person), user=user, creating=person is None)
    return render(request, "frontend/person_form.html", {"form": form, "person": person})


@login_required
@require_POST
def person_set_active(request: HttpRequest, person_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = get_object_or_404(selectors.person_list_visible(user=user), pk=person_id)
    active = request.POST.get("active") == "1"
    services.person_set_active(person=person, by=user, active=active)
    if active:
        messages.success(request, _("%(name)s can sign in again.") % {"name": person})
    else:
        messages.success(request, _("%(name)s was deactivated.") % {"name": person})
    return redirect("frontend:person-list")


@login_required
@require_POST
def person_unlock(request: HttpRequest, person_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = get_object_or_404(selectors.person_list_visible(user=user), pk=person_id)
    services.person_unlock(person=person, by=user)
    messages.success(request, _("%(name)s can try to sign in again now.") % {"name": person})
    return redirect("frontend:person-edit", person_id=person.pk)
