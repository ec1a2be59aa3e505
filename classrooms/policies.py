"""Who may see and register classrooms, and schedule and see live lessons."""

import functools
from enum import StrEnum
from typing import Any

from classrooms.models import Classroom, LiveLesson
from courses import policies as course_policies
from courses.models import Cohort
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role, School

# Staff who pick the rooms of a live lesson (the teacher's hub, the spokes of other schools).
STAFF_ROLES = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.FACILITATOR)


def can_manage_classrooms(user: Any, school: School) -> bool:
    """Register, change and remove a school's classrooms: those who run the school (its
    administrators, its region's, the platform's)."""
    return course_policies.can_run_school(user, school)


def can_view_classroom(user: Any, classroom: Classroom) -> bool:
    """See a classroom: who manages it, and the staff of its region, who schedule lessons in
    the rooms of every school of the region. Pupils see the rooms of their lessons only."""
    if can_manage_classrooms(user, classroom.school):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in STAFF_ROLES
        and user.school is not None
        and user.school.region_id == classroom.school.region_id
    )


def can_register_somewhere(user: Any) -> bool:
    return accounts_policies.can_use_admin(user)


def teaches(user: Any, cohort: Cohort) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.TEACHER
        and cohort.teachers.filter(pk=user.pk).exists()
    )


def teaches_lesson_sql(user: Any, lesson: LiveLesson) -> tuple[str, list[Any]] | None:
    """``teaches(user, lesson.cohort)`` as an SQL condition, for a statement that checks and
    writes in one trip (``classrooms.live.board_strokes``); None when the person's own record,
    as loaded, already says no."""
    if not (user.is_authenticated and user.is_active and user.role == Role.TEACHER):
        return None
    return _teaches_sql(), [lesson.cohort_id, user.pk]


@functools.cache
def _teaches_sql() -> str:
    """Written once: the teacher's page asks for it several times a second."""
    through = Cohort.teachers.through
    field = Cohort.teachers.field
    return (
        f"EXISTS (SELECT 1 FROM {through._meta.db_table} taught"  # noqa: S608 - names, ours
        f" WHERE taught.{field.m2m_column_name()} = %s"
        f" AND taught.{field.m2m_reverse_name()} = %s)"
    )


def can_schedule(user: Any, cohort: Cohort) -> bool:
    """Schedule, move and cancel a class's live lessons: its teachers (and the platform
    administrator)."""
    return accounts_policies.is_platform_admin(user) or teaches(user, cohort)


def can_view_lesson(user: Any, lesson: LiveLesson) -> bool:
    """See a live lesson: who schedules it, its class's pupils, the facilitators of its
    rooms, and those who run the class's school."""
    cohort = lesson.cohort
    if can_schedule(user, cohort) or course_policies.can_manage_cohort(user, cohort):
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role == Role.STUDENT:
        return cohort.enrolments.filter(student_id=user.pk).exists()
    if user.role == Role.FACILITATOR:
        return lesson.spokes.filter(facilitator_id=user.pk).exists()
    return False


def can_view_lesson_list(user: Any, cohort: Cohort) -> bool:
    """See the list of a class's live lessons (empty or not): who schedules them, the class's
    pupils and those who run its school."""
    if can_schedule(user, cohort) or course_policies.can_manage_cohort(user, cohort):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.STUDENT
        and cohort.enrolments.filter(student_id=user.pk).exists()
    )


class LessonRole(StrEnum):
    """What a person is in a live lesson. The teacher leads it; a facilitator runs a spoke
    room; a pupil takes part; an observer (who runs the class's school) watches."""

    TEACHER = "teacher"
    FACILITATOR = "facilitator"
    STUDENT = "student"
    OBSERVER = "observer"


STAFF_IN_LESSON = frozenset({LessonRole.TEACHER, LessonRole.FACILITATOR, LessonRole.OBSERVER})


def lesson_role(user: Any, lesson: LiveLesson) -> LessonRole | None:
    """The person's part in the lesson, or None when they may not be in it."""
    if not (user.is_authenticated and user.is_active):
        return None
    cohort = lesson.cohort
    if teaches(user, cohort):
        return LessonRole.TEACHER
    if user.role == Role.FACILITATOR and lesson.spokes.filter(facilitator_id=user.pk).exists():
        return LessonRole.FACILITATOR
    if user.role == Role.STUDENT:
        enrolled = cohort.enrolments.filter(student_id=user.pk).exists()
        return LessonRole.STUDENT if enrolled else None
    if accounts_policies.is_platform_admin(user) or course_policies.can_manage_cohort(user, cohort):
        return LessonRole.OBSERVER
    return None


def lesson_roles(users: list[Any], lesson: LiveLesson) -> list[LessonRole | None]:
    """``lesson_role`` of each person, with one query for all the pupils among them (hundreds
    may join a lesson at the same moment)."""
    pupils = {
        user.pk
        for user in users
        if user.is_authenticated and user.is_active and user.role == Role.STUDENT
    }
    enrolments = lesson.cohort.enrolments.filter(student_id__in=pupils)
    enrolled = set(enrolments.values_list("student_id", flat=True)) if pupils else set()
    return [
        (LessonRole.STUDENT if user.pk in enrolled else None)
        if user.pk in pupils
        else lesson_role(user, lesson)
        for user in users
    ]


def can_view_attendance(user: Any, lesson: LiveLesson) -> bool:
    """The lesson's attendance: its class's teachers and those who run the class's school."""
    return can_schedule(user, lesson.cohort) or course_policies.can_manage_cohort(
        user, lesson.cohort
    )
