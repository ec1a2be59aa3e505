"""Signing in to the API: tokens, lockout after failed attempts, revocation, deactivated people
and CSRF on session-authenticated writes."""

import secrets
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from lms.accounts.models import User
from tests.accounts.expectations import assert_error, database_state
from tests.conftest import World
from tests.factories import TEST_PASSWORD

WRONG_PASSWORD = "not-the-right-passphrase"
FAILURE_LIMIT = 5


def sign_in(client: APIClient, username: str, password: str) -> Any:
    return client.post(reverse("api:token-create"), {"username": username, "password": password})


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def new_token(person: User) -> str:
    _instance, key = AuthToken.objects.create(person)
    return str(key)


def lock_out(client: APIClient, username: str) -> None:
    """Fail FAILURE_LIMIT times; the last failure is the one that locks the account."""
    for _attempt in range(FAILURE_LIMIT - 1):
        assert_error(sign_in(client, username, WRONG_PASSWORD), 400, "invalid_credentials")
    assert_error(sign_in(client, username, WRONG_PASSWORD), 429, "locked_out", set())


def age_failed_attempts(username: str, age: timedelta) -> None:
    """Move the recorded failures of ``username`` into the past (no time-machine here)."""
    updated = AccessAttempt.objects.filter(username=username).update(
        attempt_time=timezone.now() - age
    )
    assert updated >= 1


# --- tokens ---------------------------------------------------------------------------------
def test_right_credentials_give_a_token_that_authenticates(
    world: World, api_client: APIClient
) -> None:
    # given
    person = world.teacher_a1
    # when
    response = sign_in(api_client, person.username, TEST_PASSWORD)
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"token", "expiry", "user"}
    assert body["user"]["id"] == person.pk
    me = token_client(body["token"]).get(reverse("api:me"))
    assert me.status_code == 200
    assert me.json()["id"] == person.pk


def test_a_token_can_be_used_for_writes_without_csrf(world: World, api_client: APIClient) -> None:
    key = sign_in(api_client, world.student_a1.username, TEST_PASSWORD).json()["token"]
    client = token_client(key)
    client.handler.enforce_csrf_checks = True
    response = client.patch(reverse("api:me"), {"first_name": "Tokened"})
    assert response.status_code == 200, response.content


def test_a_wrong_password_is_refused(world: World, api_client: APIClient) -> None:
    response = sign_in(api_client, world.teacher_a1.username, WRONG_PASSWORD)
    assert_error(response, 400, "invalid_credentials", {"non_field_errors"})
    assert not AuthToken.objects.exists()


def test_an_unknown_username_is_refused_like_a_wrong_password(
    world: World, api_client: APIClient
) -> None:
    wrong_password = sign_in(api_client, world.teacher_a1.username, WRONG_PASSWORD)
    unknown_user = sign_in(api_client, "nobody-here", WRONG_PASSWORD)
    assert unknown_user.json() == wrong_password.json()
    assert unknown_user.status_code == wrong_password.status_code == 400


@pytest.mark.parametrize(
    ("header", "code"),
    [
        pytest.param("Token not-a-real-token", "authentication_failed", id="unknown-token"),
        pytest.param("Token", "authentication_failed", id="no-key"),
        pytest.param("Token a b", "authentication_failed", id="spaces-in-key"),
    ],
)
def test_a_bad_token_is_refused_with_401(world: World, header: str, code: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get(reverse("api:me")), 401, code, set())


def test_an_expired_token_stops_working(world: World) -> None:
    # given a token past its expiry
    key = new_token(world.student_a1)
    AuthToken.objects.filter(user=world.student_a1).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    # when / then
    assert_error(token_client(key).get(reverse("api:me")), 401, "authentication_failed", set())


# --- lockout --------------------------------------------------------------------------------
def test_lockout_settings_are_five_failures_and_fifteen_minutes() -> None:
    assert settings.AXES_FAILURE_LIMIT == FAILURE_LIMIT
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_five_failures_lock_the_account_even_for_the_right_password(
    world: World, api_client: APIClient
) -> None:
    # given five failed attempts (the fifth already answers that the account is locked)
    person = world.student_a1
    lock_out(api_client, person.username)
    # when the sixth attempt has the right password
    response = sign_in(api_client, person.username, TEST_PASSWORD)
    # then it is refused as locked out, and no token is made
    assert_error(response, 429, "locked_out", set())
    assert not AuthToken.objects.filter(user=person).exists()


def test_four_failures_do_not_lock(world: World, api_client: APIClient) -> None:
    for _attempt in range(FAILURE_LIMIT - 1):
        assert_error(
            sign_in(api_client, world.student_a1.username, WRONG_PASSWORD),
            400,
            "invalid_credentials",
        )
    assert sign_in(api_client, world.student_a1.username, TEST_PASSWORD).status_code == 201


