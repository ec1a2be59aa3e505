"""The throwaway database every benchmark runs on: a fresh SQLite file, or, when DATABASE_URL
names a PostgreSQL server, a database ``mektep_bench_<random>`` created there and dropped
afterwards. Django is pointed at it with the development settings and no Redis, unless a
benchmark that runs real Celery workers passes the Redis it uses."""

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


@contextmanager
def throwaway_database(*, redis_url: str | None = None) -> Iterator[None]:
    url = os.environ.get("DATABASE_URL", "")
    admin_url = name = None
    if url.startswith("postgres"):
        import psycopg

        name = f"mektep_bench_{secrets.token_hex(4)}"
        admin_url = urlsplit(url)._replace(path="/postgres").geturl()
        url = urlsplit(url)._replace(path=f"/{name}").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="lms.settings", LMS_ENV="dev")
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    try:
        yield
    finally:
        if admin_url and name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
