"""Production refuses to start on anything insecure or embedded-only, and a correctly
configured production passes Django's deployment checks."""

import secrets
import subprocess
import sys

import pytest

from tests.servers import ROOT, base_env

GOOD_PRODUCTION = {
    "LMS_ENV": "prod",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "false",
    "ALLOWED_HOSTS": "mektep.example.kg",
    "DATABASE_URL": "postgres://mektep@db.example.kg:5432/mektep",
    "REDIS_URL": "redis://redis.example.kg:6379/0",
    "SITE_URL": "https://mektep.example.kg",
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=base_env(DJANGO_SETTINGS_MODULE="lms.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_correct_production_configuration_starts() -> None:
    result = _start(GOOD_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        pytest.param({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY", id="development-secret"),
        pytest.param({"DJANGO_SECRET_KEY": "short-secret"}, "DJANGO_SECRET_KEY", id="short-secret"),
        pytest.param({"DEBUG": "true"}, "DEBUG must be off", id="debug"),
        pytest.param({"REDIS_URL": ""}, "REDIS_URL must be set", id="in-memory-channel-layer"),
        pytest.param({"CELERY_TASK_ALWAYS_EAGER": "true"}, "eagerly", id="eager-celery"),
        pytest.param({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS", id="no-allowed-hosts"),
        pytest.param({"DATABASE_URL": "sqlite:////tmp/mektep.sqlite3"}, "PostgreSQL", id="sqlite"),
        pytest.param({"SITE_URL": ""}, "SITE_URL", id="no-site-address"),
        pytest.param(
            {"SMS_GATEWAY_URL": "https://sms.example.kg/send"},
            "SMS_CALLBACK_TOKEN",
            id="sms-gateway-without-callback-token",
        ),
    ],
)
def test_production_refuses_to_start_on_an_insecure_setting(
    change: dict[str, str], complaint: str
) -> None:
    # given a production environment with one insecure setting
    env = {**GOOD_PRODUCTION, **change}
    env = {name: value for name, value in env.items() if value != ""}
    # when the application starts
    result = _start(env)
    # then it refuses, naming the problem
    assert result.returncode != 0
    assert "Refusing to start with LMS_ENV=prod" in result.stderr
    assert complaint in result.stderr


def test_a_public_host_without_production_mode_is_refused() -> None:
    # given a deployment that named its host but forgot LMS_ENV=prod
    result = _start({"ALLOWED_HOSTS": "mektep.example.kg"})
    # then it does not start with DEBUG and the published development key
    assert result.returncode != 0
    assert "set LMS_ENV=prod" in result.stderr


def test_check_deploy_reports_nothing_under_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=base_env(**GOOD_PRODUCTION),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_embedded_default_needs_no_environment() -> None:
    result = _start({})
    assert result.returncode == 0, result.stderr
