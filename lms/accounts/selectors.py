"""Reads of regions, schools and people, scoped to what the reader may see."""

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from lms.accounts import policies
from lms.accounts.demo import DEMO_PASSWORD, DEMO_USERNAMES
from lms.accounts.models import Region, Role, School, User


def region_list_visible(*, user: Any) -> QuerySet[Region]:
    regions = Region.objects.all()
    if policies.is_platform_admin(user):
        return regions
    if not (user.is_authenticated and user.is_active):
        return regions.none()
    if user.role == Role.REGION_ADMIN:
        return regions.filter(pk=user.region_id)
    if user.school_id is None:
        return regions.none()
    return regions.filter(schools__pk=user.school_id)


def school_list_visible(*, user: Any) -> QuerySet[School]:
    schools = School.objects.select_related("region")
    if policies.is_platform_admin(user):
        return schools
    if policies.is_region_admin(user):
        return schools.filter(region_id=user.region_id)
    if user.is_authenticated and user.is_active and user.school_id is not None:
        return schools.filter(pk=user.school_id)
    return schools.none()


def school_list_with_counts(*, user: Any) -> QuerySet[School]:
    """Schools with the number of active people per role, for the administrators' pages."""
    active = Q(people__is_active=True)
    return school_list_visible(user=user).annotate(
        students=Count("people", filter=active & Q(people__role=Role.STUDENT)),
        teachers=Count("people", filter=active & Q(people__role=Role.TEACHER)),
        facilitators=Count("people", filter=active & Q(people__role=Role.FACILITATOR)),
    )


def person_list_visible(*, user: Any) -> QuerySet[User]:
    """Everyone this user may see; an empty queryset for those who may not list people."""
    people = User.objects.select_related("school__region", "region")
    if policies.is_platform_admin(user):
        return people
    if policies.is_region_admin(user):
        return people.filter(Q(school__region_id=user.region_id) | Q(pk=user.pk))
    if policies.is_school_admin(user):
        return people.filter(school_id=user.school_id)
    if user.is_authenticated and user.is_active:
        return people.filter(pk=user.pk)
    return people.none()


def person_list_manageable(*, user: Any) -> QuerySet[User]:
    people = person_list_visible(user=user)
    if user.is_authenticated:
        people = people.exclude(pk=user.pk)
    if policies.is_platform_admin(user):
        return people
    return people.filter(role__in=[role.value for role in policies.assignable_roles(user)])


def demo_accounts() -> list[dict[str, str]]:
    """The demo's accounts, for the sign-in page, when the demo is loaded and still active;
    never in production, even on a database that once held the demo."""
    if settings.PRODUCTION:
        return []
    found = User.objects.filter(username__in=DEMO_USERNAMES, is_active=True).values_list(
        "username", "role"
    )
    roles = dict(found)
    return [
        {"username": name, "role": str(Role(roles[name]).label), "password": DEMO_PASSWORD}
        for name in DEMO_USERNAMES
        if name in roles
    ]
