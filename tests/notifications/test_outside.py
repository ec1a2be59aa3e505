"""E-mail through a real SMTP server and SMS through an HTTP gateway, both started by the test:
the right text in the recipient's language, retries with a growing pause, failure after the
last attempt, the gateway's delivery reports."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts.models import Role, User
from lms.notifications import services
from lms.notifications.models import Delivery, DeliveryState, Preference
from tests.conftest import World
from tests.factories import make_person
from tests.notifications.conftest import Tell
from tests.notifications.outside import MailServer, SmsGateway, mail_server, sms_gateway

pytestmark = pytest.mark.django_db
LESSON = {
    "title": "Fractions",
    "class": "7A",
    "starts_at": "2026-11-25T04:00:00+00:00",
    "link": "/live-lessons/1/room/",
}


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with mail_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = False
        settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
        settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
        yield server


@pytest.fixture
def gateway(settings: Any) -> Iterator[SmsGateway]:
    with sms_gateway() as server:
        settings.SMS_BACKEND = "lms.notifications.senders.HttpSmsBackend"
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = server.url, server.token
        settings.SMS_CALLBACK_TOKEN = "callback-secret"
        settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
        settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
        yield server


def _pupil(world: World, *, language: str = "en", sms: bool = False) -> User:
    pupil = world.student_a1
    pupil.email, pupil.phone = "pupil@example.kg", "+996700123456"
    pupil.preferred_language = language
    pupil.time_zone = "Asia/Bishkek"
    pupil.save()
    if sms:
        Preference.objects.create(
            user=pupil, kind="lesson_scheduled", in_app=True, email=False, sms=True
        )
    return pupil


def _retry_all() -> None:
    """Move to just after the soonest waiting delivery is due, and sweep."""
    due = Delivery.objects.filter(state=DeliveryState.PENDING).order_by("due_at").first()
    assert due is not None
    with time_machine.travel(due.due_at + timedelta(seconds=1), tick=False):
        services.sweep()


def test_an_email_arrives_with_the_text_in_the_recipients_language(
    world: World, tell: Tell, smtp: MailServer
) -> None:
    # given a pupil who reads Russian, in Bishkek (UTC+6)
    _pupil(world, language="ru")
    # when a lesson is announced
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    # then the SMTP server got one message, in Russian, with the time in Bishkek's
    (message,) = smtp.wait_for(1)
    assert message["To"] == "pupil@example.kg"
    assert str(message["Subject"]).strip() == "Онлайн-урок: Fractions, 25.11.2026 10:00"
    body = message.get_content()
    assert "7A" in body
    assert "http://127.0.0.1:8000/live-lessons/1/room/" in body
    assert message["X-Mektep-Delivery"] == str(Delivery.objects.get().pk)
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_an_smtp_server_that_fails_twice_then_accepts_gets_one_message(
    world: World, tell: Tell, smtp: MailServer
) -> None:
    _pupil(world)
    smtp.refuse_next(2)
    # when
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert "451" in delivery.last_error
    first_pause = delivery.due_at - timezone.now()
    _retry_all()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 2)
    # the pause grows (10 s, then 40 s)
    assert delivery.due_at - delivery.updated_at > first_pause * 3
    _retry_all()
    # then
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        DeliveryState.SENT,
        3,
        "",
    )
    assert len(smtp.messages) == 1
    assert smtp.attempts == 3


def test_an_smtp_server_that_always_fails_ends_failed_after_the_last_attempt(
    world: World, tell: Tell, smtp: MailServer
) -> None:
    _pupil(world)
    smtp.refuse_always()
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    for _attempt in range(3):
        _retry_all()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 4)
    assert "451" in delivery.last_error
    assert smtp.messages == []
    # and the sweep leaves it alone afterwards
    services.sweep(now=timezone.now() + timedelta(days=1))
    assert smtp.attempts == 4


def test_a_refused_address_fails_at_once(world: World, tell: Tell, smtp: MailServer) -> None:
    _pupil(world)
    smtp.refuse_next(1, "550 5.1.1 No such mailbox")
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "550" in delivery.last_error


def test_an_unreachable_smtp_server_is_retried(world: World, tell: Tell, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    _pupil(world)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert "ConnectionRefusedError" in delivery.last_error


def test_an_sms_reaches_the_gateway_in_parts_in_the_recipients_language(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    # given a pupil who reads Kyrgyz and chose SMS
    _pupil(world, language="ky", sms=True)
    # when
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    # then the gateway got one message in UCS-2 (Cyrillic), each part at most 67 characters
    (sms,) = gateway.wait_for(1)
    assert sms["to"] == "+996700123456"
    assert sms["encoding"] == "ucs2"
    text = "".join(sms["parts"])
    assert "Fractions" in text
    assert "25.11.2026 10:00" in text
    assert len(sms["parts"]) == 1 if len(text) <= 70 else all(len(p) <= 67 for p in sms["parts"])
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.state, delivery.provider_id) == ("sms", "sent", "gw-1")


def test_an_english_sms_goes_as_gsm7(world: World, tell: Tell, gateway: SmsGateway) -> None:
    _pupil(world, language="en", sms=True)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    (sms,) = gateway.wait_for(1)
    assert sms["encoding"] == "gsm7"
    assert sms["parts"] == ["A live lesson of 7A is scheduled: Fractions, 25.11.2026 10:00."]


def test_a_gateway_that_fails_twice_then_accepts_gets_one_sms(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    _pupil(world, sms=True)
    gateway.fail_next(2, status=503)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    _retry_all()
    _retry_all()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 3)
    assert len(gateway.received) == 1
    assert gateway.attempts == 3


def test_a_gateway_that_always_fails_ends_failed(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    _pupil(world, sms=True)
    gateway.fail_always(status=500)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    for _attempt in range(3):
        _retry_all()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 4)
    assert "HTTP 500" in delivery.last_error
    assert gateway.received == []


def test_a_gateway_refusing_the_message_fails_it_at_once(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    _pupil(world, sms=True)
    gateway.fail_next(1, status=422)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)


def test_the_gateways_reports_update_the_delivery(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    _pupil(world, sms=True)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    client = APIClient()
    url = reverse("api:notifications-sms-status")
    # a report without the token is refused and changes nothing
    refused = client.post(url, {"id": "gw-1", "status": "delivered"}, format="json")
    assert refused.status_code == 401
    assert Delivery.objects.get().state == DeliveryState.SENT
    client.credentials(HTTP_AUTHORIZATION="Bearer callback-secret")
    # a malformed one gets field errors
    bad = client.post(url, {"id": "gw-1", "status": "lost"}, format="json")
    assert bad.status_code == 400
    assert "status" in bad.json()["fields"]
    # an unknown id is 404
    assert client.post(url, {"id": "gw-9", "status": "delivered"}, format="json").status_code == 404
    # when the gateway reports delivery
    assert client.post(url, {"id": "gw-1", "status": "delivered"}, format="json").status_code == 204
    assert Delivery.objects.get().state == DeliveryState.DELIVERED


def test_a_gateway_reported_failure_is_listed_with_its_reason(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    _pupil(world, sms=True)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer callback-secret")
    client.post(
        reverse("api:notifications-sms-status"),
        {"id": "gw-1", "status": "failed", "error": "handset unreachable"},
        format="json",
    )
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_error) == (DeliveryState.FAILED, "handset unreachable")


def test_a_message_that_cannot_be_sent_fails_and_the_rest_go_out(
    world: World, tell: Tell, smtp: MailServer
) -> None:
    # given two pupils told of a lesson whose title breaks a header, and then of a plain one
    _pupil(world)
    world.student_a2.email = "other@example.kg"
    world.student_a2.preferred_language = "en"
    world.student_a2.save()
    tell(
        kind="lesson_scheduled",
        recipients=[world.student_a1, world.student_a2],
        params={**LESSON, "title": "Maths\nrevision"},
    )
    # then the line break is folded away, and both e-mails arrive
    messages = smtp.wait_for(2)
    assert {str(m["Subject"]).strip() for m in messages} == {
        "Live lesson: Maths revision, 25.11.2026 10:00"
    }
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_an_unexpected_error_fails_the_delivery_instead_of_leaving_it_sending(
    world: World, tell: Tell, settings: Any
) -> None:
    settings.SMS_BACKEND = "tests.notifications.test_outside.BrokenSmsBackend"
    _pupil(world, sms=True)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "RuntimeError: the gateway library broke" in delivery.last_error


class BrokenSmsBackend:
    def send(self, sms: Any) -> str:
        raise RuntimeError("the gateway library broke")


def test_the_sweep_fails_a_delivery_stuck_sending_on_its_last_attempt(
    world: World, tell: Tell, settings: Any
) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    _pupil(world)
    tell(kind="lesson_scheduled", recipients=[world.student_a1], params=LESSON)
    delivery = Delivery.objects.get()
    # a worker died while sending it, three times
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, attempts=3, claimed_at=timezone.now() - timedelta(hours=1)
    )
    services.sweep()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert "stopped while sending" in delivery.last_error


def test_an_sms_carries_the_gateways_id_as_soon_as_it_is_accepted(
    world: World, tell: Tell, gateway: SmsGateway
) -> None:
    # given several pupils by SMS; the gateway's reports may come back within moments
    people = [world.student_a1, world.student_a2, world.student_b1]
    for index, person in enumerate(people):
        person.phone = f"+99670012345{index}"
        person.save()
        Preference.objects.create(
            user=person, kind="lesson_scheduled", in_app=True, email=False, sms=True
        )
    tell(kind="lesson_scheduled", recipients=people, params=LESSON)
    ids = sorted(Delivery.objects.values_list("provider_id", flat=True))
    assert ids == ["gw-1", "gw-2", "gw-3"]


class SlowMailBackend(locmem.EmailBackend):
    """Django's test backend behind a slow server: each message takes ``SLOW_SECONDS`` of the
    travelling clock. Before each, it notes any delivery still held whose claim the sweep
    would take for a dead worker's."""

    traveller: Any = None
    stale_seen: ClassVar[list[int]] = []

    def send_messages(self, email_messages: Any) -> int:
        self.traveller.shift(SLOW_SECONDS)
        stale = timezone.now() - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
        held = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stale)
        self.stale_seen.extend(held.values_list("pk", flat=True))
        return int(super().send_messages(email_messages))


