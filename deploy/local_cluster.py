"""The national topology on this machine, on loopback only: `make cluster` / `make cluster-stop`.

Starts PostgreSQL (as the postgres user when run as root, in a fresh data
directory, on a private port), Redis (private port), two daphne workers on Unix
sockets behind nginx (the site generated from deploy/nginx/helpline.conf.template,
on a free loopback port, without TLS) and run_worker, with production settings:
DEBUG off, a generated SECRET_KEY and CONTENT_ENCRYPTION_KEY, ALLOWED_HOSTS and
CSRF_TRUSTED_ORIGINS for the loopback address. Without TLS, BEHIND_TLS_PROXY and
the HTTPS-only settings (redirect, secure cookies) are off. It migrates, loads
the reference data, and creates two members of staff with a generated password
(seed_demo's demo passwords work only with DEBUG on).

Everything it starts is written to a state file (pids with their start times,
ports, URLs, the environment). `stop` ends those processes only, after checking
each is still the one it started; `start` does nothing when the cluster it
recorded is running, and replaces one that is partly dead. The tests
(tests/cluster/) and the benchmark (bench/chat_load.py --stack cluster) drive
the same code through the Cluster class.

Usage: deploy/local_cluster.py start|stop|status|env [--state-dir DIR] [--workers N]
       [--port PORT] [--set NAME=VALUE ...]
"""

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "helpline.conf.template"
POSTGRES_CONF = ROOT / "deploy" / "postgresql" / "helpline.conf"
DEFAULT_STATE_DIR = ROOT / ".cluster"
PLACEHOLDER = re.compile(r"\$\{(HELPLINE_[A-Z_]+)\}")
STAFF = (("cluster_op", "operator", "01"), ("cluster_sup", "supervisor", "00"))

# The web workers' listen queue; the kernel caps it at net.core.somaxconn (4096).
LISTEN_BACKLOG = 1024


class ClusterError(RuntimeError):
    pass


# --- small helpers ------------------------------------------------------------------


