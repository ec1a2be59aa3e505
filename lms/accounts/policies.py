"""Who may see and manage which region, school and person.

The API, the pages and the Django admin all ask these functions; the selectors build the same
rules as querysets (``tests/accounts/test_policies.py`` checks that the two agree for every
role).
"""

from typing import Any

from lms.accounts.models import SCHOOL_ROLES, Region, Role, School, User

ADMIN_ROLES = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN)


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_platform_admin(user: Any) -> bool:
    return _active(user) and bool(user.is_superuser)


def is_region_admin(user: Any) -> bool:
    return _active(user) and user.role == Role.REGION_ADMIN and user.region_id is not None


def is_school_admin(user: Any) -> bool:
    return _active(user) and user.role == Role.SCHOOL_ADMIN and user.school_id is not None


def can_use_admin(user: Any) -> bool:
    """The Django admin is for administrators of the platform, a region or a school."""
    return is_platform_admin(user) or is_region_admin(user) or is_school_admin(user)


# --- regions --------------------------------------------------------------------------------
def can_view_region(user: Any, region: Region) -> bool:
    if is_platform_admin(user):
        return True
    if not _active(user):
        return False
    if user.role == Role.REGION_ADMIN:
        return bool(user.region_id == region.pk)
    return user.school is not None and user.school.region_id == region.pk


def can_manage_regions(user: Any) -> bool:
    return is_platform_admin(user)


# --- schools --------------------------------------------------------------------------------
def can_view_school(user: Any, school: School) -> bool:
    if is_platform_admin(user):
        return True
    if is_region_admin(user):
        return bool(school.region_id == user.region_id)
    return _active(user) and user.school_id is not None and user.school_id == school.pk


def can_create_school_in(user: Any, region: Region) -> bool:
    return is_platform_admin(user) or (is_region_admin(user) and user.region_id == region.pk)


def can_manage_school(user: Any, school: School) -> bool:
    return can_create_school_in(user, school.region)


def can_create_schools(user: Any) -> bool:
    return is_platform_admin(user) or is_region_admin(user)


# --- people ---------------------------------------------------------------------------------
def can_list_people(user: Any) -> bool:
    return is_platform_admin(user) or is_region_admin(user) or is_school_admin(user)


def can_view_person(user: Any, person: User) -> bool:
    if _active(user) and user.pk == person.pk:
        return True
    return _within_scope(user, person, include_school_admins=True)


def can_manage_person(user: Any, person: User) -> bool:
    """Edit, deactivate or reactivate someone else's account. Your own goes through /me."""
    if not _active(user) or user.pk == person.pk:
        return False
    if person.role not in assignable_roles(user) and not is_platform_admin(user):
        return False
    return _within_scope(user, person, include_school_admins=False)


def _within_scope(user: Any, person: User, *, include_school_admins: bool) -> bool:
    if is_platform_admin(user):
        return True
    if person.school_id is None:
        return False  # region and platform administrators are managed by the platform
    if is_region_admin(user):
        return bool(person.school is not None and person.school.region_id == user.region_id)
    if is_school_admin(user):
        return bool(person.school_id == user.school_id) and (
            include_school_admins or person.role != Role.SCHOOL_ADMIN
        )
    return False


def assignable_roles(user: Any) -> tuple[Role, ...]:
    """Roles this user may give to a person they create or edit."""
    if is_platform_admin(user):
        return (*SCHOOL_ROLES, Role.REGION_ADMIN)
    if is_region_admin(user):
        return SCHOOL_ROLES
    if is_school_admin(user):
        return (Role.STUDENT, Role.TEACHER, Role.FACILITATOR)
    return ()


def can_place_in_school(user: Any, school: School) -> bool:
    """May this user give someone ``school`` as their home school?"""
    if is_platform_admin(user):
        return True
    if is_region_admin(user):
        return bool(school.region_id == user.region_id)
    if is_school_admin(user):
        return bool(school.pk == user.school_id)
    return False
