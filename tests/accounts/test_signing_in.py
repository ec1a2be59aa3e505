"""Passwords and API tokens after a reset, per-device token limits, unlocking a locked
account, and the per-address sign-in limit that a forged X-Forwarded-For cannot dodge."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from lms.accounts import services
from lms.accounts.throttles import SignInRateThrottle
from tests.accounts.expectations import assert_error
from tests.accounts.test_api_auth import WRONG_PASSWORD, lock_out, sign_in, token_client
from tests.conftest import World
from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "another-Long-passphrase-2027"


def _token_for(person: Any) -> str:
    return services.api_token_create(user=person)[1]


def test_an_administrator_password_reset_signs_out_every_api_client(world: World) -> None:
    # given a teacher signed in on a phone (or a stolen token)
    phone = token_client(_token_for(world.teacher_a1))
    assert phone.get(reverse("api:me")).status_code == 200
    admin = APIClient()
    admin.force_authenticate(world.school_admin_a1)
    # when the school administrator resets the teacher's password
    response = admin.patch(
        reverse("api:person-detail", args=[world.teacher_a1.pk]), {"password": NEW_PASSWORD}
    )
    # then the old token no longer works, and the new password does
    assert response.status_code == 200
    assert phone.get(reverse("api:me")).status_code == 401
    assert sign_in(APIClient(), world.teacher_a1.username, NEW_PASSWORD).status_code == 201


def test_changing_ones_password_keeps_this_client_and_signs_out_the_others(
    world: World,
) -> None:
    this_phone = token_client(_token_for(world.student_a1))
    other_phone = token_client(_token_for(world.student_a1))
    response = this_phone.post(
        reverse("api:password-change"),
        {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert this_phone.get(reverse("api:me")).status_code == 200
    assert other_phone.get(reverse("api:me")).status_code == 401


def test_a_new_device_past_the_limit_replaces_the_oldest_token(world: World, settings) -> None:
    # given a person at the per-person token limit
    settings.LMS_API_TOKENS_PER_PERSON = 3
    oldest = _token_for(world.student_a1)
    keys = [_token_for(world.student_a1) for _ in range(2)]
    # when one more device signs in
    response = sign_in(APIClient(), world.student_a1.username, TEST_PASSWORD)
    # then it gets a token, the oldest one is gone and the others still work
    assert response.status_code == 201
    assert AuthToken.objects.filter(user=world.student_a1).count() == 3
    assert token_client(oldest).get(reverse("api:me")).status_code == 401
    assert all(token_client(key).get(reverse("api:me")).status_code == 200 for key in keys)


def test_a_school_admin_unlocks_a_locked_pupil(world: World) -> None:
    # given a pupil locked out after five wrong passwords
    lock_out(APIClient(), world.student_a1.username)
    assert_error(
        sign_in(APIClient(), world.student_a1.username, TEST_PASSWORD), 429, "locked_out", set()
    )
    admin = APIClient()
    admin.force_authenticate(world.school_admin_a1)
    # when the school administrator unlocks them
    response = admin.post(reverse("api:person-unlock", args=[world.student_a1.pk]))
    # then the pupil signs in at once
    assert response.status_code == 200
    assert response.json()["forgotten_attempts"] >= 1
    assert sign_in(APIClient(), world.student_a1.username, TEST_PASSWORD).status_code == 201


@pytest.mark.parametrize(
    ("who", "expected"),
    [("teacher_a1", 404), ("student_a1", 403), ("school_admin_a2", 404), ("region_admin_a", 200)],
)
def test_only_the_pupils_administrators_may_unlock(world: World, who: str, expected: int) -> None:
    client = APIClient()
    client.force_authenticate(getattr(world, who))
    response = client.post(reverse("api:person-unlock", args=[world.student_a1.pk]))
    assert response.status_code == expected


def test_unlocking_from_the_person_page(world: World) -> None:
    lock_out(APIClient(), world.student_a1.username)
    client = Client()
    client.force_login(world.school_admin_a1)
    response = client.post(reverse("frontend:person-unlock", args=[world.student_a1.pk]))
    assert response.status_code == 302
    assert sign_in(APIClient(), world.student_a1.username, TEST_PASSWORD).status_code == 201


@pytest.fixture
def three_sign_ins_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SignInRateThrottle, "THROTTLE_RATES", {"sign-in": "3/min"})


@pytest.mark.usefixtures("three_sign_ins_a_minute")
def test_a_forged_forwarded_for_header_does_not_escape_the_api_sign_in_limit(
    world: World,
) -> None:
    client = APIClient()
    statuses = [
        client.post(
            reverse("api:token-create"),
            {"username": f"nobody{n}", "password": WRONG_PASSWORD},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


@pytest.mark.usefixtures("three_sign_ins_a_minute")
def test_the_sign_in_page_has_the_same_per_address_limit(world: World) -> None:
    client = Client()
    statuses = [
        client.post(
            reverse("frontend:sign-in"),
            {"username": f"nobody{n}", "password": WRONG_PASSWORD},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_a_platform_admin_can_rename_another_platform_admin(world: World) -> None:
    other = type(world.platform_admin).objects.create_superuser("second-admin", password="x")
    person = services.person_update(
        person=other, by=world.platform_admin, data={"first_name": "Renamed"}
    )
    assert person.first_name == "Renamed"
    assert person.is_superuser
