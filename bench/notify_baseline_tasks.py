"""What the workers of bench/notify_fanout.py load besides the app (``celery -A lms worker -I
bench.notify_baseline_tasks``): the baseline's task and the e-mail backend. Nothing in the app
uses them.

The baseline: one Celery task per student, as a first implementation of "notify the class"
would do it.
Each task, for one student: reads the dispatch and the person, creates their ``Notification``
with a single-row insert, writes the texts in their language and zone, and, when they have an
e-mail address, creates the e-mail ``Delivery``, sends the message with Django's ``send_mail``
and marks the delivery sent. It does less than the fan-out (no preferences, quiet hours or live
notices), so it is the cheapest a task per student can be.

The e-mail backend: Django's locmem backend keeps a copy of every message in the process's
``mail.outbox`` for as long as the process lives (about 1.4 KB an e-mail here), which would make
the worker's memory grow with the recipients by the benchmark's own doing. ``RenderOnlyBackend``
renders each message to bytes as the SMTP backend does before it writes them to the socket,
and drops it: sending costs the message's rendering and no I/O.
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from celery import shared_task
from django.core.mail import EmailMessage, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone, translation

from lms.accounts.models import User
from lms.notifications import kinds
from lms.notifications.models import Channel, Delivery, DeliveryState, Dispatch, Notification
from lms.notifications.services import language_of

TASK_NAME = "bench.notify_student"


@shared_task(name=TASK_NAME)
def notify_student(*, dispatch_id: int, recipient_id: int) -> None:
    dispatch = Dispatch.objects.get(pk=dispatch_id)
    person = User.objects.select_related("school").get(pk=recipient_id)
    notification = Notification.objects.create(
        recipient=person, dispatch=dispatch, kind=dispatch.kind, dedupe_key=dispatch.dedupe_key
    )
    school_languages = person.school.languages if person.school else None
    with translation.override(language_of(person.preferred_language, school_languages)):
        texts = kinds.texts(dispatch.kind, dispatch.params, ZoneInfo(person.time_zone))
    if not person.email:
        return
    delivery = Delivery.objects.create(
        notification=notification,
        channel=Channel.EMAIL,
        address=person.email,
        due_at=timezone.now(),
    )
    send_mail(texts.title, texts.body, None, [person.email])
    delivery.state = DeliveryState.SENT
    delivery.sent_at = timezone.now()
    delivery.attempts = 1
    delivery.save(update_fields=["state", "sent_at", "attempts", "updated_at"])


class RenderOnlyBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            message.message().as_bytes(linesep="\r\n")
        return len(email_messages)
