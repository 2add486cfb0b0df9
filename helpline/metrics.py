"""Prometheus metrics: how the service is doing, never who used it.

Labels carry only hotline codes, socket kinds, job names and the names of the
places in the code where an error was caught: no user, no conversation, no
address. Recording is a few arithmetic operations, always on; the scrape
endpoint is off unless METRICS_ENABLED, and then answers only on loopback or to
the bearer token METRICS_TOKEN (a 404 otherwise). nginx never proxies it.

Every process records its own values. When the web workers and run_worker of a
host share a directory named by PROMETHEUS_MULTIPROC_DIR (prometheus_client's
own variable), each writes there and any of them serves the sum of all: one
scrape per host. Only the queue gauges are read from the database, once per
scrape, never per message.
"""

import hmac
import ipaddress
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer

SOCKETS_OPEN = Gauge(
    "helpline_open_sockets",
    "WebSockets open, by kind (youth, console, liaison), per process.",
    ["kind"],
    multiprocess_mode="liveall",
)
RELAY_SECONDS = Histogram(
    "helpline_message_relay_seconds",
    "From a chat message's row (created_at) to a console sending it on, on the live path.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BROADCASTS_PENDING = Gauge(
    "helpline_broadcasts_pending",
    "Committed changes whose signal waits in the after-commit outbox for the channel layer.",
    multiprocess_mode="livesum",
)
DATABASE_ERRORS = Counter(
    "helpline_database_errors_total",
    "Database errors caught, by the place that caught them.",
    ["where"],
)
CHANNEL_LAYER_ERRORS = Counter(
    "helpline_channel_layer_errors_total",
    "Failed channel-layer calls (Redis in production), by the place that caught them.",
    ["where"],
)
JOB_LAST_SUCCESS = Gauge(
    "helpline_worker_job_last_success_timestamp_seconds",
    "When each run_worker job last finished without an error (Unix time).",
    ["job"],
    multiprocess_mode="mostrecent",
)

SOCKET_KINDS = {
    "YouthChatConsumer": "youth",
    "OperatorConsoleConsumer": "console",
    "LiaisonQueueConsumer": "liaison",
}


# --- recording: one call where it happens ------------------------------------------


def socket_kind(socket) -> str:
    return SOCKET_KINDS.get(type(socket).__name__, "other")


@contextmanager
def socket_open(socket):
    """Count the socket as open for as long as its consumer runs, however that ends."""
    gauge = SOCKETS_OPEN.labels(socket_kind(socket))
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def relay_observed(created_at: str) -> None:
    """A chat message sent on by a console: how long since its row was made (ISO 8601)."""
    try:
        made = datetime.fromisoformat(created_at).timestamp()
    except (TypeError, ValueError):
        return
    RELAY_SECONDS.observe(max(0.0, time.time() - made))


def error_caught(where: str, error: BaseException) -> None:
    """Count an error caught at `where` when the database or the channel layer raised it."""
    if isinstance(error, DatabaseError):
        DATABASE_ERRORS.labels(where).inc()
    elif _is_redis_error(error):
        CHANNEL_LAYER_ERRORS.labels(where).inc()


def channel_layer_error(where: str) -> None:
    CHANNEL_LAYER_ERRORS.labels(where).inc()


def database_error(where: str) -> None:
    DATABASE_ERRORS.labels(where).inc()


def job_succeeded(job: str) -> None:
    JOB_LAST_SUCCESS.labels(job).set(time.time())


def _is_redis_error(error: BaseException) -> bool:
    from redis.exceptions import RedisError

    # Redis's client raises its own errors, or the socket's when the server vanished.
    return isinstance(error, RedisError | ConnectionError | TimeoutError)


# --- scraping -----------------------------------------------------------------------


def scrape_allowed(*, remote_addr: str, authorization: str) -> bool:
    """Loopback (or a Unix socket, which has no address), or the configured bearer token."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if not remote_addr:
        return True
    try:
        return ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        return False


@login_not_required
@never_cache
def metrics_view(request):
    """The metrics in Prometheus's text format; a 404 unless enabled and allowed."""
    allowed = settings.METRICS_ENABLED and scrape_allowed(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        authorization=request.headers.get("Authorization", ""),
    )
    if not allowed:
        raise Http404
    return HttpResponse(render(with_queues=True), content_type=CONTENT_TYPE_LATEST)


def render(*, with_queues: bool) -> bytes:
    sources = [_process_metrics()]
    if with_queues:
        sources.append(QueueCollector())
    return generate_latest(_Scrape(sources))


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _process_metrics():
    """This process's registry, or the sum over every process writing to the shared directory."""
    path = multiprocess_dir()
    if not path:
        return REGISTRY
    _forget_dead_processes(path)
    return multiprocess.MultiProcessCollector(None, path=path)


def _forget_dead_processes(path: str) -> None:
    """Drop the live gauges of processes that are gone (a worker killed with -9 says nothing)."""
    for name in os.listdir(path):
        if not name.startswith("gauge_live") or not name.endswith(".db"):
            continue
        pid = name.removesuffix(".db").rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Scrape:
    """What one scrape shows: the sources, and each job's lag computed from its last success."""

    def __init__(self, sources):
        self.sources = sources

    def collect(self):
        lag = GaugeMetricFamily(
            "helpline_worker_job_lag_seconds",
            "Seconds since each run_worker job last finished without an error.",
            labels=["job"],
        )
        now = time.time()
        for source in self.sources:
            for family in source.collect():
                yield family
                if family.name == "helpline_worker_job_last_success_timestamp_seconds":
                    for sample in family.samples:
                        lag.add_metric([sample.labels["job"]], max(0.0, now - sample.value))
        yield lag


class QueueCollector:
    """Queue length and the oldest wait per hotline, read once per scrape."""

    def collect(self):
        from helpline.selectors import queue_totals_by_hotline

        length = GaugeMetricFamily(
            "helpline_queue_length",
            "Conversations waiting in each hotline's queue.",
            labels=["hotline"],
        )
        oldest = GaugeMetricFamily(
            "helpline_queue_oldest_wait_seconds",
            "How long the longest-waiting conversation of each hotline's queue has waited.",
            labels=["hotline"],
        )
        try:
            totals = queue_totals_by_hotline()
        except DatabaseError:
            database_error("metrics")
            return
        now = time.time()
        for code, count, oldest_queued_at in totals:
            length.add_metric([code], count)
            waited = now - oldest_queued_at.timestamp() if oldest_queued_at else 0.0
            oldest.add_metric([code], max(0.0, waited))
        yield length
        yield oldest


# --- run_worker's own listener --------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        # The default writes every request with the client's address to stderr.
        pass


def _worker_app(environ, start_response):
    allowed = scrape_allowed(
        remote_addr=environ.get("REMOTE_ADDR", ""),
        authorization=environ.get("HTTP_AUTHORIZATION", ""),
    )
    if environ.get("PATH_INFO") != "/metrics" or not allowed:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [render(with_queues=False)]


def worker_listener_start(*, address: str, port: int):
    """Serve /metrics from run_worker on address:port in a background thread; the server."""
    server = make_server(address, port, _worker_app, ThreadingWSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
