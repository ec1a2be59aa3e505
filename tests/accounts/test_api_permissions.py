"""Who may see and do what through /api/v1/: every role against their own school, another
school of the same region and another region.

The expected answers are written out by hand in ``tests/accounts/expectations.py``. Lists are
compared as sets of ids (no leak, nothing missing); a detail the viewer may not see answers 404
exactly like an id that does not exist; a refused write changes nothing.
"""

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lms.accounts.models import Role, User
from tests.accounts.expectations import (
    LISTS_PEOPLE,
    MANAGED_PEOPLE,
    MANAGED_REGIONS,
    MANAGED_SCHOOLS,
    PEOPLE,
    REGIONS,
    SCHOOL_CREATION_REGIONS,
    SCHOOLS,
    VIEWERS,
    VISIBLE_PEOPLE,
    VISIBLE_REGIONS,
    VISIBLE_SCHOOLS,
    assert_error,
    database_state,
    expected_write_status,
)
from tests.conftest import World
from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "another-Long-passphrase-2026"
MISSING_ID = 987_654_321


def client_for(world: World, viewer: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(getattr(world, viewer))
    return client


def names_by_id(world: World, names: tuple[str, ...]) -> dict[int, str]:
    return {getattr(world, name).pk: name for name in names}


def listed(response: Any, world: World, names: tuple[str, ...]) -> set[str]:
    """The world names of the rows of a list answer (an unknown id is reported as such)."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None  # the whole list is on this page
    assert body["count"] == len(body["results"])
    known = names_by_id(world, names)
    return {known.get(row["id"], f"unknown id {row['id']}") for row in body["results"]}


def pairs(viewers: tuple[str, ...], targets: tuple[str, ...]) -> list[Any]:
    return [
        pytest.param(viewer, target, id=f"{viewer}-on-{target}")
        for viewer in viewers
        for target in targets
    ]


def assert_hidden(client: APIClient, response: Any, missing_url: str) -> None:
    """A 404 for something that exists must be indistinguishable from one that does not."""
    body = assert_error(response, 404, "not_found", set())
    assert body == client.get(missing_url).json()


# --- anonymous ------------------------------------------------------------------------------
ANONYMOUS_REQUESTS = [
    ("get", "api:me", None),
    ("patch", "api:me", None),
    ("post", "api:password-change", None),
    ("post", "api:token-revoke", None),
    ("get", "api:region-list", None),
    ("post", "api:region-list", None),
    ("get", "api:region-detail", "region_a"),
    ("patch", "api:region-detail", "region_a"),
    ("get", "api:region-detail", MISSING_ID),
    ("get", "api:school-list", None),
    ("post", "api:school-list", None),
    ("get", "api:school-detail", "school_a1"),
    ("patch", "api:school-detail", "school_a1"),
    ("get", "api:person-list", None),
    ("post", "api:person-list", None),
    ("get", "api:person-detail", "student_a1"),
    ("patch", "api:person-detail", "student_a1"),
    ("post", "api:person-deactivate", "student_a1"),
    ("post", "api:person-activate", "student_a1"),
    ("patch", "api:person-detail", MISSING_ID),
]


@pytest.mark.parametrize(
    ("method", "url_name", "target"),
    [
        pytest.param(method, url_name, target, id=f"{method}-{url_name}-{target}")
        for method, url_name, target in ANONYMOUS_REQUESTS
    ],
)
def test_anonymous_is_refused_with_401_everywhere_but_token_creation(
    world: World, api_client: APIClient, method: str, url_name: str, target: Any
) -> None:
    # given someone without credentials
    args = (
        [] if target is None else [target if isinstance(target, int) else getattr(world, target).pk]
    )
    before = database_state()
    # when they call an endpoint with a body that would be valid for an administrator
    response = getattr(api_client, method)(
        reverse(url_name, args=args), {"first_name": "Changed", "name": "Changed"}
    )
    # then the answer is 401 with the error body, whether the object exists or not
    assert_error(response, 401, "not_authenticated", set())
    assert database_state() == before


def test_anonymous_may_create_a_token(world: World, api_client: APIClient) -> None:
    response = api_client.post(
        reverse("api:token-create"),
        {"username": world.student_a1.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 201


# --- regions --------------------------------------------------------------------------------
@pytest.mark.parametrize("viewer", VIEWERS)
def test_region_list_is_exactly_what_the_viewer_may_see(world: World, viewer: str) -> None:
    response = client_for(world, viewer).get(reverse("api:region-list"))
    assert listed(response, world, REGIONS) == VISIBLE_REGIONS[viewer]


@pytest.mark.parametrize(("viewer", "target"), pairs(VIEWERS, REGIONS))
def test_region_detail_answers_only_for_visible_regions(
    world: World, viewer: str, target: str
) -> None:
    # given
    client = client_for(world, viewer)
    region = getattr(world, target)
    # when
    response = client.get(reverse("api:region-detail", args=[region.pk]))
    # then
    if target in VISIBLE_REGIONS[viewer]:
        assert response.status_code == 200
        assert response.json() == {
            "id": region.pk,
            "name": region.name,
            "code": region.code,
            "time_zone": region.time_zone,
        }
    else:
        assert_hidden(client, response, reverse("api:region-detail", args=[MISSING_ID]))


@pytest.mark.parametrize(("viewer", "target"), pairs(VIEWERS, REGIONS))
def test_region_edit_only_by_those_who_manage_regions(
    world: World, viewer: str, target: str
) -> None:
    # given
    client = client_for(world, viewer)
    region = getattr(world, target)
    before = database_state()
    # when
    response = client.patch(
        reverse("api:region-detail", args=[region.pk]), {"name": "Renamed region"}
    )
    # then
    expected = expected_write_status(
        target=target, visible=VISIBLE_REGIONS[viewer], managed=MANAGED_REGIONS[viewer]
    )
    region.refresh_from_db()
    if expected == 200:
        assert response.status_code == 200, response.content
        assert region.name == "Renamed region"
        return
    if expected == 403:
        assert_error(response, 403, "permission_denied", set())
    else:
        assert_hidden(client, response, reverse("api:region-detail", args=[MISSING_ID]))
    assert database_state() == before


@pytest.mark.parametrize("viewer", VIEWERS)
def test_region_creation_only_by_the_platform_admin(world: World, viewer: str) -> None:
    # given
    client = client_for(world, viewer)
    before = database_state()
    # when
    response = client.post(
        reverse("api:region-list"),
        {"name": "Region C", "code": "region-c", "time_zone": "Asia/Ulaanbaatar"},
    )
    # then
    if viewer == "platform_admin":
        assert response.status_code == 201, response.content
        assert response.json()["code"] == "region-c"
    else:
        assert_error(response, 403, "permission_denied", set())
        assert database_state() == before


@pytest.mark.parametrize(
    ("url_name", "body"),
    [
        pytest.param("api:region-list", {}, id="regions"),
        pytest.param("api:school-list", {}, id="schools"),
        pytest.param("api:person-list", {}, id="people"),
    ],
)
@pytest.mark.parametrize("viewer", ["teacher_a1", "student_a1"])
def test_who_may_not_create_is_refused_before_the_body_is_read(
    world: World, viewer: str, url_name: str, body: dict[str, Any]
) -> None:
    """A refusal must not depend on the body: an empty body gets 403, not a list of the
    fields the viewer would have to fill in."""
    response = client_for(world, viewer).post(reverse(url_name), body)
    assert_error(response, 403, "permission_denied", set())


# --- schools --------------------------------------------------------------------------------
@pytest.mark.parametrize("viewer", VIEWERS)
def test_school_list_is_exactly_what_the_viewer_may_see(world: World, viewer: str) -> None:
    response = client_for(world, viewer).get(reverse("api:school-list"))
    assert listed(response, world, SCHOOLS) == VISIBLE_SCHOOLS[viewer]


@pytest.mark.parametrize(("viewer", "target"), pairs(VIEWERS, SCHOOLS))
def test_school_detail_answers_only_for_visible_schools(
    world: World, viewer: str, target: str
) -> None:
    # given
    client = client_for(world, viewer)
    school = getattr(world, target)
    # when
    response = client.get(reverse("api:school-detail", args=[school.pk]))
    # then
    if target in VISIBLE_SCHOOLS[viewer]:
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["code"], body["region"], body["region_name"]) == (
            school.pk,
            school.code,
            school.region_id,
            school.region.name,
        )
    else:
        assert_hidden(client, response, reverse("api:school-detail", args=[MISSING_ID]))


@pytest.mark.parametrize(("viewer", "target"), pairs(VIEWERS, SCHOOLS))
def test_school_edit_only_by_admins_of_its_region(world: World, viewer: str, target: str) -> None:
    # given
    client = client_for(world, viewer)
    school = getattr(world, target)
    before = database_state()
    # when
    response = client.patch(
        reverse("api:school-detail", args=[school.pk]), {"name": "Renamed school"}
    )
    # then
    expected = expected_write_status(
        target=target, visible=VISIBLE_SCHOOLS[viewer], managed=MANAGED_SCHOOLS[viewer]
    )
    school.refresh_from_db()
    if expected == 200:
        assert response.status_code == 200, response.content
        assert school.name == "Renamed school"
        return
    if expected == 403:
        assert_error(response, 403, "permission_denied", set())
    else:
        assert_hidden(client, response, reverse("api:school-detail", args=[MISSING_ID]))
    assert database_state() == before


@pytest.mark.parametrize(("viewer", "region"), pairs(VIEWERS, REGIONS))
def test_school_creation_only_in_a_region_the_viewer_manages(
    world: World, viewer: str, region: str
) -> None:
    # given
    client = client_for(world, viewer)
    before = database_state()
    # when
    response = client.post(
        reverse("api:school-list"),
        {
            "region": getattr(world, region).pk,
            "name": "New school",
            "code": "new-school",
            "locality": "urban",
            "languages": ["ky", "ru"],
        },
    )
    # then
    allowed = SCHOOL_CREATION_REGIONS[viewer]
    if allowed is None:
        assert_error(response, 403, "permission_denied", set())
    elif region in allowed:
        assert response.status_code == 201, response.content
        assert response.json()["region"] == getattr(world, region).pk
        return
    else:
        assert_error(response, 400, "invalid", {"region"})
    assert database_state() == before


@pytest.mark.parametrize(("viewer", "target"), pairs(("region_admin_a",), ("school_a1",)))
def test_region_admin_cannot_move_a_school_to_another_region(
    world: World, viewer: str, target: str
) -> None:
    before = database_state()
    response = client_for(world, viewer).patch(
        reverse("api:school-detail", args=[getattr(world, target).pk]),
        {"region": world.region_b.pk},
    )
    assert_error(response, 400, "invalid", {"region"})
    assert database_state() == before


# --- people ---------------------------------------------------------------------------------
@pytest.mark.parametrize("viewer", VIEWERS)
def test_people_list_is_exactly_what_the_viewer_may_see(world: World, viewer: str) -> None:
    response = client_for(world, viewer).get(reverse("api:person-list"))
    if viewer in LISTS_PEOPLE:
        assert listed(response, world, PEOPLE) == VISIBLE_PEOPLE[viewer]
    else:
        assert_error(response, 403, "permission_denied", set())


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("role=region_admin", id="by-role"),
        pytest.param("search=a", id="by-search"),
        pytest.param("is_active=true", id="by-active"),
    ],
)
@pytest.mark.parametrize("viewer", sorted(LISTS_PEOPLE))
def test_people_list_filters_never_widen_what_the_viewer_sees(
    world: World, viewer: str, query: str
) -> None:
    response = client_for(world, viewer).get(f"{reverse('api:person-list')}?{query}")
    assert listed(response, world, PEOPLE) <= VISIBLE_PEOPLE[viewer]


@pytest.mark.parametrize(
    ("viewer", "url_name", "query", "hidden"),
    [
        pytest.param(
            "school_admin_a1", "api:person-list", "school", "school_b1", id="people-school"
        ),
        pytest.param(
            "region_admin_a", "api:person-list", "school", "school_b1", id="people-school-r"
        ),
        pytest.param("teacher_a1", "api:school-list", "region", "region_b", id="schools-region"),
        pytest.param(
            "region_admin_a", "api:school-list", "region", "region_b", id="schools-region-r"
        ),
    ],
)
def test_list_filters_do_not_reveal_that_a_hidden_object_exists(
    world: World, viewer: str, url_name: str, query: str, hidden: str
) -> None:
    # given
    client = client_for(world, viewer)
    # when filtering by an object the viewer cannot see, and by one that does not exist
    on_hidden = client.get(f"{reverse(url_name)}?{query}={getattr(world, hidden).pk}")
    on_missing = client.get(f"{reverse(url_name)}?{query}={MISSING_ID}")
    # then both answers are the same
    assert (on_hidden.status_code, on_hidden.json()) == (on_missing.status_code, on_missing.json())


@pytest.mark.parametrize(("viewer", "target"), pairs(VIEWERS, PEOPLE))
def test_person_detail_answers_only_for_visible_people(
    world: World, viewer: str, target: str
) -> None:
    # given
    client = client_for(world, viewer)
    person = getattr(world, target)
    # when
    response = client.get(reverse("api:person-detail", args=[person.pk]))
    # then
    if target in VISIBLE_PEOPLE[viewer]:
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["username"], body["role"], body["school"], body["region"]) == (
            person.pk,
            person.username,
            person.role,
            person.school_id,
            person.region_id,
        )
        assert "password" not in body
    else:
        assert_hidden(client, response, reverse("api:person-detail", args=[MISSING_ID]))


PERSON_WRITES = ("edit", "deactivate", "activate")


def _person_write(client: APIClient, person: User, action: str) -> Any:
    if action == "edit":
        return client.patch(
            reverse("api:person-detail", args=[person.pk]), {"first_name": "Renamed"}
        )
    return client.post(reverse(f"api:person-{action}", args=[person.pk]))


def _person_row(person: User) -> tuple[str, bool]:
    person.refresh_from_db()
    return person.first_name, person.is_active


@pytest.mark.parametrize("action", PERSON_WRITES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_person_writes_only_by_those_who_manage_them(
    world: World, viewer: str, action: str
) -> None:
    """Edit, deactivate and reactivate: 200 for whom the viewer manages, 403 for whom they only
    see (including themselves), 404 for whom they do not see. Each viewer tries every person
    of the world; the answers are compared as one map, then what changed as one set."""
    # given (for reactivation) everyone but the viewer has been deactivated
    client = client_for(world, viewer)
    people: dict[str, User] = {name: getattr(world, name) for name in PEOPLE}
    if action == "activate":
        User.objects.exclude(pk=people[viewer].pk).update(is_active=False)
    before = {name: _person_row(person) for name, person in people.items()}
    # when the viewer tries the action on every person
    responses = {name: _person_write(client, person, action) for name, person in people.items()}
    # then the answers are exactly those of the rules
    assert {name: response.status_code for name, response in responses.items()} == {
        name: expected_write_status(
            target=name, visible=VISIBLE_PEOPLE[viewer], managed=MANAGED_PEOPLE[viewer]
        )
        for name in PEOPLE
    }
    missing_url = reverse("api:person-detail", args=[MISSING_ID])
    for response in responses.values():
        if response.status_code == 403:
            assert_error(response, 403, "permission_denied", set())
        elif response.status_code == 404:
            assert_hidden(client, response, missing_url)
    # and exactly the managed people changed, in the way the action says
    after = {name: _person_row(person) for name, person in people.items()}
    assert {name for name in PEOPLE if after[name] != before[name]} == MANAGED_PEOPLE[viewer]
    expected_row = {
        "edit": lambda row: ("Renamed", row[1]),
        "deactivate": lambda row: (row[0], False),
        "activate": lambda row: (row[0], True),
    }[action]
    for name in MANAGED_PEOPLE[viewer]:
        assert after[name] == expected_row(before[name]), name


# --- role assignment ------------------------------------------------------------------------
SCHOOL_ROLE_VALUES = ("student", "teacher", "facilitator", "school_admin")
# (viewer, role, school) -> None when allowed, else the field that must carry the refusal
PLACEMENT_CASES: list[tuple[str, str, str, str | None]] = [
    *[("platform_admin", role, school, None) for role in SCHOOL_ROLE_VALUES for school in SCHOOLS],
    *[
        ("region_admin_a", role, school, None)
        for role in SCHOOL_ROLE_VALUES
        for school in ("school_a1", "school_a2")
    ],
    *[("region_admin_a", role, "school_b1", "school") for role in SCHOOL_ROLE_VALUES],
    *[
        ("school_admin_a1", role, "school_a1", None)
        for role in ("student", "teacher", "facilitator")
    ],
    ("school_admin_a1", "school_admin", "school_a1", "role"),
    *[
        ("school_admin_a1", role, school, "school")
        for role in ("student", "teacher")
        for school in ("school_a2", "school_b1")
    ],
]


@pytest.mark.parametrize(
    ("viewer", "role", "school", "refused_field"),
    [pytest.param(*case, id=f"{case[0]}-makes-{case[1]}-in-{case[2]}") for case in PLACEMENT_CASES],
)
def test_person_creation_places_people_only_where_the_viewer_may(
    world: World, viewer: str, role: str, school: str, refused_field: str | None
) -> None:
    # given
    client = client_for(world, viewer)
    before = database_state()
    # when
    response = client.post(
        reverse("api:person-list"),
        {
            "username": "newcomer",
            "password": NEW_PASSWORD,
            "first_name": "New",
            "last_name": "Comer",
            "role": role,
            "school": getattr(world, school).pk,
        },
    )
    # then
    if refused_field is None:
        assert response.status_code == 201, response.content
        created = User.objects.get(username="newcomer")
        assert (created.role, created.school_id, created.region_id) == (
            role,
            getattr(world, school).pk,
            None,
        )
        assert created.check_password(NEW_PASSWORD)
    else:
        assert_error(response, 400, "invalid", {refused_field})
        assert database_state() == before


@pytest.mark.parametrize(
    ("viewer", "region", "refused_field"),
    [
        pytest.param("platform_admin", "region_a", None, id="platform_admin-in-region_a"),
        pytest.param("platform_admin", "region_b", None, id="platform_admin-in-region_b"),
        pytest.param("region_admin_a", "region_a", "role", id="region_admin_a-in-region_a"),
        pytest.param("region_admin_a", "region_b", "region", id="region_admin_a-in-region_b"),
        pytest.param("school_admin_a1", "region_a", "role", id="school_admin_a1-in-region_a"),
    ],
)
def test_only_the_platform_admin_creates_region_admins(
    world: World, viewer: str, region: str, refused_field: str
) -> None:
    # given
    client = client_for(world, viewer)
    before = database_state()
    # when
    response = client.post(
        reverse("api:person-list"),
        {
            "username": "newcomer",
            "password": NEW_PASSWORD,
            "first_name": "New",
            "last_name": "Comer",
            "role": "region_admin",
            "region": getattr(world, region).pk,
        },
    )
    # then
    if refused_field is None:
        assert response.status_code == 201, response.content
        created = User.objects.get(username="newcomer")
        assert (created.role, created.school_id, created.region_id) == (
            Role.REGION_ADMIN,
            None,
            getattr(world, region).pk,
        )
    else:
        assert_error(response, 400, "invalid", {refused_field})
        assert database_state() == before


@pytest.mark.parametrize("viewer", ["teacher_a1", "facilitator_a1", "student_a1"])
def test_people_without_an_admin_role_cannot_create_anyone(world: World, viewer: str) -> None:
    before = database_state()
    response = client_for(world, viewer).post(
        reverse("api:person-list"),
        {
            "username": "newcomer",
            "password": NEW_PASSWORD,
            "first_name": "New",
            "last_name": "Comer",
            "role": "student",
            "school": world.school_a1.pk,
        },
    )
    assert_error(response, 403, "permission_denied", set())
    assert database_state() == before


@pytest.mark.parametrize(
    ("viewer", "target", "change", "refused_field"),
    [
        pytest.param(
            "school_admin_a1",
            "teacher_a1",
            {"role": "school_admin"},
            "role",
            id="school_admin-promotes-to-school_admin",
        ),
        pytest.param(
            "school_admin_a1",
            "student_a1",
            {"school": "school_a2"},
            "school",
            id="school_admin-moves-to-same-region-school",
        ),
        pytest.param(
            "school_admin_a1",
            "student_a1",
            {"school": "school_b1"},
            "school",
            id="school_admin-moves-to-other-region",
        ),
        pytest.param(
            "school_admin_a1",
            "student_a1",
            {"role": "region_admin", "region": "region_a"},
            "role",
            id="school_admin-promotes-to-region_admin",
        ),
        pytest.param(
            "region_admin_a",
            "student_a2",
            {"school": "school_b1"},
            "school",
            id="region_admin-moves-to-other-region",
        ),
        pytest.param(
            "region_admin_a",
            "school_admin_a1",
            {"role": "region_admin", "region": "region_a"},
            "role",
            id="region_admin-promotes-to-region_admin",
        ),
        pytest.param(
            "platform_admin",
            "student_a1",
            {"role": "platform_admin"},
            "role",
            id="platform_admin-promotes-to-platform_admin",
        ),
    ],
)
def test_person_edit_cannot_give_a_role_or_school_the_viewer_does_not_manage(
    world: World, viewer: str, target: str, change: dict[str, str], refused_field: str
) -> None:
    # given
    client = client_for(world, viewer)
    body = {
        key: (getattr(world, value).pk if key in {"school", "region"} else value)
        for key, value in change.items()
    }
    before = database_state()
    # when
    response = client.patch(reverse("api:person-detail", args=[getattr(world, target).pk]), body)
    # then
    assert_error(response, 400, "invalid", {refused_field})
    assert database_state() == before


@pytest.mark.parametrize(
    ("viewer", "target", "change"),
    [
        pytest.param(
            "school_admin_a1", "student_a1", {"role": "teacher"}, id="school_admin-student-teacher"
        ),
        pytest.param(
            "region_admin_a",
            "student_a1",
            {"school": "school_a2"},
            id="region_admin-moves-in-region",
        ),
        pytest.param(
            "region_admin_a",
            "teacher_a2",
            {"role": "school_admin"},
            id="region_admin-makes-school_admin",
        ),
        pytest.param(
            "platform_admin",
            "student_b1",
            {"school": "school_a1"},
            id="platform_admin-moves-across-regions",
        ),
    ],
)
def test_person_edit_gives_a_role_or_school_the_viewer_manages(
    world: World, viewer: str, target: str, change: dict[str, str]
) -> None:
    body = {key: (getattr(world, v).pk if key == "school" else v) for key, v in change.items()}
    response = client_for(world, viewer).patch(
        reverse("api:person-detail", args=[getattr(world, target).pk]), body
    )
    assert response.status_code == 200, response.content
    person: User = getattr(world, target)
    person.refresh_from_db()
    for key, value in body.items():
        assert getattr(person, f"{key}_id" if key == "school" else key) == value


# --- one's own account ----------------------------------------------------------------------
@pytest.mark.parametrize("viewer", VIEWERS)
def test_everyone_reads_their_own_account(world: World, viewer: str) -> None:
    response = client_for(world, viewer).get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json()["id"] == getattr(world, viewer).pk


@pytest.mark.parametrize("viewer", VIEWERS)
def test_everyone_edits_their_own_profile_but_not_their_role_or_place(
    world: World, viewer: str
) -> None:
    # given
    me: User = getattr(world, viewer)
    role, school_id, region_id = me.role, me.school_id, me.region_id
    # when they also try to change what only administrators may change
    response = client_for(world, viewer).patch(
        reverse("api:me"),
        {
            "first_name": "Myself",
            "time_zone": "Asia/Ulaanbaatar",
            "role": "platform_admin",
            "school": world.school_b1.pk,
            "region": world.region_b.pk,
            "is_superuser": True,
            "is_active": False,
            "username": "renamed",
        },
    )
    # then the profile fields changed and nothing else did
    assert response.status_code == 200, response.content
    me.refresh_from_db()
    assert (me.first_name, me.time_zone) == ("Myself", "Asia/Ulaanbaatar")
    assert (me.role, me.school_id, me.region_id) == (role, school_id, region_id)
    assert me.is_superuser is (viewer == "platform_admin")
    assert me.is_active is True
    assert me.username == getattr(world, viewer).username


@pytest.mark.parametrize("viewer", VIEWERS)
def test_everyone_changes_their_own_password(world: World, viewer: str) -> None:
    response = client_for(world, viewer).post(
        reverse("api:password-change"),
        {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204, response.content
    me: User = getattr(world, viewer)
    me.refresh_from_db()
    assert me.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_everyone_gets_and_revokes_their_own_token(
    world: World, api_client: APIClient, viewer: str
) -> None:
    me: User = getattr(world, viewer)
    created = api_client.post(
        reverse("api:token-create"), {"username": me.username, "password": TEST_PASSWORD}
    )
    assert created.status_code == 201, created.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {created.json()['token']}")
    assert api_client.post(reverse("api:token-revoke")).status_code == 204
    assert_error(api_client.get(reverse("api:me")), 401, "authentication_failed", set())
