"""Thin Celery tasks around the notification services: ids in, idempotent."""

import time

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from lms.notifications import services

DATABASE_HICCUPS = (OperationalError, InterfaceError)
FAN_OUT_SECONDS = 5.0


@shared_task(
    bind=True,
    name="notifications.dispatch_fan_out",
    acks_late=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=True,
    max_retries=8,
)
def dispatch_fan_out(self: Task, *, dispatch_id: int) -> None:
    """Batch after batch, each committed on its own, for up to ``FAN_OUT_SECONDS``; then the
    rest as a new task (a worker is never held long). Each batch's e-mail and SMS are queued as
    it commits, so on a busy worker everyone's in-app notice comes before them."""
    deadline = time.monotonic() + FAN_OUT_SECONDS
    while services.dispatch_batch_deliver(dispatch_id=dispatch_id):
        if time.monotonic() > deadline:
            dispatch_fan_out.delay(dispatch_id=dispatch_id)
            return


@shared_task(
    bind=True,
    name="notifications.deliveries_send",
    acks_late=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=True,
    max_retries=8,
)
def deliveries_send(self: Task, *, delivery_ids: list[int]) -> None:
    retry_in = services.deliveries_send(delivery_ids=delivery_ids)
    if retry_in is not None:
        # The failed ones are due again then; the sweep would find them too, a little later.
        deliveries_send.apply_async(kwargs={"delivery_ids": delivery_ids}, countdown=retry_in)


@shared_task(name="notifications.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    return services.sweep()
