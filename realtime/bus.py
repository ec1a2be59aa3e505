"""The one way a service tells a live lesson that something happened (ARCHITECTURE: a leaf
any service may call).

``event_append`` gives the event the lesson's next sequence number and stores it in the
caller's transaction; once that commits, the event is published once (Redis pub/sub, or this
process's hub in the embedded default). Each ASGI process holding sockets of the lesson
receives it once and writes the same encoded frame to each of them (``realtime.fanout``).

``user_recheck`` asks every socket of a person, on every process, to check again that the
person may still be there (signed out, deactivated, taken out of the class); it travels on
the channel layer's per-user group."""

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from realtime.models import LessonEvent

log = logging.getLogger(__name__)

# Who a frame is for: everyone, the lesson's staff, or the staff and one person ("u<id>").
TO_ALL = "a"
TO_STAFF = "s"


def audience_of(*, staff_only: bool, to_user_id: int | None) -> str:
    if to_user_id is not None:
        return f"u{to_user_id}"
    return TO_STAFF if staff_only else TO_ALL


def encode(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=str)


def event_frame(*, seq: int, kind: str, at: datetime, data: dict[str, Any]) -> str:
    """The frame every client receives for an event, live or replayed: the same text."""
    return _event_frame(seq, kind, at, encode(data))


def _event_frame(seq: int, kind: str, at: datetime, data: str) -> str:
    """``event_frame`` around data encoded already: ``encode`` of the whole frame, whose
    fields it writes in the same order and with the same separators."""
    return f'{{"seq":{seq},"type":{encode(kind)},"at":{encode(at.isoformat())},"data":{data}}}'


def frame_at(frame: str) -> str:
    """The ``at`` of an event's frame as ``_event_frame`` wrote it ("" for any other text):
    with its number, what tells one event from another that was given the same number (a
    database that lost its last commits, failed over or restored, numbers them again)."""
    start = frame.find(',"at":"')
    if start < 0:
        return ""
    start += 7
    return frame[start : frame.find('"', start)]


def envelope(seq: int, audience: str, frame: str) -> str:
    """What travels between processes: ``seq``, audience and frame, split by newlines (the
    frame is JSON without raw newlines). An ephemeral message has sequence number 0."""
    return f"{seq}\n{audience}\n{frame}"


def envelope_read(message: str) -> tuple[int, str, str]:
    """``envelope``'s parts again; ValueError for a text that is not one."""
    seq, audience, frame = message.split("\n", 2)
    return int(seq), audience, frame


def channel_name(lesson_id: int) -> str:
    """The pub/sub channel of a lesson. Redis pub/sub ignores the database number, so the name
    carries the database's, keeping apart deployments (and test runs) that share a server."""
    database = connection.settings_dict["NAME"]
    return f"{settings.REALTIME_CHANNEL_PREFIX}{database}.lesson.{lesson_id}"


# The lesson's next number: its row is inserted with 1, or its last number is raised by one.
_NEXT_NUMBER = "INSERT INTO realtime_lessonstream (lesson_id, last_seq)"
_NEXT_NUMBER_TAKEN = (
    "ON CONFLICT (lesson_id) DO UPDATE "
    "SET last_seq = realtime_lessonstream.last_seq + 1 RETURNING last_seq"
)


def _next_seq(lesson_id: int) -> int:
    """The lesson's next number. The row stays locked until the transaction ends, so events
    of one lesson commit in the order of their numbers."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_NEXT_NUMBER} VALUES (%s, 1) {_NEXT_NUMBER_TAKEN}", [lesson_id])
        row = cursor.fetchone()
    assert row is not None  # noqa: S101  (RETURNING always gives the row)
    return int(row[0])


def event_append(
    *,
    lesson_id: int,
    kind: str,
    data: dict[str, Any],
    actor_id: int | None = None,
    client_id: str = "",
    staff_only: bool = False,
    to_user_id: int | None = None,
) -> LessonEvent:
    """Store the lesson's next event in the current transaction; publish it after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_append runs inside the transaction that changes the state")
    at = timezone.now()
    event = LessonEvent.objects.create(
        lesson_id=lesson_id,
        seq=_next_seq(lesson_id),
        kind=kind,
        data=data,
        actor_id=actor_id,
        client_id=client_id,
        staff_only=staff_only,
        to_user_id=to_user_id,
        at=at,
    )
    message = envelope(
        event.seq,
        audience_of(staff_only=staff_only, to_user_id=to_user_id),
        event_frame(seq=event.seq, kind=kind, at=at, data=data),
    )
    transaction.on_commit(lambda: publish(lesson_id, message), robust=True)
    return event


