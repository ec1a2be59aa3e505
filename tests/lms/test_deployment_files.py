"""Docker cannot run on our build machines, so check what can be checked of the deployment
files: the compose file and the Procfile describe the same processes from one image."""

import re

import yaml

from tests.servers import ROOT


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_compose_runs_web_worker_and_beat_from_one_image_with_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    images = {services[name].get("image") for name in ("web", "worker", "beat", "migrate")}
    assert images == {"mektep:latest"}
    assert all(services[name]["build"] == "." for name in ("web", "worker", "beat"))


def test_every_compose_process_exists_in_the_procfile() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    procfile = _procfile()
    for name in ("web", "worker", "beat"):
        command = compose["services"][name]["command"]
        assert command[:2] == ["honcho", "start"]
        assert command[-1] in procfile


def test_the_procfile_serves_asgi_and_runs_celery() -> None:
    procfile = _procfile()
    assert "lms.asgi:application" in procfile["web"]
    assert re.search(r"celery -A lms worker", procfile["worker"])
    assert re.search(r"celery -A lms beat", procfile["beat"])


def test_the_example_environment_names_every_production_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    for name in ("LMS_ENV", "DJANGO_SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert name in example
