#!/usr/bin/env bash
# `make test`: install what is missing, start PostgreSQL and Redis when possible, then run lint,
# type checks and the whole test suite. Under CI (CI=true) PostgreSQL, Redis and Chromium are
# required: nothing that needs them may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

in_ci=false
case "${CI:-}" in true | 1 | yes) in_ci=true ;; esac
PY=.venv/bin/python
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/mektep}
REDIS_TEST_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

postgres_up() {
  $PY - "$PG_URL" 2>/dev/null <<'PY'
import sys
from urllib.parse import urlsplit

import psycopg

url = urlsplit(sys.argv[1])._replace(path="/postgres").geturl()
psycopg.connect(url, connect_timeout=3).close()
PY
}
redis_up() {
  $PY -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$REDIS_TEST_URL" 2>/dev/null
}

if ! postgres_up && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "Starting PostgreSQL..."
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do postgres_up && break; sleep 1; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  echo "Starting Redis..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/mektep-redis.log || true
  for _ in 1 2 3 4 5; do redis_up && break; sleep 1; done
fi

if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  (as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium) \
    >/dev/null || true
fi

pgbouncer_installed() { command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; }
if ! pgbouncer_installed && command -v apt-get >/dev/null; then
  echo "Installing Debian's pgbouncer for the tests of the live lessons behind a pooler..."
  (as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq pgbouncer) \
    >/dev/null || true
fi

services=()
if postgres_up; then
  export DATABASE_URL=$PG_URL
  services+=(postgres)
else
  unset DATABASE_URL
  echo "PostgreSQL is not reachable: the tests run on SQLite."
fi
if redis_up; then
  export REDIS_URL=$REDIS_TEST_URL
  services+=(redis)
else
  unset REDIS_URL
  echo "Redis is not reachable: the tests use the in-memory channel layer."
fi
if $in_ci; then
  missing=""
  postgres_up || missing="$missing PostgreSQL"
  redis_up || missing="$missing Redis"
  [ -x /usr/bin/chromium ] || missing="$missing Chromium"
  pgbouncer_installed || missing="$missing PgBouncer"
  if [ -n "$missing" ]; then
    echo "CI needs$missing; refusing to run the suite without them." >&2
    exit 1
  fi
fi
export LMS_ENV=dev

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest (services: ${services[*]:-none})"
exec .venv/bin/pytest "$@"
