"""Who may see and change which course. The API and the pages ask these functions; the
selectors build the same rules as querysets."""

from collections.abc import Callable
from typing import Any

from courses.models import Cohort, Course
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role, School, User


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_create_course(user: Any) -> bool:
    """Teachers write courses, for their pupils or (audience: teachers) for colleagues."""
    return _active(user) and user.role == Role.TEACHER and user.school_id is not None


def _remembered(course: Course, fact: str, user: Any, ask: Callable[[], bool]) -> bool:
    """A fact about ``user`` and ``course`` that takes a query, asked once per course object
    however many checks a request makes on it."""
    memo: dict[tuple[str, int], bool] = course.__dict__.setdefault("_policy_facts", {})
    key = (fact, user.pk)
    if key not in memo:
        memo[key] = ask()
    return memo[key]


def is_author(user: Any, course: Course) -> bool:
    if not _active(user):
        return False
    return _remembered(course, "author", user, lambda: course.teachers.filter(pk=user.pk).exists())


def can_edit_course(user: Any, course: Course) -> bool:
    return accounts_policies.is_platform_admin(user) or is_author(user, course)


def can_view_course(user: Any, course: Course) -> bool:
    """Authors see drafts too; administrators over the course's school, teachers of its classes
    and students enrolled in them see what is published."""
    if can_edit_course(user, course):
        return True
    if accounts_policies.can_use_admin(user) and accounts_policies.can_view_school(
        user, course.school
    ):
        return True
    if not _active(user):
        return False
    if user.role not in (Role.TEACHER, Role.STUDENT):
        return False
    return _remembered(course, "in_class", user, lambda: _in_class(user, course))


def _in_class(user: Any, course: Course) -> bool:
    """Teaches one of the course's classes, or (a student) is enrolled in one."""
    if user.role == Role.TEACHER:
        return course.cohorts.filter(teachers=user).exists()
    return course.cohorts.filter(enrolments__student=user).exists()


def sees_drafts(user: Any, course: Course) -> bool:
    return can_edit_course(user, course)


# --- terms, classes and enrolment ------------------------------------------------------------
def can_run_school(user: Any, school: School) -> bool:
    """Create terms and classes of a school: its administrators and its region's."""
    if accounts_policies.is_platform_admin(user):
        return True
    if accounts_policies.is_region_admin(user):
        return bool(school.region_id == user.region_id)
    return accounts_policies.is_school_admin(user) and bool(school.pk == user.school_id)


def can_manage_cohort(user: Any, cohort: Cohort) -> bool:
    return can_run_school(user, cohort.term.school)


def can_view_roster(user: Any, cohort: Cohort) -> bool:
    if can_manage_cohort(user, cohort):
        return True
    return _active(user) and cohort.teachers.filter(pk=user.pk).exists()


def can_enrol(user: Any, cohort: Cohort, student: User) -> bool:
    """Administrators enrol the students they manage (their school's, their region's) into any
    class of their region: a village school's pupils join the e-school's classes."""
    if student.role != Role.STUDENT or not student.is_active:
        return False
    if not accounts_policies.can_manage_person(user, student):
        return False
    if accounts_policies.is_platform_admin(user):
        return True
    region_id = user.region_id if user.role == Role.REGION_ADMIN else user.school.region_id
    return bool(cohort.term.school.region_id == region_id)
