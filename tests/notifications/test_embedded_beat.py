"""The embedded default's periodic jobs (lms.embedded_beat): with no beat process, the web
process's lifespan runs the schedule, eagerly. Here an e-mail held by quiet hours goes out once
they are over, as the sweep sends it. (tests/integration/test_embedded_default.py runs the
whole server as ``make run`` does.)"""

import asyncio
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from lms.celery import app
from lms.embedded_beat import lifespan
from lms.notifications.models import Delivery, DeliveryState, QuietHours
from tests.asyncrun import run_async
from tests.conftest import World

from .conftest import Tell

pytestmark = pytest.mark.django_db(transaction=True)
SWEEP_NOW_AND_THEN = {"sweep": {"task": "notifications.sweep", "schedule": 0.2}}


@pytest.fixture
def held_email(world: World, tell: Tell) -> Delivery:
    """An e-mail held by the pupil's quiet hours (all day), which have just ended."""
    pupil = world.student_a1
    pupil.email = "pupil@example.kg"
    pupil.save(update_fields=["email"])
    QuietHours.objects.create(user=pupil, starts=time(0), ends=time(23, 59))
    tell(recipients=[pupil])
    delivery = Delivery.objects.get(state=DeliveryState.PENDING)
    assert mail.outbox == []
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    return delivery


@pytest.fixture
def sweep_often() -> Iterator[None]:
    """The schedule: only the sweep, five times a second."""
    schedule = app.conf.beat_schedule
    app.conf.beat_schedule = SWEEP_NOW_AND_THEN
    yield
    app.conf.beat_schedule = schedule


async def _serve_for(seconds: float, *, until_mail: bool) -> list[str]:
    """Start the lifespan, wait (until an e-mail is out, or ``seconds``), stop it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    server = asyncio.create_task(lifespan({"type": "lifespan"}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline and not (until_mail and mail.outbox):
        await asyncio.sleep(0.1)
    await inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(server, 10)
    return sent


def test_the_lifespan_runs_the_schedule_when_there_is_no_beat(
    held_email: Delivery, settings: Any, sweep_often: None
) -> None:
    settings.EMBEDDED_BEAT = True
    sent = run_async(lambda: _serve_for(15, until_mail=True))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert [message.to for message in mail.outbox] == [["pupil@example.kg"]]
    held_email.refresh_from_db()
    assert held_email.state == DeliveryState.SENT


def test_with_a_beat_of_its_own_the_web_process_runs_nothing(
    held_email: Delivery, settings: Any, sweep_often: None
) -> None:
    settings.EMBEDDED_BEAT = False
    sent = run_async(lambda: _serve_for(1.5, until_mail=False))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert mail.outbox == []
    held_email.refresh_from_db()
    assert held_email.state == DeliveryState.PENDING