def postgres_settings() -> dict[str, str]:
    """Production's PostgreSQL settings: the `name = value` lines of POSTGRES_CONF."""
    settings = {}
    for line in POSTGRES_CONF.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = (part.strip() for part in line.split("=", 1))
            settings[name] = value.strip("'")
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_time(pid: int) -> str | None:
    """The living process's start time in clock ticks since boot: with the pid, who it is."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after it are plain.
    fields = stat.rsplit(")", 1)[1].split()
    # A zombie has exited; only its parent has not collected it yet.
    return None if fields[0] in ("Z", "X") else fields[19]


def is_running(record: dict | None) -> bool:
    """Whether the recorded process is alive and still the one that was started."""
    if not record:
        return False
    return start_time(record["pid"]) == record["start_time"]


def as_root() -> bool:
    return os.geteuid() == 0


def render_site(**values: str) -> str:
    """The nginx site with every ${HELPLINE_...} placeholder filled, as envsubst would."""
    text = TEMPLATE.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise ClusterError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def unix_http_get(socket_path: str, path: str, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET path from a daphne worker's Unix socket, as a load balancer on the host would."""

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(socket_path)

    connection = UnixConnection("127.0.0.1", timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_get(url: str, *, timeout: float = 5.0) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(check, what: str, *, timeout: float = 60.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ClusterError(f"{what} did not come up in {timeout:.0f} s\n{tail}")


# --- the cluster ----------------------------------------------------------------------


class Cluster:
    """One local cluster, known by its state file."""

    def __init__(self, state_dir: Path = DEFAULT_STATE_DIR):
        self.state_dir = Path(state_dir)
        self.state_file = self.state_dir / "state.json"
        self.state: dict = {}
        if self.state_file.exists():
            self.state = json.loads(self.state_file.read_text())

    # --- what is recorded ---

    @property
    def runtime(self) -> Path:
        return Path(self.state["runtime"])

    @property
    def url(self) -> str:
        return self.state["url"]

    @property
    def env(self) -> dict:
        """The environment of the cluster's processes, for manage.py commands against it."""
        return {**self._base_environment(), **self.state["env"]}

    def web_names(self) -> list[str]:
        return [f"web-{index}" for index in range(1, self.state["workers"] + 1)]

    def socket_path(self, name: str) -> str:
        return str(self.runtime / f"{name}.sock")

    def processes(self) -> dict:
        return self.state.get("processes", {})

    def running(self) -> dict[str, bool]:
        return {name: is_running(record) for name, record in self.processes().items()}

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        # The environment holds the generated SECRET_KEY: readable by its owner only.
        temporary.touch(mode=0o600)
        temporary.write_text(json.dumps(self.state, indent=2))
        temporary.replace(self.state_file)

    # --- start ---

    def start(
        self,
        *,
        workers: int = 2,
        port: int | None = None,
        settings: dict | None = None,
        worker_interval: float = 2.0,
    ) -> bool:
        """Start everything; nothing when the recorded cluster runs; replace a partly dead one."""
        if self.state:
            alive = self.running()
            if alive and all(alive.values()):
                return False
            self.stop()
        runtime = Path(tempfile.mkdtemp(prefix="helpline-cluster-"))
        # The postgres user and nginx's workers reach their files and the workers' sockets.
        runtime.chmod(0o755)
        (runtime / "logs").mkdir()
        nginx_port = port or free_port()
        url = f"http://127.0.0.1:{nginx_port}"
        self.state = {
            "runtime": str(runtime),
            "workers": workers,
            "worker_interval": worker_interval,
            "url": url,
            "ports": {
                "nginx": nginx_port,
                "postgres": free_port(),
                "redis": free_port(),
                "worker_metrics": free_port(),
            },
            "processes": {},
            "staff_password": secrets.token_urlsafe(18),
        }
        ports = self.state["ports"]
        self.state["env"] = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CONTENT_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": url,
            "PUBLIC_BASE_URL": url,
            # No TLS on loopback: nothing to trust, nothing to redirect to, no secure cookies.
            "BEHIND_TLS_PROXY": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "DATABASE_URL": (
                f"postgres://postgres@127.0.0.1:{ports['postgres']}/helpline"
                "?pool_max_size=4&connect_timeout=5"
            ),
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "STATIC_ROOT": str(runtime / "static"),
            "METRICS_ENABLED": "1",
            "METRICS_WORKER_PORT": str(ports["worker_metrics"]),
            "LOG_LEVEL": "INFO",
            **(settings or {}),
        }
        self.save()
        try:
            self.start_postgres(initialise=True)
            self.start_redis()
            self._prepare_database()
            (runtime / "metrics").mkdir()
            for name in self.web_names():
                self.start_web(name)
            self.start_worker()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return True

    def _base_environment(self) -> dict:
        keep = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST_", "DJANGO_", "PROMETHEUS_"))
            and key not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DEBUG", "SECRET_KEY")
        }
        return {**keep, "PYTHONUNBUFFERED": "1"}

    def _record(self, name: str, pid: int) -> None:
        self.state["processes"][name] = {"pid": pid, "start_time": start_time(pid)}
        self.save()

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.runtime / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        # A session of its own: a Ctrl-C in the shell that ran `make cluster` leaves it alone.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._record(name, process.pid)
        return process

    # PostgreSQL

    def _pg_bin(self) -> Path:
        if os.environ.get("PG_BIN"):
            return Path(os.environ["PG_BIN"])
        installed = Path("/usr/lib/postgresql").glob("*/bin")
        versions = sorted(installed, key=lambda path: int(path.parent.name))
        if not versions:
            raise ClusterError("PostgreSQL's server programs were not found (set PG_BIN)")
        return versions[-1]

    def _postgres_command(self, program: str, *args: str) -> list[str]:
        """One of PostgreSQL's server programs, run as the postgres user when this is root."""
        command = [str(self._pg_bin() / program), *args]
        # PostgreSQL refuses to run as root.
        return ["runuser", "-u", "postgres", "--", *command] if as_root() else command

    def start_postgres(self, *, initialise: bool = False) -> None:
        pg = self.runtime / "postgres"
        data = pg / "data"
        if initialise:
            pg.mkdir()
            if as_root():
                shutil.chown(pg, user="postgres")
            initdb = ("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
            subprocess.run(self._postgres_command(*initdb), check=True, capture_output=True)
        port = self.state["ports"]["postgres"]
        options = f"-p {port} -k {pg} -c listen_addresses=127.0.0.1"
        options += "".join(f" -c {name}={value}" for name, value in postgres_settings().items())
        start = ("pg_ctl", "-D", str(data), "-l", str(pg / "server.log"), "-w", "-o", options)
        subprocess.run(self._postgres_command(*start, "start"), check=True, capture_output=True)
        pid = int((data / "postmaster.pid").read_text().split()[0])
        self._record("postgres", pid)

    def stop_postgres(self) -> None:
        data = self.runtime / "postgres" / "data"
        if is_running(self.processes().get("postgres")):
            stop = ("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
            subprocess.run(self._postgres_command(*stop), check=False, capture_output=True)

    # Redis

    def start_redis(self) -> None:
        redis_dir = self.runtime / "redis"
        redis_dir.mkdir(exist_ok=True)
        port = self.state["ports"]["redis"]
        self._spawn(
            "redis",
            [
                *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(redis_dir)),
            ],
        )
        wait_for(
            lambda: _redis_ping(port), "Redis", timeout=20, log=self.runtime / "logs/redis.log"
        )

    # The application

    def manage(self, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            check=True,
            capture_output=True,
            text=True,
        )

    def _prepare_database(self) -> None:
        port = self.state["ports"]["postgres"]
        createdb = [str(self._pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        subprocess.run([*createdb, "-U", "postgres", "helpline"], check=True, capture_output=True)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("seed_demo")
        for username, role, hotline in STAFF:
            self.manage(
                "create_staff",
                "--username",
                username,
                "--role",
                role,
                "--hotline",
                hotline,
                extra_env={"STAFF_PASSWORD": self.state["staff_password"]},
            )

    def _process_env(self) -> dict:
        # Only the web workers and run_worker share the metrics directory.
        return {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.runtime / "metrics")}

    def start_web(self, name: str) -> None:
        socket_path = self.socket_path(name)
        # The listen queue of a Unix socket is 50 by default: 200 consoles reconnecting
        # at once overflow it, and nginx answers 502 and marks the worker down.
        endpoint = f"unix:{socket_path}:backlog={LISTEN_BACKLOG}"
        command = [sys.executable, "-m", "config.serve", "-e", endpoint, "--proxy-headers"]
        self._spawn(name, command, self._process_env())
        wait_for(
            lambda: unix_http_get(socket_path, "/readyz")[0] == 200,
            name,
            log=self.runtime / "logs" / f"{name}.log",
        )

    def start_worker(self) -> None:
        interval = str(self.state["worker_interval"])
        command = [sys.executable, str(ROOT / "manage.py"), "run_worker", "--interval", interval]
        self._spawn("worker", command, self._process_env())
        port = self.state["ports"]["worker_metrics"]
        wait_for(
            lambda: http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200,
            "run_worker",
            log=self.runtime / "logs" / "worker.log",
        )

    # nginx

    def start_nginx(self) -> None:
        conf_dir = self.runtime / "nginx"
        conf_dir.mkdir(exist_ok=True)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (conf_dir / "tmp" / temp).mkdir(parents=True, exist_ok=True)
        (conf_dir / "no-tls.conf").write_text("# No TLS on loopback.\n")
        upstreams = " ".join(f"server unix:{self.socket_path(name)};" for name in self.web_names())
        site = render_site(
            HELPLINE_SERVER_NAME="127.0.0.1 localhost",
            HELPLINE_LISTEN=f"127.0.0.1:{self.state['ports']['nginx']}",
            HELPLINE_TLS_INCLUDE=str(conf_dir / "no-tls.conf"),
            HELPLINE_UPSTREAM_SERVERS=upstreams,
            HELPLINE_STATIC_ROOT=self.state["env"]["STATIC_ROOT"],
            HELPLINE_ERROR_LOG=str(self.runtime / "logs" / "nginx-error.log"),
        )
        (conf_dir / "helpline.conf").write_text(site)
        temp_paths = "\n".join(
            f"    {kind}_temp_path {conf_dir / 'tmp' / kind.replace('client_body', 'body')};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, nginx's workers would otherwise switch to a user who cannot write the
        # temporary folders; this nginx listens on loopback only.
        user = "user root;\n" if as_root() else ""
        (conf_dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {conf_dir / 'nginx.pid'};\n"
            f"error_log {self.runtime / 'logs' / 'nginx-error.log'} warn;\n"
            "events { worker_connections 8192; }\n"
            "http {\n    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n    access_log off;\n"
            f"{temp_paths}\n    include {conf_dir / 'helpline.conf'};\n}}\n"
        )
        command = ["nginx", "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")]
        command += ["-e", str(self.runtime / "logs" / "nginx-error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if checked.returncode:
            raise ClusterError(f"nginx refused its configuration:\n{checked.stderr}")
        self._spawn("nginx", command)
        wait_for(
            lambda: http_get(f"{self.url}/healthz")[0] == 200,
            "nginx",
            log=self.runtime / "logs" / "nginx-error.log",
        )

    # --- stop ---

    def stop(self) -> list[str]:
        """End what this cluster started, and only that; forget it. The names ended."""
        if not self.state:
            return []
        ended = []
        for name in reversed(list(self.processes())):
            record = self.processes()[name]
            if not is_running(record):
                continue
            if name == "postgres":
                self.stop_postgres()
            else:
                terminate(record)
            ended.append(name)
        shutil.rmtree(self.state.get("runtime", ""), ignore_errors=True)
        self.state_file.unlink(missing_ok=True)
        self.state = {}
        return ended

    def heal(self) -> list[str]:
        """Start again every recorded part that is not running; the names started."""
        starters = {
            "postgres": self.start_postgres,
            "redis": self.start_redis,
            "worker": self.start_worker,
            "nginx": self.start_nginx,
        }
        healed = []
        for name, up in self.running().items():
            if not up:
                starters[name]() if name in starters else self.start_web(name)
                healed.append(name)
        return healed

    # --- breaking parts, for the tests ---

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        record = self.processes()[name]
        if not is_running(record):
            raise ClusterError(f"{name} is not running")
        os.kill(record["pid"], sig)
        deadline = time.monotonic() + 20
        while is_running(record) and time.monotonic() < deadline:
            time.sleep(0.02)
        if is_running(record):
            raise ClusterError(f"{name} did not stop")

    def stop_redis(self) -> None:
        self.kill("redis", signal.SIGTERM)


def terminate(record: dict, *, timeout: float = 10.0) -> None:
    os.kill(record["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_running(record) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_running(record):
        os.kill(record["pid"], signal.SIGKILL)


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


# --- command line -----------------------------------------------------------------------


def describe(cluster: Cluster) -> str:
    state = cluster.state
    ports = state["ports"]
    staff = ", ".join(username for username, _role, _hotline in STAFF)
    alive = cluster.running()
    lines = [
        f"helpline cluster at {cluster.url}/ (nginx on loopback, no TLS)",
        f"  chat      {cluster.url}/chat/",
        f"  console   {cluster.url}/console/  as {staff}, password {state['staff_password']}",
        f"  workers   {', '.join(cluster.socket_path(n) for n in cluster.web_names())}",
        f"  postgres  127.0.0.1:{ports['postgres']} (database helpline)",
        f"  redis     127.0.0.1:{ports['redis']}",
        f"  metrics   curl --unix-socket {cluster.socket_path('web-1')} http://127.0.0.1/metrics",
        f"            or run_worker's http://127.0.0.1:{ports['worker_metrics']}/metrics",
        f"  logs      {cluster.runtime / 'logs'}",
        "  processes " + ", ".join(f"{n} {'up' if up else 'DOWN'}" for n, up in alive.items()),
        f"  state     {cluster.state_file}",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status", "env"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=None, help="nginx's port (default: a free one)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting to add"
    )
    args = parser.parse_args(argv)
    cluster = Cluster(args.state_dir)
    if args.action == "start":
        settings = dict(item.split("=", 1) for item in args.set)
        started = cluster.start(workers=args.workers, port=args.port, settings=settings)
        print(("started " if started else "already running: ") + describe(cluster))
    elif args.action == "stop":
        ended = cluster.stop()
        print(f"stopped: {', '.join(ended)}" if ended else "no cluster was running")
    elif args.action == "status":
        if not cluster.state:
            print("no cluster")
            return 1
        print(describe(cluster))
        return 0 if all(cluster.running().values()) else 1
    else:
        if not cluster.state:
            return 1
        for name, value in cluster.state["env"].items():
            print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
