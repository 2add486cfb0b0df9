"""The local cluster (deploy/local_cluster.py) as the tests use it, and what they read from it."""

import importlib.util
import sys
import time
from pathlib import Path

import psycopg
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent.parent


def _load_local_cluster():
    spec = importlib.util.spec_from_file_location("local_cluster", ROOT / "deploy/local_cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_cluster"] = module
    spec.loader.exec_module(module)
    return module


local_cluster = _load_local_cluster()
Cluster = local_cluster.Cluster

# What the cluster tests change from production: a socket tick short enough to wait out,
# and limits that let one loopback address start many chats and hold them.
TEST_SETTINGS = {
    "CHAT_TICK_SECONDS": "2",
    "CHAT_STARTS_PER_MINUTE": "1000",
    "CHAT_STARTS_PER_HOUR": "10000",
    "CHAT_MAX_QUEUED_PER_ADDRESS": "1000",
    "CHAT_RATE_LIMIT_MESSAGES": "200",
    "OPERATOR_CAPACITY": "50",
}

CREATE_SESSION = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.models import User
user = User.objects.get(username={username!r})
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
print("KEY=" + session.session_key)
"""


def staff_session(cluster, username: str = "cluster_op") -> str:
    """A logged-in session of this member of staff, as the login page would create it."""
    output = cluster.manage("shell", "-c", CREATE_SESSION.format(username=username)).stdout
    return output.split("KEY=", 1)[1].strip()


def database(cluster) -> psycopg.Connection:
    port = cluster.state["ports"]["postgres"]
    return psycopg.connect(
        f"postgres://postgres@127.0.0.1:{port}/helpline", autocommit=True, connect_timeout=5
    )


def stored_messages(cluster, conversation: str) -> list[tuple[int, str, str]]:
    """(seq, sender, client_id) of every row of the conversation, in seq order."""
    with database(cluster) as connection:
        rows = connection.execute(
            "SELECT seq, sender, client_id FROM helpline_message"
            " WHERE conversation_id = %s ORDER BY seq",
            (conversation,),
        ).fetchall()
    return [(seq, sender, str(client_id)) for seq, sender, client_id in rows]


def scrape(cluster) -> dict[tuple[str, tuple], float]:
    """Every metric of the host, from one worker's Unix socket (they share a directory)."""
    status, body = local_cluster.unix_http_get(cluster.socket_path("web-1"), "/metrics")
    assert status == 200, status
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def worker_of(cluster, kind: str, before: dict[str, float], *, timeout: float = 10.0) -> str:
    """The web worker whose count of open `kind` sockets grew since `before`."""
    deadline = time.monotonic() + timeout
    while True:
        now = open_sockets(cluster, kind)
        grown = [pid for pid, count in now.items() if count > before.get(pid, 0)]
        if len(grown) == 1:
            names = {str(record["pid"]): name for name, record in cluster.processes().items()}
            return names[grown[0]]
        assert time.monotonic() < deadline, (before, now)
        time.sleep(0.05)


def wait_until_no_sockets(cluster, *, timeout: float = 15.0) -> None:
    """Wait until the sockets of earlier tests have closed on every worker."""
    deadline = time.monotonic() + timeout
    while True:
        counts = [open_sockets(cluster, kind) for kind in ("youth", "console")]
        if not any(value for count in counts for value in count.values()):
            return
        assert time.monotonic() < deadline, counts
        time.sleep(0.05)


def open_sockets(cluster, kind: str) -> dict[str, float]:
    """pid -> open sockets of this kind, for every living web worker."""
    return {
        dict(labels)["pid"]: value
        for (name, labels), value in scrape(cluster).items()
        if name == "helpline_open_sockets" and dict(labels)["kind"] == kind
    }
