"""/healthz and /readyz: what a load balancer and an operator learn from them, and when."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from prometheus_client import REGISTRY

from tests.live_server import (
    ROOT,
    _drop_postgres_database,
    _wait_until_healthy,
    free_port,
    redis_server,
    server_command,
    server_environment,
)


def database_errors(where: str) -> float:
    value = REGISTRY.get_sample_value("helpline_database_errors_total", {"where": where})
    return value or 0.0


@contextmanager
def database_refusing(monkeypatch):
    """Every new cursor on the default database fails, as when PostgreSQL is down."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "cursor", refuse)
    yield
    monkeypatch.undo()


# --- /healthz ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_healthz_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_answers_503_naming_the_database_when_it_does_not_answer(client, monkeypatch):
    before = database_errors("health")

    with database_refusing(monkeypatch):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\n"
    assert database_errors("health") == before + 1


@pytest.mark.django_db
def test_it_answers_503_naming_redis_when_the_configured_redis_does_not_answer(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"redis unavailable\n"


@pytest.mark.django_db
def test_it_checks_every_configured_redis_shard(client, settings):
    with redis_server() as url:
        settings.REDIS_URL = url
        assert client.get("/healthz").status_code == 200

        settings.REDIS_URL = f"{url},redis://127.0.0.1:{free_port()}/0"
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"redis unavailable\n"


def test_it_names_both_when_the_database_and_redis_are_down(client, settings, monkeypatch, db):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    with database_refusing(monkeypatch):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\nredis unavailable\n"


# --- /readyz -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_readyz_when_healthy_and_migrated(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content == b"ready\n"


@pytest.mark.django_db
def test_it_is_not_ready_while_the_database_is_down(client, monkeypatch):
    with database_refusing(monkeypatch):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


@pytest.mark.django_db
def test_it_serves_health_over_plain_http_when_the_site_redirects_to_https(client, settings):
    # Load balancers ask a worker directly, without nginx's X-Forwarded-Proto.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/cases/").status_code == 301


# --- a real daphne: migrations applied later, and a SIGTERM -----------------------------


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@pytest.mark.server
def test_it_is_ready_only_once_migrated_and_not_while_shutting_down():
    workdir = tempfile.mkdtemp(prefix="helpline-readyz-")
    env, created_database = server_environment(workdir, READYZ_DRAIN_SECONDS="30")
    manage(env, "migrate", "--noinput", "-v0")
    # New code whose migration has not been applied yet: the reports app's.
    manage(env, "migrate", "reports", "zero", "--noinput", "-v0")
    port = free_port()
    log_path = Path(workdir) / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            server_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process, log_path)
        assert get(f"{base}/readyz") == (503, b"migrations pending\n")

        manage(env, "migrate", "--noinput", "-v0")
        assert get(f"{base}/readyz") == (200, b"ready\n")

        process.send_signal(signal.SIGTERM)
        status = None
        deadline = time.monotonic() + 10
        while status != 503 and time.monotonic() < deadline:
            status, body = get(f"{base}/readyz")
        assert (status, body) == (503, b"shutting down\n")
        # Still serving while it drains, so nothing in flight is cut short.
        assert get(f"{base}/healthz") == (200, b"ok\n")
        assert process.poll() is None
        # An operator who cannot wait for the drain sends a second SIGTERM.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
        if created_database:
            _drop_postgres_database(os.environ["DATABASE_URL"], created_database)
