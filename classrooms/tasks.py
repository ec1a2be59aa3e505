"""Thin Celery tasks of classrooms."""

from celery import shared_task

from classrooms import notices


@shared_task(name="classrooms.live_lesson_reminders", acks_late=True)
def live_lesson_reminders() -> int:
    return notices.reminders_send()
