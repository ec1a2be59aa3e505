"""Celery beat inside the web process, for the embedded default (``make run``).

With no broker, Celery runs each task eagerly where it is called, and no beat process runs:
without this the periodic jobs (lesson reminders, expired attempts handed in, mail held by quiet
hours, retries) would never run in the demo. When ``EMBEDDED_BEAT`` is on, the ASGI lifespan
starts it on the server's event loop. Each tick runs in asgiref's thread for sync code, so the
jobs' live notices go through the server's own in-memory channel layer, as a request's do.

Production runs ``celery beat`` and workers instead (the Procfile); ``EMBEDDED_BEAT`` is off
whenever a broker is configured.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from celery.beat import Scheduler
from django.conf import settings
from django.db import close_old_connections

from lms.celery import app

log = logging.getLogger(__name__)
SHORTEST_PAUSE = 0.5  # seconds between ticks, whatever the schedule says
STOP_WAIT = 30.0  # seconds a shutdown waits for the job under way

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class InCodeScheduler(Scheduler):
    """The jobs of ``CELERY_BEAT_SCHEDULE``, kept in memory: nothing else."""

    def setup_schedule(self) -> None:
        entries: dict[str, Any] = dict(app.conf.beat_schedule)  # each a dict, as in settings
        self.merge_inplace(entries)

    def send_task(self, name: str, *args: Any, **kwargs: Any) -> None:
        # Only for a task this process does not know: with no broker there is no one to send
        # it to.
        log.error("the periodic job's task %s is not registered; it did not run", name)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        close_old_connections()
        try:
            return float(super().tick(*args, **kwargs))
        finally:
            close_old_connections()


async def run(stopping: asyncio.Event) -> None:
    """Run the due jobs, eagerly, until ``stopping`` is set; a job under way finishes first. A
    job that fails is logged by the scheduler and runs again at its next time."""
    # Every app's tasks, as a worker has them (a web process imports only those it calls).
    await sync_to_async(app.loader.import_default_modules)()
    scheduler = await sync_to_async(InCodeScheduler)(app)
    log.info("periodic jobs run in this process: %s", ", ".join(sorted(scheduler.schedule)))
    while not stopping.is_set():
        pause = await sync_to_async(scheduler.tick)()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), max(pause, SHORTEST_PAUSE))


async def lifespan(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """The ASGI lifespan: start the embedded beat when the server starts, if it is on, and at
    shutdown let the job under way finish (a thread cannot be cancelled: cancelling would only
    stop waiting for it)."""
    stopping = asyncio.Event()
    beat: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.EMBEDDED_BEAT:
                beat = asyncio.get_running_loop().create_task(run(stopping))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stopping.set()
            if beat is not None:
                try:
                    await asyncio.wait_for(beat, STOP_WAIT)
                except Exception:
                    log.exception("the periodic jobs did not stop cleanly")
            await send({"type": "lifespan.shutdown.complete"})
            return
