"""A real Mektep site for the browser tests, treated as a black box.

The site gets its own fresh database (a new PostgreSQL database next to the one the test process
is configured with, or a SQLite file), its own collected static files, the demo and a platform
administrator, all through ``manage.py`` in subprocesses, and is then served by uvicorn in a
separate process. Every wait is bounded, and everything is torn down in reverse order.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
_VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable

PLATFORM_ADMIN = "e2e-platform-admin"
COMMAND_TIMEOUT = 300  # seconds for one manage.py command (collectstatic compresses every file)
HEALTH_TIMEOUT = 30  # seconds for the server to answer /healthz with 200
STOP_TIMEOUT = 10  # seconds for a process to stop after SIGTERM (and again after SIGKILL)
DB_CONNECT_TIMEOUT = 10  # seconds


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check_running(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"The {self.name} exited with {self.popen.returncode}:\n{_tail(self.log)}"
            )


@dataclass(frozen=True)
class Site:
    base_url: str
    admin_username: str
    admin_password: str
    database: str
    processes: tuple[_Process, ...]

    def check_running(self) -> None:
        """Fail clearly (with the log) if the server or the worker died during the session."""
        for process in self.processes:
            process.check_running()


# --- the database ---------------------------------------------------------------------------
def _uses_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _maintenance_connection() -> psycopg.Connection[Any]:
    """An autocommit connection to the ``postgres`` database of the configured server."""
    default = settings.DATABASES["default"]
    params: dict[str, Any] = {
        "dbname": "postgres",
        "autocommit": True,
        "connect_timeout": DB_CONNECT_TIMEOUT,
    }
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if default.get(key):
            params[param] = str(default[key])
    if default.get("PASSWORD"):
        params["password"] = default["PASSWORD"]
    return psycopg.connect(**params)


def _postgres_url(name: str) -> str:
    """The test process's DATABASE_URL, pointed at database ``name``."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("PostgreSQL is configured, but not through DATABASE_URL.")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield (DATABASE_URL, a printable name) of a new, empty database; drop it afterwards."""
    if not _uses_postgresql():
        path = (tmp_dir / "mektep-e2e.sqlite3").resolve()
        yield f"sqlite:///{path}", str(path)  # an absolute path: sqlite:////tmp/...
        return
    name = f"mektep_e2e_{secrets.token_hex(6)}"
    with _maintenance_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _postgres_url(name), name
    finally:
        with _maintenance_connection() as connection:
            # FORCE terminates whatever connection the server left behind.
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- processes ------------------------------------------------------------------------------
def site_environment(database_url: str, static_root: Path) -> dict[str, str]:
    env = dict(os.environ)  # REDIS_URL stays as the test process has it (or unset)
    env.update(
        DATABASE_URL=database_url,
        LMS_ENV="dev",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(static_root),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    """Run one ``manage.py`` command to completion, or fail with its output."""
    command = [PYTHON, "manage.py", *args]
    try:
        result = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{' '.join(command)} took over {COMMAND_TIMEOUT} s.") from error
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed with {result.returncode}:\n{result.stdout[-4000:]}"
        )


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


@contextmanager
def running(
    name: str, command: Sequence[str], env: dict[str, str], log: Path
) -> Iterator[_Process]:
    """Start a long-running process (output to ``log``); terminate it afterwards, or kill it."""
    with log.open("wb") as output:
        popen = subprocess.Popen(
            list(command),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C reaches pytest, which then stops it in order
        )
    try:
        yield _Process(name, popen, log)
    finally:
        if popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=STOP_TIMEOUT)


def finish(process: _Process, timeout: float) -> None:
    """Wait for a process started with ``running`` to succeed."""
    try:
        process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"The {process.name} took over {timeout} s.") from error
    if process.popen.returncode != 0:
        raise RuntimeError(
            f"The {process.name} failed with {process.popen.returncode}:\n{_tail(process.log)}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base_url: str, server: _Process, others: Sequence[_Process]) -> None:
    """Poll ``/healthz`` until it answers 200, for at most HEALTH_TIMEOUT seconds."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    deadline = time.monotonic() + HEALTH_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        for process in (server, *others):
            process.check_running()
        try:
            with opener.open(f"{base_url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}: {error.read()[:500]!r}"
        except (urllib.error.URLError, OSError) as error:
            last = repr(error)
        time.sleep(0.25)
    logs = "\n".join(f"--- {p.name} log:\n{_tail(p.log)}" for p in (server, *others))
    raise RuntimeError(
        f"{base_url}/healthz did not answer 200 within {HEALTH_TIMEOUT} s (last: {last}).\n{logs}"
    )


# --- the whole site -------------------------------------------------------------------------
@contextmanager
def serve_site(tmp_dir: Path) -> Iterator[Site]:
    """Prepare a fresh database and static files, start the site, yield it, tear it all down."""
    with ExitStack() as stack:
        database_url, database = stack.enter_context(fresh_database(tmp_dir))
        env = site_environment(database_url, tmp_dir / "static")

        # collectstatic (which compresses every file, gzip and brotli) needs no database: it
        # runs while the database is prepared.
        collectstatic = [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
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

        finish(collecting, COMMAND_TIMEOUT)

        others: list[_Process] = []
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
        uvicorn = [PYTHON, "-m", "uvicorn", "lms.asgi:application"]
        uvicorn += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
        server = stack.enter_context(running("server", uvicorn, env, tmp_dir / "server.log"))
        wait_until_healthy(base_url, server, others)

        yield Site(
            base_url=base_url,
            admin_username=PLATFORM_ADMIN,
            admin_password=admin_password,
            database=database,
            processes=(server, *others),
        )
