"""How ``fanout.Subscriber`` writes frames: at once while the socket takes them, in order
through its own task while a write waits, and cut off past ``MAX_QUEUED``. A fake socket
stands in for the ASGI send: it waits on a future whenever it is told to be full."""

import asyncio

from realtime import fanout
from tests.asyncrun import run_async


class FakeSocket:
    def __init__(self) -> None:
        self.written: list[str] = []
        self.room: asyncio.Future[None] | None = None  # while set, a write waits for it
        self.fail = False
        self.closed_with: int | None = None

    async def send(self, text: str) -> None:
        if self.fail:
            raise ConnectionResetError
        while self.room is not None:
            await self.room
        self.written.append(text)

    def fill(self) -> None:
        self.room = asyncio.get_running_loop().create_future()

    def drain(self) -> None:
        room, self.room = self.room, None
        if room is not None:
            room.set_result(None)

    async def close(self, code: int) -> None:
        self.closed_with = code


def subscriber(socket: FakeSocket) -> fanout.Subscriber:
    found = fanout.Subscriber(user_id=1, staff=False, send=socket.send, close=socket.close)
    found.start(0)
    return found


def test_a_socket_with_room_is_written_at_once() -> None:
    async def scenario() -> None:
        socket = FakeSocket()
        pupil = subscriber(socket)
        pupil.push("a")
        pupil.offer(1, "a", "b")
        assert socket.written == ["a", "b"]  # no turn of the loop needed

    run_async(scenario)


def test_a_full_socket_gets_the_rest_in_order_once_it_has_room() -> None:
    async def scenario() -> None:
        socket = FakeSocket()
        pupil = subscriber(socket)
        pupil.push("1")
        socket.fill()
        for frame in ("2", "3", "4"):
            pupil.push(frame)
        await asyncio.sleep(0.01)
        assert socket.written == ["1"]
        socket.drain()
        await asyncio.sleep(0.01)
        assert socket.written == ["1", "2", "3", "4"]
        pupil.push("5")  # written at once again
        assert socket.written[-1] == "5"
        assert not pupil.closed

    run_async(scenario)


def test_a_socket_that_cannot_keep_up_is_cut_off() -> None:
    async def scenario() -> None:
        socket = FakeSocket()
        pupil = subscriber(socket)
        socket.fill()
        for number in range(fanout.MAX_QUEUED + 2):
            pupil.push(str(number))
        await asyncio.sleep(0.01)
        assert pupil.closed
        assert socket.closed_with == fanout.CLOSE_BEHIND
        pupil.stop()
        socket.drain()
        await asyncio.sleep(0.01)
        assert socket.written == []

    run_async(scenario)


def test_a_socket_that_is_gone_stops_taking_frames() -> None:
    async def scenario() -> None:
        socket = FakeSocket()
        pupil = subscriber(socket)
        socket.fail = True
        pupil.push("a")
        assert pupil.closed
        socket.fail = False
        pupil.push("b")
        assert socket.written == []

    run_async(scenario)


def test_stopping_ends_a_waiting_write() -> None:
    async def scenario() -> None:
        socket = FakeSocket()
        pupil = subscriber(socket)
        socket.fill()
        pupil.push("a")
        pupil.push("b")
        await asyncio.sleep(0.01)
        pupil.stop()
        await asyncio.sleep(0.01)
        socket.drain()
        await asyncio.sleep(0.01)
        assert socket.written == []
        assert asyncio.all_tasks() == {asyncio.current_task()}

    run_async(scenario)
