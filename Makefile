# The helpline in two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs (`pip install .`, as in production), and what the tests need on top (the
# dev extras: pytest, Playwright, websockets, ruff). The code runs from this checkout: the
# package installs dependencies only, so it need not be editable (which setuptools warns about).
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
RUN_ENV := DEBUG=1

.PHONY: run test lint check messages install clean cluster cluster-stop

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet .
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[dev]"
	touch $(STAMP) $(RUNTIME_STAMP)

install: $(STAMP)

run: $(RUNTIME_STAMP)
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@# The worker runs the timers (deadline reminders, stale queues, SMS retries)
	@# beside the web server, and stops with it. config.serve is daphne without its
	@# access log (no client addresses); tests/test_access_log.py runs this very line.
	$(RUN_ENV) $(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python -m config.serve -b 127.0.0.1 -p 8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The national topology on this machine, on loopback only: PostgreSQL, Redis, nginx, two
# daphne workers and run_worker, with production settings (docs/operations.md, "Local cluster").
cluster: $(RUNTIME_STAMP)
	CLUSTER_PYTHON=$(BIN)/python deploy/local-cluster start

cluster-stop:
	CLUSTER_PYTHON=$(BIN)/python deploy/local-cluster stop

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# User-facing text is written in Vietnamese; regenerate the English catalogue after changing it,
# translate the new entries in locale/en/LC_MESSAGES/django.po, then run this again to compile.
# The scripts in static/ carry their own vi/en dictionaries, so there is no djangojs catalogue.
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --add-location=file \
		--ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
