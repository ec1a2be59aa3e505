"""A real Mektep site for the browser tests, treated as a black box.

The site gets its own fresh database (a new PostgreSQL database next to the one the test process
is configured with, or a SQLite file), its own collected static files, the demo and a platform
administrator, all through ``manage.py`` in subprocesses, and is then served by uvicorn in a
separate process. Every wait is bounded, and everything is torn down in reverse order
(the shared pieces are in ``tests/servers.py``).
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tests.servers import (
    COMMAND_TIMEOUT,
    PYTHON,
    Process,
    base_env,
    free_port,
    fresh_database,
    manage,
    manage_command,
    running,
    wait_until_healthy,
)

PLATFORM_ADMIN = "e2e-platform-admin"
HEALTH_TIMEOUT = 30  # seconds for the server to answer /healthz with 200


@dataclass(frozen=True)
class Site:
    base_url: str
    admin_username: str
    admin_password: str
    database: str
    processes: tuple[Process, ...]

    def check_running(self) -> None:
        """Fail clearly (with the log) if the server or the worker died during the session."""
        for process in self.processes:
            process.check_running()


def site_environment(database_url: str, static_root: Path) -> dict[str, str]:
    # Redis, eager Celery (or not) and the settings module stay as the test process has them:
    # its settings decide below whether a worker is needed.
    inherited = {
        name: os.environ[name]
        for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE")
        if name in os.environ
    }
    return base_env(
        **inherited,
        DATABASE_URL=database_url,
        LMS_ENV="dev",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(static_root),
    )


@contextmanager
def serve_site(tmp_dir: Path) -> Iterator[Site]:
    """Prepare a fresh database and static files, start the site, yield it, tear it all down."""
    with ExitStack() as stack:
        database = stack.enter_context(fresh_database(tmp_dir, "mektep_e2e"))
        env = site_environment(database.url, tmp_dir / "static")

        # collectstatic (which compresses every file, gzip and brotli) needs no database: it
        # runs while the database is prepared.
        collectstatic = manage_command("collectstatic", "--noinput", "--verbosity", "0")
        collecting = stack.enter_context(
            running("collectstatic", collectstatic, env, tmp_dir / "collectstatic.log")
        )
        manage(env, "migrate", "--noinput")
        manage(env, "demo_load")
        admin_password = secrets.token_urlsafe(18)
        manage(
            {**env, "DJANGO_SUPERUSER_PASSWORD": admin_password},
            "createsuperuser",
            "--noinput",
            "--username",
            PLATFORM_ADMIN,
            "--email",
            f"{PLATFORM_ADMIN}@example.org",
        )

        collecting.finish(COMMAND_TIMEOUT)

        others: list[Process] = []
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            # With a broker (REDIS_URL) /healthz asks a Celery worker for a pong: start one.
            worker = [PYTHON, "-m", "celery", "-A", "lms", "worker", "--loglevel", "INFO"]
            worker += ["--pool", "solo", "--without-gossip", "--without-mingle"]
            worker += ["--hostname", f"e2e-{secrets.token_hex(4)}@%h"]
            others.append(
                stack.enter_context(running("Celery worker", worker, env, tmp_dir / "worker.log"))
            )

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        uvicorn = [PYTHON, "-m", "lms.serve", "lms.asgi:application"]
        uvicorn += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
        server = stack.enter_context(running("server", uvicorn, env, tmp_dir / "server.log"))
        wait_until_healthy(base_url, (server, *others), timeout=HEALTH_TIMEOUT)

        yield Site(
            base_url=base_url,
            admin_username=PLATFORM_ADMIN,
            admin_password=admin_password,
            database=database.name,
            processes=(server, *others),
        )
