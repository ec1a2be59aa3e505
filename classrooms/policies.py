"""Who may see and register classrooms."""

from typing import Any

from classrooms.models import Classroom
from courses import policies as course_policies
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
