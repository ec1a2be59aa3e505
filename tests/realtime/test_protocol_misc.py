"""What every message shares: the role table, ping, reactions, the reserved ``signal``,
the limits (size, rate, binary frames, slow sockets), the envelope's errors, duplicates,
presence and the roster, and replay on reconnecting."""

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext

from classrooms import live_selectors
from classrooms.live import chat_send, hand_raise, poll_answer, poll_open
from classrooms.models import ChatMessage, Poll
from lms.accounts.models import User
from realtime import consumers, fanout, protocol
from realtime.consumers import LessonConsumer
from realtime.models import LessonEvent, LessonStream
from tests.realtime.conftest import (
    LessonSocket,
    Live,
    joined,
    open_socket,
    run,
    start,
    stored,
    written,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("teacher", "facilitator", "student", "observer")

# Who may send what (docs/realtime-protocol.md): a change here is a change of the protocol.
ROLE_TABLE = {
    "lesson.start": {"teacher"},
    "lesson.end": {"teacher"},
    "slide.show": {"teacher"},
    "poll.open": {"teacher"},
    "poll.answer": {"student"},
    "poll.close": {"teacher"},
    "poll.share": {"teacher"},
    "hand.raise": {"student"},
    "hand.lower": {"student", "teacher", "facilitator"},
    "chat.send": {"student", "teacher", "facilitator"},
    "chat.delete": {"teacher"},
    "chat.mute": {"teacher"},
    "question.relay": {"facilitator"},
    "checkin": {"facilitator"},
    "checkin.code": {"student"},
    "board.strokes": {"teacher"},
    "board.clear": {"teacher"},
    "react": {"student", "facilitator"},
    "ping": {"teacher", "facilitator", "student", "observer"},
    "signal": {"teacher", "facilitator", "student"},
}


def person(live: Live, role: str) -> User:
    return {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }[role]


def samples(live: Live) -> dict[str, dict[str, Any]]:
    """A valid message of each type (valid fields: a refusal is about the sender)."""
    stroke = {"color": "#000000", "width": 3, "points": [[1, 1], [2, 2]]}
    return {
        "lesson.start": {},
        "lesson.end": {},
        "slide.show": {"position": 0},
        "poll.open": {"question": "Ready?", "options": ["Yes", "No"], "multiple": False},
        "poll.answer": {"poll_id": 1, "choices": [0]},
        "poll.close": {"poll_id": 1},
        "poll.share": {"poll_id": 1},
        "hand.raise": {},
        "hand.lower": {"user_id": live.student_x.pk},
        "chat.send": {"text": "Hello"},
        "chat.delete": {"message_id": 2},
        "chat.mute": {"user_id": live.student_x.pk, "muted": True},
        "question.relay": {"text": "From the room"},
        "checkin": {"student_id": live.student_x.pk},
        "checkin.code": {"code": "ABCDEF"},
        "board.strokes": {"strokes": [stroke]},
        "board.clear": {},
        "react": {"emoji": "👍"},
        "ping": {},
        "signal": {"to": live.teacher.pk, "kind": "offer", "payload": {"sdp": "v=0"}},
    }


def test_the_role_table() -> None:
    actions = protocol.ACTIONS.items()
    table = {kind: {str(role) for role in action.roles} for kind, action in actions}
    assert table == ROLE_TABLE
    assert {"ping", "react", "signal"} == protocol.WITHOUT_ID


@pytest.mark.parametrize("role", ROLES)
def test_every_type_outside_a_part_is_forbidden(live: Live, role: str) -> None:
    start(live)
    poll_open(lesson=live.lesson, by=live.teacher, question="?", options=["a", "b"], multiple=False)
    chat_send(lesson=live.lesson, by=live.student_x, text="Hello")
    hand_raise(lesson=live.lesson, by=live.student_x)
    refused = [kind for kind, roles in ROLE_TABLE.items() if role not in roles]
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person(live, role))
        for kind in refused:
            message = {"type": kind, "id": f"x-{kind}", **samples(live)[kind]}
            await socket.send_message(message)
            error = await socket.reply(f"x-{kind}")
            assert (error["type"], error["code"], error["fields"]) == ("error", "forbidden", {})
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize("role", ROLES)
def test_the_services_refuse_what_the_table_refuses(live: Live, role: str) -> None:
    """The table only refuses early: each action's service refuses the same people."""
    start(live)
    before = written(live.lesson.pk)
    for kind, action in protocol.ACTIONS.items():
        if action.service is None or role in ROLE_TABLE[kind]:
            continue
        with pytest.raises(PermissionDenied):
            action.service(lesson=live.lesson, by=person(live, role), **samples(live)[kind])
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize("role", ROLES)
def test_ping_is_answered_with_pong(live: Live, role: str) -> None:
    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person(live, role))
        await socket.send("ping", id=None)
        assert await socket.until("pong") == {"type": "pong"}
        await socket.send("ping", id="p-1")  # an id is allowed, and not echoed
        assert await socket.until("pong") == {"type": "pong"}
        await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == []


