"""Reads of courses and their outlines, scoped to the reader."""

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from courses import policies
from courses.models import Course, Lesson, Module
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role


def course_list_visible(*, user: Any) -> QuerySet[Course]:
    # Meta.ordering does not apply to a GROUP BY query: order explicitly, for stable pages.
    courses = (
        Course.objects.select_related("school")
        .annotate(
            module_count=Count("modules", distinct=True),
            lesson_count=Count("modules__lessons", distinct=True),
        )
        .order_by("title", "pk")
    )
    if accounts_policies.is_platform_admin(user):
        return courses
    if not (user.is_authenticated and user.is_active):
        return courses.none()
    if user.role == Role.REGION_ADMIN:
        return courses.filter(school__region_id=user.region_id)
    if user.role == Role.SCHOOL_ADMIN:
        return courses.filter(school_id=user.school_id)
    if user.role == Role.TEACHER:
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
