"""``python -m lms.serve``: uvicorn with its options, its main loop waking once a second."""

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from uvicorn import Config

from lms import serve
from tests.asyncrun import run_async
from tests.servers import ROOT


def test_the_main_loop_wakes_once_a_second_and_does_its_once_a_second_work_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve.QuietServer(Config(app="lms.asgi:application"))
    ticks: list[int] = []
    sleeps: list[float] = []

    async def on_tick(counter: int) -> bool:
        ticks.append(counter)
        return len(ticks) == 4  # shut down after the fourth

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(server, "on_tick", on_tick)
    monkeypatch.setattr(serve, "asyncio", SimpleNamespace(sleep=sleep))  # this module's only
    run_async(server.main_loop)
    assert sleeps == [1.0, 1.0, 1.0]
    # uvicorn refreshes the Date header (and notifies a supervisor) on multiples of ten
    assert ticks == [0, 10, 20, 30]


def test_a_tick_s_counter_refreshes_the_date_header() -> None:
    server = serve.QuietServer(Config(app="lms.asgi:application"))
    server.server_state.default_headers = []

    async def tick() -> list[Any]:
        await server.on_tick(10)
        return list(server.server_state.default_headers)

    assert [name for name, _value in run_async(tick)][:1] == [b"date"]


def test_it_takes_uvicorn_s_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lms.serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--ws-per-message-deflate" in done.stdout
    assert "--proxy-headers" in done.stdout


def test_the_procfile_and_make_run_serve_through_it() -> None:
    assert "python -m lms.serve lms.asgi:application" in (ROOT / "Procfile").read_text()
    assert "-m lms.serve lms.asgi:application" in (ROOT / "Makefile").read_text()
