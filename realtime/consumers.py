"""The live lesson socket, ``/ws/lessons/<id>/`` (docs/realtime-protocol.md).

The consumer only carries: it authenticates, asks ``classrooms`` who the person is in the
lesson, sends them the lesson as it is (a snapshot, or the events they missed), then passes
each message they send to the ``classrooms.live`` action it names and answers with an
acknowledgement or an error frame. Events reach the socket through this process's feed of the
lesson (``realtime.fanout``), not through the channel layer; the channel layer carries the
per-person control message that makes every socket of a person check again whether the person
may still be in the lesson (signed out, deactivated, taken out of the class).

Close codes: 4401 not signed in, 4403 not (or no longer) allowed in the lesson, 4404 no such
lesson, 4408 fell too far behind (reconnect and resume), 4409 the log numbered events the
socket has again (reconnect: a snapshot follows), 4410 the lesson was cancelled, 1011
the server failed to let the socket in (try again)."""

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from classrooms import live, live_selectors
from classrooms.models import LiveLesson, LiveLessonState
from classrooms.policies import STAFF_IN_LESSON, LessonRole, lesson_role, lesson_roles
from lms.accounts.models import User
from lms.errors import ApplicationError
from realtime import auth, bus, fanout, protocol
from realtime.models import LessonEvent
from realtime.threads import Batched, db

log = logging.getLogger(__name__)

# A client that missed more events than this gets a snapshot instead. A replay is queued on
# the socket at once, so it stays well under fanout.MAX_QUEUED (or it would be cut off).
REPLAY_LIMIT = 400
BURST = 30  # messages a socket may send at once ...
PER_SECOND = 10.0  # ... and on average
REACTION_SECONDS = 2.0  # one reaction per socket per this long
PRESENCE_DEBOUNCE = 1.0  # seconds: presence and roster go out at most this often per process
SERVER_ERROR = 1011  # the close code of a socket whose join failed on the server's side

_reactions: dict[int, Counter[str]] = {}
_presences: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[int]]" = (
    weakref.WeakKeyDictionary()
)


_tasks: set["asyncio.Task[None]"] = set()  # held here: the loop keeps only weak references


def _open_presences() -> set[int]:
    """The presence intervals of this process's sockets, renewed together every half minute
    (``live.presence_renew``): an interval whose process died stops counting at its last
    renewal."""
    loop = asyncio.get_running_loop()
    ids = _presences.get(loop)
    if ids is None:
        ids = _presences[loop] = set()
        _tasks.add(loop.create_task(_renew_presences(ids)))
    return ids


async def _renew_presences(ids: set[int]) -> None:
    while True:
        await asyncio.sleep(live.PRESENCE_RENEW_SECONDS)
        try:
            await db(live.presence_renew)(presence_ids=sorted(ids))
        except Exception:  # the database is away: renew next time
            log.warning("renewing %s presence intervals failed", len(ids))


fanout.restarted.append(live_selectors.forget_shared_reads)

LAYER_SLOTS = 32  # group changes on the channel layer at once, per process
_layer_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def _layer_slot() -> asyncio.Semaphore:
    """Hundreds of sockets joining (or leaving) at once would each take a Redis connection of
    their own for their group change, and the pool would open hundreds of new ones; a few
    at a time reuse the same connections, and all are done sooner."""
    loop = asyncio.get_running_loop()
    slot = _layer_slots.get(loop)
    if slot is None:
        slot = _layer_slots[loop] = asyncio.Semaphore(LAYER_SLOTS)
    return slot


