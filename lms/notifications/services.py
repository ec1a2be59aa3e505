"""Notifications: record, fan out, deliver.

``notify`` is the one door every app uses. It never sends: it records a ``Dispatch`` in the
caller's transaction and, once that commits, asks a worker to fan it out. The fan-out works in
batches of recipients (``NOTIFICATIONS_BATCH_SIZE``): one transaction writes the batch's
in-app notifications and outside deliveries with bulk inserts and moves the dispatch's cursor;
after commit, one channel-layer message carries the batch's live notices and one task per
channel sends its e-mails or SMS. A recipient gets a dedupe key's notification once: the
database refuses a second (a scheduler that fired twice, a task delivered twice).

Outside deliveries wait for the end of the recipient's quiet hours. A failed attempt is tried
again after a growing pause (``NOTIFICATIONS_RETRY_BASE_SECONDS``, times 4 each time) until
``NOTIFICATIONS_MAX_ATTEMPTS``; then the delivery is failed, with its error, for an
administrator to see and send again. A worker killed while sending leaves its deliveries
"sending"; after ``NOTIFICATIONS_SENDING_TIMEOUT`` they are sent again (at least once: the
message may have gone out just before the worker died).
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import LANGUAGE_CODES, User
from lms.errors import ApplicationError
from lms.notifications import kinds, policies, selectors, senders
from lms.notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Dispatch,
    Kind,
    Notification,
    Preference,
    QuietHours,
)
from realtime import bus

log = logging.getLogger(__name__)
SEND_CHUNK = 250  # deliveries per sending task
SENT_FLUSH = 10  # messages sent before they are marked sent, in one commit
CLAIM_RENEWAL = 0.1  # of the sending timeout: a claim older is renewed at the next flush


# --- recording ----------------------------------------------------------------------------------
def notify(
    *,
    kind: Kind | str,
    recipients: Iterable[int | User],
    params: dict[str, Any],
    dedupe_key: str = "",
    once: bool = False,
) -> Dispatch | None:
    """Tell people that something happened; delivered by workers after the caller's
    transaction commits (nothing, if it rolls back). ``dedupe_key``: each recipient gets the
    key's notification once. ``once``: nothing is recorded when a dispatch with the key exists
    (a periodic job asking again)."""
    kind = Kind(kind)
    ids = sorted({person if isinstance(person, int) else person.pk for person in recipients})
    if not ids:
        return None
    once = once and bool(dedupe_key)
    if once and selectors.dispatched(dedupe_key=dedupe_key):
        return None
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                kind=kind, params=params, recipient_ids=ids, dedupe_key=dedupe_key, once=once
            )
    except IntegrityError:  # another run of the job recorded it a moment ago
        return None
    transaction.on_commit(lambda: _fan_out_later(dispatch.pk), robust=True)
    return dispatch


def _fan_out_later(dispatch_id: int) -> None:
    from lms.notifications import tasks  # tasks call services: import at use

    tasks.dispatch_fan_out.delay(dispatch_id=dispatch_id)


# --- the reader ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reader:
    """What the fan-out needs of a recipient."""

    pk: int
    email: str
    phone: str
    language: str
    zone: str


def language_of(preferred: str, school_languages: Sequence[str] | None) -> str:
    """The person's language, else their school's first language of instruction that the
    interface has, else the site's."""
    if preferred in LANGUAGE_CODES:
        return preferred
    for code in school_languages or ():
        if code in LANGUAGE_CODES:
            return str(code)
    return str(settings.LANGUAGE_CODE)


def _readers(ids: Sequence[int]) -> list[Reader]:
    rows = User.objects.filter(pk__in=ids, is_active=True).values_list(
        "pk", "email", "phone", "preferred_language", "school__languages", "time_zone"
    )
    return [
        Reader(pk, email or "", str(phone or ""), language_of(preferred, languages), zone)
        for pk, email, phone, preferred, languages, zone in rows
    ]


