"""The live lesson's wire protocol: what a client may send, the schema of each message, who
may send it, and the action it asks of ``classrooms.live`` (docs/realtime-protocol.md).

Every client message is a JSON object with ``type`` and, for those that change the lesson,
an ``id`` of the client's choosing (1 to 64 characters, unique per sender): a message sent
again with the same id is applied once. The role table here only refuses early what the
services refuse anyway; the services decide."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from classrooms import live
from classrooms.policies import LessonRole
from realtime import bus

MAX_MESSAGE_BYTES = 8 * 1024
REACTIONS = ("👍", "👏", "❤️", "😮", "❓", "🙂")

T, F, S = LessonRole.TEACHER, LessonRole.FACILITATOR, LessonRole.STUDENT


ID_PATTERN = r"[A-Za-z0-9._:-]{1,64}"
_ID = re.compile(ID_PATTERN)


class Envelope(serializers.Serializer[Any]):
    type = serializers.CharField(max_length=40)
    id = serializers.RegexField(f"^{ID_PATTERN}$", required=False)


def envelope(message: dict[str, Any]) -> tuple[str, str | None] | dict[str, Any]:
    """The message's type and id, or the envelope's field errors. A well-formed envelope (a
    known type, an id of the allowed characters or none) is read as it is: it is what nearly
    every message is, and DRF would spend a tenth of a millisecond on it. Anything else goes
    through ``Envelope``, whose answer (and error messages) it is."""
    kind, client_id = message.get("type"), message.get("id")
    if type(kind) is str and kind in ACTIONS:
        if "id" not in message:
            return kind, None
        if type(client_id) is str and _ID.fullmatch(client_id):
            return kind, client_id
    checked = Envelope(data=message)
    if not checked.is_valid():
        return dict(checked.errors)
    return checked.validated_data["type"], checked.validated_data.get("id")


class Empty(serializers.Serializer[Any]):
    pass


class SlideShow(serializers.Serializer[Any]):
    position = serializers.IntegerField(min_value=0, max_value=999)


class PollOpen(serializers.Serializer[Any]):
    question = serializers.CharField(max_length=300, trim_whitespace=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True, trim_whitespace=False),
        min_length=2,
        max_length=10,
    )
    multiple = serializers.BooleanField(default=False)


class PollRef(serializers.Serializer[Any]):
    poll_id = serializers.IntegerField(min_value=1)


class PollAnswer(PollRef):
    choices = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=9), min_length=1, max_length=10
    )


class HandLower(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(min_value=1, required=False)


class ChatText(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=2000, trim_whitespace=False)


class ChatDelete(serializers.Serializer[Any]):
    message_id = serializers.IntegerField(min_value=1)


class ChatMute(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(min_value=1)
    muted = serializers.BooleanField()


class CheckInStudent(serializers.Serializer[Any]):
    student_id = serializers.IntegerField(min_value=1)
    # which of the facilitator's classrooms (needed only by one who runs several)
    room_id = serializers.IntegerField(min_value=1, required=False)


class RelayQuestion(ChatText):
    room_id = serializers.IntegerField(min_value=1, required=False)


class CheckInCode(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=20)


class Strokes(serializers.Field):
    """The strokes of one ``board.strokes`` batch, checked in one pass. A batch may hold
    25,000 numbers and comes several times a second; DRF's nested fields would spend some
    microseconds on each number. Colours are ``#rrggbb``, widths 1 to 40, points pairs of
    whole numbers on the board (``classrooms.live`` checks the same again)."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list) or not 1 <= len(data) <= live.MAX_STROKES:
            raise serializers.ValidationError(_("Send from 1 to 50 strokes at a time."))
        strokes = _strokes_value(data)
        if strokes is None:
            raise serializers.ValidationError(_("A stroke is not valid."))
        return strokes


def _strokes_value(data: list[Any]) -> list[dict[str, Any]] | None:
    for stroke in data:
        if not _stroke_valid(stroke):
            return None
    return [
        {"color": stroke["color"], "width": stroke["width"], "points": stroke["points"]}
        for stroke in data
    ]


