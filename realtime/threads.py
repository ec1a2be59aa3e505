"""Where the lesson sockets' database work runs: off the event loop (it would stop every
socket of the process), on the loop's pool of threads, and not on Channels' default, the one
thread that also signs in sessions (a join storm would queue behind it)."""

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async


def db(function: Callable[..., Any]) -> Any:
    """``function`` as a coroutine function run on a pool thread (database connections handed
    back to Django's pool afterwards, as ``database_sync_to_async`` does)."""
    return database_sync_to_async(function, thread_sensitive=False)
