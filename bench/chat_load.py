"""Load benchmark of the chat relay: N young people, N/10 operators, real websockets.

Not a test. It starts daphne on the embedded defaults (SQLite, in-memory channel
layer, one process) with DEBUG off, as production runs, creates N/10 operators
of the Hanoi hotline, and from a separate process drives N youth sockets and
N/10 consoles. Every young person
sends one message every PERIOD seconds (fixed rate, random phase). Latency is
timed from the intended send time, so a stalled client does not hide server
delay. Lost and duplicated messages are counted from seq: every message the
young person got an ack for must reach the operator exactly once.

Then it runs a bare Channels echo consumer (bench/echo_asgi.py) under daphne
with the same number of sockets and the same offered load, plus a short
closed-loop saturation phase for both, and prints our throughput as a ratio.

With --stack cluster it measures the same scenarios through nginx on the local
cluster (deploy/local_cluster.py: --workers daphne workers on Unix sockets,
PostgreSQL, Redis, run_worker), then the echo consumer on as many workers
behind the same nginx. Nothing is pinned then: the cluster's processes share
the machine's cores with the client.

With --idle it only connects N young people who start a chat and wait (nobody
answers), lets every socket tick once, and reports the server's resident memory
per socket and its CPU over the window. They are silent, or with --pings N send
the chat page's ping every N s, as static/chat/link.js does every 4 s.

Usage: python bench/chat_load.py [--youths 200] [--duration 60] [--period 5]
       [--saturation 10] [--no-pin] [--stack embedded|cluster] [--workers 2]
       [--idle [--pings 4]]
"""

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import (  # noqa: E402
    _wait_until_healthy,
    free_port,
    server_environment,
)

CREATE_OPERATORS = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.models import User
from helpline.staff import staff_create
keys = []
for index in range({count}):
    name = f"bench_op_{{index}}"
    user = User.objects.filter(username=name).first() or staff_create(
        username=name, role="operator", password=None, hotline_code="01")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The first backend that can load a user back (the lockout backend only refuses).
    session[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As after the authenticator app's code: every staff session needs its second factor.
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="app", confirmed=True))
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    keys.append(session.session_key)
print("KEYS=" + ",".join(keys))
"""


# --- server side ----------------------------------------------------------------


class Server:
    def __init__(self, app: str, env: dict, pin: bool):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        # Verbosity 0, as config.serve runs the helpline: no access log, for both servers.
        command = [sys.executable, "-m", "daphne", "-v", "0"]
        # daphne's own options to try (e.g. "--ping-interval 60"), for both servers.
        command += shlex.split(os.environ.get("BENCH_DAPHNE_OPTIONS", ""))
        command += ["-b", "127.0.0.1", "-p", str(self.port), app]
        if pin:
            command = ["taskset", "-c", "0", *command]
        env = {**env, **json.loads(env.get("BENCH_SERVER_SETTINGS", "{}"))}
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.base = f"http://127.0.0.1:{self.port}"
        log_path = Path(env["SQLITE_PATH"]).parent / "daphne.log"
        try:
            _wait_until_healthy(self.base, self.process, log_path)
        except RuntimeError:
            self.log.seek(0)
            print(self.log.read().decode(errors="replace")[-3000:])
            raise

    def rss_mib(self) -> tuple[float, float]:
        """(current, peak) resident memory of the daphne process."""
        fields = {}
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            key, _sep, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self):
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        self.log.close()
        if "Traceback" in text or "WARNING" in text:
            print(f"server log (tail):\n{text[-4000:]}", file=sys.stderr)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def bench_settings(capacity: int) -> dict:
    """Every socket comes from one loopback address, and operators hold many chats each."""
    return {
        "CHAT_MAX_QUEUED_PER_ADDRESS": "100000",
        "CHAT_STARTS_PER_MINUTE": "100000",
        "CHAT_STARTS_PER_HOUR": "100000",
        "OPERATOR_CAPACITY": str(capacity),
        "CHAT_RATE_LIMIT_MESSAGES": "1000",
        "LOG_LEVEL": "WARNING",
    }


def production_settings() -> dict:
    """The server runs as in production: DEBUG off (no query log), its own keys, plain http."""
    from cryptography.fernet import Fernet

    return {
        "DEBUG": "0",
        "CONTENT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }


def prepare_environment(operators: int, capacity: int) -> dict:
    workdir = tempfile.mkdtemp(prefix="helpline-bench-")
    env, created = server_environment(workdir, **bench_settings(capacity))
    # The demo data is seeded as for development (seed_demo wants DEBUG), with the key
    # the server will read it with; the server itself then runs with DEBUG off.
    env["BENCH_SERVER_SETTINGS"] = json.dumps(production_settings())
    env["CONTENT_ENCRYPTION_KEY"] = json.loads(env["BENCH_SERVER_SETTINGS"])[
        "CONTENT_ENCRYPTION_KEY"
    ]
    if created:
        raise SystemExit("run the benchmark on the embedded defaults: unset DATABASE_URL")
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    output = subprocess.run(
        [*manage, "shell", "-c", CREATE_OPERATORS.format(count=operators)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env["BENCH_SESSION_KEYS"] = output.split("KEYS=", 1)[1].strip()
    return env


def drive(config: dict, pin: bool) -> dict:
    """Run the client side in its own process (on the other core when pinned)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--drive", json.dumps(config)]
    if pin:
        command = ["taskset", "-c", "1", *command]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"the load driver failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the cluster ------------------------------------------------------------------