def test_a_successful_sign_in_starts_the_count_again(world: World, api_client: APIClient) -> None:
    # given four failures, then a success
    username = world.student_a1.username
    for _attempt in range(FAILURE_LIMIT - 1):
        sign_in(api_client, username, WRONG_PASSWORD)
    assert sign_in(api_client, username, TEST_PASSWORD).status_code == 201
    # when four more failures follow
    for _attempt in range(FAILURE_LIMIT - 1):
        response = sign_in(api_client, username, WRONG_PASSWORD)
    # then the account is not locked
    assert_error(response, 400, "invalid_credentials")
    assert sign_in(api_client, username, TEST_PASSWORD).status_code == 201


def test_a_locked_account_does_not_lock_anyone_else(world: World, api_client: APIClient) -> None:
    """Pupils of a school share one address: a lock is for one username, not one address."""
    lock_out(api_client, world.student_a1.username)
    assert sign_in(api_client, world.teacher_a1.username, TEST_PASSWORD).status_code == 201


def test_a_locked_account_stays_locked_for_fourteen_minutes(
    world: World, api_client: APIClient
) -> None:
    username = world.student_a1.username
    lock_out(api_client, username)
    age_failed_attempts(username, timedelta(minutes=14))
    assert_error(sign_in(api_client, username, TEST_PASSWORD), 429, "locked_out", set())


def test_a_locked_account_unlocks_after_fifteen_minutes(
    world: World, api_client: APIClient
) -> None:
    # given a locked account whose last failure was just over 15 minutes ago
    username = world.student_a1.username
    lock_out(api_client, username)
    age_failed_attempts(username, timedelta(minutes=15, seconds=1))
    # when / then the right password works again
    response = sign_in(api_client, username, TEST_PASSWORD)
    assert response.status_code == 201, response.content


def test_an_administrator_can_unlock_an_account_at_once(
    world: World, api_client: APIClient
) -> None:
    # given a locked account
    username = world.student_a1.username
    lock_out(api_client, username)
    # when an administrator resets its failures
    assert axes_reset(username=username) == 1
    # then the right password works
    assert sign_in(api_client, username, TEST_PASSWORD).status_code == 201


def test_sign_in_is_throttled_per_client(world: World, api_client: APIClient) -> None:
    # given as many attempts as the limit allows within a minute (each for another username:
    # no lockout involved)
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["sign-in"]
    assert rate.endswith("/min")
    # The clock stands still: on a busy machine the attempts must not drift out of the minute.
    with time_machine.travel(timezone.now(), tick=False):
        for attempt in range(int(rate.split("/")[0])):
            assert sign_in(api_client, f"nobody{attempt}", WRONG_PASSWORD).status_code == 400
        # when / then the next one is throttled
        assert_error(sign_in(api_client, "nobody-else", WRONG_PASSWORD), 429, "throttled", set())


# --- revocation and deactivation ------------------------------------------------------------
def test_revoking_a_token_stops_it_and_only_it(world: World) -> None:
    # given two tokens of one person (two devices)
    person = world.teacher_a1
    revoked, kept = new_token(person), new_token(person)
    # when one of them is revoked
    response = token_client(revoked).post(reverse("api:token-revoke"))
    # then it no longer works, and the other one does
    assert response.status_code == 204
    assert_error(token_client(revoked).get(reverse("api:me")), 401, "authentication_failed", set())
    assert token_client(kept).get(reverse("api:me")).status_code == 200
    assert AuthToken.objects.filter(user=person).count() == 1


def test_deactivation_through_the_api_stops_the_persons_tokens(world: World) -> None:
    # given a student signed in on the API
    student = world.student_a1
    key = new_token(student)
    assert token_client(key).get(reverse("api:me")).status_code == 200
    # when their school administrator deactivates them
    admin = APIClient()
    admin.force_authenticate(world.school_admin_a1)
    assert admin.post(reverse("api:person-deactivate", args=[student.pk])).status_code == 200
    # then their token no longer works and they cannot get a new one
    assert_error(token_client(key).get(reverse("api:me")), 401, "authentication_failed", set())
    assert not AuthToken.objects.filter(user=student).exists()
    response = sign_in(APIClient(), student.username, TEST_PASSWORD)
    assert_error(response, 400, "invalid_credentials", {"non_field_errors"})
    assert not AuthToken.objects.filter(user=student).exists()


def test_a_person_made_inactive_by_other_means_cannot_use_an_old_token(world: World) -> None:
    # given a token, and the account switched off without the service (for example in a shell)
    key = new_token(world.teacher_a1)
    User.objects.filter(pk=world.teacher_a1.pk).update(is_active=False)
    # when / then
    assert_error(token_client(key).get(reverse("api:me")), 401, "authentication_failed", set())


