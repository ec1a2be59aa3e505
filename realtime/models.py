"""The event log of live lessons: every change of a lesson's state, numbered 1, 2, 3, ... per
lesson and stored before anyone is told of it. A client that comes back asks for the events
after the last number it saw."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class LessonStream(models.Model):
    """The last sequence number given out for a lesson. Taking the next one locks this row
    until the transaction ends, so a lesson's events are committed in the order of their
    numbers."""

    lesson = models.OneToOneField(
        "classrooms.LiveLesson", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lesson_id}: {self.last_seq}"


class LessonEvent(models.Model):
    """One event of a lesson. ``staff_only`` events go to the teacher, the facilitators and
    observers; ``to_user`` events go to the staff and to that person; the rest to everyone.
    ``client_id`` is the id the sender gave its message: a message sent twice is applied once."""

    lesson = models.ForeignKey(
        "classrooms.LiveLesson", on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    staff_only = models.BooleanField(default=False)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ("lesson", "seq")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("lesson", "seq"), name="event_seq_unique"),
            models.UniqueConstraint(
                fields=("lesson", "actor", "client_id"),
                condition=~Q(client_id=""),
                name="event_client_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}#{self.seq} {self.kind}"
