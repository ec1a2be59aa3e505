"""Notification pages: a person's own list (filtered, marked read, opened), their choices and
quiet hours, the failed deliveries for administrators within what they run, and the
navigation's unread badge. Notices are made by the real ``notify`` and its fan-out (Celery in
the test's process); a failed delivery is written directly, as a worker would leave it."""

from collections.abc import Callable
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontend.context_processors import notices
from lms.accounts.models import User
from lms.notifications.models import (
    Delivery,
    DeliveryState,
    Dispatch,
    Kind,
    Notification,
    Preference,
    QuietHours,
)
from lms.notifications.services import notifications_mark_read, notify
from tests.conftest import World

pytestmark = pytest.mark.django_db

LIST = "/notifications/"
Tell = Callable[..., Dispatch | None]


@pytest.fixture(autouse=True)
def _eager_celery(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "lms.notifications.senders.ConsoleSmsBackend"


@pytest.fixture
def tell(django_capture_on_commit_callbacks: Any) -> Tell:
    """``notify`` in a transaction that commits: the fan-out writes the notifications."""

    def call(recipients: list[User], *, key: str = "", **params: Any) -> Dispatch | None:
        values = {"class": "7A", "course": "Algebra", "link": "/classes/1/", **params}
        with django_capture_on_commit_callbacks(execute=True):
            return notify(kind="enrolled", recipients=recipients, params=values, dedupe_key=key)

    return call


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _note(person: User, class_name: str) -> Notification:
    return Notification.objects.get(recipient=person, dispatch__params__class=class_name)


def _titles(response: Any) -> list[str]:
    return [row["title"] for row in response.context["rows"]]


# --- the list ----------------------------------------------------------------------------------
def test_the_list_shows_only_ones_own_notifications_newest_first(world: World, tell: Tell) -> None:
    # given two notices for a pupil and one for a pupil of another school
    tell([world.student_a1], **{"class": "7A"})
    tell([world.student_a1], key="second", **{"class": "7B"})
    tell([world.student_a2], **{"class": "8C"})
    # when the pupil opens their notifications
    response = _signed_in(world.student_a1).get(reverse("frontend:notifications"))
    # then they see their own, newest first, each with its body and a link to open it
    assert response.status_code == 200
    assert _titles(response) == ["You are enrolled in 7B", "You are enrolled in 7A"]
    page = response.content.decode()
    assert "8C" not in page
    assert "You are now a student of the class 7B (course: Algebra)." in page
    note = _note(world.student_a1, "7B")
    assert reverse("frontend:notification-open", args=[note.pk]) in page


def test_times_are_shown_in_the_readers_time_zone(world: World, tell: Tell) -> None:
    # given a pupil in Mongolia's time zone (UTC+8, the server's is not)
    pupil = world.student_a1
    pupil.time_zone = "Asia/Ulaanbaatar"
    pupil.save(update_fields=["time_zone"])
    tell([pupil])
    note = Notification.objects.get(recipient=pupil)
    # when they read the list / then the time is theirs, and the page says which zone it is
    page = _signed_in(pupil).get(reverse("frontend:notifications")).content.decode()
    local = note.created_at.astimezone(ZoneInfo("Asia/Ulaanbaatar"))
    assert local.strftime("%Y-%m-%d %H:%M") in page
    assert "Asia/Ulaanbaatar" in page


def test_unread_only_leaves_out_what_was_read(world: World, tell: Tell) -> None:
    tell([world.student_a1], **{"class": "7A"})
    tell([world.student_a1], key="second", **{"class": "7B"})
    read = _note(world.student_a1, "7A")
    notifications_mark_read(user=world.student_a1, ids=[read.pk])
    client = _signed_in(world.student_a1)
    assert _titles(client.get(LIST)) == ["You are enrolled in 7B", "You are enrolled in 7A"]
    assert _titles(client.get(LIST + "?unread=1")) == ["You are enrolled in 7B"]


def test_the_list_is_paginated_by_25(world: World, tell: Tell) -> None:
    for number in range(26):
        tell([world.student_a1], key=f"n{number}", **{"class": f"C{number}"})
    client = _signed_in(world.student_a1)
    first, second = client.get(LIST), client.get(LIST + "?page=2")
    assert len(first.context["rows"]) == 25
    assert _titles(second) == ["You are enrolled in C0"]
    assert "Page 1 of 2" in first.content.decode()


def test_mark_one_read_then_all(world: World, tell: Tell) -> None:
    # given three notices of the pupil and one of another pupil
    for name in ("7A", "7B", "7C"):
        tell([world.student_a1], key=name, **{"class": name})
    tell([world.student_a2], **{"class": "8C"})
    client = _signed_in(world.student_a1)
    one = _note(world.student_a1, "7A")
    # when the pupil marks one read, from the unread list
    response = client.post(
        reverse("frontend:notification-read", args=[one.pk]), {"next": LIST + "?unread=1"}
    )
    # then that one is read, the others are not, and the pupil is back on the same list
    assert response.status_code == 302
    assert response["Location"] == LIST + "?unread=1"
    mine = Notification.objects.filter(recipient=world.student_a1)
    assert set(mine.filter(read_at__isnull=False)) == {one}
    # when they mark all read, naming another site to go back to
    response = client.post(reverse("frontend:notifications-read"), {"next": "https://x.example/"})
    # then every one of theirs is read, nobody else's, and they are back on their list
    assert response["Location"] == LIST
    assert not mine.filter(read_at__isnull=True).exists()
    assert _note(world.student_a2, "8C").read_at is None


def test_marking_read_needs_post(world: World, tell: Tell) -> None:
    tell([world.student_a1])
    note = Notification.objects.get(recipient=world.student_a1)
    client = _signed_in(world.student_a1)
    assert client.get(reverse("frontend:notification-read", args=[note.pk])).status_code == 405
    assert client.get(reverse("frontend:notifications-read")).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_another_persons_notification_is_404_to_open_and_to_mark(world: World, tell: Tell) -> None:
    tell([world.student_a2])
    theirs = Notification.objects.get(recipient=world.student_a2)
    client = _signed_in(world.student_a1)
    assert client.get(reverse("frontend:notification-open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("frontend:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_goes_to_the_link_and_marks_read(world: World, tell: Tell) -> None:
    tell([world.student_a1], link="/classes/42/?tab=live")
    note = Notification.objects.get(recipient=world.student_a1)
    response = _signed_in(world.student_a1).get(
        reverse("frontend:notification-open", args=[note.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == "/classes/42/?tab=live"
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "javascript:alert(1)",
        "classes/1/",
        "/classes/1/\r\nSet-Cookie: x=1",
        "",
        None,
    ],
)
def test_a_link_off_the_site_is_not_followed(world: World, tell: Tell, link: str | None) -> None:
    # given a notice whose link is not a path of this site
    tell([world.student_a1], link=link)
    note = Notification.objects.get(recipient=world.student_a1)
    # when the pupil opens it
    response = _signed_in(world.student_a1).get(
        reverse("frontend:notification-open", args=[note.pk])
    )
    # then they land on their notifications, and it is read
    assert response.status_code == 302
    assert response["Location"] == LIST
    note.refresh_from_db()
    assert note.read_at is not None


def test_visitors_are_sent_to_sign_in(world: World, tell: Tell) -> None:
    tell([world.student_a1])
    note = Notification.objects.get(recipient=world.student_a1)
    for url in (
        LIST,
        reverse("frontend:notification-open", args=[note.pk]),
        reverse("frontend:notification-settings"),
        reverse("frontend:notification-failures"),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("frontend:sign-in"))
    note.refresh_from_db()
    assert note.read_at is None


# --- settings ----------------------------------------------------------------------------------
def _settings_form(**changes: str) -> dict[str, str]:
    """Every kind in the app and by e-mail, none by SMS; no quiet hours; then ``changes``
    ("off" unticks)."""
    data = {f"{kind}-{channel}": "on" for kind in Kind.values for channel in ("in_app", "email")}
    data.update({"starts": "", "ends": ""})
    data.update(changes)
    return {name: value for name, value in data.items() if value != "off"}


def test_the_settings_page_shows_the_defaults_and_saves_choices_and_quiet_hours(
    world: World,
) -> None:
    client = _signed_in(world.student_a1)
    url = reverse("frontend:notification-settings")
    # given nothing chosen yet: the kinds' defaults are ticked (in the app and e-mail)
    form = client.get(url).context["form"]
    assert form["enrolled-in_app"].value() is True
    assert form["enrolled-email"].value() is True
    assert form["enrolled-sms"].value() is False
    assert form["lesson_starting-email"].value() is False
    # when the pupil asks for SMS when a lesson starts, no e-mail on enrolment, and quiet nights
    response = client.post(
        url,
        _settings_form(
            **{"lesson_starting-sms": "on", "enrolled-email": "off"}, starts="22:00", ends="07:00"
        ),
    )
    # then their choices are saved and shown again
    assert response.status_code == 302
    assert response["Location"] == url
    starting = Preference.objects.get(user=world.student_a1, kind="lesson_starting")
    assert (starting.in_app, starting.email, starting.sms) == (True, True, True)
    enrolled = Preference.objects.get(user=world.student_a1, kind="enrolled")
    assert (enrolled.in_app, enrolled.email, enrolled.sms) == (True, False, False)
    hours = QuietHours.objects.get(user=world.student_a1)
    assert (hours.starts, hours.ends) == (time(22, 0), time(7, 0))
    page = client.get(url)
    assert page.context["form"]["enrolled-email"].value() is False
    assert 'value="22:00"' in page.content.decode()
    assert "Your choices were saved." in page.content.decode()
    # when they empty both times / then the quiet hours are gone
    client.post(url, _settings_form())
    assert not QuietHours.objects.filter(user=world.student_a1).exists()


def test_unticking_every_box_turns_every_channel_off(world: World) -> None:
    response = _signed_in(world.student_a1).post(reverse("frontend:notification-settings"), {})
    assert response.status_code == 302
    rows = Preference.objects.filter(user=world.student_a1)
    assert rows.count() == len(Kind.values)
    assert not rows.filter(in_app=True).exists()
    assert not rows.filter(email=True).exists()
    assert not rows.filter(sms=True).exists()


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("22:00", "", "Give the time quiet hours end."),
        ("", "07:00", "Give the time quiet hours start."),
        ("22:00", "22:00", "Quiet hours must end at another time than they start."),
        ("25:99", "07:00", "Enter a valid time."),
        ("late", "07:00", "Enter a valid time."),
    ],
)
def test_bad_quiet_hours_are_explained_and_nothing_is_written(
    world: World, starts: str, ends: str, message: str
) -> None:
    # when the pupil turns e-mail off and gives quiet hours that do not make sense
    response = _signed_in(world.student_a1).post(
        reverse("frontend:notification-settings"),
        _settings_form(**{"enrolled-email": "off"}, starts=starts, ends=ends),
    )
    # then the page says what is wrong and nothing is saved, the channels neither
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Nothing was saved: correct what is marked below." in page
    assert not Preference.objects.exists()
    assert not QuietHours.objects.exists()


def test_the_settings_page_says_when_e_mail_or_sms_has_no_address(world: World) -> None:
    url = reverse("frontend:notification-settings")
    pupil = world.student_a1
    page = _signed_in(pupil).get(url).content.decode()
    assert 'id="no-email"' in page
    assert 'id="no-phone"' in page
    assert "/api/v1/me/" in page
    pupil.email, pupil.phone = "pupil@example.kg", "+996555123456"
    pupil.save(update_fields=["email", "phone"])
    page = _signed_in(pupil).get(url).content.decode()
    assert 'id="no-email"' not in page
    assert 'id="no-phone"' not in page
    assert pupil.time_zone in page


# --- failed deliveries -------------------------------------------------------------------------
def _failed_delivery(tell: Tell, person: User) -> Delivery:
    tell([person], key=f"failed-{person.pk}")
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
        last_error="SMTP 550 no such mailbox",
    )


@pytest.mark.parametrize("viewer", ["teacher_a1", "facilitator_a1", "student_a1"])
def test_failures_are_for_administrators_only(world: World, tell: Tell, viewer: str) -> None:
    delivery = _failed_delivery(tell, world.student_a1)
    client = _signed_in(getattr(world, viewer))
    assert client.get(reverse("frontend:notification-failures")).status_code == 403
    resend = reverse("frontend:delivery-resend", args=[delivery.pk])
    assert client.post(resend).status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert "Failed notices" not in client.get(reverse("frontend:home")).content.decode()


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("platform_admin", {"student_a1", "student_a2", "student_b1"}),
        ("region_admin_a", {"student_a1", "student_a2"}),
        ("region_admin_b", {"student_b1"}),
        ("school_admin_a1", {"student_a1"}),
        ("school_admin_a2", {"student_a2"}),
    ],
)
def test_administrators_see_and_resend_the_failures_of_what_they_run(
    world: World, tell: Tell, viewer: str, sees: set[str]
) -> None:
    # given a failed e-mail to a pupil of each school
    failed = {
        name: _failed_delivery(tell, getattr(world, name))
        for name in ("student_a1", "student_a2", "student_b1")
    }
    client = _signed_in(getattr(world, viewer))
    # when the administrator opens the failures
    response = client.get(reverse("frontend:notification-failures"))
    # then they see those of the people they run, with what went wrong, and the nav links there
    assert response.status_code == 200
    assert {delivery.pk for delivery in response.context["page"]} == {
        failed[name].pk for name in sees
    }
    page = response.content.decode()
    for name, delivery in failed.items():
        assert (delivery.address in page) == (name in sees)
    shown = failed[next(iter(sorted(sees)))]
    person = shown.notification.recipient
    for text in (
        person.get_full_name(),
        person.school.name if person.school else "",
        "E-mail",
        "Enrolled in a class",
        "SMTP 550 no such mailbox",
        reverse("frontend:delivery-resend", args=[shown.pk]),
    ):
        assert text in page
    assert reverse("frontend:notification-failures") in page  # the navigation's link
    # and sending again works inside their scope and is a 404 outside it
    for name, delivery in failed.items():
        answer = client.post(reverse("frontend:delivery-resend", args=[delivery.pk]))
        assert answer.status_code == (302 if name in sees else 404)
        delivery.refresh_from_db()
        expected = DeliveryState.PENDING if name in sees else DeliveryState.FAILED
        assert delivery.state == expected


