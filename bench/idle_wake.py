"""What the same work costs a process that has just been idle, against one that is busy.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/idle_wake.py [--idle 0.2]

In a small live lesson each of the teacher's strokes (5 a second) finds the server's processes
idle since the last one. This measures, on the event loop the servers run (uvloop), the CPU
time of the event loop's thread for each of these steps, taken once right after the same step
(busy) and once after the loop has slept ``--idle`` seconds (idle), and prints the ratio:

- Python: encoding and decoding a stroke's frame as JSON, ten times (no system call);
- socketpair: a write and a read on a socket pair inside the process (no other process);
- PostgreSQL: a round trip (``SELECT 1``) on asyncpg, as the loop's statements take;
- Redis: a round trip (``PING``) on the feeds' own connection (``realtime.wire``).

Medians over ``--times`` tries each. Nothing is stored; no database is created."""

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FRAME = {
    "seq": 1000,
    "type": "board.strokes",
    "at": "2026-11-25T12:00:00.000000+00:00",
    "data": {"strokes": [{"color": "#1f6feb", "width": 3, "points": [[1000, 2000]] * 20}]},
}

Step = Callable[[], Awaitable[Any]]


async def _cpu_of(step: Step, *, idle: float, times: int) -> tuple[float, float]:
    """The step's median CPU time in µs: busy (right after itself), and after ``idle`` s."""
    busy, rested = [], []
    for _ in range(times):
        await asyncio.sleep(idle)
        started = time.thread_time_ns()
        await step()
        rested.append(time.thread_time_ns() - started)
        started = time.thread_time_ns()
        await step()
        busy.append(time.thread_time_ns() - started)
    return statistics.median(busy) / 1e3, statistics.median(rested) / 1e3


async def main(args: argparse.Namespace) -> None:
    import asyncpg

    from realtime import wire

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (nothing is stored there).")
    left, right = socket.socketpair()

    async def python() -> None:
        for _ in range(10):
            json.loads(json.dumps(FRAME, separators=(",", ":")))

    async def socketpair() -> None:
        left.send(b"x" * 300)
        right.recv(1024)

    database = await asyncpg.connect(os.environ["DATABASE_URL"])
    redis = await wire.wire_open(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"))

    async def postgresql() -> None:
        await database.fetchval("SELECT 1")

    async def ping() -> None:
        await redis.ask(b"PING")

    steps: dict[str, Step] = {
        "Python (JSON x10)": python,
        "socketpair write+read": socketpair,
        "PostgreSQL round trip": postgresql,
        "Redis round trip": ping,
    }
    print(
        f"idle {args.idle * 1e3:.0f} ms between tries, {args.times} tries, {os.cpu_count()} cores"
    )
    print(f"{'step':24} {'busy µs':>9} {'after idle µs':>14} {'x busy':>7}")
    try:
        for name, step in steps.items():
            busy, rested = await _cpu_of(step, idle=args.idle, times=args.times)
            print(f"{name:24} {busy:9.1f} {rested:14.1f} {rested / max(busy, 0.001):7.1f}")
    finally:
        await database.close()
        redis.close()
        left.close()
        right.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=0.2, help="seconds idle before a try")
    parser.add_argument("--times", type=int, default=40, help="tries of each step")
    import uvloop

    uvloop.run(main(parser.parse_args()))