async def _reactions(socket: LessonSocket, total: int) -> dict[str, int]:
    """Reactions frames, added up until they hold ``total`` reactions."""
    counts: dict[str, int] = {}
    while sum(counts.values()) < total:
        frame = await socket.until("reactions")
        assert set(frame) == {"type", "counts"}
        for emoji, count in frame["counts"].items():
            counts[emoji] = counts.get(emoji, 0) + count
    return counts


def test_reactions_are_counted_and_sent_to_everyone(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        sockets = {role: (await joined(live.lesson, person(live, role)))[0] for role in ROLES}
        pupil, facilitator = sockets["student"], sockets["facilitator"]
        other, _s = await joined(live.lesson, live.student_x)
        # One reaction per socket every two seconds: the second and third are dropped.
        for emoji in ("👍", "❤️", "❤️"):
            await pupil.send("react", id=None, emoji=emoji)
        await other.send("react", id=None, emoji="👍")
        await facilitator.send("react", id="r-1", emoji="👏")  # an id is allowed
        for socket in (pupil, other, facilitator):
            await socket.drain()  # every reaction sent has been counted (or dropped)
        for socket in (*sockets.values(), other):
            assert await _reactions(socket, 3) == {"👍": 2, "👏": 1}
        assert not consumers._reactions.get(live.lesson.pk)  # nothing more to come
        for socket in (*sockets.values(), other):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started")]  # not stored, not numbered


@pytest.mark.parametrize(
    ("role", "emoji", "code"),
    [
        ("teacher", "👍", "forbidden"),
        ("observer", "👍", "forbidden"),
        ("student", "🍕", "invalid"),
        ("facilitator", None, "invalid"),
    ],
)
def test_reaction_refusals(live: Live, role: str, emoji: str | None, code: str) -> None:
    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person(live, role))
        fields = {} if emoji is None else {"emoji": emoji}
        await socket.send("react", id="r-1", **fields)
        error = await socket.reply("r-1")
        assert error["code"] == code
        if code == "invalid":
            assert list(error["fields"]) == ["emoji"]
        await socket.close()

    run(scenario)
    assert not consumers._reactions.get(live.lesson.pk)


@pytest.mark.parametrize("role", ["teacher", "facilitator", "student"])
def test_signal_is_reserved_and_not_available_yet(live: Live, role: str) -> None:
    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person(live, role))
        message = {"type": "signal", "id": "s-1", **samples(live)["signal"]}
        await socket.send_message(message)
        error = await socket.reply("s-1")
        assert (error["code"], error["fields"]) == ("not_available", {})
        await socket.send_message({**message, "id": None})
        error = await socket.until("error")
        assert (error["code"], list(error["fields"])) == ("malformed", ["id"])  # null is no id
        await socket.send_message({"type": "signal", "to": 1, "kind": "hello", "payload": {}})
        error = await socket.until("error")
        assert (error["code"], list(error["fields"])) == ("invalid", ["kind"])
        await socket.send_message({"type": "signal", **samples(live)["signal"]})
        error = await socket.until("error")
        assert (error["id"], error["code"]) == (None, "not_available")
        await socket.close()

    run(scenario)


def test_an_observer_may_not_signal(live: Live) -> None:
    async def scenario() -> None:
        socket, _s = await joined(live.lesson, live.admin)
        await socket.send_message({"type": "signal", "id": "s-1", **samples(live)["signal"]})
        assert (await socket.reply("s-1"))["code"] == "forbidden"
        await socket.close()

    run(scenario)