def quiet_until(now: datetime, zone: str, starts: time, ends: time) -> datetime | None:
    """When the quiet hours around ``now`` end, in the person's zone; None outside them."""
    local = now.astimezone(ZoneInfo(zone))
    moment = local.time()
    if starts < ends:
        inside = starts <= moment < ends
        end_day = local.date()
    else:  # across midnight
        inside = moment >= starts or moment < ends
        end_day = local.date() + timedelta(days=1 if moment >= starts else 0)
    if not inside:
        return None
    return datetime.combine(end_day, ends, tzinfo=ZoneInfo(zone))


# --- fan-out ------------------------------------------------------------------------------------
@transaction.atomic
def dispatch_batch_deliver(*, dispatch_id: int, size: int | None = None) -> bool:
    """Handle the next batch of a dispatch's recipients; True while some remain. Two workers
    given the same dispatch take turns on its row, and each starts where the other stopped."""
    size = size or settings.NOTIFICATIONS_BATCH_SIZE
    dispatch = Dispatch.objects.select_for_update().filter(pk=dispatch_id).first()
    if dispatch is None or dispatch.finished_at is not None:
        return False
    ids = dispatch.recipient_ids[dispatch.cursor : dispatch.cursor + size]
    now = timezone.now()
    readers = _readers(ids)
    preferences = {
        row.user_id: row for row in Preference.objects.filter(user_id__in=ids, kind=dispatch.kind)
    }
    quiet = {row.user_id: row for row in QuietHours.objects.filter(user_id__in=ids)}
    chosen = {
        reader.pk: kinds.channels_of(dispatch.kind, preferences.get(reader.pk))
        for reader in readers
    }
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=reader.pk,
                dispatch=dispatch,
                kind=dispatch.kind,
                dedupe_key=dispatch.dedupe_key,
                in_app=Channel.IN_APP in chosen[reader.pk],
            )
            for reader in readers
            if chosen[reader.pk]
        ],
        ignore_conflicts=True,  # this key's notice reached them already
    )
    # Only this transaction writes this dispatch's rows for these people (the row lock).
    created = dict(
        Notification.objects.filter(dispatch=dispatch, recipient_id__in=ids).values_list(
            "recipient_id", "pk"
        )
    )
    deliveries = []
    for reader in readers:
        if reader.pk not in created:
            continue
        hours = quiet.get(reader.pk)
        due = (quiet_until(now, reader.zone, hours.starts, hours.ends) if hours else None) or now
        for channel, address in ((Channel.EMAIL, reader.email), (Channel.SMS, reader.phone)):
            if channel in chosen[reader.pk] and address:
                deliveries.append(
                    Delivery(
                        notification_id=created[reader.pk],
                        channel=channel,
                        address=address,
                        due_at=due,
                    )
                )
    Delivery.objects.bulk_create(deliveries)
    dispatch.cursor += len(ids)
    more = dispatch.cursor < len(dispatch.recipient_ids)
    if not more:
        dispatch.finished_at = now
    dispatch.save(update_fields=["cursor", "finished_at", "updated_at"])

    live = [
        reader for reader in readers if reader.pk in created and Channel.IN_APP in chosen[reader.pk]
    ]
    if live:
        bus.notifications_push(_live_batch(dispatch, live, created))
    due_now: dict[str, list[int]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.due_at <= now:
            due_now[delivery.channel].append(delivery.pk)
    if due_now:
        transaction.on_commit(lambda: _send_later(due_now), robust=True)
    return more


def _live_batch(
    dispatch: Dispatch, readers: list[Reader], created: dict[int, int]
) -> dict[str, Any]:
    """The batch's live notices: the facts once, and each person's notice and language. Each
    page writes the title in its own language (realtime.notices), the person's when it has
    none."""
    return {
        "kind": dispatch.kind,
        "params": dispatch.params,
        "items": [
            {"user": reader.pk, "id": created[reader.pk], "language": reader.language}
            for reader in readers
        ],
    }


def _send_later(by_channel: dict[str, list[int]]) -> None:
    from lms.notifications import tasks

    for ids in by_channel.values():
        for start in range(0, len(ids), SEND_CHUNK):
            tasks.deliveries_send.delay(delivery_ids=ids[start : start + SEND_CHUNK])


# --- sending ------------------------------------------------------------------------------------
def backoff(attempts: int) -> timedelta:
    seconds = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


_SENDING_READS = (
    "channel",
    "address",
    "attempts",
    "notification__dispatch__kind",
    "notification__dispatch__params",
    "notification__recipient__preferred_language",
    "notification__recipient__time_zone",
    "notification__recipient__school__languages",
)


def _claim(ids: Sequence[int], now: datetime) -> list[Delivery]:
    with transaction.atomic():
        mine = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, state=DeliveryState.PENDING, due_at__lte=now)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=mine).update(
            state=DeliveryState.SENDING, attempts=F("attempts") + 1, claimed_at=now
        )
    return list(
        Delivery.objects.filter(pk__in=mine)
        .select_related("notification__dispatch", "notification__recipient__school")
        # What writing and sending read, no more: the dispatch's recipient_ids alone is 30 KB
        # at 5,000, and every column more is parsed for each of the batch's deliveries.
        .only(*_SENDING_READS)
        .order_by("pk")
    )


