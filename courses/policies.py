"""Who may see and change which course. The API and the pages ask these functions; the
selectors build the same rules as querysets."""

from typing import Any

from courses.models import Course
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_create_course(user: Any) -> bool:
    """Teachers write courses, for their pupils or (audience: teachers) for colleagues."""
    return _active(user) and user.role == Role.TEACHER and user.school_id is not None


def is_author(user: Any, course: Course) -> bool:
    if not _active(user):
        return False
    # One query per course object, however many checks a request makes on it.
    authors: set[int] | None = getattr(course, "_author_ids", None)
    if authors is None:
        authors = set(course.teachers.values_list("pk", flat=True))
        course._author_ids = authors  # type: ignore[attr-defined]
    return user.pk in authors


def can_edit_course(user: Any, course: Course) -> bool:
    return accounts_policies.is_platform_admin(user) or is_author(user, course)


def can_view_course(user: Any, course: Course) -> bool:
    """Authors see drafts too; administrators over the course's school see what is published."""
    if can_edit_course(user, course):
        return True
    return accounts_policies.can_use_admin(user) and accounts_policies.can_view_school(
        user, course.school
    )


def sees_drafts(user: Any, course: Course) -> bool:
    return can_edit_course(user, course)
