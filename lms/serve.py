"""``python -m lms.serve``: uvicorn, with the same options, whose main loop does not wake
while nothing asks it to (docs/decisions/0018).

uvicorn's main loop wakes every 0.1 s to refresh its ``Date`` header (once a second), to
notify a supervisor, to count requests against ``--limit-max-requests``, and to notice a
shutdown. On our 2-core machines each wake costs about 0.15 ms of CPU, and a live lesson's
server is idle most of the time between a class's events. Here:

- the ``Date`` header is made when a response asks for the default headers, at most once a
  second, exact to the second as before;
- a shutdown (the signal handler sets ``should_exit``) wakes the loop itself;
- only with ``--limit-max-requests`` (or a ``callback_notify``, which gunicorn's worker
  sets) does the loop still tick, once a second.

One process per port, as the Procfile runs it: with ``--workers``, uvicorn's children run
its own ``Server``, not this one."""

import asyncio
import contextlib
import importlib
import socket
import time
from email.utils import formatdate

from uvicorn import Config
from uvicorn.server import Server, ServerState

# the module: the package's ``uvicorn.main`` is the command, which hides it
uvicorn_main = importlib.import_module("uvicorn.main")

TICK_SECONDS = 1.0
TICKS_PER_SECOND = 10  # uvicorn counts its ticks in tenths of a second


class DatedState(ServerState):
    """uvicorn's server state, whose default headers carry the ``Date`` of the second in which
    they are read (uvicorn reads them for each response), instead of the one its main loop
    last wrote there."""

    def __init__(self, *, date_header: bool, headers: list[tuple[bytes, bytes]]) -> None:
        self._date_header = date_header
        self._headers = headers
        self._second = -1
        self._current: list[tuple[bytes, bytes]] = headers
        super().__init__()

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        if not self._date_header:
            return self._headers
        second = int(time.time())
        if second != self._second:
            date = formatdate(second, usegmt=True).encode()
            self._current = [(b"date", date), *self._headers]
            self._second = second
        return self._current

    @default_headers.setter
    def default_headers(self, value: list[tuple[bytes, bytes]]) -> None:
        """What uvicorn writes there (on its ticks) is made here on reading instead."""


class QuietServer(Server):
    def __init__(self, config: Config) -> None:
        self._woken: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._should_exit = False
        super().__init__(config)

    @property
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        """Set by the signal handler (or by whoever runs the server): wakes the main loop."""
        self._should_exit = value
        if value and self._woken is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
                self._loop.call_soon_threadsafe(self._woken.set)

    @property
    def _ticking(self) -> bool:
        """Whether uvicorn's once-a-second work has something to do besides the header."""
        return self.config.limit_max_requests is not None or self.config.callback_notify is not None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.server_state = DatedState(
            date_header=self.config.date_header, headers=list(self.config.encoded_headers)
        )
        await super().startup(sockets)

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            if self._ticking:
                # uvicorn does its once-a-second work when the counter is a multiple of 10
                counter = (counter + TICKS_PER_SECOND) % 864_000
                await asyncio.sleep(TICK_SECONDS)
            else:
                await self._woken.wait()
                self._woken.clear()
            should_exit = await self.on_tick(counter)


def main() -> None:
    vars(uvicorn_main)["Server"] = QuietServer  # the class uvicorn's ``run`` starts
    uvicorn_main.main()


if __name__ == "__main__":
    main()
