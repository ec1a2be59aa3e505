"""Core Celery tasks."""

from celery import shared_task


@shared_task(name="lms.health_ping")
def health_ping() -> str:
    """A round trip through the broker, a worker and the result backend."""
    return "pong"
