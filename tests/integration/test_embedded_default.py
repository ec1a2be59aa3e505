"""The embedded default as ``make run`` serves it: SQLite, no broker (eager Celery), the
in-memory channel layer, and uvicorn with the lifespan on. There is no beat process, so the web
process runs the periodic jobs itself (lms.embedded_beat): a pupil with a page open gets a live
lesson's 15-minute reminder live, as in production."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from lms.accounts.demo import DEMO_PASSWORD
from tests.servers import PYTHON, base_env, free_port, manage, running, wait_until_healthy

pytestmark = pytest.mark.integration

TITLE = "Fractions, live from the demo"
WAIT = 30.0  # seconds for a frame; the reminder job runs every second here


def _token(base_url: str, username: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/auth/token/",
        json={"username": username, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def _next_notice_of(socket: Any, title: str) -> dict[str, Any]:
    """The next notice about ``title`` (the demo's own lessons may be reminded meanwhile)."""
    while True:
        frame = json.loads(socket.recv(timeout=WAIT))
        if frame["type"] == "notice" and title in frame["title"]:
            return dict(frame)


def test_the_demo_reminds_a_pupil_of_a_lesson_live(tmp_path: Path) -> None:
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        LMS_ENV="dev",
        LIVE_LESSON_REMINDER_SECONDS="1",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "demo_load")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server_command = [PYTHON, "-m", "lms.serve", "lms.asgi:application"]
    server_command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    with running("server", server_command, env, tmp_path / "server.log") as server:
        wait_until_healthy(base_url, (server,), timeout=30)
        teacher = {"Authorization": f"Token {_token(base_url, 'demo-teacher')}"}
        pupil = {"Authorization": f"Token {_token(base_url, 'demo-student')}"}
        classes = httpx.get(f"{base_url}/api/v1/classes/", headers=teacher, timeout=10).json()
        cohort = classes["results"][0]["id"]

        # Given the pupil with a page open (in English)
        url = f"ws://127.0.0.1:{port}/ws/notifications/?lang=en"
        with connect(url, additional_headers=pupil, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=WAIT))["type"] == "notices.hello"

            # When the teacher schedules a lesson of the pupil's class ten minutes ahead
            starts = datetime.now(UTC) + timedelta(minutes=10)
            response = httpx.post(
                f"{base_url}/api/v1/classes/{cohort}/live-lessons/",
                headers=teacher,
                json={
                    "title": TITLE,
                    "starts_at": starts.isoformat(),
                    "duration_minutes": 40,
                },
                timeout=10,
            )
            assert response.status_code == 201, response.text

            # Then the pupil's page is told of it at once, and then reminded, with no beat
            assert _next_notice_of(socket, TITLE)["kind"] == "lesson_scheduled"
            assert _next_notice_of(socket, TITLE)["kind"] == "lesson_starting"
        server.check_running()