class LessonConsumer(AsyncWebsocketConsumer):
    user: User
    lesson: LiveLesson
    role: LessonRole
    closing = False
    since_at: str | None = None  # the ``at`` the client gave with ``?since=``
    stamp: str | None = None  # the ``at`` of the event the socket starts from

    async def connect(self) -> None:
        self.subscriber: fanout.Subscriber | None = None
        self.presence_id: int | None = None
        self.joined_group = False
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        # The language of this socket's error messages, for the rest of its task: a task has
        # a context of its own, so this changes nothing for the process's other sockets.
        translation.activate(self._language())
        # In the person's group before anything is checked: a removal or a sign-out that
        # happens while the socket joins still reaches it.
        async with _layer_slot():
            await self.channel_layer.group_add(bus.user_group(user.pk), self.channel_name)
        self.joined_group = True
        self.tokens, self.refilled, self.reacted = float(BURST), time.monotonic(), 0.0
        subscriber = fanout.Subscriber(
            user_id=user.pk, staff=False, send=self._send_text, close=self._cut
        )
        # In the feed before the first frames are read, so that no event falls between them;
        # it holds what arrives until ``start``.
        feed = await fanout.hub().join(self.lesson_id, subscriber)
        self.subscriber = subscriber
        # The last number this process's feed has passed on: every event up to it is in the
        # log, and each later one reaches the subscriber through the feed.
        joined = await _joins((self, self._since(), feed.last_seq))
        if isinstance(joined, int):  # refused: out of the feed, and nothing it sends is read
            fanout.hub().leave(self.lesson_id, subscriber)
            self.subscriber = None
            if joined == fanout.CLOSE_RENUMBERED:
                fanout.hub().verify(self.lesson_id)
            await self.close(code=joined)
            return
        frames, seq = joined
        subscriber.staff = self.role in STAFF_IN_LESSON
        for frame in frames:
            subscriber.push(frame)
        subscriber.start(seq)
        if self.presence_id is not None:
            _open_presences().add(self.presence_id)
        self._presence_changed()

    def _admit(self, signed_in: bool, since: int | None, seq: int) -> tuple[int, int]:
        """The lesson at the number the person starts from, or a close code (and the number)."""
        if not signed_in:
            return 4403, seq
        if since is not None and since > seq:
            # The person saw later events through another process than this one's feed has
            # passed on yet: take the log's number, not a snapshot older than what they have.
            seq = max(seq, live_selectors.last_seq(self.lesson_id))
        found = live_selectors.lesson_stamped_at(self.lesson_id, seq)
        if found is None:
            return 4404, seq
        self.lesson, self.stamp = found
        if seq and self.stamp is None:
            # No event has the feed's last number: the log lost its last commits, and the
            # feed has not noticed yet. ``connect`` closes the socket and has the feed check
            # the log; the client comes back to the log's state.
            return fanout.CLOSE_RENUMBERED, seq
        return 0, seq

    def _language(self) -> str:
        """The language of the person's error messages: their preferred one, or as the page
        chose it for them (the language cookie, then the browser's Accept-Language)."""
        if self.user.preferred_language:
            return str(self.user.preferred_language)
        request = HttpRequest()
        for name, value in self.scope.get("headers", []):
            if name == b"accept-language":
                request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin1")
        request.COOKIES = self.scope.get("cookies", {})
        return translation.get_language_from_request(request)

    def _since(self) -> int | None:
        """``?since=``: the number of the last event the client has. With it, ``&at=``: the
        ``at`` of that event (``_first_frames`` checks it against the log's)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        at = query.get("at")
        self.since_at = at[0][:64] if at else None
        values = query.get("since")
        if not values or not values[0].isdigit():
            return None
        return int(values[0])

    def _first_frames(self, since: int | None, seq: int) -> tuple[list[str], int]:
        """Either the events after ``since`` up to ``seq`` (ending with a ``synced`` frame),
        or, on a first connection or too far behind, a snapshot. A number beyond the log's end
        gets a snapshot: the events that will carry the numbers up to it must not be skipped.
        So does a number the log gave to another event than the client's (its ``at`` is not
        the one the client sent): the database lost its last commits and numbered new events
        again, and the client holds events the log does not."""
        welcome = {"type": "welcome", "you": {**live.person(self.user), "role": str(self.role)}}
        if since is not None and since <= seq and self._same_event(since):
            events = live_selectors.events_after(
                lesson_id=self.lesson_id,
                after=since,
                user=self.user,
                role=self.role,
                limit=REPLAY_LIMIT,
                upto=seq,
            )
            if events is not None:
                frames = [frame for _seq, _audience, frame in bus.event_frames(events)]
                return [
                    bus.encode(welcome),
                    *frames,
                    bus.encode({"type": "synced", "seq": seq, "at": self.stamp}),
                ], seq
        snapshot = live_selectors.lesson_snapshot_frame(
            lesson=self.lesson, user=self.user, role=self.role, seq=seq
        )
        return [bus.encode(welcome), snapshot], seq

    def _same_event(self, since: int) -> bool:
        """Whether the log's event ``since`` is the client's (clients that send no ``at`` are
        taken at their word, as before it was asked for)."""
        if self.since_at is None or since == 0:
            return True
        return live_selectors.event_stamp(self.lesson_id, since) == self.since_at

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its hop to the shared sync thread before every message
        to close stale database connections: this consumer touches the database only through
        ``realtime.threads.db``, which hands its connections back itself. In a join storm that
        hop queued every socket's handshake behind one thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self.disconnect(message["code"])  # the person's group is left there
        raise StopConsumer()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close once: two rechecks, or a recheck and a cut-off, may both ask, and a server
        refuses a second close frame."""
        if self.closing:
            return
        self.closing = True
        await super().close(code=code, reason=reason)

    async def _send_text(self, text: str) -> None:
        await self.base_send({"type": "websocket.send", "text": text})

    async def _cut(self, code: int) -> None:
        await self.close(code=code)

    async def _frame(self, message: dict[str, Any]) -> None:
        if self.subscriber is not None:
            self.subscriber.push(bus.encode(message))

    async def _error(
        self, client_id: str | None, code: str, message: str, fields: dict[str, Any] | None = None
    ) -> None:
        await self._frame(
            {
                "type": "error",
                "id": client_id,
                "code": code,
                "message": message,
                "fields": fields or {},
            }
        )

    # --- what the client sends ---------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.subscriber is None:
            return
        if not self._take_token():  # every frame counts, whatever it holds
            await self._error(None, "rate_limited", _("Too many messages; slow down."))
            return
        if text_data is None:
            await self._error(None, "binary", _("Send text frames only."))
            return
        if len(text_data) > protocol.MAX_MESSAGE_BYTES or (
            len(text_data.encode()) > protocol.MAX_MESSAGE_BYTES
        ):
            await self._error(None, "too_large", _("A message may be 8 KB at most."))
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error(None, "malformed", _("A message is a JSON object."))
            return
        if not isinstance(message, dict):
            await self._error(None, "malformed", _("A message is a JSON object."))
            return
        try:
            await self._handle(message)
        except Exception:  # never let one message take the socket down
            log.exception("lesson %s: a message failed", self.lesson_id)
            await self._error(None, "server_error", _("Something went wrong; try again."))

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(BURST), self.tokens + (now - self.refilled) * PER_SECOND)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _handle(self, message: dict[str, Any]) -> None:
        envelope = protocol.envelope(message)
        if isinstance(envelope, dict):
            await self._error(
                None, "malformed", _("The message's type or id is not valid."), envelope
            )
            return
        kind, client_id = envelope
        action = protocol.ACTIONS.get(kind)
        if action is None:
            await self._error(client_id, "unknown_type", _("Unknown message type."))
            return
        if self.role not in action.roles:
            await self._error(client_id, "forbidden", _("You may not do that in this lesson."))
            return
        payload = {key: value for key, value in message.items() if key not in ("type", "id")}
        data = action.fast(payload) if action.fast is not None else None
        if data is None:
            schema = action.schema(data=payload)
            if not schema.is_valid():
                errors = schema.errors
                await self._error(client_id, "invalid", _("Some fields are not valid."), errors)
                return
            data = dict(schema.validated_data)
        if client_id is None and kind not in protocol.WITHOUT_ID:
            await self._error(
                None,
                "invalid",
                _("This message needs an id."),
                {"id": [_("Give this message an id.")]},
            )
            return
        if kind == "ping":
            await self._frame({"type": "pong"})
        elif kind == "react":
            self._react(data["emoji"])
        elif kind == "signal":
            await self._error(client_id, "not_available", _("Audio and video are not on yet."))
        else:
            await self._apply(action, kind, client_id or "", data)

    async def _apply(
        self, action: protocol.Action, kind: str, client_id: str, data: dict[str, Any]
    ) -> None:
        guarded = await self._apply_guarded(action, client_id, data)
        try:
            if guarded is not None:
                seq, duplicate = guarded, False
            else:
                seq, duplicate = await db(self._apply_sync)(action, client_id, data)
        except PermissionDenied:
            await self._error(client_id, "forbidden", _("You may not do that in this lesson."))
        except ApplicationError as error:
            await self._error(client_id, error.code, error.message, error.fields)
        else:
            await self._frame({"type": "ack", "id": client_id, "seq": seq, "duplicate": duplicate})

    async def _apply_guarded(
        self, action: protocol.Action, client_id: str, data: dict[str, Any]
    ) -> int | None:
        """The event's number when the action's guarded statement stored it; None when the
        service must decide (refused, sent again, or the statement failed)."""
        if action.guarded is None:
            return None
        try:
            guarded = action.guarded(lesson=self.lesson, by=self.user, **data)
            if guarded is None:
                return None
            return await bus.event_append_if(guarded, client_id=client_id)
        except Exception:  # the database failed here: the service tries again on a thread
            log.warning("lesson %s: a guarded statement failed", self.lesson_id, exc_info=True)
            return None

    def _apply_sync(
        self, action: protocol.Action, client_id: str, data: dict[str, Any]
    ) -> tuple[int | None, bool]:
        """Apply the message once: a resent id gets the first event's number back. The log
        refuses a second event with the same id (a unique constraint), which rolls the resent
        action back; only then, or when the action is refused or changes nothing, is the log
        asked for the first one."""
        assert action.service is not None  # noqa: S101
        try:
            seq = action.service(lesson=self.lesson, by=self.user, client_id=client_id, **data)
        except (IntegrityError, PermissionDenied, ApplicationError):
            earlier = self._earlier(client_id)
            if earlier is None:
                raise
            return earlier, True
        if seq is None:
            earlier = self._earlier(client_id)
            if earlier is not None:
                return earlier, True
        return seq, False

    def _earlier(self, client_id: str) -> int | None:
        if not client_id:
            return None
        return (
            LessonEvent.objects.filter(
                lesson_id=self.lesson_id, actor=self.user, client_id=client_id
            )
            .values_list("seq", flat=True)
            .first()
        )

    # --- reactions and presence: not stored, the latest figure wins ---------------------------
    def _react(self, emoji: str) -> None:
        now = time.monotonic()
        if now - self.reacted < REACTION_SECONDS:
            return
        self.reacted = now
        _reactions.setdefault(self.lesson_id, Counter())[emoji] += 1
        fanout.hub().later(self.lesson_id, "reactions", 1.0, self._reactions_send)

    async def _reactions_send(self) -> None:
        counts = _reactions.pop(self.lesson_id, None)
        if counts:
            frame = bus.encode({"type": "reactions", "counts": dict(counts)})
            await fanout.hub().publish(self.lesson_id, bus.envelope(0, bus.TO_ALL, frame))

    def _presence_changed(self) -> None:
        fanout.hub().later(self.lesson_id, "presence", PRESENCE_DEBOUNCE, self._presence_send)

    async def _presence_send(self) -> None:
        count, upto, roster = await db(live_selectors.presence_now)(self.lesson)
        hub = fanout.hub()
        present = bus.encode({"type": "presence", "count": count})
        await hub.publish(self.lesson_id, bus.envelope(0, bus.TO_ALL, present))
        people = bus.encode({"type": "roster", "upto": upto, "students": roster})
        await hub.publish(self.lesson_id, bus.envelope(0, bus.TO_STAFF, people))

    # --- leaving ------------------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Whatever ends the consumer (a closed socket, or an error such as the channel layer
        losing Redis), the socket leaves its feed and its presence interval is closed."""
        try:
            await self._serve(scope, receive, send)
        finally:
            await self._leave()

    async def _serve(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``AsyncConsumer.__call__``, without its task and ``asyncio.wait`` for
        every message the socket sends: the socket's messages are read here, and the channel
        layer's (a handful in a lesson) by a task of their own. One message is handled at a
        time, from either, as in Channels. When the channel layer fails, the socket is closed
        as the server closes it after an error (1011), and its client comes back."""
        self.scope = scope
        self.base_send = send
        self.lesson_id = int(scope["url_route"]["kwargs"]["lesson_id"])
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.dispatching = asyncio.Lock()
        control: asyncio.Task[None] | None = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            control = asyncio.get_running_loop().create_task(self._control())
        try:
            while True:
                message = await receive()
                async with self.dispatching:
                    await self.dispatch(message)
        except StopConsumer:
            pass
        finally:
            if control is not None:
                control.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await control

    async def _control(self) -> None:
        """The channel layer's messages. If the layer fails, or a recheck cannot be made
        (the database away), the socket is closed: a socket that cannot be cut off must not
        stay open."""
        try:
            while True:
                message = await self.channel_layer.receive(self.channel_name)
                async with self.dispatching:
                    await self.dispatch(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning(
                "lesson %s: the channel layer, or a control message from it, failed",
                self.lesson_id,
                exc_info=True,
            )
            async with self.dispatching:
                with contextlib.suppress(Exception):  # the socket may be gone already
                    await self.close(code=SERVER_ERROR)

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        if getattr(self, "subscriber", None) is not None:
            assert self.subscriber is not None  # noqa: S101
            fanout.hub().leave(self.lesson_id, self.subscriber)
            self.subscriber = None
            self._presence_changed()
        if getattr(self, "presence_id", None) is not None:
            presence_id, self.presence_id = self.presence_id, None
            _open_presences().discard(presence_id)
            await db(live.presence_close)(presence_id=presence_id)
        if getattr(self, "joined_group", False):
            self.joined_group = False
            try:
                async with _layer_slot():
                    await self.channel_layer.group_discard(
                        bus.user_group(self.user.pk), self.channel_name
                    )
            except Exception:  # the group entry expires by itself
                log.warning("lesson %s: leaving the person's group failed", self.lesson_id)

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """Sent to every socket of a person: still signed in, active, and in the lesson?"""
        if not await db(self._still_allowed)():
            await self.close(code=4403)

    def _still_allowed(self) -> bool:
        if not self._still_signed_in():
            return False
        user = User.objects.get(pk=self.user.pk)
        lesson = LiveLesson.objects.select_related("cohort").get(pk=self.lesson_id)
        return lesson_role(user, lesson) is not None

    def _still_signed_in(self) -> bool:
        return auth.still_signed_in([(self.scope, self.user.pk)])[0]


Joined = tuple[list[str], int] | int  # the first frames and their number, or a close code
Joining = tuple[LessonConsumer, int | None, int]  # the socket, ``since``, the feed's number


def _join_all(joins: list[Joining]) -> list[Joined]:
    """One trip to the database for the sockets that join at the same moment: may each person
    be in the lesson, and what they see first (a close code for those who may not). A query
    serves all of them where it can: the sign-ins checked again (a person may have signed out
    between the handshake and joining their group), the pupils' places in the class, the
    presences opened."""
    signed_in = auth.still_signed_in(
        [(consumer.scope, consumer.user.pk) for consumer, _s, _n in joins]
    )
    answers: list[Joined] = [0] * len(joins)
    starts: dict[int, int] = {}
    admitted: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (consumer, since, seq) in enumerate(joins):
        admit = _safely(consumer, consumer._admit, signed_in[index], since, seq)
        code, starts[index] = admit if admit is not None else (SERVER_ERROR, seq)
        if code:
            answers[index] = code
        else:
            admitted[(consumer.lesson_id, starts[index])].append(index)
    for indexes in admitted.values():
        lesson = joins[indexes[0]][0].lesson
        roles = lesson_roles([joins[index][0].user for index in indexes], lesson)
        entering = []
        for index, role in zip(indexes, roles, strict=True):
            consumer = joins[index][0]
            if role is None:
                answers[index] = 4403
            elif consumer.lesson.state == LiveLessonState.CANCELLED:
                answers[index] = 4410
            else:
                consumer.role = role
                entering.append(index)
        users = [joins[index][0].user for index in entering]
        presences = live.presence_open_many(lesson=lesson, users=users) if users else []
        for index, presence in zip(entering, presences, strict=True):
            # Each socket holds its presence before anything else can fail: it closes when
            # the socket leaves, whatever happens next.
            joins[index][0].presence_id = presence.pk
        for index in entering:
            consumer, since, _seq = joins[index]
            first = _safely(consumer, consumer._first_frames, since, starts[index])
            answers[index] = first if first is not None else SERVER_ERROR
    return answers


def _safely(consumer: LessonConsumer, step: Callable[..., Any], *args: Any) -> Any:
    """A step of one socket's own join, or None when it failed: that socket alone is closed
    (``SERVER_ERROR``) and reconnects. (A step done for the whole batch that fails, say the
    database gone away, fails every socket of the batch.)"""
    try:
        return step(*args)
    except Exception:
        log.exception("lesson %s: a socket failed to join", consumer.lesson_id)
        return None


# Hundreds of pupils joining at once are let in a batch at a time.
_joins: Batched[Joining, Joined] = Batched(_join_all)
