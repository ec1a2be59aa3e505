"""notify(): recorded with the caller's transaction, fanned out in batches after commit, once
per person and dedupe key, on the channels each person chose, quiet hours respected in their
own time zone."""

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from lms.accounts.models import Role, User
from lms.notifications import services
from lms.notifications.models import (
    Delivery,
    DeliveryState,
    Dispatch,
    Notification,
    Preference,
    QuietHours,
)
from tests.conftest import World
from tests.factories import make_person
from tests.notifications.conftest import Tell

pytestmark = pytest.mark.django_db
BISHKEK = ZoneInfo("Asia/Bishkek")


def test_nothing_is_told_from_a_rolled_back_transaction(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # given a use case that notifies, then fails
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.notify(
                    kind="enrolled",
                    recipients=[world.student_a1],
                    params={"class": "7A", "course": "Algebra"},
                )
                raise RuntimeError("the use case failed after notifying")
        except RuntimeError:
            pass
    # then nothing was recorded, nothing enqueued, nobody told
    assert callbacks == []
    assert not Dispatch.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_nothing_is_delivered_before_the_transaction_commits(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(
            kind="enrolled", recipients=[world.student_a1], params={"class": "7A", "course": "A"}
        )
        # recorded, not fanned out
        assert Dispatch.objects.count() == 1
        assert not Notification.objects.exists()
    assert len(callbacks) == 1


def test_a_notice_reaches_each_recipient_in_app_and_by_email(world: World, tell: Tell) -> None:
    # given two pupils with e-mail addresses: one reads English, the other never chose (their
    # school teaches in Kyrgyz and Russian)
    world.student_a1.email, world.student_a2.email = "a1@example.kg", "a2@example.kg"
    world.student_a1.preferred_language = "en"
    User.objects.bulk_update([world.student_a1, world.student_a2], ["email", "preferred_language"])
    # when
    dispatch = tell(recipients=[world.student_a1, world.student_a2.pk])
    # then
    assert dispatch is not None
    dispatch.refresh_from_db()
    assert dispatch.finished_at is not None
    assert dispatch.cursor == 2
    notes = Notification.objects.filter(dispatch=dispatch)
    assert {n.recipient_id for n in notes} == {world.student_a1.pk, world.student_a2.pk}
    assert all(n.in_app and n.read_at is None for n in notes)
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        "a1@example.kg": "You are enrolled in 7A",
        "a2@example.kg": "Сиз 7A классына жазылдыңыз",  # the school's first language
    }
    assert all("/classes/1/" in message.body for message in mail.outbox)
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_dedupe_key_reaches_each_person_once(world: World, tell: Tell) -> None:
    # given a reminder sent to two pupils
    tell(recipients=[world.student_a1, world.student_a2], dedupe_key="lesson-starting:1:t")
    # when it fires again (a second beat, a repeated task), to one more pupil too
    tell(
        recipients=[world.student_a1, world.student_a2, world.student_b1],
        dedupe_key="lesson-starting:1:t",
    )
    # then each was told once
    counts = {
        person.pk: Notification.objects.filter(recipient=person).count()
        for person in (world.student_a1, world.student_a2, world.student_b1)
    }
    assert counts == {world.student_a1.pk: 1, world.student_a2.pk: 1, world.student_b1.pk: 1}


def test_once_records_nothing_when_the_key_was_dispatched(world: World, tell: Tell) -> None:
    assert tell(recipients=[world.student_a1], dedupe_key="k", once=True) is not None
    assert tell(recipients=[world.student_a1], dedupe_key="k", once=True) is None
    assert Dispatch.objects.count() == 1


def test_two_jobs_racing_record_one_dispatch_of_a_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a job that already recorded the key, and a second one that looked before it did
    assert services.notify(
        kind="enrolled", recipients=[world.student_a1], params={}, dedupe_key="k", once=True
    )
    monkeypatch.setattr(Dispatch.objects, "filter", lambda **_kw: Dispatch.objects.none())
    # when the second one records it, then the database refuses it, and it tells nobody
    second = services.notify(
        kind="enrolled", recipients=[world.student_a1], params={}, dedupe_key="k", once=True
    )
    assert second is None
    monkeypatch.undo()
    assert Dispatch.objects.filter(dedupe_key="k").count() == 1


def test_a_task_delivered_twice_changes_nothing(world: World, tell: Tell) -> None:
    # given a dispatch fanned out
    world.student_a1.email = "a1@example.kg"
    world.student_a1.save(update_fields=["email"])
    dispatch = tell(recipients=[world.student_a1, world.student_a2])
    assert dispatch is not None
    # when the fan-out task runs again
    more = services.dispatch_batch_deliver(dispatch_id=dispatch.pk)
    # then
    assert more is False
    assert Notification.objects.count() == 2
    assert Delivery.objects.count() == 1
    assert len(mail.outbox) == 1


def test_nobody_is_no_dispatch(world: World, tell: Tell) -> None:
    assert tell(recipients=[]) is None
    assert not Dispatch.objects.exists()


def test_an_inactive_person_is_not_told(world: World, tell: Tell) -> None:
    world.student_a2.is_active = False
    world.student_a2.save(update_fields=["is_active"])
    tell(recipients=[world.student_a1, world.student_a2])
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [
        world.student_a1.pk
    ]


def test_the_fan_out_goes_in_batches_of_fixed_cost(
    world: World, tell: Tell, settings: Any, django_assert_num_queries: Any
) -> None:
    # given 120 pupils, half with e-mail, and batches of 50
    settings.NOTIFICATIONS_BATCH_SIZE = 50
    pupils = [make_person(Role.STUDENT, school=world.school_a1) for _ in range(120)]
    for index, pupil in enumerate(pupils):
        pupil.email = f"p{index}@example.kg" if index % 2 else ""
    User.objects.bulk_update(pupils, ["email"])
    dispatch = services.notify(
        kind="enrolled", recipients=pupils, params={"class": "7A", "course": "A"}
    )
    assert dispatch is not None
    # when the batches are handled, then each costs the same queries whatever its size: the
    # savepoint and its release, the dispatch locked, people, their choices and quiet hours,
    # the notices inserted and read back, the deliveries inserted, the cursor moved
    for more, done in ((True, 50), (True, 100), (False, 120)):
        with django_assert_num_queries(10):
            assert services.dispatch_batch_deliver(dispatch_id=dispatch.pk) is more
        assert Notification.objects.count() == done
    assert Notification.objects.count() == 120
    assert Delivery.objects.count() == 60


def test_each_person_gets_the_channels_they_chose(world: World, tell: Tell) -> None:
    # given a pupil who wants this kind by SMS only, and one who wants nothing of it
    one, two = world.student_a1, world.student_a2
    one.email, one.phone = "one@example.kg", "+996700123456"
    two.email = "two@example.kg"
    User.objects.bulk_update([one, two], ["email", "phone"])
    Preference.objects.create(user=one, kind="enrolled", in_app=False, email=False, sms=True)
    Preference.objects.create(user=two, kind="enrolled", in_app=False, email=False, sms=False)
    # when
    tell(recipients=[one, two])
    # then the first has an SMS and a notice hidden from the list; the second nothing at all
    note = Notification.objects.get()
    assert (note.recipient_id, note.in_app) == (one.pk, False)
    assert list(Delivery.objects.values_list("channel", "address", "state")) == [
        ("sms", "+996700123456", "sent")
    ]
    assert mail.outbox == []


def test_a_chosen_channel_without_an_address_sends_nothing(world: World, tell: Tell) -> None:
    Preference.objects.create(
        user=world.student_a1, kind="enrolled", in_app=True, email=True, sms=True
    )
    tell(recipients=[world.student_a1])
    assert Notification.objects.count() == 1
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("zone", "now", "held_until"),
    [
        # 23:00 in Bishkek (UTC+6): held until 07:00 there, 01:00 UTC
        pytest.param(
            "Asia/Bishkek",
            datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
            id="bishkek-late-evening",
        ),
        # the same moment is 01:00 in Ulaanbaatar (UTC+8): held until 07:00 there, 23:00 UTC
        pytest.param(
            "Asia/Ulaanbaatar",
            datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
            id="ulaanbaatar-after-midnight",
        ),
        # 12:00 in Bishkek: not quiet
        pytest.param("Asia/Bishkek", datetime(2026, 11, 24, 6, 0, tzinfo=UTC), None, id="noon"),
    ],
)
def test_quiet_hours_hold_email_in_the_persons_own_time_zone(
    world: World, tell: Tell, zone: str, now: datetime, held_until: datetime | None
) -> None:
    # given a pupil with quiet hours 22:00-07:00 in their zone
    pupil = world.student_a1
    pupil.email, pupil.time_zone = "pupil@example.kg", zone
    pupil.save(update_fields=["email", "time_zone"])
    QuietHours.objects.create(user=pupil, starts=time(22), ends=time(7))
    with time_machine.travel(now, tick=False):
        # when
        tell(recipients=[pupil])
        # then the notice is in the app at once
        assert Notification.objects.filter(recipient=pupil, in_app=True).count() == 1
        delivery = Delivery.objects.get()
        if held_until is None:
            assert delivery.state == DeliveryState.SENT
            assert len(mail.outbox) == 1
            return
        # and the e-mail waits for the end of the quiet hours
        assert (delivery.state, delivery.due_at) == (DeliveryState.PENDING, held_until)
        assert mail.outbox == []
        services.sweep()
        assert mail.outbox == []
    # when the sweep runs after the quiet hours, the e-mail goes out
    with time_machine.travel(held_until, tick=False):
        services.sweep()
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.parametrize(
    ("starts", "ends", "local", "expected"),
    [
        (time(22), time(7), datetime(2026, 1, 1, 21, 59, tzinfo=BISHKEK), None),
        (
            time(22),
            time(7),
            datetime(2026, 1, 1, 22, 0, tzinfo=BISHKEK),
            datetime(2026, 1, 2, 7, 0, tzinfo=BISHKEK),
        ),
        (
            time(22),
            time(7),
            datetime(2026, 1, 2, 6, 59, tzinfo=BISHKEK),
            datetime(2026, 1, 2, 7, 0, tzinfo=BISHKEK),
        ),
        (time(22), time(7), datetime(2026, 1, 2, 7, 0, tzinfo=BISHKEK), None),
        (
            time(13),
            time(15),
            datetime(2026, 1, 1, 14, 0, tzinfo=BISHKEK),
            datetime(2026, 1, 1, 15, 0, tzinfo=BISHKEK),
        ),
        (time(13), time(15), datetime(2026, 1, 1, 15, 0, tzinfo=BISHKEK), None),
        (time(13), time(15), datetime(2026, 1, 1, 12, 59, tzinfo=BISHKEK), None),
    ],
)
def test_quiet_until(starts: time, ends: time, local: datetime, expected: datetime | None) -> None:
    assert services.quiet_until(local, "Asia/Bishkek", starts, ends) == expected


def test_language_of_falls_back_to_the_school_then_the_site(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    assert services.language_of("ru", ["ky"]) == "ru"
    assert services.language_of("", ["xx", "mn", "ky"]) == "mn"
    assert services.language_of("", None) == "en"
