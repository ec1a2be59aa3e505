"""``python -m lms.serve``: uvicorn with its options, its main loop asleep until woken."""

import asyncio
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from uvicorn import Config

from lms import serve
from tests.asyncrun import run_async
from tests.servers import ROOT, base_env, free_port, running, wait_until_healthy


def test_the_main_loop_sleeps_until_a_shutdown_wakes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tick while nothing is asked of it (uvicorn's would come ten times a second, ours
    used to once a second); the shutdown signal's handler wakes it at once."""
    server = serve.QuietServer(Config(app="lms.asgi:application"))
    ticks: list[int] = []

    async def on_tick(counter: int) -> bool:
        ticks.append(counter)
        return server.should_exit

    monkeypatch.setattr(server, "on_tick", on_tick)

    async def scenario() -> list[int]:
        running = asyncio.get_running_loop().create_task(server.main_loop())
        await asyncio.sleep(1.5)
        seen = list(ticks)
        # as the signal handler does, from outside the loop's turn
        threading.Thread(target=server.handle_exit, args=(signal.SIGTERM, None)).start()
        await asyncio.wait_for(running, timeout=10)
        return seen

    assert run_async(scenario) == [0]
    assert ticks == [0, 0]


def test_with_a_request_limit_the_main_loop_still_ticks_once_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve.QuietServer(Config(app="lms.asgi:application", limit_max_requests=1000))
    ticks: list[int] = []
    sleeps: list[float] = []

    async def on_tick(counter: int) -> bool:
        ticks.append(counter)
        return len(ticks) == 4  # shut down after the fourth

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(server, "on_tick", on_tick)
    fake = SimpleNamespace(
        sleep=sleep, get_running_loop=asyncio.get_running_loop, Event=asyncio.Event
    )
    monkeypatch.setattr(serve, "asyncio", fake)  # this module's only
    run_async(server.main_loop)
    assert sleeps == [1.0, 1.0, 1.0]
    # uvicorn counts requests (and notifies a supervisor) on multiples of ten
    assert ticks == [0, 10, 20, 30]


def test_the_date_header_is_that_of_the_second_it_is_read_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_790_000_000.2]
    monkeypatch.setattr(serve, "time", SimpleNamespace(time=lambda: now[0]))
    state = serve.DatedState(date_header=True, headers=[(b"server", b"mektep")])
    state.default_headers = []  # what uvicorn's tick writes is ignored
    first = state.default_headers
    assert first == [(b"date", b"Mon, 21 Sep 2026 14:13:20 GMT"), (b"server", b"mektep")]
    now[0] += 0.5
    assert state.default_headers is first  # made once a second
    now[0] += 1
    later = [(b"date", b"Mon, 21 Sep 2026 14:13:21 GMT"), (b"server", b"mektep")]
    assert state.default_headers == later
    without = serve.DatedState(date_header=False, headers=[(b"server", b"mektep")])
    assert without.default_headers == [(b"server", b"mektep")]


def test_a_response_carries_the_current_date_and_sigterm_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "lms.serve", "lms.asgi:application", "--port", str(port)]
    with running("lms.serve", command, base_env(), tmp_path / "log") as process:
        wait_until_healthy(f"http://127.0.0.1:{port}", [process], timeout=60)
        first = _served_date(port)
        time.sleep(2.1)  # with nothing asked of the server meanwhile
        later = _served_date(port)
        assert (later - first).total_seconds() >= 2
        assert abs((later - datetime.now(UTC)).total_seconds()) < 2
        process.popen.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then raises the signal it caught again: the exit a supervisor
        # expects of a process it told to stop
        assert process.popen.wait(timeout=15) == -signal.SIGTERM
        assert "Finished server process" in process.log.read_text()


def _served_date(port: int) -> datetime:
    url = f"http://127.0.0.1:{port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as response:
        return parsedate_to_datetime(response.headers["Date"])


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