def test_a_reactivated_person_signs_in_again(world: World, api_client: APIClient) -> None:
    admin = APIClient()
    admin.force_authenticate(world.school_admin_a1)
    admin.post(reverse("api:person-deactivate", args=[world.student_a1.pk]))
    admin.post(reverse("api:person-activate", args=[world.student_a1.pk]))
    assert sign_in(api_client, world.student_a1.username, TEST_PASSWORD).status_code == 201


# --- sessions and CSRF ----------------------------------------------------------------------
def session_client(person: User) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(person)
    return client


SESSION_WRITES = [
    pytest.param("patch", "api:me", None, "student_a1", {"first_name": "X"}, id="profile-edit"),
    pytest.param(
        "post",
        "api:password-change",
        None,
        "student_a1",
        {"old_password": TEST_PASSWORD, "new_password": "another-Long-passphrase-2026"},
        id="password-change",
    ),
    pytest.param("post", "api:token-revoke", None, "student_a1", {}, id="token-revoke"),
    pytest.param(
        "post",
        "api:region-list",
        None,
        "platform_admin",
        {"name": "Region C", "code": "region-c"},
        id="region-create",
    ),
    pytest.param(
        "patch",
        "api:school-detail",
        "school_a1",
        "region_admin_a",
        {"name": "Renamed"},
        id="school-edit",
    ),
    pytest.param(
        "post",
        "api:person-list",
        None,
        "school_admin_a1",
        {
            "username": "newcomer",
            "password": "another-Long-passphrase-2026",
            "first_name": "New",
            "last_name": "Comer",
            "role": "student",
            "school": "school_a1",
        },
        id="person-create",
    ),
    pytest.param(
        "post", "api:person-deactivate", "student_a1", "school_admin_a1", {}, id="deactivate"
    ),
]


def _session_request(
    world: World,
    client: APIClient,
    method: str,
    url_name: str,
    target: str | None,
    body: dict[str, Any],
    **extra: str,
) -> Any:
    url = reverse(url_name, args=[] if target is None else [getattr(world, target).pk])
    data = {k: (getattr(world, v).pk if k == "school" else v) for k, v in body.items()}
    return getattr(client, method)(url, data, **extra)


@pytest.mark.parametrize(("method", "url_name", "target", "viewer", "body"), SESSION_WRITES)
def test_session_writes_without_a_csrf_token_are_refused(
    world: World,
    method: str,
    url_name: str,
    target: str | None,
    viewer: str,
    body: dict[str, Any],
) -> None:
    # given someone signed in with a session cookie (as the pages do)
    client = session_client(getattr(world, viewer))
    before = database_state()
    # when a write arrives without the CSRF token
    response = _session_request(world, client, method, url_name, target, body)
    # then it is refused and nothing changes
    error = assert_error(response, 403, "permission_denied", set())
    assert "CSRF" in error["message"]
    assert database_state() == before


@pytest.mark.parametrize(("method", "url_name", "target", "viewer", "body"), SESSION_WRITES)
def test_session_writes_with_the_csrf_token_succeed(
    world: World,
    method: str,
    url_name: str,
    target: str | None,
    viewer: str,
    body: dict[str, Any],
) -> None:
    """The control of the test above: the same request with the token goes through."""
    client = session_client(getattr(world, viewer))
    csrf_secret = secrets.token_hex(16)  # 32 characters, the length Django's CSRF secret has
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf_secret
    response = _session_request(
        world, client, method, url_name, target, body, HTTP_X_CSRFTOKEN=csrf_secret
    )
    assert response.status_code in {200, 201, 204}, response.content


def test_session_reads_need_no_csrf_token(world: World) -> None:
    response = session_client(world.student_a1).get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json()["id"] == world.student_a1.pk


def test_a_token_request_speaks_the_persons_language_and_time_zone(
    world: World, api_client: APIClient
) -> None:
    # given a teacher who reads Russian and lives in Ulaanbaatar's time zone, with a course
    teacher = world.teacher_a1
    teacher.preferred_language = "ru"
    teacher.time_zone = "Asia/Ulaanbaatar"
    teacher.save(update_fields=["preferred_language", "time_zone"])
    client = token_client(new_token(teacher))
    created = client.post(
        "/api/v1/courses/", {"title": "Алгебра", "subject": "Математика", "language": "ru"}
    )
    assert created.status_code == 201, created.content
    # when they send a bad request and read the course with the token
    refused = client.post("/api/v1/courses/", {})
    listed = client.get("/api/v1/courses/").json()["results"]
    # then the messages are in Russian and times are in their time zone
    assert refused.status_code == 400
    assert refused.json()["fields"]["title"] == ["Обязательное поле."]
    assert listed[0]["updated_at"].endswith("+08:00")