def _written(
    delivery: Delivery, cache: dict[tuple[int, str, str, str], kinds.Texts]
) -> kinds.Texts:
    """The delivery's texts in its reader's language and zone, written once per dispatch,
    language, zone and channel in a batch."""
    person = delivery.notification.recipient
    school_languages = person.school.languages if person.school else None
    language = language_of(person.preferred_language, school_languages)
    key = (delivery.notification.dispatch_id, language, person.time_zone, delivery.channel)
    if key not in cache:
        cache[key] = _write(delivery, language)
    return cache[key]


def _write(delivery: Delivery, language: str) -> kinds.Texts:
    person = delivery.notification.recipient
    dispatch = delivery.notification.dispatch
    with translation.override(language):
        texts = kinds.texts(dispatch.kind, dispatch.params, ZoneInfo(person.time_zone))
        if delivery.channel == Channel.EMAIL:
            link = dispatch.params.get("link")
            lines = [texts.body]
            if link:
                lines += ["", settings.SITE_URL.rstrip("/") + link]
            lines += [
                "",
                "--",
                _("Choose which notices reach you, and how: %(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + "/notifications/settings/"},
            ]
            return kinds.Texts(texts.title, "\n".join(lines), texts.sms)
        return texts


def deliveries_send(*, delivery_ids: Sequence[int]) -> float | None:
    """Send the deliveries that are due and waiting; each goes out once per claim. Returns
    the seconds until the soonest retry, when some failed for now."""
    now = timezone.now()
    claimed = _claim(delivery_ids, now)
    if not claimed:
        return None
    outcomes = _Outcomes(claimed, claimed_at=now)
    written: dict[tuple[int, str, str, str], kinds.Texts] = {}
    try:
        emails = [delivery for delivery in claimed if delivery.channel == Channel.EMAIL]
        if emails:
            with senders.EmailSession() as session:
                for delivery in emails:
                    texts = _written(delivery, written)
                    email = senders.Email(
                        delivery.address, texts.title, texts.body, str(delivery.pk)
                    )
                    outcomes.record(delivery, partial(_email_send, session, email))
        smses = [delivery for delivery in claimed if delivery.channel == Channel.SMS]
        if smses:
            backend = senders.sms_backend()
            for delivery in smses:
                encoding, parts = senders.sms_compose(_written(delivery, written).sms)
                sms = senders.Sms(delivery.address, parts, encoding, str(delivery.pk))
                outcomes.record(delivery, partial(backend.send, sms))
    finally:
        outcomes.flush()  # what went out is marked, whatever stopped the rest
    return min(outcomes.retry_in) if outcomes.retry_in else None


def _email_send(session: senders.EmailSession, email: senders.Email) -> str:
    session.send(email)
    return ""


class _Outcomes:
    """Each attempt's outcome, written back. Sent e-mails are marked ``SENT_FLUSH`` at a time
    in one commit (one commit per message was most of a fan-out's time); a worker killed
    before a flush sends at most that many again, after the sending timeout. An SMS is marked
    at once, with the gateway's id, which its delivery report will name. Each flush also
    renews the claim of what the task still holds once it is older than a tenth of the sending
    timeout, so that a slow but working server is not taken for a dead worker (renewing at
    every flush rewrote the rows still waiting each time: a fifth of a fan-out's time)."""

    def __init__(self, claimed: list[Delivery], claimed_at: datetime) -> None:
        self.sent: list[tuple[int, str]] = []
        self.retry_in: list[float] = []
        self.waiting = {delivery.pk for delivery in claimed}
        self.renewed_at = claimed_at

    def record(self, delivery: Delivery, send: Callable[[], str]) -> None:
        self.waiting.discard(delivery.pk)
        try:
            provider_id = send()
        except senders.SendFailed as error:
            self._failed(delivery, error)
            return
        except Exception as error:  # a message that cannot be sent as it is (a bad header...)
            log.exception("delivery %s could not be sent", delivery.pk)
            self._failed(
                delivery, senders.SendFailed(f"{type(error).__name__}: {error}", retry=False)
            )
            return
        self.sent.append((delivery.pk, str(provider_id or "")[:100]))
        if provider_id or len(self.sent) >= SENT_FLUSH:
            self.flush()

    def flush(self) -> None:
        now = timezone.now()
        timeout = timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
        sent = {"state": DeliveryState.SENT, "sent_at": now, "last_error": "", "updated_at": now}
        renew = bool(self.waiting) and now - self.renewed_at > CLAIM_RENEWAL * timeout
        if not self.sent and not renew:
            return
        without_id = [pk for pk, provider_id in self.sent if not provider_id]
        with transaction.atomic():
            _commit_without_waiting_for_the_disk()
            if without_id:
                Delivery.objects.filter(pk__in=without_id).update(provider_id="", **sent)
            for pk, provider_id in self.sent:
                if provider_id:
                    Delivery.objects.filter(pk=pk).update(provider_id=provider_id, **sent)
            if renew:
                Delivery.objects.filter(pk__in=self.waiting, state=DeliveryState.SENDING).update(
                    claimed_at=now
                )
                self.renewed_at = now
        self.sent = []

    def _failed(self, delivery: Delivery, error: senders.SendFailed) -> None:
        error_text = str(error)[:2000]
        now = timezone.now()
        if error.retry and delivery.attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS:
            pause = backoff(delivery.attempts)
            self.retry_in.append(pause.total_seconds())
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.PENDING,
                due_at=now + pause,
                last_error=error_text,
                updated_at=now,
            )
        else:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.FAILED, last_error=error_text, updated_at=now
            )