@dataclass(frozen=True)
class Guarded:
    """An event to store while ``condition`` holds: an SQL expression and its parameters,
    written by the app that decides (``classrooms.live``)."""

    condition: str
    params: Sequence[Any]
    lesson_id: int
    kind: str
    data: dict[str, Any]
    actor_id: int | None


async def event_append_if(guarded: Guarded, *, client_id: str = "") -> int | None:
    """Store the event in one statement, on the event loop, only while its condition holds,
    and publish it: the check, the next number and the event in one trip to PostgreSQL, with
    no thread and no transaction of the caller's (docs/decisions/0018). For the frequent
    events of a lesson (the teacher's strokes, several a second), whose checks and storage
    were most of the server's work per event in a small class.

    Returns the event's number, or None when nothing was stored: the condition did not hold,
    the sender's id was used already, or the database is not PostgreSQL. The caller then
    takes its ordinary way (a service in a transaction), which says why, answers the resent
    message, or stores the event. The number's row stays locked until the statement commits,
    as in ``event_append``, so a lesson's events still commit in the order of their numbers.
    Raises ``statements.Failed`` when the database fails (and, for ``RETRY_SECONDS`` after a
    failed attempt to connect, answers None without trying: ``realtime.statements``)."""
    from realtime import statements

    if not statements.available():
        return None
    at = timezone.now()
    data = encode(guarded.data)  # once: stored as it is, and the frame's data
    try:
        row = await statements.loop_connection().fetchone(
            f"WITH allowed AS (SELECT 1 WHERE {guarded.condition}), "  # noqa: S608 - ours
            f"number AS ({_NEXT_NUMBER} SELECT %s::bigint, 1 FROM allowed {_NEXT_NUMBER_TAKEN}) "
            "INSERT INTO realtime_lessonevent"
            " (lesson_id, seq, kind, data, staff_only, to_user_id, actor_id, client_id, at) "
            "SELECT %s::bigint, last_seq, %s::text, %s::jsonb, false, NULL, %s::bigint,"
            " %s::text, %s::timestamptz FROM number "
            "RETURNING seq",
            [
                *guarded.params,
                guarded.lesson_id,
                guarded.lesson_id,
                guarded.kind,
                data,
                guarded.actor_id,
                client_id,
                at,
            ],
        )
    except statements.Duplicate:  # the sender's id: a message sent again
        return None
    except statements.Busy:  # the number is held long: wait on a thread
        return None
    except statements.Unavailable:  # connecting failed a moment ago
        return None
    if row is None:
        return None
    seq = int(row[0])
    frame = _event_frame(seq, guarded.kind, at, data)
    await _publish_from_loop(guarded.lesson_id, envelope(seq, TO_ALL, frame))
    return seq


async def _publish_from_loop(lesson_id: int, message: str) -> None:
    from realtime import fanout

    if settings.REDIS_URL:
        if not await fanout.hub().publish(lesson_id, message):
            log.warning("lesson %s: publishing an event failed; processes will catch up", lesson_id)
    else:
        fanout.local_publish(lesson_id, message)


def event_frames(events: Iterable[LessonEvent]) -> list[tuple[int, str, str]]:
    """(seq, audience, frame) of stored events, as ``event_append`` published them."""
    return [
        (
            event.seq,
            audience_of(staff_only=event.staff_only, to_user_id=event.to_user_id),
            event_frame(seq=event.seq, kind=event.kind, at=event.at, data=event.data),
        )
        for event in events
    ]


def publish(lesson_id: int, message: str) -> None:
    """Tell every process holding the lesson's sockets. A lost publication costs only time:
    each process also reads the log's last number every few seconds and catches up."""
    from realtime import fanout  # the hub of this process, for the embedded default

    try:
        if settings.REDIS_URL:
            fanout.redis_client().publish(channel_name(lesson_id), message)
        else:
            fanout.local_publish(lesson_id, message)
    except Exception:
        log.warning("lesson %s: publishing an event failed; processes will catch up", lesson_id)


def user_recheck(user_id: int) -> None:
    """After commit, every socket of the person checks again whether they may stay."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "access.recheck"})
        except Exception:
            log.warning("user %s: the recheck could not be sent", user_id)

    transaction.on_commit(send, robust=True)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


NOTICES_GROUP = "notices"


def notifications_push(batch: dict[str, Any]) -> None:
    """After commit, one channel-layer message carries a batch's new notices (``kind``,
    ``params``, and ``items``, each with its ``user``) to every process; each process hands them
    to its sockets of those people."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(NOTICES_GROUP, {"type": "notices.batch", **batch})
        except Exception:
            count = len(batch.get("items", []))
            log.warning("%s live notices could not be sent; pages will fetch them", count)

    transaction.on_commit(send, robust=True)
