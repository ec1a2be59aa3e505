"""Who may see and change a course's question bank (and, later, its assessments)."""

from typing import Any

from courses import policies as course_policies
from courses.models import Course
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