def test_send_again_moves_the_delivery_to_pending_with_a_message(world: World, tell: Tell) -> None:
    delivery = _failed_delivery(tell, world.student_a1)
    client = _signed_in(world.school_admin_a1)
    response = client.post(reverse("frontend:delivery-resend", args=[delivery.pk]), follow=True)
    assert response.redirect_chain == [(reverse("frontend:notification-failures"), 302)]
    assert f"The notice to {delivery.address} will be sent again." in response.content.decode()
    delivery.refresh_from_db()
    # (the test's transaction never commits: the send itself waits for the sweep)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    # no longer failed: gone from the list, and a second resend finds nothing
    assert list(response.context["page"]) == []
    again = client.post(reverse("frontend:delivery-resend", args=[delivery.pk]))
    assert again.status_code == 404


# --- the navigation's badge --------------------------------------------------------------------
def test_the_navigation_shows_the_unread_count(world: World, tell: Tell) -> None:
    # given two unread notices of the pupil
    tell([world.student_a1], **{"class": "7A"})
    tell([world.student_a1], key="second", **{"class": "7B"})
    client = _signed_in(world.student_a1)
    # then every page's navigation counts them
    page = client.get(reverse("frontend:home")).content.decode()
    assert '<span id="unread-count" class="badge" data-unread="2">2</span>' in page
    # and once they are read, the badge is empty and hidden
    client.post(reverse("frontend:notifications-read"))
    page = client.get(reverse("frontend:home")).content.decode()
    assert '<span id="unread-count" class="badge" data-unread="0" hidden></span>' in page


