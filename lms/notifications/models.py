"""Notifications: what happened, who is told, and how each message travelled.

A ``Dispatch`` is one call of ``notify``: the kind, its parameters (the facts the texts are
written from, in each recipient's language when shown or sent) and the recipients. Workers turn
it into a ``Notification`` per recipient (the in-app list) and a ``Delivery`` per recipient and
outside channel (e-mail, SMS), in batches. A recipient gets a dedupe key's notification once,
whatever repeats upstream: the database refuses a second one.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled in a class")
    LESSON_SCHEDULED = "lesson_scheduled", _("Live lesson scheduled")
    LESSON_MOVED = "lesson_moved", _("Live lesson moved")
    LESSON_CANCELLED = "lesson_cancelled", _("Live lesson cancelled")
    LESSON_STARTING = "lesson_starting", _("Live lesson starts in 15 minutes")
    DUE_SOON = "due_soon", _("Work due within a day")
    GRADE_PUBLISHED = "grade_published", _("Grade published")
    GRADING_DIGEST = "grading_digest", _("Daily digest of work to grade")
    IMPORT_FINISHED = "import_finished", _("CSV import finished")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Dispatch(models.Model):
    kind = models.CharField(max_length=32, choices=Kind.choices)
    params = models.JSONField(default=dict)
    recipient_ids = models.JSONField(default=list)
    dedupe_key = models.CharField(max_length=200, blank=True)
    # At most one dispatch of the key (a periodic job asking again, perhaps from two beats).
    once = models.BooleanField(default=False)
    # How many of ``recipient_ids`` have been handled: a batch and its step forward commit
    # together, so a worker killed mid-batch leaves the batch to be done again, whole.
    cursor = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the last batch handled
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=Q(once=True), name="dispatch_once_per_key"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["dedupe_key"], name="dispatch_dedupe_key"),
            models.Index(
                fields=["updated_at"], condition=Q(finished_at__isnull=True), name="dispatch_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {len(self.recipient_ids)}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=200, blank=True)
    # False when the person chose not to see this kind in the app: the row still carries the
    # e-mail or SMS they chose, and the dedupe key.
    in_app = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True, in_app=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    address = models.CharField(max_length=254)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before: quiet hours, or the backoff after a failed attempt.
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["due_at"], condition=Q(state="pending"), name="delivery_pending_due"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(state="sending"), name="delivery_sending"
            ),
            models.Index(
                fields=["channel", "provider_id"],
                condition=~Q(provider_id=""),
                name="delivery_provider_id",
            ),
            models.Index(
                fields=["-updated_at"], condition=Q(state="failed"), name="delivery_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address}: {self.state}"


class Preference(models.Model):
    """A person's channels for one kind; without a row, the kind's defaults apply."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    in_app = models.BooleanField()
    email = models.BooleanField()
    sms = models.BooleanField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class QuietHours(models.Model):
    """Hours in the person's own time zone when only in-app notices arrive. ``starts`` after
    ``ends`` spans midnight (22:00 to 07:00)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(starts=models.F("ends")), name="quiet_hours_span"),
        ]

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"
