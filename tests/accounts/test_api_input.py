"""Bad input on every write endpoint of /api/v1/: a 400 with the one error body naming the
field at fault, and nothing written.

Each case starts from a body that succeeds (checked first, so a refusal below is caused by
the one change the case makes) and breaks exactly one thing.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lms.accounts.models import Region, User
from tests.accounts.expectations import assert_error, database_state
from tests.conftest import World
from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "another-Long-passphrase-2026"
MISSING_ID = 987_654_321
REMOVE = object()  # a change that leaves the field out of the body

Value = Any | Callable[[World], Any]


def body_for(world: World, base: dict[str, Value], changes: dict[str, Value]) -> dict[str, Any]:
    merged = {**base, **changes}
    return {
        key: (value(world) if callable(value) else value)
        for key, value in merged.items()
        if value is not REMOVE
    }


def cases(*rows: tuple[str, dict[str, Value], str]) -> list[Any]:
    return [pytest.param(changes, field, id=case_id) for case_id, changes, field in rows]


def signed_in(world: World, name: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(getattr(world, name))
    return client


def assert_refused_and_nothing_written(
    client: APIClient, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    before = database_state()
    response = getattr(client, method)(url, body)
    assert_error(response, 400, "invalid", {field})
    assert database_state() == before


# --- regions --------------------------------------------------------------------------------
REGION_BODY: dict[str, Value] = {
    "name": "Region C",
    "code": "region-c",
    "time_zone": "Asia/Ulaanbaatar",
}
REGION_CREATE_CASES = cases(
    ("missing-name", {"name": REMOVE}, "name"),
    ("missing-code", {"code": REMOVE}, "code"),
    ("empty-name", {"name": ""}, "name"),
    ("name-not-a-string", {"name": ["Region C"]}, "name"),
    ("name-too-long", {"name": "x" * 201}, "name"),
    ("code-not-a-slug", {"code": "not a slug!"}, "code"),
    ("unknown-time-zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ("time-zone-wrong-type", {"time_zone": 6}, "time_zone"),
    ("duplicate-name", {"name": lambda w: w.region_a.name}, "name"),
    ("duplicate-code", {"code": lambda w: w.region_a.code}, "code"),
)
REGION_EDIT_CASES = cases(
    ("null-name", {"name": None}, "name"),
    ("code-not-a-slug", {"code": "not a slug!"}, "code"),
    ("unknown-time-zone", {"time_zone": "Europe/Nowhere"}, "time_zone"),
    ("duplicate-name", {"name": lambda w: w.region_b.name}, "name"),
    ("duplicate-code", {"code": lambda w: w.region_b.code}, "code"),
)


def test_region_create_body_used_below_is_valid(world: World) -> None:
    response = signed_in(world, "platform_admin").post(
        reverse("api:region-list"), body_for(world, REGION_BODY, {})
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("changes", "field"), REGION_CREATE_CASES)
def test_region_create_refuses_bad_input(
    world: World, changes: dict[str, Value], field: str
) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"),
        "post",
        reverse("api:region-list"),
        body_for(world, REGION_BODY, changes),
        field,
    )


@pytest.mark.parametrize(("changes", "field"), REGION_EDIT_CASES)
def test_region_edit_refuses_bad_input(world: World, changes: dict[str, Value], field: str) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"),
        "patch",
        reverse("api:region-detail", args=[world.region_a.pk]),
        body_for(world, {}, changes),
        field,
    )


# --- schools --------------------------------------------------------------------------------
SCHOOL_BODY: dict[str, Value] = {
    "region": lambda w: w.region_a.pk,
    "name": "New school",
    "code": "new-school",
    "locality": "urban",
    "languages": ["ky", "ru"],
    "time_zone": "Asia/Bishkek",
}
SCHOOL_CREATE_CASES = cases(
    ("missing-region", {"region": REMOVE}, "region"),
    ("missing-name", {"name": REMOVE}, "name"),
    ("missing-code", {"code": REMOVE}, "code"),
    ("missing-locality", {"locality": REMOVE}, "locality"),
    ("missing-languages", {"languages": REMOVE}, "languages"),
    ("region-not-an-id", {"region": "abc"}, "region"),
    ("region-missing", {"region": MISSING_ID}, "region"),
    ("unknown-locality", {"locality": "suburban"}, "locality"),
    ("locality-wrong-type", {"locality": ["urban"]}, "locality"),
    ("empty-languages", {"languages": []}, "languages"),
    ("unknown-language", {"languages": ["ky", "xx"]}, "languages"),
    ("languages-not-a-list", {"languages": "ky"}, "languages"),
    ("repeated-language", {"languages": ["ky", "ky"]}, "languages"),
    ("code-not-a-slug", {"code": "Not a slug"}, "code"),
    ("duplicate-code", {"code": lambda w: w.school_a2.code}, "code"),
    ("unknown-time-zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ("name-too-long", {"name": "x" * 201}, "name"),
)
SCHOOL_EDIT_CASES = cases(
    ("empty-name", {"name": ""}, "name"),
    ("unknown-locality", {"locality": "city"}, "locality"),
    ("empty-languages", {"languages": []}, "languages"),
    ("unknown-language", {"languages": ["ru", "de"]}, "languages"),
    ("repeated-language", {"languages": ["ru", "ru"]}, "languages"),
    ("languages-null", {"languages": None}, "languages"),
    ("duplicate-code", {"code": lambda w: w.school_a2.code}, "code"),
    ("unknown-time-zone", {"time_zone": "Asia/Atlantis"}, "time_zone"),
    ("region-not-an-id", {"region": "abc"}, "region"),
)


def test_school_create_body_used_below_is_valid(world: World) -> None:
    response = signed_in(world, "platform_admin").post(
        reverse("api:school-list"), body_for(world, SCHOOL_BODY, {})
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("changes", "field"), SCHOOL_CREATE_CASES)
def test_school_create_refuses_bad_input(
    world: World, changes: dict[str, Value], field: str
) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"),
        "post",
        reverse("api:school-list"),
        body_for(world, SCHOOL_BODY, changes),
        field,
    )


@pytest.mark.parametrize(("changes", "field"), SCHOOL_EDIT_CASES)
def test_school_edit_refuses_bad_input(world: World, changes: dict[str, Value], field: str) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"),
        "patch",
        reverse("api:school-detail", args=[world.school_a1.pk]),
        body_for(world, {}, changes),
        field,
    )


# --- people ---------------------------------------------------------------------------------
PERSON_BODY: dict[str, Value] = {
    "username": "newcomer",
    "password": NEW_PASSWORD,
    "first_name": "New",
    "last_name": "Comer",
    "email": "newcomer@example.org",
    "role": "student",
    "school": lambda w: w.school_a1.pk,
    "preferred_language": "ky",
    "time_zone": "Asia/Bishkek",
    "phone": "+996555123456",
}


def _taken_email(world: World) -> str:
    User.objects.filter(pk=world.teacher_a1.pk).update(email="taken@example.org")
    return "Taken@Example.org"


PERSON_CREATE_CASES = cases(
    ("missing-username", {"username": REMOVE}, "username"),
    ("missing-password", {"password": REMOVE}, "password"),
    ("missing-first-name", {"first_name": REMOVE}, "first_name"),
    ("missing-last-name", {"last_name": REMOVE}, "last_name"),
    ("missing-role", {"role": REMOVE}, "role"),
    ("unknown-role", {"role": "janitor"}, "role"),
    ("role-wrong-type", {"role": 5}, "role"),
    ("first-name-wrong-type", {"first_name": {"given": "New"}}, "first_name"),
    ("first-name-too-long", {"first_name": "x" * 151}, "first_name"),
    ("username-with-spaces", {"username": "new comer!"}, "username"),
    ("duplicate-username", {"username": lambda w: w.student_a1.username}, "username"),
    (
        "duplicate-username-other-case",
        {"username": lambda w: w.student_a1.username.upper()},
        "username",
    ),
    ("invalid-email", {"email": "not-an-email"}, "email"),
    ("duplicate-email-other-case", {"email": _taken_email}, "email"),
    ("invalid-phone", {"phone": "12345"}, "phone"),
    ("phone-not-a-number", {"phone": "call me maybe"}, "phone"),
    ("numeric-password", {"password": "12345678"}, "password"),
    ("password-same-as-username", {"password": "newcomer"}, "password"),
    ("short-password", {"password": "Ab1!"}, "password"),
    ("school-not-an-id", {"school": "abc"}, "school"),
    ("school-missing", {"school": MISSING_ID}, "school"),
    ("student-without-school", {"school": None}, "school"),
    ("unknown-language", {"preferred_language": "fr"}, "preferred_language"),
    ("unknown-time-zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ("region-admin-without-region", {"role": "region_admin", "school": REMOVE}, "region"),
)
PERSON_EDIT_CASES = cases(
    ("null-role", {"role": None}, "role"),
    ("unknown-role", {"role": "janitor"}, "role"),
    ("empty-first-name", {"first_name": ""}, "first_name"),
    ("invalid-email", {"email": "student@"}, "email"),
    ("duplicate-email-other-case", {"email": _taken_email}, "email"),
    ("invalid-phone", {"phone": "+996 1"}, "phone"),
    ("numeric-password", {"password": "12345678"}, "password"),
    ("password-same-as-username", {"password": lambda w: w.student_a1.username}, "password"),
    ("duplicate-username", {"username": lambda w: w.teacher_a1.username}, "username"),
    (
        "duplicate-username-other-case",
        {"username": lambda w: w.teacher_a1.username.upper()},
        "username",
    ),
    ("school-not-an-id", {"school": "abc"}, "school"),
    ("school-null", {"school": None}, "school"),
    ("unknown-time-zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
)


def test_person_create_body_used_below_is_valid(world: World) -> None:
    response = signed_in(world, "platform_admin").post(
        reverse("api:person-list"), body_for(world, PERSON_BODY, {})
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+996555123456"


@pytest.mark.parametrize(("changes", "field"), PERSON_CREATE_CASES)
def test_person_create_refuses_bad_input(
    world: World, changes: dict[str, Value], field: str
) -> None:
    body = body_for(world, PERSON_BODY, changes)
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"), "post", reverse("api:person-list"), body, field
    )


@pytest.mark.parametrize(("changes", "field"), PERSON_EDIT_CASES)
def test_person_edit_refuses_bad_input(world: World, changes: dict[str, Value], field: str) -> None:
    body = body_for(world, {}, changes)
    assert_refused_and_nothing_written(
        signed_in(world, "platform_admin"),
        "patch",
        reverse("api:person-detail", args=[world.student_a1.pk]),
        body,
        field,
    )


# --- one's own account ----------------------------------------------------------------------
PROFILE_CASES = cases(
    ("invalid-email", {"email": "me@@example"}, "email"),
    ("duplicate-email-other-case", {"email": _taken_email}, "email"),
    ("invalid-phone", {"phone": "0"}, "phone"),
    ("unknown-language", {"preferred_language": "de"}, "preferred_language"),
    ("unknown-time-zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ("first-name-too-long", {"first_name": "x" * 151}, "first_name"),
    ("last-name-wrong-type", {"last_name": ["Comer"]}, "last_name"),
)
PASSWORD_BODY: dict[str, Value] = {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
PASSWORD_CASES = cases(
    ("missing-old-password", {"old_password": REMOVE}, "old_password"),
    ("missing-new-password", {"new_password": REMOVE}, "new_password"),
    ("wrong-old-password", {"old_password": "not-my-password-at-all"}, "old_password"),
    ("numeric-new-password", {"new_password": "12345678"}, "new_password"),
    ("common-new-password", {"new_password": "password1"}, "new_password"),
    (
        "new-password-same-as-username",
        {"new_password": lambda w: w.student_a1.username},
        "new_password",
    ),
)


@pytest.mark.parametrize(("changes", "field"), PROFILE_CASES)
def test_profile_edit_refuses_bad_input(
    world: World, changes: dict[str, Value], field: str
) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "student_a1"),
        "patch",
        reverse("api:me"),
        body_for(world, {}, changes),
        field,
    )


def test_password_change_body_used_below_is_valid(world: World) -> None:
    response = signed_in(world, "student_a1").post(
        reverse("api:password-change"), body_for(world, PASSWORD_BODY, {})
    )
    assert response.status_code == 204, response.content


@pytest.mark.parametrize(("changes", "field"), PASSWORD_CASES)
def test_password_change_refuses_bad_input(
    world: World, changes: dict[str, Value], field: str
) -> None:
    assert_refused_and_nothing_written(
        signed_in(world, "student_a1"),
        "post",
        reverse("api:password-change"),
        body_for(world, PASSWORD_BODY, changes),
        field,
    )
    world.student_a1.refresh_from_db()
    assert world.student_a1.check_password(TEST_PASSWORD)


TOKEN_CASES = cases(
    ("missing-username", {"username": REMOVE}, "username"),
    ("missing-password", {"password": REMOVE}, "password"),
    ("username-wrong-type", {"username": {"name": "x"}}, "username"),
)


@pytest.mark.parametrize(("changes", "field"), TOKEN_CASES)
def test_token_create_refuses_bad_input(
    world: World, api_client: APIClient, changes: dict[str, Value], field: str
) -> None:
    body = body_for(
        world, {"username": world.student_a1.username, "password": TEST_PASSWORD}, changes
    )
    assert_refused_and_nothing_written(api_client, "post", reverse("api:token-create"), body, field)


# --- malformed bodies and ids ---------------------------------------------------------------
WRITE_ENDPOINTS = [
    pytest.param("post", "api:region-list", None, "platform_admin", id="region-create"),
    pytest.param("patch", "api:region-detail", "region_a", "platform_admin", id="region-edit"),
    pytest.param("post", "api:school-list", None, "platform_admin", id="school-create"),
    pytest.param("patch", "api:school-detail", "school_a1", "platform_admin", id="school-edit"),
    pytest.param("post", "api:person-list", None, "platform_admin", id="person-create"),
    pytest.param("patch", "api:person-detail", "student_a1", "platform_admin", id="person-edit"),
    pytest.param("patch", "api:me", None, "student_a1", id="profile-edit"),
    pytest.param("post", "api:password-change", None, "student_a1", id="password-change"),
    pytest.param("post", "api:token-create", None, None, id="token-create"),
]


@pytest.mark.parametrize(("method", "url_name", "target", "viewer"), WRITE_ENDPOINTS)
def test_malformed_json_is_a_parse_error(
    world: World, method: str, url_name: str, target: str | None, viewer: str | None
) -> None:
    # given
    client = APIClient() if viewer is None else signed_in(world, viewer)
    url = reverse(url_name, args=[] if target is None else [getattr(world, target).pk])
    before = database_state()
    # when
    response = getattr(client, method)(
        url, data='{"name": "Unclosed', content_type="application/json"
    )
    # then
    assert_error(response, 400, "parse_error", set())
    assert database_state() == before


@pytest.mark.parametrize(
    ("method", "url_name", "target", "viewer"),
    [param for param in WRITE_ENDPOINTS if param.values[1] != "api:token-create"],
)
def test_a_json_list_instead_of_an_object_is_refused(
    world: World, method: str, url_name: str, target: str | None, viewer: str
) -> None:
    client = signed_in(world, viewer)
    url = reverse(url_name, args=[] if target is None else [getattr(world, target).pk])
    before = database_state()
    response = getattr(client, method)(url, ["name", "Region C"])
    assert_error(response, 400, "invalid", {"non_field_errors"})
    assert database_state() == before


@pytest.mark.parametrize(
    "url_name", ["api:region-detail", "api:school-detail", "api:person-detail"]
)
def test_an_id_that_is_not_a_number_is_not_found(world: World, url_name: str) -> None:
    response = signed_in(world, "platform_admin").get(reverse(url_name, args=["abc"]))
    assert_error(response, 404, "not_found", set())


def test_unknown_api_path_answers_in_the_error_shape(world: World) -> None:
    response = signed_in(world, "platform_admin").get("/api/v1/nowhere/")
    assert_error(response, 404, "not_found", set())


def test_a_refused_region_edit_leaves_the_region_as_it_was(world: World) -> None:
    # given
    region: Region = world.region_a
    # when a valid change travels with an invalid one
    response = signed_in(world, "platform_admin").patch(
        reverse("api:region-detail", args=[region.pk]),
        {"name": "Renamed region", "time_zone": "Mars/Olympus"},
    )
    # then neither is saved
    assert_error(response, 400, "invalid", {"time_zone"})
    region.refresh_from_db()
    assert region.name == "Region A"