def _commit_without_waiting_for_the_disk() -> None:
    """The transaction's commit returns before its WAL is flushed to disk (PostgreSQL's
    ``synchronous_commit`` off for this transaction alone; docs/decisions/0015). Waiting for the
    disk at every flush of sent marks was a sixth of a fan-out's time. Only a crash of the
    database server can lose such a commit, the last fraction of a second of them; the
    messages it marked go out again after the sending timeout, as after a killed worker."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def sms_status_update(*, provider_id: str, status: str, error: str = "") -> Delivery:
    """The gateway's report on an SMS it accepted."""
    delivery = Delivery.objects.filter(channel=Channel.SMS, provider_id=provider_id).first()
    if delivery is None:
        raise ApplicationError(
            "not_found",
            _("No SMS has this id."),
            status_code=404,
            fields={"id": [_("Unknown id.")]},
        )
    if status == "delivered":
        delivery.state = DeliveryState.DELIVERED
    else:
        delivery.state = DeliveryState.FAILED
        delivery.last_error = (error or _("The gateway could not deliver the SMS."))[:2000]
    delivery.save(update_fields=["state", "last_error", "updated_at"])
    return delivery


@transaction.atomic
def delivery_resend(*, delivery: Delivery, by: User) -> Delivery:
    """An administrator sends a failed delivery again, with a fresh set of attempts."""
    delivery = (
        Delivery.objects.select_for_update()
        .select_related("notification__recipient")
        .get(pk=delivery.pk)
    )
    if not policies.can_resend(by, delivery):
        raise PermissionDenied
    if delivery.state != DeliveryState.FAILED:
        raise ApplicationError(
            "not_failed", _("Only a failed delivery can be sent again."), status_code=409
        )
    # To the address the person has now: an administrator may have just corrected it.
    person = delivery.notification.recipient
    address = person.email if delivery.channel == Channel.EMAIL else str(person.phone or "")
    if not address:
        raise ApplicationError(
            "no_address",
            _("The person has no address for this channel any more; add one first."),
            status_code=409,
        )
    delivery.address = address
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.due_at = timezone.now()
    delivery.save(update_fields=["address", "state", "attempts", "due_at", "updated_at"])
    pk = delivery.pk
    transaction.on_commit(lambda: _send_later({delivery.channel: [pk]}), robust=True)
    return delivery


