"""The production layout, started from the Procfile exactly as deployed without Docker:
two ASGI servers, a Celery worker and beat, on real PostgreSQL and Redis, with LMS_ENV=prod."""

import http.client
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from celery import Celery

from tests.servers import (
    VENV_BIN,
    Process,
    base_env,
    free_port_block,
    fresh_database,
    http_get,
    manage,
    redis_url_with_db,
    running,
    wait_until,
    wait_until_healthy,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.integration]

LAYOUT_REDIS_DB = 2  # apart from the test process's own Redis database


@dataclass
class Layout:
    web_ports: list[int]
    redis_url: str
    honcho: Process


def _healthz(port: int) -> tuple[int, dict]:
    status, body = http_get(f"http://127.0.0.1:{port}/healthz")
    return status, json.loads(body)


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    tmp = tmp_path_factory.mktemp("layout")
    redis_url = redis_url_with_db(LAYOUT_REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    with fresh_database(tmp, "mektep_layout") as database:
        env = base_env(
            LMS_ENV="prod",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL="https://mektep.example.kg",
            DATABASE_URL=database.url,
            REDIS_URL=redis_url,
            WORKER_CONCURRENCY="1",
        )
        manage(env, "migrate", "--noinput")
        base_port = free_port_block(2)
        command = [
            str(VENV_BIN / "honcho"),
            "start",
            "--procfile",
            "Procfile",
            "--port",
            str(base_port),
            "--concurrency",
            "web=2",
        ]
        with running("honcho", command, env, tmp / "honcho.log") as honcho:
            ports = [base_port, base_port + 1]
            for port in ports:
                wait_until_healthy(f"http://127.0.0.1:{port}", [honcho], timeout=90)
            yield Layout(web_ports=ports, redis_url=redis_url, honcho=honcho)
    redis.Redis.from_url(redis_url).flushdb()


def test_both_web_servers_report_postgres_redis_and_a_worker(layout: Layout) -> None:
    for port in layout.web_ports:
        # when
        status, body = _healthz(port)
        # then
        assert status == 200, body
        checks = body["checks"]
        assert checks["database"] == {**checks["database"], "ok": True, "vendor": "postgresql"}
        assert checks["redis"]["ok"] is True
        assert "mode" not in checks["redis"]  # a real Redis, not the in-memory fallback
        assert checks["celery"]["ok"] is True
        assert checks["celery"]["workers"], checks["celery"]


def test_a_task_makes_a_round_trip_through_broker_worker_and_result_backend(
    layout: Layout,
) -> None:
    # given a client of the layout's broker, outside the web processes
    client = Celery("layout-client", broker=layout.redis_url, backend=layout.redis_url)
    try:
        # when
        result = client.send_task("lms.health_ping")
        # then the worker of the layout ran it
        assert result.get(timeout=30) == "pong"
    finally:
        client.close()


def test_production_redirects_plain_http_but_not_the_health_probe(layout: Layout) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", layout.web_ports[0], timeout=5)
    try:
        connection.request("GET", "/sign-in/")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 301
    assert response.getheader("Location", "").startswith("https://")
    assert _healthz(layout.web_ports[1])[0] == 200


def test_beat_runs_in_the_layout(layout: Layout) -> None:
    wait_until(
        lambda: "beat: Starting" in layout.honcho.log.read_text(errors="replace"),
        timeout=30,
        what="celery beat did not start",
        processes=[layout.honcho],
    )