def test_a_visitor_gets_no_badge(db: None) -> None:
    page = Client().get(reverse("frontend:sign-in")).content.decode()
    assert "unread-count" not in page


def test_the_badge_costs_one_query_for_a_signed_in_person_and_none_for_a_visitor(
    world: World, tell: Tell, django_assert_num_queries: Any
) -> None:
    tell([world.student_a1])
    request = RequestFactory().get("/")
    request.user = world.student_a1
    # the count is read once, however often the templates ask
    with django_assert_num_queries(1):
        unread = notices(request)["unread_notices"]
        assert (unread.count, unread.count) == (1, 1)
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notices(request) == {}


def test_a_page_reads_the_unread_count_once(world: World, tell: Tell) -> None:
    tell([world.student_a1])
    client = _signed_in(world.teacher_a1)
    client.get(reverse("frontend:home"))  # the session is read and settled
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("frontend:home")).status_code == 200
    counts = [query["sql"] for query in queries if "notifications_notification" in query["sql"]]
    assert len(counts) == 1


# --- query counts ------------------------------------------------------------------------------
def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_and_the_failures_cost_the_same_for_one_row_as_for_many(
    world: World, tell: Tell
) -> None:
    # given one notice and one failed delivery
    tell([world.student_a1], key="first")
    _failed_delivery(tell, world.student_a1)
    pupil, admin = _signed_in(world.student_a1), _signed_in(world.platform_admin)
    failures = reverse("frontend:notification-failures")
    one = (_queries(pupil, LIST), _queries(admin, failures))
    # when there are more of both
    for person in (world.student_a2, world.student_b1, world.teacher_a1):
        _failed_delivery(tell, person)
    for number in range(5):
        tell([world.student_a1], key=f"more-{number}")
    # then each page costs the same: one query per table, never one per row
    assert (_queries(pupil, LIST), _queries(admin, failures)) == one