def _board_strokes_fast(payload: dict[str, Any]) -> dict[str, Any] | None:
    """``BoardStrokes``' answer for a well-formed batch, without building the serializer (its
    copy of its fields cost more than checking the strokes); None for anything else, which
    the serializer then checks and explains."""
    if payload.keys() != {"strokes"}:
        return None
    data = payload["strokes"]
    if not isinstance(data, list) or not 1 <= len(data) <= live.MAX_STROKES:
        return None
    strokes = _strokes_value(data)
    return None if strokes is None else {"strokes": strokes}


def _stroke_valid(stroke: Any) -> bool:
    if not isinstance(stroke, dict):
        return False
    color, width, points = stroke.get("color"), stroke.get("width"), stroke.get("points")
    return (
        isinstance(color, str)
        and live.COLOUR.match(color) is not None
        and type(width) is int
        and 1 <= width <= live.MAX_WIDTH
        and isinstance(points, list)
        and 1 <= len(points) <= live.MAX_POINTS
        and all(
            type(point) is list
            and len(point) == 2
            and type(point[0]) is int
            and type(point[1]) is int
            and 0 <= point[0] <= live.BOARD_SIZE
            and 0 <= point[1] <= live.BOARD_SIZE
            for point in points
        )
    )


class BoardStrokes(serializers.Serializer[Any]):
    strokes = Strokes()


class React(serializers.Serializer[Any]):
    emoji = serializers.ChoiceField(choices=REACTIONS)


class Signal(serializers.Serializer[Any]):
    """Reserved for WebRTC signalling (offer, answer, ICE candidate) in a later version."""

    to = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=("offer", "answer", "candidate"))
    payload = serializers.JSONField()


@dataclass(frozen=True)
class Action:
    schema: type[serializers.Serializer[Any]]
    roles: frozenset[LessonRole]
    service: Callable[..., int | None] | None  # None: handled by the consumer itself
    # The action as one guarded statement, tried first (``bus.event_append_if``); the
    # service decides whatever that does not store.
    guarded: Callable[..., bus.Guarded | None] | None = None
    # The schema's validated data for the usual well-formed message, or None: the schema
    # decides (for a message sent several times a second, whose serializer cost the most).
    fast: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None


def _action(
    schema: type[serializers.Serializer[Any]],
    roles: set[LessonRole],
    service: Callable[..., int | None] | None,
    guarded: Callable[..., bus.Guarded | None] | None = None,
    fast: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Action:
    return Action(schema, frozenset(roles), service, guarded, fast)


ACTIONS: dict[str, Action] = {
    "lesson.start": _action(Empty, {T}, live.lesson_start),
    "lesson.end": _action(Empty, {T}, live.lesson_end),
    "slide.show": _action(SlideShow, {T}, live.slide_show),
    "poll.open": _action(PollOpen, {T}, live.poll_open),
    "poll.answer": _action(PollAnswer, {S}, live.poll_answer),
    "poll.close": _action(PollRef, {T}, live.poll_close),
    "poll.share": _action(PollRef, {T}, live.poll_share),
    "hand.raise": _action(Empty, {S}, live.hand_raise),
    "hand.lower": _action(HandLower, {S, T, F}, live.hand_lower),
    "chat.send": _action(ChatText, {S, T, F}, live.chat_send),
    "chat.delete": _action(ChatDelete, {T}, live.chat_delete),
    "chat.mute": _action(ChatMute, {T}, live.chat_mute),
    "question.relay": _action(RelayQuestion, {F}, live.question_relay),
    "checkin": _action(CheckInStudent, {F}, live.check_in),
    "checkin.code": _action(CheckInCode, {S}, live.check_in_by_code),
    "board.strokes": _action(
        BoardStrokes,
        {T},
        live.board_strokes,
        guarded=live.board_strokes_guarded,
        fast=_board_strokes_fast,
    ),
    "board.clear": _action(Empty, {T}, live.board_clear),
    # Not stored, not numbered: counted per second and passed on (consumers).
    "react": _action(React, {S, F}, None),
    # Needs no id: keeps the link open through proxies that close quiet sockets.
    "ping": _action(Empty, {T, F, S, LessonRole.OBSERVER}, None),
    # Reserved: audio and video come later; refused with "not_available" for now.
    "signal": _action(Signal, {T, F, S}, None),
}

# Messages a client may send without an id (they change nothing that must not happen twice).
WITHOUT_ID = frozenset({"ping", "react", "signal"})
