"""``python -m lms.serve``: uvicorn, with the same options, waking once a second instead of ten
times (docs/decisions/0018).

uvicorn's main loop wakes every 0.1 s to refresh its ``Date`` header (once a second), to
notify a supervisor, and to notice a shutdown. On our 2-core machines each wake costs about
0.15 ms of CPU: 1.5 ms a second per idle process, more than the raw broadcast server spends
relaying a small class's lesson. Waking once a second keeps the header exact to the second, as
before, and notices a shutdown within a second instead of a tenth."""

import asyncio
import importlib

from uvicorn.server import Server

# the module: the package's ``uvicorn.main`` is the command, which hides it
uvicorn_main = importlib.import_module("uvicorn.main")

TICK_SECONDS = 1.0
TICKS_PER_SECOND = 10  # uvicorn counts its ticks in tenths of a second


class QuietServer(Server):
    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # uvicorn does its once-a-second work when the counter is a multiple of 10
            counter = (counter + TICKS_PER_SECOND) % 864_000
            await asyncio.sleep(TICK_SECONDS)
            should_exit = await self.on_tick(counter)


def main() -> None:
    vars(uvicorn_main)["Server"] = QuietServer  # the class uvicorn's ``run`` starts
    uvicorn_main.main()


if __name__ == "__main__":
    main()
