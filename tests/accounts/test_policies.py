"""The policies (one object at a time) and the selectors (querysets) state the same rules.

For every viewer of the world (every role, plus someone signed out and deactivated people) and
every region, school and person, the policy's answer must equal membership in the selector's
queryset. The hand-written expectations of the API tests pin what the rules are; these tests
pin that the two ways of asking never drift apart.
"""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from lms.accounts import policies, selectors
from lms.accounts.models import Role, User
from tests.accounts.expectations import (
    MANAGED_PEOPLE,
    MANAGED_SCHOOLS,
    SCHOOL_CREATION_REGIONS,
    VIEWERS,
    VISIBLE_PEOPLE,
    VISIBLE_REGIONS,
    VISIBLE_SCHOOLS,
)
from tests.conftest import World

WORLD_PEOPLE = (
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "school_admin_b1",
    "teacher_a1",
    "facilitator_a1",
    "student_a1",
    "teacher_a2",
    "student_a2",
    "student_b1",
)
# Viewers whose account has been switched off: they must see and manage nothing.
DEACTIVATED = ("platform_admin", "region_admin_a", "school_admin_a1", "teacher_a1")
ALL_VIEWERS = [
    *[pytest.param(name, False, id=name) for name in WORLD_PEOPLE],
    *[pytest.param(name, True, id=f"deactivated-{name}") for name in DEACTIVATED],
    pytest.param(None, False, id="anonymous"),
]


def viewer_of(world: World, name: str | None, deactivated: bool) -> Any:
    if name is None:
        return AnonymousUser()
    viewer: User = getattr(world, name)
    if deactivated:
        viewer.is_active = False
        viewer.save(update_fields=["is_active"])
    return viewer


@pytest.fixture
def people_with_one_inactive(world: World) -> list[User]:
    """Everyone of the world, fresh from the database, one of them deactivated: the rules
    must not depend on whether the person looked at is active."""
    User.objects.filter(pk=world.student_a2.pk).update(is_active=False)
    return list(User.objects.select_related("school", "region"))


def test_world_fixture_has_the_people_the_expectations_name(world: World) -> None:
    assert {person.pk for person in world.everyone()} == {
        getattr(world, name).pk for name in WORLD_PEOPLE
    }


@pytest.mark.parametrize(("name", "deactivated"), ALL_VIEWERS)
def test_person_visibility_policy_matches_selector(
    world: World, people_with_one_inactive: list[User], name: str | None, deactivated: bool
) -> None:
    viewer = viewer_of(world, name, deactivated)
    by_policy = {
        p.username for p in people_with_one_inactive if policies.can_view_person(viewer, p)
    }
    by_selector = {p.username for p in selectors.person_list_visible(user=viewer)}
    assert by_policy == by_selector
    if deactivated or name is None:
        assert by_selector == set()


@pytest.mark.parametrize(("name", "deactivated"), ALL_VIEWERS)
def test_person_management_policy_matches_selector(
    world: World, people_with_one_inactive: list[User], name: str | None, deactivated: bool
) -> None:
    viewer = viewer_of(world, name, deactivated)
    by_policy = {
        p.username for p in people_with_one_inactive if policies.can_manage_person(viewer, p)
    }
    by_selector = {p.username for p in selectors.person_list_manageable(user=viewer)}
    assert by_policy == by_selector
    if deactivated or name is None:
        assert by_selector == set()


@pytest.mark.parametrize(("name", "deactivated"), ALL_VIEWERS)
def test_school_visibility_policy_matches_selector(
    world: World, name: str | None, deactivated: bool
) -> None:
    viewer = viewer_of(world, name, deactivated)
    schools = [world.school_a1, world.school_a2, world.school_b1]
    by_policy = {s.name for s in schools if policies.can_view_school(viewer, s)}
    assert by_policy == {s.name for s in selectors.school_list_visible(user=viewer)}
    assert by_policy == {s.name for s in selectors.school_list_with_counts(user=viewer)}


@pytest.mark.parametrize(("name", "deactivated"), ALL_VIEWERS)
def test_region_visibility_policy_matches_selector(
    world: World, name: str | None, deactivated: bool
) -> None:
    viewer = viewer_of(world, name, deactivated)
    regions = [world.region_a, world.region_b]
    by_policy = {r.name for r in regions if policies.can_view_region(viewer, r)}
    by_selector = [r.name for r in selectors.region_list_visible(user=viewer)]
    assert len(by_selector) == len(set(by_selector)), "a region is listed twice"
    assert by_policy == set(by_selector)