def load_local_cluster():
    path = ROOT / "deploy" / "local_cluster.py"
    spec = importlib.util.spec_from_file_location("local_cluster", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workers_rss_mib(cluster) -> tuple[float, float]:
    """(current, peak) resident memory of the web workers, summed."""
    current = peak = 0.0
    for name in cluster.web_names():
        status = Path(f"/proc/{cluster.processes()[name]['pid']}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        current += int(fields["VmRSS"].split()[0]) / 1024
        peak += int(fields["VmHWM"].split()[0]) / 1024
    return current, peak


def echo_behind_the_same_nginx(cluster, local_cluster) -> None:
    """Replace each helpline worker with the echo application on the same socket."""
    for name in cluster.web_names():
        cluster.kill(name, signal.SIGTERM)
        socket_path = cluster.socket_path(name)
        command = [sys.executable, "-m", "daphne", "-v", "0", "-u", socket_path]
        cluster._spawn(name, [*command, "bench.echo_asgi:application"])
        local_cluster.wait_for(
            lambda path=socket_path: local_cluster.unix_http_get(path, "/healthz")[0] == 200,
            f"echo {name}",
        )


def run_on_cluster(config: dict, *, operators: int, capacity: int, workers: int):
    local_cluster = load_local_cluster()
    cluster = local_cluster.Cluster(Path(tempfile.mkdtemp(prefix="helpline-bench-cluster-")))
    cluster.start(workers=workers, settings=bench_settings(capacity))
    try:
        output = cluster.manage("shell", "-c", CREATE_OPERATORS.format(count=operators)).stdout
        keys = output.split("KEYS=", 1)[1].strip().split(",")
        chat = drive({**config, "keys": keys, "base": cluster.url}, pin=False)
        chat["rss_mib"], chat["peak_rss_mib"] = workers_rss_mib(cluster)
        echo_behind_the_same_nginx(cluster, local_cluster)
        echo = drive({**config, "keys": keys, "base": cluster.url, "echo": True}, pin=False)
        echo["rss_mib"], echo["peak_rss_mib"] = workers_rss_mib(cluster)
    except BaseException:
        # Stopping the cluster removes its directory: keep the logs of a failed run.
        kept = Path(tempfile.mkdtemp(prefix="helpline-bench-cluster-logs-"))
        shutil.copytree(cluster.runtime / "logs", kept, dirs_exist_ok=True)
        print(f"the cluster's logs are kept in {kept}", file=sys.stderr)
        raise
    finally:
        cluster.stop()
    return chat, echo


# --- client side ------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def drive_chat(config: dict) -> dict:
    from websockets.asyncio.client import connect

    ws_base = config["base"].replace("http://", "ws://")
    origin = config["base"]
    youths, period, duration = config["youths"], config["period"], config["duration"]
    saturation = config["saturation"]
    keys = config["keys"]
    intended: dict[str, float] = {}  # body -> intended send time
    acked: dict[str, set[int]] = {}  # conversation -> seqs acked to the young person
    received: dict[str, list[int]] = {}  # conversation -> seqs the operator got
    latencies: list[float] = []
    # p99 per 10 s of the window, by intended send time: a tail left by the setup
    # shows in the first slice, a steady cost in every one.
    slices: dict[int, list[float]] = {}
    ack_latencies: list[float] = []
    sent_at: dict[str, float] = {}
    window = {"start": None, "end": None, "count": 0, "phase": "warmup"}
    active = asyncio.Event()
    active_count = [0]
    stop = asyncio.Event()
    sat_pending: dict[str, asyncio.Future] = {}

    async def operator(key: str, rank: int):
        requested: set[str] = set()
        async with connect(
            f"{ws_base}/ws/console/",
            origin=origin,
            additional_headers={"Cookie": f"sessionid={key}"},
            max_size=None,
        ) as socket:
            sender = asyncio.create_task(heartbeat(socket))
            try:
                async for raw in socket:
                    frame = json.loads(raw)
                    kind = frame["type"]
                    if kind == "queue":
                        # Operators split the queue between them instead of all
                        # racing for its head, which only measures the losers.
                        for item in frame["items"]:
                            conversation = item["conversation"]
                            mine = uuid.UUID(conversation).int % len(keys) == rank
                            if mine and conversation not in requested:
                                requested.add(conversation)
                                await socket.send(
                                    json.dumps({"type": "accept", "conversation": conversation})
                                )
                    elif kind == "message" and frame["sender"] == "youth":
                        now = time.time()
                        received.setdefault(frame["conversation"], []).append(frame["seq"])
                        started = intended.get(frame["body"])
                        if window["phase"] == "measure" and started is not None:
                            latencies.append(now - started)
                            slices.setdefault(int((started - window["start"]) // 10), []).append(
                                now - started
                            )
                            window["count"] += 1
                        elif window["phase"] == "saturation":
                            window["count"] += 1
                            future = sat_pending.pop(frame["body"], None)
                            if future is not None and not future.done():
                                future.set_result(None)
            finally:
                sender.cancel()

    async def heartbeat(socket):
        while True:
            await asyncio.sleep(20)
            await socket.send('{"type":"ping"}')

    async def youth(index: int):
        async with connect(f"{ws_base}/ws/chat/", origin=origin, max_size=None) as socket:
            await socket.send(json.dumps({"type": "start", "province": "01"}))
            conversation = None
            waiting_ack: dict[str, asyncio.Future] = {}
            became_active = asyncio.Event()

            async def reader():
                nonlocal conversation
                async for raw in socket:
                    frame = json.loads(raw)
                    if frame["type"] == "started":
                        conversation = frame["conversation"]
                        acked[conversation] = set()
                    elif frame["type"] == "state" and frame["state"] == "active":
                        became_active.set()
                    elif frame["type"] == "ack":
                        acked[conversation].add(frame["seq"])
                        began = sent_at.pop(frame["client_id"], None)
                        if began is not None and window["phase"] == "measure":
                            ack_latencies.append(time.time() - began)
                        future = waiting_ack.pop(frame["client_id"], None)
                        if future is not None and not future.done():
                            future.set_result(frame["seq"])

            read_task = asyncio.create_task(reader())
            await became_active.wait()
            active_count[0] += 1
            if active_count[0] == youths:
                active.set()
            await active.wait()
            # Fixed rate with a random phase; each send is due at its intended time.
            due = time.time() + random.uniform(0, period)
            number = 0
            while not stop.is_set() and window["phase"] in ("warmup", "measure"):
                delay = due - time.time()
                if delay > 0:
                    try:
                        await asyncio.wait_for(stop.wait(), delay)
                        break
                    except TimeoutError:
                        pass
                if window["phase"] not in ("warmup", "measure"):
                    break
                body = f"y{index}-{number}"
                intended[body] = due
                client_id = str(uuid.uuid4())
                sent_at[client_id] = due
                await socket.send(
                    json.dumps({"type": "message", "client_id": client_id, "body": body})
                )
                number += 1
                due += period
            while window["phase"] in ("warmup", "measure", "drain"):
                await asyncio.sleep(0.05)
            # Closed loop: the next message leaves when the operator got the last one.
            while window["phase"] == "saturation":
                body = f"s{index}-{number}"
                number += 1
                arrived = asyncio.get_running_loop().create_future()
                sat_pending[body] = arrived
                await socket.send(
                    json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "body": body})
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived, 5)
            await stop.wait()
            read_task.cancel()

    tasks = [asyncio.create_task(operator(key, rank)) for rank, key in enumerate(keys)]
    await asyncio.sleep(0.5)
    youth_tasks = []
    for index in range(youths):
        youth_tasks.append(asyncio.create_task(youth(index)))
        if index % 20 == 19:
            await asyncio.sleep(0.05)
    connect_started = time.time()
    try:
        await asyncio.wait_for(active.wait(), 300)
    except TimeoutError:
        raise SystemExit(
            f"only {active_count[0]} of {youths} chats were accepted in 300 s"
        ) from None
    setup_seconds = time.time() - connect_started
    await asyncio.sleep(period)  # warm-up: every youth has sent once
    measure_start = time.time()
    window["start"] = measure_start
    window["phase"] = "measure"
    window["count"] = 0
    await asyncio.sleep(duration)
    window["phase"] = "drain"
    measured = window["count"]
    measure_seconds = time.time() - measure_start
    # Late messages still count for loss, not for throughput: wait out one socket
    # tick (15 s), which repairs any signal the channel layer dropped.
    await asyncio.sleep(config.get("drain", 20))
    lost = sum(len(acked[c] - set(received.get(c, []))) for c in acked)
    duplicated = sum(len(seqs) - len(set(seqs)) for seqs in received.values())
    sent = sum(len(s) for s in acked.values())
    sat_rate = None
    if saturation:
        window["phase"] = "saturation"
        window["count"] = 0
        sat_start = time.time()
        await asyncio.sleep(saturation)
        sat_rate = window["count"] / (time.time() - sat_start)
        window["phase"] = "done"
    stop.set()
    await asyncio.sleep(0.5)
    for task in tasks + youth_tasks:
        task.cancel()
    return {
        "setup_seconds": round(setup_seconds, 1),
        "acked_messages": sent,
        "delivered_per_second": measured / measure_seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "p99_ms_by_10s": [
            round(percentile(slices[index], 0.99) * 1000, 1) for index in sorted(slices)
        ],
        "ack_p50_ms": percentile(ack_latencies, 0.50) * 1000,
        "ack_p99_ms": percentile(ack_latencies, 0.99) * 1000,
        "lost": lost,
        "duplicated": duplicated,
        "saturation_per_second": sat_rate,
    }


async def drive_echo(config: dict) -> dict:
    from websockets.asyncio.client import connect

    ws_base = config["base"].replace("http://", "ws://")
    sockets, period, duration = config["youths"], config["period"], config["duration"]
    saturation = config["saturation"]
    latencies: list[float] = []
    state = {"phase": "measure", "count": 0}

    connected = [0]
    everyone = asyncio.Event()

    async def client():
        async with connect(f"{ws_base}/ws/echo/", max_size=None) as socket:
            connected[0] += 1
            if connected[0] == sockets:
                everyone.set()
            await everyone.wait()
            due = time.time() + random.uniform(0, period)
            end = time.time() + duration
            while due < end:
                delay = due - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await socket.send(json.dumps({"type": "message", "body": "x" * 40, "at": due}))
                frame = json.loads(await socket.recv())
                latencies.append(time.time() - frame["at"])
                state["count"] += 1
                due += period
            while state["phase"] == "measure":
                await asyncio.sleep(0.05)
            while state["phase"] == "saturation":
                await socket.send('{"type":"message","body":"x"}')
                await socket.recv()
                state["count"] += 1

    # In bursts, as the chat's young people connect: a Unix socket refuses a connection
    # beyond daphne's listen backlog (50) at once, where TCP would retry.
    tasks = []
    for index in range(sockets):
        tasks.append(asyncio.create_task(client()))
        if index % 20 == 19:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(everyone.wait(), 60)
    start = time.time()
    await asyncio.sleep(duration + 0.2)
    rate = state["count"] / (time.time() - start)
    sat_rate = None
    if saturation:
        state["phase"] = "saturation"
        state["count"] = 0
        sat_start = time.time()
        await asyncio.sleep(saturation)
        sat_rate = state["count"] / (time.time() - sat_start)
        state["phase"] = "done"
    await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    return {
        "delivered_per_second": rate,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "saturation_per_second": sat_rate,
    }


async def drive_idle(config: dict) -> dict:
    """N young people who start a chat and wait, silent, with nobody to answer."""
    from websockets.asyncio.client import connect

    ws_base = config["base"].replace("http://", "ws://")
    origin = config["base"]
    youths, duration = config["youths"], config["duration"]
    started = [0]
    everyone = asyncio.Event()
    stop = asyncio.Event()

    pings = config.get("pings", 0)

    async def read_everything(socket):
        async for _raw in socket:
            pass

    async def ping_every(socket, seconds: float):
        await asyncio.sleep(random.uniform(0, seconds))  # spread like pages that opened apart
        while True:
            await socket.send('{"type":"ping"}')
            await asyncio.sleep(seconds)

    async def youth():
        # A browser never sends protocol-level pings (websockets' client would, every
        # 20 s, and the server would pay for pongs no real young person asks for).
        async with connect(
            f"{ws_base}/ws/chat/", origin=origin, max_size=None, ping_interval=None
        ) as socket:
            await socket.send(json.dumps({"type": "start", "province": "01"}))
            async for raw in socket:
                if json.loads(raw)["type"] == "started":
                    break
            started[0] += 1
            if started[0] == youths:
                everyone.set()
            # Read whatever the server sends (queue positions, pongs) until the end, and
            # ping as the chat page does when asked to.
            helpers = [asyncio.create_task(read_everything(socket))]
            if pings:
                helpers.append(asyncio.create_task(ping_every(socket, pings)))
            await stop.wait()
            for helper in helpers:
                helper.cancel()

    tasks = []
    began = time.time()
    for index in range(youths):
        tasks.append(asyncio.create_task(youth()))
        if index % 20 == 19:
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(everyone.wait(), 600)
    except TimeoutError:
        raise SystemExit(f"only {started[0]} of {youths} chats started in 600 s") from None
    ready_at = time.time()
    # One whole tick period and a little more first, so that every socket's first tick
    # (a random phase of 0.5 to 1.5 periods) falls before the measured window.
    await asyncio.sleep(config.get("settle", 25))
    window_start = time.time()
    await asyncio.sleep(duration)
    window_end = time.time()
    stop.set()
    await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    return {
        "setup_seconds": round(ready_at - began, 1),
        "window_start": window_start,
        "window_end": window_end,
    }


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_idle(config: dict, *, pin: bool) -> dict:
    """RSS per socket and CPU of the server while N chats wait, silent."""
    env = prepare_environment(1, 1)
    server = Server("config.asgi:application", env, pin)
    samples: list[tuple[float, float]] = []
    try:
        rss_before, _peak = server.rss_mib()
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--drive",
            json.dumps({**config, "base": server.base, "idle": True}),
        ]
        if pin:
            command = ["taskset", "-c", "1", *command]
        driver = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        while driver.poll() is None:
            samples.append((time.time(), server_cpu_seconds(server.process.pid)))
            rss_during = server.rss_mib()
            time.sleep(1)
        output = driver.stdout.read()
        if driver.returncode:
            raise SystemExit("the load driver failed")
        result = json.loads(output.strip().splitlines()[-1])
    finally:
        server.stop()
    inside = [
        (at, cpu) for at, cpu in samples if result["window_start"] <= at <= result["window_end"]
    ]
    (first_at, first_cpu), (last_at, last_cpu) = inside[0], inside[-1]
    result["cpu_share"] = (last_cpu - first_cpu) / (last_at - first_at)
    result["rss_before_mib"] = rss_before
    result["rss_mib"], result["peak_rss_mib"] = rss_during
    result["kib_per_socket"] = (rss_during[0] - rss_before) * 1024 / config["youths"]
    return result


