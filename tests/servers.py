"""Helpers for tests that start Mektep's real processes: a fresh database, ``manage.py`` in a
subprocess, free ports, long-running processes that are always stopped, and bounded waits.

Every wait is bounded, and every failure says why, with the end of the output or the log.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent

COMMAND_TIMEOUT = 300  # seconds for one manage.py command (collectstatic compresses every file)
STOP_TIMEOUT = 10  # seconds for a process group to stop after SIGTERM (and again after SIGKILL)
DB_CONNECT_TIMEOUT = 10  # seconds
POLL_INTERVAL = 0.25  # seconds between two looks while waiting
TAIL = 4000  # characters of output or log shown in a failure


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-TAIL:]
    except OSError:
        return "(no log)"


# --- the database ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Database:
    url: str  # a DATABASE_URL
    name: str  # printable: the PostgreSQL database's name, or the SQLite file's path


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
def fresh_database(tmp_dir: Path, prefix: str) -> Iterator[Database]:
    """A new, empty database of the kind the tests run on (a PostgreSQL database next to the
    configured one, or a SQLite file in ``tmp_dir``); dropped afterwards."""
    if not _uses_postgresql():
        path = (tmp_dir / f"{prefix}.sqlite3").resolve()
        yield Database(f"sqlite:///{path}", str(path))  # an absolute path: sqlite:////tmp/...
        return
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _maintenance_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Database(_postgres_url(name), name)
    finally:
        with _maintenance_connection() as connection:
            # FORCE terminates whatever connection a stopped server left behind.
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def redis_url_with_db(index: int) -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", "", ""))


# --- commands -------------------------------------------------------------------------------
def base_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without its database, Redis and settings choices."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def manage_command(*args: str) -> list[str]:
    return [PYTHON, "manage.py", *args]


def manage(env: dict[str, str], *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run one ``manage.py`` command to completion and return its output, or fail with it."""
    command = manage_command(*args)
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = error.output or ""  # what came so far (bytes, despite text=True)
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        raise RuntimeError(
            f"{' '.join(command)} took over {timeout} s:\n{output[-TAIL:]}"
        ) from error
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed with {result.returncode}:\n{result.stdout[-TAIL:]}"
        )
    return result.stdout


# --- ports ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_block(size: int) -> int:
    """A base port such that base .. base+size-1 are all free right now."""
    for _ in range(50):
        base = free_port()
        if base + size > 65535:
            continue
        try:
            for offset in range(size):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports found")


# --- long-running processes -----------------------------------------------------------------
@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check_running(self) -> None:
        """Fail clearly, with the end of the log, if the process has exited."""
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"The {self.name} exited with {self.popen.returncode}:\n{_log_tail(self.log)}"
            )

    def finish(self, timeout: float) -> None:
        """Wait for the process to exit, and fail (with the log) unless it succeeded."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"The {self.name} took over {timeout} s.") from error
        if self.popen.returncode != 0:
            raise RuntimeError(
                f"The {self.name} failed with {self.popen.returncode}:\n{_log_tail(self.log)}"
            )


@contextmanager
def running(name: str, command: Sequence[str], env: dict[str, str], log: Path) -> Iterator[Process]:
    """Start ``command`` in its own session and process group, output to ``log``; on exit,
    whatever happens, stop the whole group (SIGTERM, then SIGKILL; every wait bounded)."""
    with log.open("wb") as output:
        popen = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C reaches pytest, which then stops it in order
        )
    try:
        yield Process(name, popen, log)
    finally:
        _stop_group(popen)


def _stop_group(popen: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left of it (the leader if it
    ignored SIGTERM, a child that outlived it); each wait is bounded."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(popen.pid, sig)
        except ProcessLookupError:
            return  # nothing is left in the group
        with suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=STOP_TIMEOUT)


# --- waiting --------------------------------------------------------------------------------
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _NotYet(OSError):
    """Raised by a condition of ``wait_until`` to say what it saw instead."""


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    processes: Sequence[Process],
) -> None:
    """Poll ``condition`` until it is true, for at most ``timeout`` seconds. An OSError from it
    (a refused connection, ``_NotYet``) means "not yet". Fails at once, with the log, if one of
    ``processes`` exits; on time out, with the end of every process's log."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        for process in processes:
            process.check_running()
        try:
            if condition():
                return
            last = "not yet"
        except OSError as error:
            last = str(error) if isinstance(error, _NotYet) else repr(error)
        time.sleep(POLL_INTERVAL)
    logs = "\n".join(f"--- {p.name} log:\n{_log_tail(p.log)}" for p in processes)
    raise TimeoutError(f"{what} within {timeout} s (last: {last}).\n{logs}")