SLOW_SECONDS = 40


def test_a_slow_server_keeps_the_claim_of_what_waits_to_be_sent(
    world: World, tell: Tell, settings: Any
) -> None:
    # given 30 pupils by e-mail and a server taking 40 s a message: 20 minutes in all, twice
    # the time after which a claim is taken for a dead worker's
    settings.EMAIL_BACKEND = "tests.notifications.test_outside.SlowMailBackend"
    settings.NOTIFICATIONS_SENDING_TIMEOUT = 600
    people = [make_person(Role.STUDENT, school=world.school_a1) for _n in range(30)]
    for n, person in enumerate(people):
        person.email = f"p{n}@example.kg"
        person.save(update_fields=["email"])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        SlowMailBackend.traveller, SlowMailBackend.stale_seen = traveller, []
        # when they are told of a lesson (one sending task for all 30)
        tell(kind="lesson_scheduled", recipients=people, params=LESSON)
    # then every message went out once, and none waiting was ever left to look abandoned
    assert len(mail.outbox) == 30
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert SlowMailBackend.stale_seen == []


def test_sending_reads_each_batch_at_once_and_marks_it_in_few_commits(
    world: World, django_assert_num_queries: Any
) -> None:
    # given 25 pupils by e-mail, in three languages, two schools and two time zones; their
    # notices fanned out, their e-mails not yet sent
    people = []
    for n in range(25):
        person = make_person(Role.STUDENT, school=(world.school_a1, world.school_b1)[n % 2])
        person.email = f"p{n}@example.kg"
        person.preferred_language = ("ru", "en", "ky")[n % 3]
        person.time_zone = ("Asia/Bishkek", "Asia/Ulaanbaatar")[n % 2]
        person.save()
        people.append(person)
    dispatch = services.notify(kind="lesson_scheduled", recipients=people, params=LESSON)
    assert dispatch is not None
    services.dispatch_batch_deliver(dispatch_id=dispatch.pk)  # its sending is left to us
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert len(ids) == 25
    # when one sending task takes them all, then it claims and reads them in one go (the
    # savepoint, the rows locked, claimed, its release; one read of what the texts need) and
    # marks them sent ten at a time (savepoint, the commit told not to wait for the disk on
    # PostgreSQL, the update, release): no column is fetched one delivery at a time
    lazy_commit = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(5 + 3 * (3 + lazy_commit)):
        assert services.deliveries_send(delivery_ids=ids) is None
    # and each went out once, in its reader's language and zone
    assert sorted(message.to[0] for message in mail.outbox) == sorted(p.email for p in people)
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects["p0@example.kg"] == "Онлайн-урок: Fractions, 25.11.2026 10:00"
    assert subjects["p1@example.kg"] == "Live lesson: Fractions, 25.11.2026 12:00"
    assert subjects["p2@example.kg"] == "Онлайн сабак: Fractions, 25.11.2026 10:00"
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
