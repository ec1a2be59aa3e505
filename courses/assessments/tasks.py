"""Background jobs of assessments: thin wrappers around the services, ids in, idempotent."""

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from courses.assessments import notices, services
from courses.assessments.services.attempts import (
    attempts_expired_submit,
    attempts_ungraded_requeue,
)


@shared_task(
    bind=True,
    name="assessments.attempt_grade",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=20,
)
def attempt_grade(self: Task, *, attempt_id: int) -> None:
    """Grade a submitted attempt. A re-delivery (a worker killed mid-task, a retry) finds it
    graded and changes nothing."""
    services.attempt_autograde(attempt_id=attempt_id)


@shared_task(name="assessments.attempts_expired_submit", acks_late=True)
def attempts_expired_submit_task() -> int:
    """Hand in attempts whose time ran out on a closed phone (every minute, from beat)."""
    return attempts_expired_submit()


@shared_task(name="assessments.attempts_ungraded_requeue", acks_late=True)
def attempts_ungraded_requeue_task() -> int:
    """Ask again for the grading of attempts still ungraded a while after submission."""
    return attempts_ungraded_requeue(
        older_than=timedelta(seconds=settings.GRADING_REQUEUE_AFTER_SECONDS)
    )


@shared_task(name="assessments.due_soon_notify", acks_late=True)
def due_soon_notify() -> int:
    """Tell pupils of work due within a day that they have not handed in."""
    return notices.due_soon_send()


@shared_task(name="assessments.grading_digests", acks_late=True)
def grading_digests() -> int:
    """Each teacher's morning digest of work waiting for marking."""
    return notices.grading_digests_send()
