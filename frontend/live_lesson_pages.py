"""Pages of a class's live lessons: its teachers schedule them (time, length, the hub
classroom or home, the spoke rooms with their facilitators), move and cancel them; the class's
pupils, the spokes' facilitators and the school's administrators read them. Anyone else gets
a 404. Times are shown and typed in the reader's time zone."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from classrooms import lessons, policies, selectors
from classrooms.models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Classroom, LiveLesson
from courses import selectors as course_selectors
from courses.models import Cohort
from frontend.assessment_forms import _datetime_field
from frontend.forms import ServiceErrorsMixin
from lms.accounts.models import Role, User
from lms.errors import ApplicationError

SPOKE_ROWS = 4


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class LiveLessonForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = _datetime_field(gettext_lazy("Starts"), required=True)
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"),
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        initial=45,
    )
    hub = forms.ModelChoiceField(
        label=gettext_lazy("Taught from"),
        queryset=Classroom.objects.none(),
        required=False,
        empty_label=gettext_lazy("Home (no classroom)"),
    )

    def __init__(self, *args: Any, cohort: Cohort, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_id = cohort.term.school.region_id
        rooms = Classroom.objects.filter(school__region_id=region_id).select_related("school")
        self.fields["hub"].queryset = rooms.filter(is_smart=True)  # type: ignore[attr-defined]
        facilitators = User.objects.filter(
            role=Role.FACILITATOR, is_active=True, school__region_id=region_id
        ).select_related("school")
        for row in range(SPOKE_ROWS):
            self.fields[f"spoke_{row}_classroom"] = forms.ModelChoiceField(
                label=gettext_lazy("Joining classroom"),
                queryset=rooms,
                required=False,
            )
            self.fields[f"spoke_{row}_facilitator"] = forms.ModelChoiceField(
                label=gettext_lazy("Its facilitator"),
                queryset=facilitators,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        spokes = []
        for row in range(SPOKE_ROWS):
            room = data.pop(f"spoke_{row}_classroom", None)
            person = data.pop(f"spoke_{row}_facilitator", None)
            if (room is None) != (person is None):
                self.add_error(
                    f"spoke_{row}_facilitator",
                    _("Choose both the classroom and its facilitator, or neither."),
                )
            elif room is not None:
                spokes.append({"classroom": room, "facilitator": person})
        data["spokes"] = spokes
        return data

    def add_service_errors(self, error: ApplicationError) -> None:
        for message in error.fields.pop("spokes", []):  # about the rows together
            self.add_error(None, message)
        super().add_service_errors(error)


def _visible_cohort(request: HttpRequest, class_id: int) -> Cohort:
    return get_object_or_404(course_selectors.cohort_list_visible(user=request.user), pk=class_id)


@login_required
def live_lesson_list(request: HttpRequest, class_id: int) -> HttpResponse:
    cohort = _visible_cohort(request, class_id)
    user = _user(request)
    schedules = policies.can_schedule(user, cohort)
    shown = [
        lesson
        for lesson in selectors.live_lessons_of_class(cohort=cohort)
        if policies.can_view_lesson(user, lesson)
    ]
    if not (policies.can_view_lesson_list(user, cohort) or shown):
        raise Http404
    form = LiveLessonForm(request.POST or None, cohort=cohort) if schedules else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                lesson = lessons.live_lesson_schedule(cohort=cohort, by=user, **form.cleaned_data)
                messages.success(request, _("The live lesson was scheduled."))
                return redirect("frontend:live-lesson-detail", lesson_id=lesson.pk)
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/live_lessons.html",
        {"cohort": cohort, "lessons": shown, "form": form, "spoke_rows": range(SPOKE_ROWS)},
        status=400 if request.method == "POST" else 200,
    )


def _lesson(request: HttpRequest, lesson_id: int) -> LiveLesson:
    lesson = selectors.live_lesson_visible(user=request.user, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    return lesson


@login_required
def live_lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The lesson; for its class's teachers, moving it (time, length, rooms) and cancelling."""
    lesson = _lesson(request, lesson_id)
    user = _user(request)
    schedules = policies.can_schedule(user, lesson.cohort)
    form = None
    if schedules:
        spokes = list(lesson.spokes.select_related("classroom", "facilitator"))
        initial: dict[str, Any] = {
            "title": lesson.title,
            "starts_at": lesson.starts_at,
            "duration_minutes": lesson.duration_minutes,
            "hub": lesson.hub,
        }
        for row, spoke in enumerate(spokes[:SPOKE_ROWS]):
            initial[f"spoke_{row}_classroom"] = spoke.classroom
            initial[f"spoke_{row}_facilitator"] = spoke.facilitator
        form = LiveLessonForm(request.POST or None, cohort=lesson.cohort, initial=initial)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                lessons.live_lesson_update(lesson=lesson, by=user, data=dict(form.cleaned_data))
                messages.success(request, _("The live lesson was changed."))
                return redirect("frontend:live-lesson-detail", lesson_id=lesson.pk)
            except ApplicationError as error:
                form.add_service_errors(error)
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/live_lesson_detail.html",
        {
            "lesson": lesson,
            "spokes": lesson.spokes.select_related("classroom__school", "facilitator"),
            "form": form if lesson.state == "scheduled" else None,
            "spoke_rows": range(SPOKE_ROWS),
            "in_room": policies.lesson_role(user, lesson) is not None,
            "sees_attendance": policies.can_view_attendance(user, lesson),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def live_lesson_cancel(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    if not policies.can_schedule(request.user, lesson.cohort):
        raise Http404
    try:
        lessons.live_lesson_cancel(
            lesson=lesson, by=_user(request), reason=request.POST.get("reason", "")
        )
        messages.success(request, _("The live lesson was cancelled."))
    except ApplicationError as error:
        messages.error(request, error.text())
    return redirect("frontend:live-lesson-detail", lesson_id=lesson.pk)
