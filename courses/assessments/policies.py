"""Who may see and change a course's question bank, a class's assessments, and take them."""

from typing import Any

from courses import policies as course_policies
from courses.assessments.models import Assessment
from courses.models import Cohort, Course
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role


def can_manage_bank(user: Any, course: Course) -> bool:
    """Write, change, delete and import questions: the course's authors (and the platform
    administrator), as for the course's lessons."""
    return course_policies.can_edit_course(user, course)


def can_view_bank(user: Any, course: Course) -> bool:
    """Read the bank, answer keys included: its authors, and the teachers of the course's
    classes, who build their quizzes from it. Never a student."""
    if can_manage_bank(user, course):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.TEACHER
        and course_policies.can_view_course(user, course)
    )


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_manage_assessments(user: Any, cohort: Cohort) -> bool:
    """Build, publish and grade a class's quizzes and assignments: its teachers (and the
    platform administrator)."""
    if accounts_policies.is_platform_admin(user):
        return True
    return _active(user) and cohort.teachers.filter(pk=user.pk).exists()


def is_enrolled(user: Any, cohort: Cohort) -> bool:
    return (
        _active(user)
        and user.role == Role.STUDENT
        and cohort.enrolments.filter(student_id=user.pk).exists()
    )


def can_take(user: Any, assessment: Assessment) -> bool:
    """Start and answer: a student of the class, once the assessment is published."""
    return assessment.is_published and is_enrolled(user, assessment.cohort)