def sweep(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """The periodic safety net: sends what is due (quiet hours over, a retry's pause over, a
    task lost), sends again what a killed worker left "sending", and resumes dispatches whose
    fan-out stopped. Safe to run twice at once: every step claims before it acts."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    stuck = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stale)
    stuck.filter(attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS).update(
        state=DeliveryState.FAILED,
        last_error=_("The worker stopped while sending, on every attempt."),
        updated_at=now,
    )
    revived = stuck.update(state=DeliveryState.PENDING, due_at=now, updated_at=now)
    due: dict[str, list[int]] = defaultdict(list)
    for pk, channel in (
        Delivery.objects.filter(state=DeliveryState.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", "channel")[:limit]
    ):
        due[channel].append(pk)
    if due:
        _send_later(due)
    stalled = list(
        Dispatch.objects.filter(
            finished_at__isnull=True,
            updated_at__lt=now - timedelta(seconds=settings.NOTIFICATIONS_DISPATCH_STALL_SECONDS),
        ).values_list("pk", flat=True)[:100]
    )
    for pk in stalled:
        _fan_out_later(pk)
    return {"revived": revived, "due": sum(map(len, due.values())), "resumed": len(stalled)}


# --- the reader's own ---------------------------------------------------------------------------
def notifications_mark_read(
    *, user: User, ids: Sequence[int] | None = None, read: bool = True
) -> int:
    """Mark the person's own notifications read (all of them when ``ids`` is None), or unread."""
    mine = Notification.objects.filter(recipient=user, in_app=True)
    if ids is not None:
        mine = mine.filter(pk__in=ids)
    if read:
        return mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return mine.filter(read_at__isnull=False).update(read_at=None)


@transaction.atomic
def preferences_update(*, user: User, choices: dict[str, dict[str, bool]]) -> None:
    """Set the person's channels for the kinds given; other kinds keep theirs."""
    unknown = sorted(set(choices) - set(Kind.values))
    if unknown:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={kind: [_("Unknown kind of notification.")] for kind in unknown},
        )
    for kind, chosen in choices.items():
        Preference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "in_app": bool(chosen.get("in_app")),
                "email": bool(chosen.get("email")),
                "sms": bool(chosen.get("sms")),
            },
        )


@transaction.atomic
def quiet_hours_set(*, user: User, starts: time | None, ends: time | None) -> QuietHours | None:
    """Set the person's quiet hours, or clear them when both are empty."""
    if starts is None and ends is None:
        QuietHours.objects.filter(user=user).delete()
        return None
    fields: dict[str, list[str]] = {}
    if starts is None:
        fields["starts"] = [_("Give the time quiet hours start.")]
    if ends is None:
        fields["ends"] = [_("Give the time quiet hours end.")]
    if starts is not None and starts == ends:
        fields["ends"] = [_("Quiet hours must end at another time than they start.")]
    if fields or starts is None or ends is None:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=fields)
    hours, _created = QuietHours.objects.update_or_create(
        user=user, defaults={"starts": starts, "ends": ends}
    )
    return hours


@transaction.atomic
def notification_settings_update(
    *,
    user: User,
    choices: dict[str, dict[str, bool]] | None = None,
    quiet_hours: dict[str, time] | Literal["unchanged"] | None = "unchanged",
) -> None:
    """The person's choices in one go: channels per kind, and quiet hours (None clears them;
    left out, they stay). All or nothing."""
    if choices:
        preferences_update(user=user, choices=choices)
    if quiet_hours != "unchanged":
        hours = quiet_hours or {}
        quiet_hours_set(user=user, starts=hours.get("starts"), ends=hours.get("ends"))
