"""The lesson socket end to end inside one process: joining, the first state, actions by
role, refusals, replay and snapshots, duplicates."""

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

from realtime.models import LessonEvent
from tests.asyncrun import run_async
from tests.realtime.conftest import Live, open_socket, token_of

pytestmark = pytest.mark.django_db(transaction=True)


def run(test: Callable[[], Awaitable[None]]) -> None:
    run_async(test)


def stored(lesson_id: int) -> list[tuple[int, str]]:
    return list(
        LessonEvent.objects.filter(lesson_id=lesson_id).order_by("seq").values_list("seq", "kind")
    )


def test_teacher_starts_and_a_pupil_sees_it(live: Live) -> None:
    async def scenario() -> None:
        teacher, accepted, code = await open_socket(live.lesson, live.teacher)
        assert accepted
        assert code is None
        snapshot = await teacher.until("snapshot")
        assert snapshot["seq"] == 0
        assert snapshot["state"]["lesson"]["state"] == "scheduled"
        assert snapshot["state"]["you"]["role"] == "teacher"
        assert "roster" in snapshot["state"]
        pupil, _accepted, _code = await open_socket(live.lesson, live.student)
        pupil_snapshot = await pupil.until("snapshot")
        assert "roster" not in pupil_snapshot["state"]

        sent = await teacher.send("lesson.start")
        ack = await teacher.reply(sent)
        assert ack == {"type": "ack", "id": sent, "seq": 1, "duplicate": False}
        started = await pupil.until("lesson.started")
        assert started["seq"] == 1
        await teacher.close()
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started")]


def test_a_resent_message_is_applied_once(live: Live) -> None:
    async def scenario() -> None:
        teacher, _a, _c = await open_socket(live.lesson, live.teacher)
        await teacher.until("snapshot")
        await teacher.reply(await teacher.send("lesson.start"))
        pupil, _a, _c = await open_socket(live.lesson, live.student)
        await pupil.until("snapshot")
        first = await pupil.reply(await pupil.send("chat.send", id="c-1", text="Salam!"))
        again = await pupil.reply(await pupil.send("chat.send", id="c-1", text="Salam!"))
        assert first["seq"] == again["seq"] == 2
        assert (first["duplicate"], again["duplicate"]) == (False, True)
        await teacher.close()
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started"), (2, "chat.posted")]


def test_a_pupil_may_not_do_the_teachers_part(live: Live) -> None:
    async def scenario() -> None:
        pupil, _a, _c = await open_socket(live.lesson, live.student)
        await pupil.until("snapshot")
        answer = await pupil.reply(await pupil.send("lesson.start"))
        assert answer["code"] == "forbidden"
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x" * 9000, "too_large"),
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"type": "no.such", "id": "a"}), "unknown_type"),
        (json.dumps({"type": "chat.send", "id": "a"}), "invalid"),
        (json.dumps({"type": "chat.send", "text": "hi"}), "invalid"),
        (json.dumps({"type": "chat.send", "id": "bad id!", "text": "hi"}), "malformed"),
    ],
)
def test_bad_messages_get_an_error_frame_and_change_nothing(
    live: Live, text: str, code: str
) -> None:
    async def scenario() -> None:
        pupil, _a, _c = await open_socket(live.lesson, live.student)
        await pupil.until("snapshot")
        await pupil.send_text(text)
        error = await pupil.until("error")
        assert error["code"] == code
        await pupil.send("ping", id=None)
        assert (await pupil.until("pong"))["type"] == "pong"  # the socket lives on
        await pupil.close()

    run(scenario)
    assert stored(live.lesson.pk) == []


def test_foreign_origin_is_refused(live: Live) -> None:
    async def scenario() -> None:
        _socket, accepted, _code = await open_socket(
            live.lesson, live.student, origin=b"https://evil.example"
        )
        assert not accepted
        _socket, accepted, _code = await open_socket(live.lesson, live.student, origin=None)
        assert not accepted

    run(scenario)


def test_anonymous_and_outsiders_are_closed(live: Live) -> None:
    async def scenario() -> None:
        _s, _accepted, code = await open_socket(live.lesson, None)
        assert code == 4401
        _s, _accepted, code = await open_socket(live.lesson, live.outsider)
        assert code == 4403

    run(scenario)


def test_token_client_needs_no_origin(live: Live) -> None:
    token = token_of(live.student)

    async def scenario() -> None:
        pupil, accepted, code = await open_socket(live.lesson, None, token=token, origin=None)
        assert accepted
        assert code is None
        assert (await pupil.until("snapshot"))["state"]["you"]["id"] == live.student.pk
        await pupil.close()
        _s, _accepted, code = await open_socket(live.lesson, None, token="nope" * 16, origin=None)
        assert code == 4401

    run(scenario)


def test_an_expired_token_is_refused_and_another_token_of_the_person_still_works(
    live: Live,
) -> None:
    """The socket's token check skips knox's sweep of the person's other tokens, not the
    expiry of the token itself."""
    expired, fresh = token_of(live.student), token_of(live.student)
    AuthToken.objects.filter(token_key=expired[: CONSTANTS.TOKEN_KEY_LENGTH]).update(
        expiry=timezone.now() - timedelta(minutes=1)
    )

    async def scenario() -> None:
        _s, _accepted, code = await open_socket(live.lesson, None, token=expired, origin=None)
        assert code == 4401
        pupil, _accepted, code = await open_socket(live.lesson, None, token=fresh, origin=None)
        assert code is None
        await pupil.close()

    run(scenario)


def test_reconnect_replays_what_was_missed(live: Live) -> None:
    async def scenario() -> None:
        teacher, _a, _c = await open_socket(live.lesson, live.teacher)
        await teacher.until("snapshot")
        pupil, _a, _c = await open_socket(live.lesson, live.student)
        await pupil.until("snapshot")
        await teacher.reply(await teacher.send("lesson.start"))
        await pupil.until("lesson.started")
        await pupil.close()
        for n in range(3):
            await teacher.reply(await teacher.send("chat.send", text=f"note {n}"))
        back, _a, _c = await open_socket(live.lesson, live.student, since=1)
        await back.until("synced")
        texts = [frame["data"]["text"] for frame in back.events()]
        assert texts == ["note 0", "note 1", "note 2"]
        assert [frame["seq"] for frame in back.events()] == [2, 3, 4]
        await teacher.reply(await teacher.send("chat.send", text="live again"))
        assert (await back.until("chat.posted"))["seq"] == 5
        await teacher.close()
        await back.close()

    run(scenario)
