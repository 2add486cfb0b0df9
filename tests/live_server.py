"""A real daphne process serving the helpline, for smoke, browser and load tests.

The server gets its own database: a fresh SQLite file by default, or, when
DATABASE_URL points at PostgreSQL, a fresh database created beside the one the
URL names. It is migrated and seeded with the demo data (DEBUG on, so the demo
staff can log in with the demo password).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "helpline-demo-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server():
    """A Redis of its own on a free loopback port; its URL."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not redis_answers(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def redis_answers(port: int) -> bool:
    ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
    return ping.stdout.strip() == b"PONG"


def _postgres_database_for_server(base_url: str) -> tuple[str, str]:
    """Create a fresh database next to the one in base_url; return (url, name)."""
    import psycopg

    name = f"live_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_postgres_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(workdir: str, **extra: str) -> tuple[dict, str | None]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SECRET_KEY="live-server-test-secret-key-0123456789abcdef",
        SQLITE_PATH=str(Path(workdir) / "live.sqlite3"),
        PYTHONUNBUFFERED="1",
    )
    created_database = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], created_database = _postgres_database_for_server(
            os.environ["DATABASE_URL"]
        )
    env.update(extra)
    return env, created_database


def server_command(port: int) -> list[str]:
    """daphne as `make run` and production start it (config.serve: no access log)."""
    return [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port)]


@contextmanager
def live_daphne(
    port: int | None = None,
    *,
    command=server_command,
    log_path: Path | None = None,
    setup: tuple[list[str], ...] = (),
    **extra_env: str,
):
    """Start daphne on a free loopback port; yield its base URL, e.g. http://127.0.0.1:PORT.

    Pass port (from free_port()) when a setting must name the server's own URL
    before it starts, e.g. TWILIO_PUBLIC_BASE_URL. command(port) is the command
    line that starts the server; its stdout and stderr go to log_path (a file
    in a fresh folder by default), complete once the block has left. setup holds
    more manage.py commands to run after the demo data is loaded.
    """
    workdir = tempfile.mkdtemp(prefix="helpline-live-")
    env, created_database = server_environment(workdir, **extra_env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for step in (["migrate", "--noinput", "-v0"], ["seed_demo"], *setup):
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    port = port or free_port()
    log_path = log_path or Path(workdir) / "daphne.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if created_database:
            _drop_postgres_database(os.environ["DATABASE_URL"], created_database)


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not become healthy:\n{log_path.read_text(errors='replace')}")
