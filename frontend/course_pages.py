"""Pages where teachers write courses and everyone reads them. Each view parses, asks the
courses policies, calls one service or selector and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import policies, selectors, services
from courses.models import Course, Lesson, LessonFile, Module
from frontend.course_forms import CourseForm, LessonForm, TitleForm
from lms.accounts.models import User
from lms.errors import ApplicationError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _course(request: HttpRequest, course_id: int) -> Course:
    return get_object_or_404(selectors.course_list_visible(user=request.user), pk=course_id)


def _editable_course(request: HttpRequest, course_id: int) -> Course:
    course = _course(request, course_id)
    if not policies.can_edit_course(request.user, course):
        raise PermissionDenied
    return course


def _editable_module(request: HttpRequest, module_id: int) -> Module:
    module = selectors.module_visible(user=request.user, module_id=module_id)
    if module is None:
        raise Http404
    if not policies.can_edit_course(request.user, module.course):
        raise PermissionDenied
    return module


def _visible_lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    lesson = selectors.lesson_visible(user=request.user, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    return lesson


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/course_list.html",
        {
            "courses": selectors.course_list_visible(user=request.user),
            "can_create": policies.can_create_course(request.user),
        },
    )


@login_required
def course_edit(request: HttpRequest, course_id: int | None = None) -> HttpResponse:
    user = _user(request)
    course = _editable_course(request, course_id) if course_id is not None else None
    if course is None and not policies.can_create_course(user):
        raise PermissionDenied
    initial = CourseForm.initial_for(course) if course else None
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if course is None:
                course = services.course_create(by=user, **form.cleaned_data)
            else:
                services.course_update(course=course, by=user, data=form.cleaned_data)
            messages.success(request, _("The course was saved."))
            return redirect("frontend:course-detail", course_id=course.pk)
        except ApplicationError as error:
            form.add_service_errors(error)
    return render(request, "frontend/course_form.html", {"form": form, "course": course})


@login_required
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    return render(
        request,
        "frontend/course_detail.html",
        {
            "course": course,
            "modules": selectors.course_outline(course=course, user=request.user),
            "can_edit": policies.can_edit_course(request.user, course),
            "module_form": TitleForm(),
        },
    )


@login_required
@require_POST
def module_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _editable_course(request, course_id)
    form = TitleForm(request.POST)
    if form.is_valid():
        services.module_create(course=course, by=_user(request), title=form.cleaned_data["title"])
    else:
        messages.error(request, _("A module needs a title."))
    return redirect("frontend:course-detail", course_id=course.pk)


@login_required
@require_POST
def module_change(request: HttpRequest, module_id: int) -> HttpResponse:
    """One form per module on the outline: rename, publish or unpublish, move, delete."""
    module = _editable_module(request, module_id)
    user = _user(request)
    change = request.POST.get("change", "")
    if change == "delete":
        services.module_delete(module=module, by=user)
    elif change in {"up", "down"}:
        position = module.position + (-1 if change == "up" else 1)
        services.module_move(module=module, by=user, position=max(position, 0))
    elif change in {"publish", "unpublish"}:
        services.module_update(module=module, by=user, data={"is_published": change == "publish"})
    elif change == "rename":
        form = TitleForm(request.POST)
        if form.is_valid():
            services.module_update(module=module, by=user, data=form.cleaned_data)
        else:
            messages.error(request, _("A module needs a title."))
    return redirect("frontend:course-detail", course_id=module.course_id)


@login_required
@require_POST
def lesson_create(request: HttpRequest, module_id: int) -> HttpResponse:
    module = _editable_module(request, module_id)
    form = TitleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A lesson needs a title."))
        return redirect("frontend:course-detail", course_id=module.course_id)
    lesson = services.lesson_create(
        module=module, by=_user(request), title=form.cleaned_data["title"]
    )
    return redirect("frontend:lesson-edit", lesson_id=lesson.pk)


@login_required
def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _visible_lesson(request, lesson_id)
    return render(
        request,
        "frontend/lesson_detail.html",
        {
            "lesson": lesson,
            "cost": selectors.lesson_data_cost(lesson=lesson),
            "can_edit": policies.can_edit_course(request.user, lesson.module.course),
            "completed": lesson.completions.filter(student_id=request.user.pk).exists(),
        },
    )


@login_required
def lesson_edit(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _visible_lesson(request, lesson_id)
    if not policies.can_edit_course(request.user, lesson.module.course):
        raise PermissionDenied
    form = LessonForm(request.POST or None, initial=LessonForm.initial_for(lesson))
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_update(lesson=lesson, by=_user(request), data=form.cleaned_data)
            messages.success(request, _("The lesson was saved."))
            return redirect("frontend:lesson-detail", lesson_id=lesson.pk)
        except ApplicationError as error:
            form.add_service_errors(error)
    return render(request, "frontend/lesson_form.html", {"form": form, "lesson": lesson})


@login_required
@require_POST
def lesson_change(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Move a lesson up or down in its module, or delete it."""
    lesson = _visible_lesson(request, lesson_id)
    course_id = lesson.module.course_id
    if not policies.can_edit_course(request.user, lesson.module.course):
        raise PermissionDenied
    change = request.POST.get("change", "")
    user = _user(request)
    if change == "delete":
        services.lesson_delete(lesson=lesson, by=user)
    elif change in {"up", "down"}:
        position = lesson.position + (-1 if change == "up" else 1)
        services.lesson_move(lesson=lesson, by=user, position=max(position, 0))
    return redirect("frontend:course-detail", course_id=course_id)


@login_required
@require_POST
def lesson_file_upload(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _visible_lesson(request, lesson_id)
    if not policies.can_edit_course(request.user, lesson.module.course):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            services.lesson_file_add(
                lesson=lesson,
                by=_user(request),
                upload=upload,
                kind=request.POST.get("kind", LessonFile.Kind.ATTACHMENT),
            )
            messages.success(request, _("The file was added."))
        except ApplicationError as error:
            messages.error(request, " ".join(m for ms in error.fields.values() for m in ms))
    return redirect("frontend:lesson-edit", lesson_id=lesson.pk)


@login_required
@require_POST
def lesson_file_remove(request: HttpRequest, lesson_id: int, file_id: int) -> HttpResponse:
    lesson = _visible_lesson(request, lesson_id)
    lesson_file = next((item for item in lesson.files.all() if item.pk == file_id), None)
    if lesson_file is None:
        raise Http404
    services.lesson_file_delete(lesson_file=lesson_file, by=_user(request))
    messages.success(request, _("The file was removed."))
    return redirect("frontend:lesson-edit", lesson_id=lesson.pk)