def test_a_flood_is_rate_limited_and_writes_nothing_it_refuses(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        for n in range(45):
            await teacher.send("chat.send", id=f"c-{n}", text=f"Line {n}")
        acks, limited = 0, 0
        while acks + limited < 45:
            frame = await teacher.receive()
            if frame["type"] == "ack":
                acks += 1
            elif frame["type"] == "error":
                assert (frame["id"], frame["code"]) == (None, "rate_limited")
                assert frame["fields"] == {}
                limited += 1
        assert limited > 0
        assert acks >= consumers.BURST
        # The socket lives on: a moment later messages go through again.
        while True:
            await teacher.send("ping", id=None)
            frame = await teacher.receive()
            while frame["type"] not in ("pong", "error"):
                frame = await teacher.receive()
            if frame["type"] == "pong":
                break
        await teacher.close()
        assert await database_sync_to_async(ChatMessage.objects.count)() == acks

    run(scenario)
    assert LessonEvent.objects.filter(kind="chat.posted").count() == ChatMessage.objects.count()


def test_binary_frames_are_refused_and_count_towards_the_rate(live: Live) -> None:
    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        await pupil.send_bytes(b'{"type":"ping"}')
        error = await pupil.until("error")
        assert (error["id"], error["code"], error["fields"]) == (None, "binary", {})
        for _n in range(consumers.BURST + 10):
            await pupil.send_bytes(b"\x00")
        codes = [(await pupil.until("error"))["code"] for _n in range(consumers.BURST + 10)]
        assert "rate_limited" in codes
        await pupil.close()

    run(scenario)


def test_a_message_is_8_kb_at_most(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        # Exactly 8 KB is read (and refused for its text); a byte more is not read at all.
        base = json.dumps({"type": "chat.send", "id": "big", "text": ""})
        exact = json.dumps({"type": "chat.send", "id": "big", "text": "x" * (8192 - len(base))})
        assert len(exact.encode()) == 8192
        await pupil.send_text(exact)
        error = await pupil.reply("big")
        assert (error["code"], list(error["fields"])) == ("invalid", ["text"])
        await pupil.send_text(exact.replace('"text": "x', '"text": "xx'))
        error = await pupil.until("error")
        assert (error["id"], error["code"]) == (None, "too_large")
        # Counted in bytes: 4100 letters of two bytes each are too many.
        await pupil.send_text(
            json.dumps({"type": "chat.send", "id": "k", "text": "ә" * 4100}, ensure_ascii=False)
        )
        error = await pupil.until("error")
        assert error["code"] == "too_large"
        await pupil.close()

    run(scenario)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    ("message", "code", "echoed", "fields"),
    [
        ('{"id": "a"}', "malformed", None, ["type"]),
        ('{"type": "chat.send", "id": ""}', "malformed", None, ["id"]),
        (
            json.dumps({"type": "chat.send", "id": "x" * 65, "text": "hi"}),
            "malformed",
            None,
            ["id"],
        ),
        ('{"type": "chat.send", "id": "a b", "text": "hi"}', "malformed", None, ["id"]),
        ('{"type": "x" }', "unknown_type", None, []),
        ('{"type": "lesson.starts", "id": "ok-1"}', "unknown_type", "ok-1", []),
        ('"ping"', "malformed", None, []),
        ("null", "malformed", None, []),
        ('{"type": "hand.raise"}', "invalid", None, ["id"]),
    ],
)
def test_envelope_errors(
    live: Live, message: str, code: str, echoed: str | None, fields: list[str]
) -> None:
    start(live)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        await pupil.send_text(message)
        error = await pupil.until("error")
        assert set(error) == {"type", "id", "code", "message", "fields"}
        assert (error["code"], error["id"], list(error["fields"])) == (code, echoed, fields)
        assert error["message"]
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started")]


def test_an_id_is_applied_once_per_sender(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        # The same id from two people: two messages.
        first = await teacher.reply(await teacher.send("chat.send", id="same", text="One"))
        second = await pupil.reply(await pupil.send("chat.send", id="same", text="Two"))
        assert (first["seq"], second["seq"]) == (2, 3)
        # Sent again (the ack was lost): the first number back, nothing applied twice, even
        # when the resend says something else.
        again = await pupil.reply(await pupil.send("chat.send", id="same", text="Three"))
        assert again == {"type": "ack", "id": "same", "seq": 3, "duplicate": True}
        # A refused message leaves its id free.
        error = await pupil.reply(await pupil.send("chat.send", id="retry", text="   "))
        assert error["code"] == "invalid"
        ack = await pupil.reply(await pupil.send("chat.send", id="retry", text="Fixed"))
        assert (ack["seq"], ack["duplicate"]) == (4, False)
        await teacher.event("chat.posted", seq=4)
        await teacher.drain()
        assert teacher.seqs() == [2, 3, 4]
        await teacher.close()
        await pupil.close()

    run(scenario)
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["One", "Two", "Fixed"]


@pytest.mark.postgres  # concurrent writers: SQLite's in-memory test database locks them out
def test_events_arrive_in_order_without_gaps(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        other, _s = await joined(live.lesson, live.student_x)

        async def talk(socket: LessonSocket, name: str) -> None:
            for n in range(8):
                await socket.send("chat.send", text=f"{name} {n}")

        await asyncio.gather(talk(teacher, "t"), talk(pupil, "p"), talk(other, "o"))
        for socket in (teacher, pupil, other):
            await socket.event("chat.posted", seq=25)
            assert socket.seqs() == list(range(2, 26))
        for socket in (teacher, pupil, other):
            await socket.close()

    run(scenario)


def test_presence_counts_pupils_and_the_roster_goes_to_the_staff(live: Live) -> None:
    async def scenario() -> None:
        teacher, snapshot = await joined(live.lesson, live.teacher)
        assert snapshot["state"]["present"] == 0
        observer, _s = await joined(live.lesson, live.admin)
        facilitator, _s = await joined(live.lesson, live.facilitator)
        pupil, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["present"] == 1
        for socket in (teacher, observer, facilitator, pupil):
            assert await socket.presence(1) == {"type": "presence", "count": 1}
            roster = await socket.until("roster") if socket is not pupil else None
            if roster is not None:
                assert set(roster) == {"type", "upto", "students"}
                assert roster["upto"] == 0  # the log's number when it was read
                rows = {row["id"]: row for row in roster["students"]}
                assert rows[live.student.pk] == {
                    "id": live.student.pk,
                    "name": live.student.get_full_name(),
                    "online": True,
                    "room": None,
                    "hand": False,
                    "muted": False,
                }
                assert rows[live.student_x.pk]["online"] is False
        assert "roster" not in [frame["type"] for frame in await pupil.drain()]
        assert "roster" not in [frame["type"] for frame in pupil.frames]

        other, _s = await joined(live.lesson, live.student_x)
        await teacher.presence(2)
        await other.close()
        await pupil.presence(1)
        await pupil.close()
        await teacher.presence(0)
        roster = await teacher.until("roster")
        assert not any(row["online"] for row in roster["students"])
        for socket in (teacher, observer, facilitator):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == []


def test_a_reconnecting_pupil_gets_only_what_they_may_see(live: Live) -> None:
    start(live)
    poll_open(lesson=live.lesson, by=live.teacher, question="?", options=["a", "b"], multiple=False)
    poll = Poll.objects.get(lesson=live.lesson)  # 2: everyone
    poll_answer(lesson=live.lesson, by=live.student_x, poll_id=poll.pk, choices=[0])  # 3 staff
    hand_raise(lesson=live.lesson, by=live.student_x)  # 4: staff and student_x
    hand_raise(lesson=live.lesson, by=live.student)  # 5: staff and student
    chat_send(lesson=live.lesson, by=live.teacher, text="Hello")  # 6: everyone
    last = LessonEvent.objects.get(lesson=live.lesson, seq=6).at.isoformat()

    async def scenario() -> None:
        pupil, accepted, code = await open_socket(live.lesson, live.student, since=1)
        assert (accepted, code) == (True, None)
        synced = await pupil.until("synced")
        assert synced == {"type": "synced", "seq": 6, "at": last}  # event 6's, to come back with
        assert [frame["type"] for frame in pupil.frames] == [
            "welcome",
            "poll.opened",
            "hand.raised",
            "chat.posted",
            "synced",
        ]
        assert pupil.seqs() == [2, 5, 6]
        teacher, _a, _c = await open_socket(live.lesson, live.teacher, since=2)
        await teacher.until("synced")
        assert teacher.seqs() == [3, 4, 5, 6]
        # Up to date already: nothing but the synced frame.
        quiet, _a, _c = await open_socket(live.lesson, live.student, since=6)
        assert await quiet.receive() == {"type": "synced", "seq": 6, "at": last}
        for socket in (pupil, teacher, quiet):
            await socket.close()

    run(scenario)


def test_too_far_behind_gets_a_snapshot(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "REPLAY_LIMIT", 3)
    start(live)
    for n in range(4):
        chat_send(lesson=live.lesson, by=live.teacher, text=f"Note {n}")

    async def scenario() -> None:
        behind, _a, _c = await open_socket(live.lesson, live.student, since=1)
        snapshot = await behind.receive()
        assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 5)
        assert len(snapshot["state"]["chat"]) == 4
        near, _a, _c = await open_socket(live.lesson, live.student, since=2)
        assert (await near.until("synced"))["seq"] == 5
        assert near.seqs() == [3, 4, 5]
        for socket in (behind, near):
            await socket.close()

    run(scenario)


def test_a_number_beyond_the_log_gets_a_snapshot(live: Live) -> None:
    """A client holding a number the lesson never reached (another server's, or made up)
    must not skip the events that will carry those numbers."""
    start(live)

    async def scenario() -> None:
        pupil, _a, _c = await open_socket(live.lesson, live.student, since=40)
        snapshot = await pupil.receive()
        assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 1)
        teacher, _s = await joined(live.lesson, live.teacher)
        await teacher.reply(await teacher.send("chat.send", text="Can you see this?"))
        assert (await pupil.event("chat.posted"))["seq"] == 2
        await pupil.close()
        await teacher.close()

    run(scenario)


def test_an_event_committed_while_a_replay_is_read_still_arrives(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    chat_send(lesson=live.lesson, by=live.teacher, text="Before")
    read = live_selectors.events_after

    def events_after_then_more(**kwargs: Any) -> Any:
        found = read(**kwargs)
        chat_send(lesson=live.lesson, by=live.teacher, text="Meanwhile")  # seq 3
        return found

    monkeypatch.setattr(live_selectors, "events_after", events_after_then_more)

    async def scenario() -> None:
        pupil, _a, _c = await open_socket(live.lesson, live.student, since=1)
        await pupil.until("synced")
        posted = await pupil.event("chat.posted", seq=3)
        assert posted["data"]["text"] == "Meanwhile"
        assert pupil.seqs() == [2, 3]
        await pupil.close()

    run(scenario)


def test_a_socket_that_cannot_keep_up_is_closed_with_4408_and_resumes(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    queued = fanout.MAX_QUEUED
    monkeypatch.setattr(fanout, "MAX_QUEUED", 5)
    stuck: set[int] = set()
    send = LessonConsumer._send_text

    async def slow_send(self: LessonConsumer, text: str) -> None:
        if self.user.pk in stuck:
            await asyncio.Event().wait()  # the phone on a bad line: never done
        await send(self, text)

    monkeypatch.setattr(LessonConsumer, "_send_text", slow_send)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        stuck.add(live.student.pk)
        for n in range(8):
            await teacher.reply(await teacher.send("chat.send", text=f"Fast {n}"))
        frame = await pupil.receive()
        while frame["type"] != "closed":  # anything written before the line got stuck
            frame = await pupil.receive()
        assert frame == {"type": "closed", "code": 4408}
        # The teacher was never held up, and the pupil resumes where they were.
        await teacher.event("chat.posted", seq=9)
        await pupil.close()
        stuck.clear()
        monkeypatch.setattr(fanout, "MAX_QUEUED", queued)
        back, _a, _c = await open_socket(live.lesson, live.student, since=1)
        assert (await back.until("synced"))["seq"] == 9
        assert back.seqs() == list(range(2, 10))
        await teacher.close()
        await back.close()

    run(scenario)


def test_a_replay_as_long_as_the_limit_is_not_cut_off(live: Live) -> None:
    """A replay is queued at once: it must fit the socket's queue, or the client would be
    cut off (4408), come back with the same number, and be cut off again."""
    start(live)
    missed = consumers.REPLAY_LIMIT
    now = timezone.now()
    LessonEvent.objects.bulk_create(
        LessonEvent(lesson=live.lesson, seq=seq, kind="board.cleared", data={}, at=now)
        for seq in range(2, missed + 2)
    )
    LessonStream.objects.filter(lesson=live.lesson).update(last_seq=missed + 1)

    async def scenario() -> None:
        back, _a, code = await open_socket(live.lesson, live.student, since=1)
        assert code is None
        assert (await back.until("synced"))["seq"] == missed + 1
        assert back.seqs() == list(range(2, missed + 2))
        await back.close()

    run(scenario)


def test_errors_are_written_in_the_person_s_language(live: Live) -> None:
    """A person's preferred language wins; without one, the browser's (as on the pages)."""
    start(live)
    live.student.preferred_language = "ru"
    live.student.save(update_fields=["preferred_language"])
    with translation.override("ru"):
        russian = gettext("Write something first.")
    with translation.override("mn"):
        mongolian = gettext("Write something first.")
    assert len({russian, mongolian, "Write something first."}) == 3

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        error = await pupil.reply(await pupil.send("chat.send", text="  "))
        assert (error["code"], error["message"]) == ("invalid", russian)
        assert error["fields"] == {"text": [russian]}
        browser, _s = await joined(
            live.lesson, live.student_x, headers=[(b"accept-language", b"mn,en;q=0.5")]
        )
        error = await browser.reply(await browser.send("chat.send", text="  "))
        assert error["message"] == mongolian
        unknown = await browser.reply(await browser.send("no.such.thing"))
        with translation.override("mn"):
            assert unknown["message"] == gettext("Unknown message type.")
        await pupil.close()
        await browser.close()

    run(scenario)
