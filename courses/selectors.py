"""Reads of courses and their outlines, scoped to the reader."""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from courses import policies
from courses.models import Course, Lesson, Module
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role


def _with_counts(courses: QuerySet[Course], *, drafts: bool) -> QuerySet[Course]:
    """Number of modules and lessons; without drafts for readers who may not see them."""
    modules = Q() if drafts else Q(modules__is_published=True)
    lessons = Q() if drafts else Q(modules__is_published=True, modules__lessons__is_published=True)
    # Meta.ordering does not apply to a GROUP BY query: order explicitly, for stable pages.
    return courses.annotate(
        module_count=Count("modules", filter=modules, distinct=True),
        lesson_count=Count("modules__lessons", filter=lessons, distinct=True),
    ).order_by("title", "pk")


def course_list_visible(*, user: Any) -> QuerySet[Course]:
    courses = Course.objects.select_related("school")
    if accounts_policies.is_platform_admin(user):
        return _with_counts(courses, drafts=True)
    if not (user.is_authenticated and user.is_active):
        return courses.none()
    if user.role == Role.REGION_ADMIN:
        return _with_counts(courses.filter(school__region_id=user.region_id), drafts=False)
    if user.role == Role.SCHOOL_ADMIN:
        return _with_counts(courses.filter(school_id=user.school_id), drafts=False)
    if user.role == Role.TEACHER:  # authors: their own courses, drafts included
        courses = _with_counts(courses, drafts=True)
        return courses.filter(
            pk__in=Course.teachers.through.objects.filter(user_id=user.pk).values("course_id")
        )
    return courses.none()


def course_outline(*, course: Course, user: Any) -> list[Module]:
    """The course's modules with their lessons, in order; drafts only for its authors."""
    modules = Module.objects.filter(course=course)
    lessons = Lesson.objects.only(
        "pk", "module_id", "title", "position", "is_published", "video_url", "body_html"
    )
    if not policies.sees_drafts(user, course):
        modules = modules.filter(is_published=True)
        lessons = lessons.filter(is_published=True)
    return list(modules.prefetch_related(Prefetch("lessons", queryset=lessons)))


def module_visible(*, user: Any, module_id: int) -> Module | None:
    """The module, if this user may see it: a draft module only for the course's authors, so
    that others get the same answer as for a module that does not exist."""
    module = Module.objects.select_related("course__school").filter(pk=module_id).first()
    if module is None or not policies.can_view_course(user, module.course):
        return None
    if not module.is_published and not policies.sees_drafts(user, module.course):
        return None
    return module


def lesson_visible(*, user: Any, lesson_id: int) -> Lesson | None:
    lesson = Lesson.objects.select_related("module__course__school").filter(pk=lesson_id).first()
    if lesson is None:
        return None
    course = lesson.module.course
    if not policies.can_view_course(user, course):
        return None
    if not policies.sees_drafts(user, course) and not (
        lesson.is_published and lesson.module.is_published
    ):
        return None
    return lesson


def lesson_data_cost(*, lesson: Lesson) -> dict[str, Any]:
    """What opening the lesson costs a student in bytes (its text; attached files join this
    sum when uploads arrive). An external video's size is not known and is flagged instead."""
    size = len(lesson.body_html.encode())
    return {
        "bytes": size,
        "megabytes": round(size / 1_000_000, 2),
        "external_video": bool(lesson.video_url),
    }