# --- the policies against the hand-written rules --------------------------------------------
@pytest.mark.parametrize("viewer", VIEWERS)
def test_policies_state_the_rules_of_the_issue(world: World, viewer: str) -> None:
    user: User = getattr(world, viewer)
    regions = ("region_a", "region_b")
    schools = ("school_a1", "school_a2", "school_b1")
    assert {r for r in regions if policies.can_view_region(user, getattr(world, r))} == (
        VISIBLE_REGIONS[viewer]
    )
    assert {s for s in schools if policies.can_view_school(user, getattr(world, s))} == (
        VISIBLE_SCHOOLS[viewer]
    )
    assert {s for s in schools if policies.can_manage_school(user, getattr(world, s))} == (
        MANAGED_SCHOOLS[viewer]
    )
    creatable = SCHOOL_CREATION_REGIONS[viewer]
    assert policies.can_create_schools(user) is (creatable is not None)
    assert {r for r in regions if policies.can_create_school_in(user, getattr(world, r))} == (
        creatable or set()
    )
    assert {p for p in WORLD_PEOPLE if policies.can_view_person(user, getattr(world, p))} == (
        VISIBLE_PEOPLE[viewer]
    )
    assert {p for p in WORLD_PEOPLE if policies.can_manage_person(user, getattr(world, p))} == (
        MANAGED_PEOPLE[viewer]
    )
    assert policies.can_manage_regions(user) is (viewer == "platform_admin")


@pytest.mark.parametrize(
    ("viewer", "roles"),
    [
        pytest.param(
            "platform_admin",
            {"student", "teacher", "facilitator", "school_admin", "region_admin"},
            id="platform_admin",
        ),
        pytest.param(
            "region_admin_a", {"student", "teacher", "facilitator", "school_admin"}, id="region"
        ),
        pytest.param("school_admin_a1", {"student", "teacher", "facilitator"}, id="school_admin"),
        pytest.param("teacher_a1", set(), id="teacher"),
        pytest.param("facilitator_a1", set(), id="facilitator"),
        pytest.param("student_a1", set(), id="student"),
    ],
)
def test_assignable_roles(world: World, viewer: str, roles: set[str]) -> None:
    assert {str(role) for role in policies.assignable_roles(getattr(world, viewer))} == roles


@pytest.mark.parametrize("viewer", VIEWERS)
def test_can_place_in_school_follows_the_schools_the_viewer_manages_people_in(
    world: World, viewer: str
) -> None:
    expected = {
        "platform_admin": {"school_a1", "school_a2", "school_b1"},
        "region_admin_a": {"school_a1", "school_a2"},
        "school_admin_a1": {"school_a1"},
    }.get(viewer, set())
    schools = ("school_a1", "school_a2", "school_b1")
    placeable = {
        s
        for s in schools
        if policies.can_place_in_school(getattr(world, viewer), getattr(world, s))
    }
    assert placeable == expected


@pytest.mark.parametrize(
    ("viewer", "allowed"),
    [
        pytest.param("platform_admin", True, id="platform_admin"),
        pytest.param("region_admin_a", True, id="region_admin"),
        pytest.param("school_admin_a1", True, id="school_admin"),
        pytest.param("teacher_a1", False, id="teacher"),
        pytest.param("facilitator_a1", False, id="facilitator"),
        pytest.param("student_a1", False, id="student"),
    ],
)
def test_only_administrators_use_the_admin_and_list_people(
    world: World, viewer: str, allowed: bool
) -> None:
    user: User = getattr(world, viewer)
    assert policies.can_use_admin(user) is allowed
    assert policies.can_list_people(user) is allowed
    user.is_active = False
    assert policies.can_use_admin(user) is False
    assert policies.can_list_people(user) is False


def test_nobody_manages_themselves(world: World) -> None:
    for person in world.everyone():
        assert policies.can_manage_person(person, person) is False
        assert policies.can_view_person(person, person) is True


def test_a_staff_flag_alone_gives_no_platform_rights(world: World) -> None:
    # given a teacher who was (wrongly) given the staff flag
    teacher = world.teacher_a1
    teacher.is_staff = True
    # when / then
    assert policies.is_platform_admin(teacher) is False
    assert policies.can_manage_regions(teacher) is False
    assert teacher.role == Role.TEACHER
