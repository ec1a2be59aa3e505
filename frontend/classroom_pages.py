"""Pages of classrooms: administrators register their schools' rooms (smart classrooms with a
camera and microphones, and the rooms of rural schools that join live lessons); the staff of
the region see them. Anyone else gets a 404."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from classrooms import policies, selectors, services
from classrooms.models import MAX_CAPACITY, Classroom
from frontend.forms import ServiceErrorsMixin
from lms.accounts.models import School, User
from lms.errors import ApplicationError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class ClassroomForm(ServiceErrorsMixin, forms.Form):
    school = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=School.objects.none())
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    capacity = forms.IntegerField(label=gettext_lazy("Seats"), min_value=1, max_value=MAX_CAPACITY)
    is_smart = forms.BooleanField(
        label=gettext_lazy("Smart classroom (a teacher teaches live lessons from it)"),
        required=False,
    )
    has_camera = forms.BooleanField(label=gettext_lazy("Camera"), required=False)
    has_microphones = forms.BooleanField(label=gettext_lazy("Microphones"), required=False)
    has_interactive_display = forms.BooleanField(
        label=gettext_lazy("Interactive display"), required=False
    )
    has_projector = forms.BooleanField(label=gettext_lazy("Projector"), required=False)

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["school"]
        else:
            schools = selectors.schools_managed(user=user).order_by("name")
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]


@login_required
def classroom_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rooms = selectors.classroom_list_visible(user=user).order_by("school__name", "name", "pk")
    can_register = policies.can_register_somewhere(user)
    if not can_register and user.role not in policies.STAFF_ROLES:
        raise Http404
    form = ClassroomForm(request.POST or None, user=user) if can_register else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            school = data.pop("school")
            try:
                services.classroom_create(by=user, school=school, data=data)
                messages.success(request, _("The classroom was registered."))
                return redirect("frontend:classroom-list")
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/classroom_list.html",
        {"rooms": rooms, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _managed(request: HttpRequest, classroom_id: int) -> Classroom:
    room = get_object_or_404(selectors.classroom_list_visible(user=request.user), pk=classroom_id)
    if not policies.can_manage_classrooms(request.user, room.school):
        raise Http404
    return room


@login_required
def classroom_edit(request: HttpRequest, classroom_id: int) -> HttpResponse:
    room = _managed(request, classroom_id)
    initial = {name: getattr(room, name) for name in services.CLASSROOM_FIELDS}
    form = ClassroomForm(request.POST or None, user=_user(request), editing=True, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.classroom_update(
                    classroom=room, by=_user(request), data=dict(form.cleaned_data)
                )
                messages.success(request, _("The classroom was saved."))
                return redirect("frontend:classroom-list")
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/classroom_form.html",
        {"room": room, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def classroom_delete(request: HttpRequest, classroom_id: int) -> HttpResponse:
    room = _managed(request, classroom_id)
    services.classroom_delete(classroom=room, by=_user(request))
    messages.success(request, _("The classroom was removed."))
    return redirect("frontend:classroom-list")
