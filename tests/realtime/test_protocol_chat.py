"""The chat on the socket: everyone but observers posts (``chat.send``), a facilitator relays
a question from their room (``question.relay``), and the teacher deletes messages
(``chat.delete``) and mutes pupils (``chat.mute``)."""

from typing import Any

import pytest

from classrooms.live import chat_send
from classrooms.models import ChatMessage, Mute
from lms.accounts.models import User
from realtime.models import LessonEvent
from tests.realtime.conftest import Live, joined, run, start, stored, written, written_now

pytestmark = pytest.mark.django_db(transaction=True)


def people(live: Live) -> dict[str, User]:
    return {
        "teacher": live.teacher,
        "facilitator": live.facilitator,
        "student": live.student,
        "observer": live.admin,
    }


@pytest.mark.parametrize("role", ["teacher", "facilitator", "student"])
def test_a_message_reaches_everyone_and_later_snapshots(live: Live, role: str) -> None:
    start(live)
    author = people(live)[role]

    async def scenario() -> None:
        sockets = [(await joined(live.lesson, person))[0] for person in people(live).values()]
        other, _s = await joined(live.lesson, live.student_x)
        sender = sockets[list(people(live)).index(role)]
        ack = await sender.reply(await sender.send("chat.send", text="  Salam, class!  "))
        assert ack["seq"] == 2
        for socket in (*sockets, other):
            posted = await socket.event("chat.posted")
            assert posted["seq"] == 2
            assert posted["data"] == {
                "author": {"id": author.pk, "name": author.get_full_name(), "role": role},
                "text": "Salam, class!",
                "room": None,
                "at": posted["data"]["at"],
            }
        late, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["chat"] == [{"id": 2, **posted["data"]}]
        for socket in (*sockets, other, late):
            await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started"), (2, "chat.posted")]
    message = ChatMessage.objects.get(lesson=live.lesson)
    assert (message.seq, message.author_id, message.text) == (2, author.pk, "Salam, class!")


def test_a_facilitator_relays_a_question_from_their_room(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        facilitator, _s = await joined(live.lesson, live.facilitator)
        pupil, _s = await joined(live.lesson, live.student)
        ack = await facilitator.reply(
            await facilitator.send("question.relay", text="Why is 1/2 = 2/4?")
        )
        for socket in (facilitator, pupil):
            posted = await socket.event("chat.posted")
            assert posted["seq"] == ack["seq"]
            assert posted["data"]["author"]["role"] == "facilitator"
            assert (posted["data"]["room"], posted["data"]["text"]) == (
                live.rooms.room_a2.name,
                "Why is 1/2 = 2/4?",
            )
        late, snapshot = await joined(live.lesson, live.teacher)
        assert snapshot["state"]["chat"] == [{"id": ack["seq"], **posted["data"]}]
        for socket in (facilitator, pupil, late):
            await socket.close()

    run(scenario)
    assert ChatMessage.objects.get().relayed_from == live.rooms.room_a2


@pytest.mark.parametrize("role", ["teacher", "student", "observer"])
def test_only_a_facilitator_relays_questions(live: Live, role: str) -> None:
    start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, people(live)[role])
        error = await socket.reply(await socket.send("question.relay", text="From my room"))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_an_observer_does_not_chat(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        observer, _s = await joined(live.lesson, live.admin)
        error = await observer.reply(await observer.send("chat.send", text="Hello"))
        assert error["code"] == "forbidden"
        await observer.close()

    run(scenario)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    ("kind", "fields", "code", "field"),
    [
        ("chat.send", {"text": "   "}, "invalid", "text"),
        ("chat.send", {"text": "x" * 501}, "invalid", "text"),
        ("chat.send", {"text": "x" * 2001}, "invalid", "text"),
        ("chat.send", {"text": "nul \x00 here"}, "invalid", "text"),
        ("chat.send", {}, "invalid", "text"),
        ("chat.send", {"text": ["a"]}, "invalid", "text"),
        ("question.relay", {"text": ""}, "invalid", "text"),
        ("question.relay", {"text": "y" * 501}, "invalid", "text"),
    ],
)
def test_a_message_needs_a_text_of_at_most_500_characters(
    live: Live, kind: str, fields: dict[str, Any], code: str, field: str
) -> None:
    start(live)
    sender = live.facilitator if kind == "question.relay" else live.student
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, sender)
        error = await socket.reply(await socket.send(kind, **fields))
        assert (error["code"], list(error["fields"])) == (code, [field])
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize("kind", ["chat.send", "question.relay"])
def test_the_chat_is_open_only_while_the_lesson_is_on(live: Live, kind: str) -> None:
    async def scenario() -> None:
        socket, _s = await joined(live.lesson, live.facilitator)
        error = await socket.reply(await socket.send(kind, text="Early"))
        assert error["code"] == "not_live"
        await socket.close()

    run(scenario)
    assert stored(live.lesson.pk) == []
    assert not ChatMessage.objects.exists()