def wait_until_healthy(base_url: str, processes: Sequence[Process], *, timeout: float) -> None:
    """Poll ``base_url``/healthz until it answers 200."""

    def healthy() -> bool:
        status, body = http_get(f"{base_url}/healthz")
        if status != 200:
            raise _NotYet(f"HTTP {status}: {body[:500]!r}")
        return True

    wait_until(
        healthy,
        timeout=timeout,
        what=f"{base_url}/healthz did not answer 200",
        processes=processes,
    )


# --- the Procfile, Redis, and killing -------------------------------------------------------
def procfile_command(name: str) -> list[str]:
    """The ``name`` line of the Procfile, as a command run by ``sh`` exactly as honcho runs it
    (``$PORT`` and the other variables come from the environment)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        kind, colon, command = line.partition(":")
        if colon and kind.strip() == name:
            return ["sh", "-c", command.strip()]
    raise RuntimeError(f"The Procfile has no {name!r} line.")


def kill_group(process: Process) -> None:
    """SIGKILL the process's whole group at once (no chance to clean up), and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.popen.pid, signal.SIGKILL)
    try:
        process.popen.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"The {process.name} outlived SIGKILL for {STOP_TIMEOUT} s.") from error


@contextmanager
def redis_server(port: int, log: Path, *, timeout: float = 10) -> Iterator[Process]:
    """A redis-server of the test's own on ``port`` (no snapshots, no append-only file: a
    restart starts empty), answering PING before this returns; always stopped afterwards."""
    import redis

    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    with running(f"redis-server on {port}", command, dict(os.environ), log) as process:

        def answers() -> bool:
            client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
            try:
                return bool(client.ping())
            except redis.ConnectionError as error:
                raise _NotYet(str(error)) from error
            finally:
                client.close()

        wait_until(answers, timeout=timeout, what="redis-server answered PING", processes=[process])
        yield process


def pgbouncer_binary() -> str | None:
    """Debian's pgbouncer (in /usr/sbin, which a user's PATH may leave out), if installed."""
    return shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")


@contextmanager
def pgbouncer(port: int, *, ignore: Sequence[str] = (), timeout: float = 10) -> Iterator[Process]:
    """Debian's PgBouncer in transaction mode on ``port``, in front of the test's PostgreSQL
    (every database name passed through; trust authentication, as the server's). It refuses
    a connection that sends a server setting it does not know, unless the setting is in
    ``ignore``, which it then leaves out. Always stopped afterwards."""
    params = urlsplit(_postgres_url("postgres"))
    user = params.username or "postgres"
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    directory.chmod(0o755)  # read by the unprivileged user it turns into when started as root
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={params.hostname or '127.0.0.1'} port={params.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"ignore_startup_parameters = {','.join(ignore)}\n"
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    binary = pgbouncer_binary()
    assert binary is not None
    command = [binary, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(config)]
    try:
        with running(
            f"pgbouncer on {port}", command, dict(os.environ), directory / "log"
        ) as process:

            def answers() -> bool:
                url = f"postgresql://{user}@127.0.0.1:{port}/postgres"
                try:
                    psycopg.connect(url, connect_timeout=2).close()
                except psycopg.OperationalError as error:
                    raise _NotYet(str(error)) from error
                return True

            wait_until(answers, timeout=timeout, what="pgbouncer answered", processes=[process])
            yield process
    finally:
        shutil.rmtree(directory, ignore_errors=True)
