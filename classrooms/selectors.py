"""Reads of classrooms, scoped to the reader (the same rule as ``policies.can_view_classroom``,
as a query)."""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from classrooms import policies
from classrooms.models import Classroom, LiveLesson, LiveLessonState
from courses.models import Cohort
from lms.accounts import policies as accounts_policies
from lms.accounts.models import School


def classroom_list_visible(*, user: Any) -> QuerySet[Classroom]:
    rooms = Classroom.objects.select_related("school")
    if accounts_policies.is_platform_admin(user):
        return rooms
    if not (user.is_authenticated and user.is_active):
        return rooms.none()
    if accounts_policies.is_region_admin(user):
        return rooms.filter(school__region_id=user.region_id)
    if user.role in policies.STAFF_ROLES and user.school_id is not None:
        return rooms.filter(school__region_id=user.school.region_id)
    return rooms.none()


def schools_managed(*, user: Any) -> QuerySet[School]:
    """The schools whose classrooms ``user`` registers (``policies.can_manage_classrooms``)."""
    if accounts_policies.is_platform_admin(user):
        return School.objects.all()
    if accounts_policies.is_region_admin(user):
        return School.objects.filter(region_id=user.region_id)
    if accounts_policies.is_school_admin(user):
        return School.objects.filter(pk=user.school_id)
    return School.objects.none()


def live_lessons_of_class(*, cohort: Cohort) -> QuerySet[LiveLesson]:
    return (
        LiveLesson.objects.filter(cohort=cohort)
        .select_related("hub__school", "teacher")
        .prefetch_related("spokes__classroom__school", "spokes__facilitator")
        .order_by("starts_at", "pk")
    )


def live_lesson_visible(*, user: Any, lesson_id: int) -> LiveLesson | None:
    """The live lesson, if the reader may see it (``policies.can_view_lesson``)."""
    lesson = (
        LiveLesson.objects.select_related("cohort__term__school", "hub__school", "teacher")
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None or not policies.can_view_lesson(user, lesson):
        return None
    return lesson


def live_lessons_facilitated(*, user: Any) -> QuerySet[LiveLesson]:
    """The lessons a facilitator runs a spoke classroom of that are on or still ahead (a lesson
    lasts at most a few hours: those that began in the last day are kept until they end)."""
    if not (user.is_authenticated and user.is_active):
        return LiveLesson.objects.none()
    since = timezone.now() - timedelta(days=1)
    return (
        LiveLesson.objects.filter(
            spokes__facilitator=user,
            state__in=(LiveLessonState.SCHEDULED, LiveLessonState.LIVE),
            starts_at__gte=since,
        )
        .select_related("cohort", "teacher")
        .prefetch_related("spokes__classroom")
        .distinct()
        .order_by("starts_at", "pk")
    )
