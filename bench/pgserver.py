"""A throwaway PostgreSQL for the benchmarks, or the one DATABASE_URL names.

`private_postgres()` runs initdb in a temporary directory, starts the server on
a free loopback port (as the `postgres` user when run as root: PostgreSQL
refuses root), and removes everything when the block ends. Its configuration
is PostgreSQL's default apart from where it listens and the settings production
is given (deploy/postgresql/helpline.conf), so the figures are what a fresh
install set up as docs/operations.md says gives.

BENCH_PG_DIR names a directory to keep the server's data in instead: it is
created (and seeded) on the first run and reused by the next ones, so the three
runs of a benchmark, and both benchmarks, seed once. The caller removes it.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from deploy.local_cluster import postgres_settings

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SETTINGS = {"listen_addresses": "127.0.0.1", **postgres_settings()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    def __init__(self, *, settings: dict | None = None, directory: Path | None = None):
        self.kept = directory is not None
        if self.kept:
            directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory or Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "log"
        self.port = _free_port()
        self.settings = {**SETTINGS, **(settings or {})}
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.directory, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if self.as_postgres:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        if not self.data.exists():
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        options = " ".join(f"-c {name}={value}" for name, value in self.settings.items())
        options += f" -p {self.port} -k {self.directory}"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop and start again: PostgreSQL's own cache (shared buffers) starts empty.

        The operating system's page cache is not emptied (that would need root
        and slow down everything else on the machine): a "cold" run reads from
        memory, not from disk.
        """
        self.stop()
        self.start()
        time.sleep(0.5)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        if not self.kept:
            shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def postgres_for_bench():
    """The database to measure on: DATABASE_URL's if set (yielding None), else a private one."""
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    kept = os.environ.get("BENCH_PG_DIR")
    server = PrivatePostgres(directory=Path(kept) if kept else None)
    try:
        server.start()
        os.environ["DATABASE_URL"] = server.url
        yield server
    finally:
        server.remove()


def server_description(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        settings = []
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "max_parallel_workers_per_gather",
            "jit",
            "random_page_cost",
        ):
            cursor.execute(f"SHOW {name}")
            settings.append(f"{name}={cursor.fetchone()[0]}")
    return f"PostgreSQL {version} ({', '.join(settings)})"