# --- main -------------------------------------------------------------------------


def run_embedded(config: dict, *, operators: int, capacity: int, pin: bool):
    env = prepare_environment(operators, capacity)
    config = {**config, "keys": env["BENCH_SESSION_KEYS"].split(",")}
    server = Server("config.asgi:application", env, pin)
    try:
        chat = drive({**config, "base": server.base}, pin)
        chat["rss_mib"], chat["peak_rss_mib"] = server.rss_mib()
    finally:
        server.stop()
    server = Server("bench.echo_asgi:application", env, pin)
    try:
        echo = drive({**config, "base": server.base, "echo": True}, pin)
        echo["rss_mib"], echo["peak_rss_mib"] = server.rss_mib()
    finally:
        server.stop()
    return chat, echo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--youths", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--period", type=float, default=5.0)
    parser.add_argument("--saturation", type=int, default=10)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument(
        "--stack",
        choices=["embedded", "cluster"],
        default="embedded",
        help="one daphne on SQLite (default), or nginx, workers, PostgreSQL and Redis",
    )
    parser.add_argument("--workers", type=int, default=2, help="daphne workers of the cluster")
    parser.add_argument(
        "--idle",
        action="store_true",
        help="only connect --youths waiting chats; report RSS per socket and CPU at idle",
    )
    parser.add_argument(
        "--pings",
        type=float,
        default=0,
        help="with --idle: each young person sends the chat page's ping every N s "
        "(static/chat/link.js pings every 4 s); 0 (the default) is silent",
    )
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.drive:
        config = json.loads(args.drive)
        if config.get("idle"):
            runner = drive_idle
        else:
            runner = drive_echo if config.get("echo") else drive_chat
        print(json.dumps(asyncio.run(runner(config))))
        return

    if args.idle:
        pin = not args.no_pin and os.cpu_count() and os.cpu_count() >= 2
        idle = run_idle(
            {"youths": args.youths, "duration": args.duration, "pings": args.pings}, pin=pin
        )
        pinging = f"each pinging every {args.pings:g} s" if args.pings else "silent"
        print(
            f"idle: {args.youths} waiting chats ({pinging}), one daphne on SQLite, "
            f"pinned={bool(pin)}"
        )
        print(
            f"all started in {idle['setup_seconds']} s; server RSS {idle['rss_mib']:.0f} MiB "
            f"(before the sockets {idle['rss_before_mib']:.0f} MiB, peak {idle['peak_rss_mib']:.0f}"
            f" MiB): {idle['kib_per_socket']:.0f} KiB per socket; CPU at idle "
            f"{100 * idle['cpu_share']:.1f} % of a core over {args.duration} s"
        )
        print(json.dumps({"idle": idle}))
        return

    operators = max(1, args.youths // 10)
    # The queue is split by a hash, so some operators get more than the average.
    capacity = 3 * -(-args.youths // operators)
    config = {
        "youths": args.youths,
        "duration": args.duration,
        "period": args.period,
        "saturation": args.saturation,
    }
    if args.stack == "cluster":
        pin = False
        chat, echo = run_on_cluster(
            config, operators=operators, capacity=capacity, workers=args.workers
        )
        stack = f"cluster: nginx, {args.workers} daphne workers, PostgreSQL, Redis"
    else:
        pin = not args.no_pin and os.cpu_count() and os.cpu_count() >= 2
        chat, echo = run_embedded(config, operators=operators, capacity=capacity, pin=pin)
        stack = "embedded: one daphne, SQLite, in-memory layer"

    offered = args.youths / args.period
    print(
        f"stack={stack}\nyouths={args.youths} operators={operators} period={args.period}s "
        f"window={args.duration}s offered={offered:.1f} msg/s pinned={bool(pin)}"
    )
    print(
        f"chat: delivered {chat['delivered_per_second']:.1f} msg/s, "
        f"p50 {chat['p50_ms']:.1f} ms, p99 {chat['p99_ms']:.1f} ms, max {chat['max_ms']:.1f} ms "
        f"(ack to the young person p50 {chat['ack_p50_ms']:.1f} ms, "
        f"p99 {chat['ack_p99_ms']:.1f} ms), "
        f"lost {chat['lost']}, duplicated {chat['duplicated']} of {chat['acked_messages']} acked, "
        f"server RSS {chat['rss_mib']:.0f} MiB (peak {chat['peak_rss_mib']:.0f} MiB), "
        f"all {args.youths} chats accepted in {chat['setup_seconds']} s"
    )
    print(f"chat p99 by 10 s of the window (ms): {chat['p99_ms_by_10s']}")
    print(
        f"echo: delivered {echo['delivered_per_second']:.1f} msg/s, "
        f"p50 {echo['p50_ms']:.1f} ms, p99 {echo['p99_ms']:.1f} ms, "
        f"server RSS {echo['rss_mib']:.0f} MiB"
    )
    print(
        "ratio at the offered load: "
        f"{chat['delivered_per_second'] / echo['delivered_per_second']:.2f}"
    )
    if chat["saturation_per_second"] and echo["saturation_per_second"]:
        print(
            f"saturation: chat {chat['saturation_per_second']:.0f} msg/s, "
            f"echo {echo['saturation_per_second']:.0f} msg/s, "
            f"ratio {chat['saturation_per_second'] / echo['saturation_per_second']:.2f}"
        )
    print(json.dumps({"chat": chat, "echo": echo}))


if __name__ == "__main__":
    main()