def test_the_teacher_deletes_a_message(live: Live) -> None:
    start(live)
    chat_send(lesson=live.lesson, by=live.student, text="Something rude")
    chat_send(lesson=live.lesson, by=live.student_x, text="A good question")

    async def scenario() -> None:
        teacher, snapshot = await joined(live.lesson, live.teacher)
        assert [message["id"] for message in snapshot["state"]["chat"]] == [2, 3]
        pupil, _s = await joined(live.lesson, live.student)
        observer, _s = await joined(live.lesson, live.admin)
        ack = await teacher.reply(await teacher.send("chat.delete", message_id=2))
        assert ack["seq"] == 4
        for socket in (teacher, pupil, observer):
            deleted = await socket.event("chat.deleted")
            assert (deleted["seq"], deleted["data"]) == (4, {"id": 2})
        again = await teacher.reply(await teacher.send("chat.delete", message_id=2))
        assert (again["type"], again["seq"]) == ("ack", None)

        late, snapshot = await joined(live.lesson, live.student_x)
        assert [message["text"] for message in snapshot["state"]["chat"]] == ["A good question"]
        # Nor does the text come back in a replay of the log.
        replayed, _accepted, _code = await _replay(live, since=1)
        texts = [frame["data"].get("text") for frame in replayed.lesson_events()]
        assert "Something rude" not in texts
        assert replayed.kinds() == ["chat.posted", "chat.posted", "chat.deleted"]
        for socket in (teacher, pupil, observer, late, replayed):
            await socket.close()

    run(scenario)
    message = ChatMessage.objects.get(seq=2)
    assert (message.text, message.deleted_by) == ("", live.teacher)
    assert "Something rude" not in str(list(LessonEvent.objects.values_list("data", flat=True)))


async def _replay(live: Live, *, since: int) -> Any:
    from tests.realtime.conftest import open_socket

    socket, accepted, code = await open_socket(live.lesson, live.student_x, since=since)
    await socket.until("synced")
    return socket, accepted, code


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"message_id": 1}, "no_message"),  # lesson.started: an event, not a message
        ({"message_id": 999}, "no_message"),
        ({"message_id": 0}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_deleting_what_is_no_message(live: Live, fields: dict[str, Any], code: str) -> None:
    start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("chat.delete", **fields))
        assert error["code"] == code
        if code == "invalid":
            assert list(error["fields"]) == ["message_id"]
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("chat.delete", "facilitator"),
        ("chat.delete", "student"),
        ("chat.delete", "observer"),
        ("chat.mute", "facilitator"),
        ("chat.mute", "student"),
        ("chat.mute", "observer"),
    ],
)
def test_only_the_teacher_deletes_and_mutes(live: Live, kind: str, role: str) -> None:
    start(live)
    chat_send(lesson=live.lesson, by=live.student, text="Mine")
    fields = (
        {"message_id": 2}
        if kind == "chat.delete"
        else {"user_id": live.student_x.pk, "muted": True}
    )
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, people(live)[role])
        error = await socket.reply(await socket.send(kind, **fields))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_a_muted_pupil_cannot_chat_until_unmuted(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        facilitator, _s = await joined(live.lesson, live.facilitator)
        pupil, _s = await joined(live.lesson, live.student)
        other, _s = await joined(live.lesson, live.student_x)
        mute = {"user_id": live.student.pk, "muted": True}
        ack = await teacher.reply(await teacher.send("chat.mute", **mute))
        for socket in (teacher, facilitator, pupil):
            muted = await socket.event("chat.muted")
            assert (muted["seq"], muted["data"]) == (ack["seq"], mute)
        await other.drain()
        assert other.kinds() == []  # another pupil's muting is not theirs to know
        again = await teacher.reply(await teacher.send("chat.mute", **mute))
        assert (again["type"], again["seq"]) == ("ack", None)

        _p, snapshot = await joined(live.lesson, live.student)
        assert snapshot["state"]["muted"] is True
        _t, snapshot = await joined(live.lesson, live.teacher)
        roster = {row["id"]: row["muted"] for row in snapshot["state"]["roster"]}
        assert roster == {live.student.pk: True, live.student_x.pk: False}

        before = await written_now(live.lesson.pk)
        error = await pupil.reply(await pupil.send("chat.send", text="Can I still talk?"))
        assert (error["code"], error["fields"]) == ("muted", {})
        assert await written_now(live.lesson.pk) == before
        # The hand still goes up, and the other pupil still chats.
        assert (await pupil.reply(await pupil.send("hand.raise")))["type"] == "ack"
        assert (await other.reply(await other.send("chat.send", text="Me too")))["type"] == "ack"

        unmute = {"user_id": live.student.pk, "muted": False}
        await teacher.reply(await teacher.send("chat.mute", **unmute))
        assert (await pupil.event("chat.muted", seq=ack["seq"] + 3))["data"] == unmute
        assert (await pupil.reply(await pupil.send("chat.send", text="Thanks")))["type"] == "ack"
        for socket in (teacher, facilitator, pupil, other, _p, _t):
            await socket.close()

    run(scenario)
    assert not Mute.objects.exists()
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["Me too", "Thanks"]


@pytest.mark.parametrize(
    ("who", "code", "field"),
    [
        ("teacher", "not_a_student", "user_id"),
        ("facilitator", "not_a_student", "user_id"),
        ("outsider", "not_a_student", "user_id"),
        (None, "invalid", "user_id"),
    ],
)
def test_only_a_pupil_of_the_class_is_muted(
    live: Live, who: str | None, code: str, field: str
) -> None:
    start(live)
    user_id = getattr(live, who).pk if who else -3
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("chat.mute", user_id=user_id, muted=True))
        assert (error["code"], list(error["fields"])) == (code, [field])
        error = await teacher.reply(await teacher.send("chat.mute", user_id=live.student.pk))
        assert (error["code"], list(error["fields"])) == ("invalid", ["muted"])
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before
