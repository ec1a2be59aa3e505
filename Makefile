# Mektep: `make run` serves the demo, `make test` runs lint, types and every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup messages schema prod-layout clean

setup:
	@PYTHON=$(PYTHON) scripts/bootstrap.sh

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_load
	$(PY) -m lms.serve lms.asgi:application --host $(HOST) --port $(PORT) --lifespan on

test:
	@PYTHON=$(PYTHON) scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

messages: setup
	$(PY) manage.py makemessages -l ky -l ru -l mn --ignore=.venv --ignore=var --ignore=tests --ignore=scripts --ignore=bench --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

schema: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

# The production layout without Docker: two ASGI servers, a Celery worker and beat, on the
# PostgreSQL and Redis named by DATABASE_URL and REDIS_URL.
prod-layout: setup
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho start -f Procfile -c web=2

clean:
	rm -rf $(VENV) var
