"""Where the lesson sockets' database work runs: off the event loop (it would stop every
socket of the process), on the loop's pool of threads, and not on Channels' default, the one
thread that also signs in sessions (a join storm would queue behind it).

``Batched`` gathers the same request from many sockets into one trip to a pool thread: when
hundreds of pupils join at once, their sign-ins and joins are read a batch at a time (a query
for all of them, not one each), and a lone request still goes at once."""

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

Item = TypeVar("Item")
Result = TypeVar("Result")


def db(function: Callable[..., Any]) -> Any:
    """``function`` as a coroutine function run on a pool thread (database connections handed
    back to Django's pool afterwards, as ``database_sync_to_async`` does)."""
    return database_sync_to_async(function, thread_sensitive=False)


@dataclass
class _Queue(Generic[Item, Result]):
    waiting: list[tuple[Item, "asyncio.Future[Result]"]] = field(default_factory=list)
    running: int = 0


class Batched(Generic[Item, Result]):
    """``await batched(item)`` answers with ``function([item, ...])``'s result for ``item``,
    where ``function`` takes a list of items and returns one result for each, in order, and
    runs on a pool thread. At most ``at_once`` calls run at a time per event loop; what
    arrives meanwhile waits, and goes in the next call, up to ``most`` items per call. An
    exception from ``function`` fails every item of its call."""

    def __init__(
        self,
        function: Callable[[list[Item]], Sequence[Result]],
        *,
        at_once: int = 2,
        most: int = 100,
    ) -> None:
        self.function, self.at_once, self.most = function, at_once, most
        self._run_on_thread = db(function)
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[Item, Result]]
        self._queues = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task[Any]] = set()  # the loop keeps only weak references

    async def __call__(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        answer: asyncio.Future[Result] = loop.create_future()
        queue.waiting.append((item, answer))
        if queue.running < self.at_once:
            self._start(loop, queue)
        return await answer

    def _start(self, loop: asyncio.AbstractEventLoop, queue: _Queue[Item, Result]) -> None:
        batch, queue.waiting = queue.waiting[: self.most], queue.waiting[self.most :]
        queue.running += 1
        task = loop.create_task(self._run_on_thread([item for item, _answer in batch]))
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._answer(loop, queue, batch, done))

    def _answer(
        self,
        loop: asyncio.AbstractEventLoop,
        queue: _Queue[Item, Result],
        batch: list[tuple[Item, "asyncio.Future[Result]"]],
        done: "asyncio.Task[Sequence[Result]]",
    ) -> None:
        """Each caller of the call hears its result, or the call's error (the database is
        away: every caller hears of it); then the next call starts with what waited."""
        self._tasks.discard(done)
        queue.running -= 1
        # cancelled: the loop is shutting down
        error = asyncio.CancelledError() if done.cancelled() else done.exception()
        results = done.result() if error is None else []
        if error is None and len(results) != len(batch):
            error = RuntimeError(f"{self.function!r} answered {len(results)} of {len(batch)}")
        for index, (_item, answer) in enumerate(batch):
            if answer.done():  # its caller has gone (the socket closed)
                continue
            if isinstance(error, asyncio.CancelledError):
                answer.cancel()
            elif error is not None:
                answer.set_exception(error)
            else:
                answer.set_result(results[index])
        if queue.waiting and not loop.is_closed():
            self._start(loop, queue)
