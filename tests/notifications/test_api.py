"""The notifications API: each person reads and marks only their own; choices and quiet
hours with field errors for bad input; the failure list scoped to what an administrator runs."""

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lms.accounts.models import User
from lms.notifications.models import Delivery, DeliveryState, Notification, Preference, QuietHours
from tests.conftest import World
from tests.notifications.conftest import Tell

pytestmark = pytest.mark.django_db


def _client(person: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def test_a_person_lists_only_their_own_notifications(world: World, tell: Tell) -> None:
    tell(recipients=[world.student_a1], params={"class": "7A", "course": "Algebra", "link": "/x/"})
    tell(recipients=[world.student_a2], params={"class": "7B", "course": "Algebra"})
    response = _client(world.student_a1).get(reverse("api:notifications"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["title"] == "You are enrolled in 7A"
    assert row["link"] == "/x/"
    assert row["read"] is False
    assert row["kind"] == "enrolled"


def test_anonymous_gets_nothing(world: World) -> None:
    for name in ("api:notifications", "api:notifications-unread-count"):
        assert APIClient().get(reverse(name)).status_code in (401, 403)


def test_marking_read_touches_only_ones_own(world: World, tell: Tell) -> None:
    tell(recipients=[world.student_a1, world.student_a2])
    tell(recipients=[world.student_a1], dedupe_key="second")
    mine = list(
        Notification.objects.filter(recipient=world.student_a1).values_list("pk", flat=True)
    )
    theirs = Notification.objects.get(recipient=world.student_a2)
    client = _client(world.student_a1)
    url = reverse("api:notifications-read")
    assert client.get(reverse("api:notifications-unread-count")).json() == {"unread": 2}
    # someone else's id changes nothing
    answer = client.post(url, {"ids": [theirs.pk]}, format="json").json()
    assert answer == {"changed": 0, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # one of mine
    assert client.post(url, {"ids": [mine[0]]}, format="json").json() == {"changed": 1, "unread": 1}
    # unread again
    answer = client.post(url, {"ids": [mine[0]], "read": False}, format="json").json()
    assert answer == {"changed": 1, "unread": 2}
    # all
    assert client.post(url, {"all": True}, format="json").json() == {"changed": 2, "unread": 0}
    assert client.get(reverse("api:notifications") + "?unread=true").json()["results"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": [1], "all": True}, {"ids": ["x"]}, {"all": "maybe"}],
)
def test_marking_needs_ids_or_all(world: World, body: dict[str, Any]) -> None:
    response = _client(world.student_a1).post(
        reverse("api:notifications-read"), body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]


def test_choices_and_quiet_hours_round_trip(world: World) -> None:
    client = _client(world.student_a1)
    url = reverse("api:notifications-preferences")
    before = client.get(url).json()
    assert before["kinds"]["grade_published"] == {"in_app": True, "email": True, "sms": False}
    assert before["quiet_hours"] is None
    assert before["time_zone"] == world.student_a1.time_zone
    body = {
        "kinds": {"grade_published": {"in_app": True, "email": False, "sms": True}},
        "quiet_hours": {"starts": "22:00", "ends": "07:00"},
    }
    after = client.put(url, body, format="json").json()
    assert after["kinds"]["grade_published"] == {"in_app": True, "email": False, "sms": True}
    assert after["kinds"]["enrolled"] == before["kinds"]["enrolled"]
    assert after["quiet_hours"] == {"starts": "22:00", "ends": "07:00"}
    # leaving quiet hours out keeps them; null clears them
    kept = client.put(url, {"kinds": {}}, format="json").json()
    assert kept["quiet_hours"] == {"starts": "22:00", "ends": "07:00"}
    cleared = client.put(url, {"quiet_hours": None}, format="json").json()
    assert cleared["quiet_hours"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kinds": {"gossip": {"in_app": True, "email": True, "sms": True}}}, "kinds"),
        ({"kinds": {"enrolled": {"in_app": True}}}, "kinds"),
        ({"quiet_hours": {"starts": "22:00", "ends": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"starts": "25:00", "ends": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"starts": "22:00"}}, "quiet_hours"),
    ],
)
def test_bad_choices_are_refused_and_write_nothing(
    world: World, body: dict[str, Any], field: str
) -> None:
    response = _client(world.student_a1).put(
        reverse("api:notifications-preferences"),
        {
            **body,
            "kinds": {
                **body.get("kinds", {}),
                "due_soon": dict.fromkeys(("in_app", "email", "sms"), False),
            },
        },
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Preference.objects.exists()
    assert not QuietHours.objects.exists()


def _failed_delivery(tell: Tell, person: User) -> Delivery:
    tell(recipients=[person], dedupe_key=f"failed-{person.pk}")
    person.email = f"{person.username}@example.kg"  # where it is sent again
    person.save(update_fields=["email"])
    note = Notification.objects.get(recipient=person, dedupe_key=f"failed-{person.pk}")
    return Delivery.objects.create(
        notification=note,
        channel="email",
        address=f"{person.username}@example.kg",
        state=DeliveryState.FAILED,
        attempts=5,
        due_at=note.created_at,
        last_error="SMTP 451",
    )


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("platform_admin", {"student_a1", "student_a2", "student_b1"}),
        ("region_admin_a", {"student_a1", "student_a2"}),
        ("school_admin_a1", {"student_a1"}),
        ("school_admin_b1", {"student_b1"}),
    ],
)
def test_the_failure_list_is_scoped_to_what_the_admin_runs(
    world: World, tell: Tell, viewer: str, sees: set[str]
) -> None:
    failed = {
        name: _failed_delivery(tell, getattr(world, name))
        for name in ("student_a1", "student_a2", "student_b1")
    }
    client = _client(getattr(world, viewer))
    rows = client.get(reverse("api:notifications-failures")).json()["results"]
    assert {row["id"] for row in rows} == {failed[name].pk for name in sees}
    assert rows[0]["error"] == "SMTP 451"
    # resending outside the scope is 404, inside it is accepted
    for name, delivery in failed.items():
        answer = client.post(reverse("api:notifications-resend", args=[delivery.pk]))
        assert answer.status_code == (202 if name in sees else 404)


@pytest.mark.parametrize("viewer", ["teacher_a1", "student_a1", "facilitator_a1"])
def test_only_administrators_see_failures(world: World, viewer: str) -> None:
    client = _client(getattr(world, viewer))
    assert client.get(reverse("api:notifications-failures")).status_code == 403
    assert client.post(reverse("api:notifications-resend", args=[1])).status_code == 403


def test_a_resend_sends_again_with_fresh_attempts(world: World, tell: Tell) -> None:
    from django.core import mail

    delivery = _failed_delivery(tell, world.student_a1)
    client = _client(world.school_admin_a1)
    # with no address, it cannot be sent
    world.student_a1.email = ""
    world.student_a1.save(update_fields=["email"])
    response = client.post(reverse("api:notifications-resend", args=[delivery.pk]))
    assert (response.status_code, response.json()["code"]) == (409, "no_address")
    # the administrator corrects the person's e-mail, then sends again: to the new address
    world.student_a1.email = "corrected@example.kg"
    world.student_a1.save(update_fields=["email"])
    response = client.post(reverse("api:notifications-resend", args=[delivery.pk]))
    assert response.status_code == 202
    delivery.refresh_from_db()
    # (the test's transaction never commits: the send waits for the sweep)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    from lms.notifications import services

    services.sweep()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [m.to for m in mail.outbox] == [["corrected@example.kg"]]
    # a delivery that is not failed cannot be resent
    assert client.post(reverse("api:notifications-resend", args=[delivery.pk])).status_code == 404
