"""The API's shared behaviour: OpenAPI schema, docs, error shape, health."""

import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.servers import ROOT, base_env

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_builds_without_warnings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"],
        cwd=ROOT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    assert "/api/v1/people/" in result.stdout


def test_the_schema_and_the_interactive_docs_are_served(client: Client) -> None:
    assert client.get(reverse("api-schema")).status_code == 200
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    # the docs' assets are served by us, not fetched from a CDN the school cannot reach
    assert "cdn.jsdelivr" not in docs.content.decode()


def test_unknown_api_paths_answer_in_the_error_shape(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_healthz_is_healthy_in_the_embedded_default(client: Client, settings) -> None:
    # given the embedded default: no Redis, Celery in-process
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # when
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["celery"]["mode"].startswith("eager")


def test_healthz_reports_an_unreachable_redis_as_unavailable(client: Client, settings) -> None:
    # given a Redis that nothing listens on
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # when
    response = client.get(reverse("healthz"))
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "error" in body["checks"]["redis"]
