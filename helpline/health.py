"""What /healthz and /readyz look at: the database, Redis when configured, migrations, shutdown.

/healthz answers whether this process can serve: the database answers a query
and, with REDIS_URL set, every Redis host answers a PING. /readyz answers
whether a load balancer should send it new work: healthy, every migration
applied (a worker started on new code before `migrate` ran is not ready), and
not shutting down.
"""

import signal
import sys
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from helpline import metrics

DATABASE_UNAVAILABLE = "database unavailable"
REDIS_UNAVAILABLE = "redis unavailable"
MIGRATIONS_PENDING = "migrations pending"
SHUTTING_DOWN = "shutting down"

_migrated = False
_shutting_down = threading.Event()
_watch_lock = threading.Lock()
_watching = False


def health_problems() -> list[str]:
    """What keeps this process from serving: the database, then Redis. Empty when healthy."""
    problems = []
    if not database_answers():
        problems.append(DATABASE_UNAVAILABLE)
    if not redis_answers():
        problems.append(REDIS_UNAVAILABLE)
    return problems


def readiness_problems() -> list[str]:
    """health_problems, or what else keeps this process from taking new work."""
    if _shutting_down.is_set():
        return [SHUTTING_DOWN]
    problems = health_problems()
    if DATABASE_UNAVAILABLE not in problems and not migrations_applied():
        problems.append(MIGRATIONS_PENDING)
    return problems


def database_answers() -> bool:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        metrics.database_error("health")
        # A connection that broke mid-request is dropped, so the next check connects afresh.
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
        return False
    return True


def redis_answers() -> bool:
    """Every Redis host of the channel layer answers a PING; True when there is no Redis."""
    if not settings.REDIS_URL:
        return True
    import redis

    from config.env import redis_hosts_from_url

    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    for url in redis_hosts_from_url("REDIS_URL", settings.REDIS_URL):
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        except Exception:
            metrics.channel_layer_error("health")
            return False
        finally:
            client.close()
    return True


def migrations_applied() -> bool:
    """Whether the database has every migration of this code; remembered once true."""
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def shutdown_watch() -> None:
    """Under daphne, take over SIGTERM so that the drain comes before anything stops; once.

    daphne cancels every application instance still running as soon as its
    reactor starts shutting down, so a request in flight at SIGTERM would never
    get its answer. Instead, SIGTERM marks this process as shutting down
    (/readyz answers 503) and stops the reactor only after READYZ_DRAIN_SECONDS,
    while it goes on serving, so a load balancer that polls /readyz stops
    sending work first. A second SIGTERM stops at once. Any other way of
    stopping still turns /readyz to 503. Outside a Twisted server (tests,
    commands) there is nothing to watch.
    """
    global _watching
    reactor = sys.modules.get("twisted.internet.reactor")
    with _watch_lock:
        if _watching or reactor is None or not getattr(reactor, "running", False):
            return
        _watching = True
    reactor.callFromThread(_take_over_shutdown, reactor)


def _take_over_shutdown(reactor):
    """In the reactor's (main) thread, where signal handlers may be set."""
    reactor.addSystemEventTrigger("before", "shutdown", _shutting_down.set)

    def on_sigterm(signum, frame):
        reactor.callFromThread(_drain_then_stop, reactor)

    signal.signal(signal.SIGTERM, on_sigterm)


def _drain_then_stop(reactor):
    if _shutting_down.is_set() or not settings.READYZ_DRAIN_SECONDS:
        _shutting_down.set()
        if reactor.running:
            reactor.stop()
        return
    _shutting_down.set()
    reactor.callLater(settings.READYZ_DRAIN_SECONDS, _stop, reactor)


def _stop(reactor):
    if reactor.running:
        reactor.stop()
