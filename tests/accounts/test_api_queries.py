"""List endpoints pin their query count: the same for 5 rows as for 50 (no N+1)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lms.accounts.models import Region, Role, User
from tests.factories import RegionFactory, SchoolFactory, UserFactory, make_person

# A page of a list that is not full is one query: the rows with their school and region joined
# in (the pagination's total is known from the short page; lms/api.py).
PEOPLE_LIST_QUERIES = 1
SCHOOL_LIST_QUERIES = 1


def _platform_admin() -> tuple[User, Callable[[int], Any]]:
    """Each new person has a school of their own in a region of its own."""
    return make_person(Role.PLATFORM_ADMIN), lambda n: UserFactory.create_batch(n)


def _region_admin() -> tuple[User, Callable[[int], Any]]:
    region = RegionFactory()

    def people(n: int) -> Any:
        return [UserFactory(school=SchoolFactory(region=region)) for _ in range(n)]

    return make_person(Role.REGION_ADMIN, region=region), people


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(_platform_admin, id="platform_admin"),
        pytest.param(_region_admin, id="region_admin"),
    ],
)
def test_people_list_uses_as_many_queries_for_50_rows_as_for_5(
    db: None,
    api_client: APIClient,
    django_assert_num_queries: Any,
    given: Callable[[], tuple[User, Callable[[int], Any]]],
) -> None:
    # given an administrator who sees themselves and 4 other people, each of another school
    viewer, add_people = given()
    add_people(4)
    api_client.force_authenticate(viewer)
    # when / then
    with django_assert_num_queries(PEOPLE_LIST_QUERIES):
        response = api_client.get(reverse("api:person-list"))
    assert response.json()["count"] == 5
    assert len(response.json()["results"]) == 5
    # given 45 more
    add_people(45)
    # when / then
    with django_assert_num_queries(PEOPLE_LIST_QUERIES):
        response = api_client.get(reverse("api:person-list"))
    assert len(response.json()["results"]) == 50
    assert {row["school_name"] for row in response.json()["results"]} - {None}


@pytest.mark.parametrize("viewer_role", [Role.PLATFORM_ADMIN, Role.REGION_ADMIN])
def test_school_list_uses_as_many_queries_for_50_rows_as_for_5(
    db: None, api_client: APIClient, django_assert_num_queries: Any, viewer_role: Role
) -> None:
    # given an administrator and 5 schools they see, each in a region of its own for the
    # platform administrator
    region: Region | None = RegionFactory() if viewer_role == Role.REGION_ADMIN else None
    viewer = make_person(viewer_role, region=region)

    def add_schools(n: int) -> None:
        for _ in range(n):
            SchoolFactory(region=region or RegionFactory())

    add_schools(5)
    api_client.force_authenticate(viewer)
    # when / then
    with django_assert_num_queries(SCHOOL_LIST_QUERIES):
        response = api_client.get(reverse("api:school-list"))
    assert len(response.json()["results"]) == 5
    # given 45 more
    add_schools(45)
    # when / then
    with django_assert_num_queries(SCHOOL_LIST_QUERIES):
        response = api_client.get(reverse("api:school-list"))
    assert len(response.json()["results"]) == 50
    assert all(row["region_name"] for row in response.json()["results"])
