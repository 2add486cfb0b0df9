"""Settings come from the environment; a bad value stops the start and names the variable."""

import asyncio
import base64
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from channels_redis.core import RedisChannelLayer
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    redis_hosts_from_url,
)
from tests.live_server import redis_server
from tests.logins import staff_login

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS_FILE = ROOT / "config" / "settings.py"
# Variables that change what config/settings.py builds; each test starts without them.
SETTINGS_VARIABLES = [
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "SENTRY_DSN",
    "LOG_LEVEL",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "EMAIL_PORT",
    "SQLITE_PATH",
    "TWILIO_AUTH_TOKEN",
]


@pytest.fixture
def environment(monkeypatch):
    """A clean environment for loading config/settings.py afresh."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    return monkeypatch


def load_settings() -> dict:
    return runpy.run_path(str(SETTINGS_FILE))


# -- the helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_it_reads_booleans_in_plain_words(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_it_falls_back_to_the_default_when_a_variable_is_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    assert env_int("FLAG", 7) == 7
    assert env_list("FLAG", ["a"]) == ["a"]
    assert env_choice("FLAG", "INFO", ("INFO", "DEBUG")) == "INFO"


@pytest.mark.parametrize(
    ("reader", "raw", "words"),
    [
        (lambda: env_bool("FLAG", False), "perhaps", "FLAG must be a boolean"),
        (lambda: env_int("FLAG", 1), "ten", "FLAG must be an integer"),
        (lambda: env_int("FLAG", 1, minimum=5), "3", "FLAG must be at least 5"),
        (lambda: env_choice("FLAG", "INFO", ("INFO", "DEBUG")), "LOUD", "FLAG must be one of"),
    ],
)
def test_it_names_the_variable_when_a_value_is_bad(monkeypatch, reader, raw, words):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=words):
        reader()


def test_it_splits_lists_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.vn, ,b.vn ")
    assert env_list("HOSTS", []) == ["a.vn", "b.vn"]


def test_it_reads_a_postgres_url_with_a_pool_size():
    config = database_from_url(
        "DATABASE_URL", "postgres://helpline:p%40ss@db.internal:5433/helpline?pool_max_size=20"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("helpline", "helpline", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "5433")
    assert config["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 20}}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:secretpw@host/db",
        "postgres://user:secretpw@host/",
        "postgres://user:secretpw@host:port/db",
        "postgres://user:secretpw@host/db?pool_max_size=lots",
        "postgres://user:secretpw@host/db?pool_max_size=0",
    ],
)
def test_it_refuses_a_bad_database_url_without_echoing_the_password(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL") as refused:
        database_from_url("DATABASE_URL", url)
    assert "secretpw" not in str(refused.value)


def test_it_accepts_several_redis_urls_for_sharding():
    hosts = redis_hosts_from_url("REDIS_URL", "redis://a:6379/0, rediss://b:6380/0")
    assert hosts == ["redis://a:6379/0", "rediss://b:6380/0"]


@pytest.mark.parametrize(
    "url", ["http://:secretpw@cache:6379", "redis://:secretpw@cache:port/0", " , "]
)
def test_it_refuses_a_bad_redis_url_without_echoing_the_password(url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL") as refused:
        redis_hosts_from_url("REDIS_URL", url)
    assert "secretpw" not in str(refused.value)


# -- the settings module as a whole ------------------------------------------


def test_it_runs_embedded_by_default(environment):
    settings = load_settings()
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["CHANNEL_LAYERS"]["default"]["BACKEND"] == (
        "config.channel_layers.SweepingInMemoryChannelLayer"
    )
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["LANGUAGE_CODE"] == "vi"
    assert [code for code, _name in settings["LANGUAGES"]] == ["vi", "en"]
    assert settings["TIME_ZONE"] == "Asia/Ho_Chi_Minh"
    assert settings["DEBUG"] is False
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings["MIDDLEWARE"]


def test_it_switches_to_postgres_and_redis_when_their_urls_are_set(environment):
    environment.setenv("DATABASE_URL", "postgres://helpline@127.0.0.1:5432/helpline")
    environment.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = load_settings()
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    layer = settings["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert [host["address"] for host in layer["CONFIG"]["hosts"]] == ["redis://127.0.0.1:6379/0"]


@pytest.fixture
async def settings_redis_layer(environment):
    """The Redis channel layer that the settings build, on a Redis of its own."""
    with redis_server() as url:
        environment.setenv("REDIS_URL", url)
        layer = RedisChannelLayer(**load_settings()["CHANNEL_LAYERS"]["default"]["CONFIG"])
        yield layer
        await layer.flush()


async def test_a_channel_layer_wait_that_hears_nothing_outlasts_redis_pop(settings_redis_layer):
    """The Redis layer that settings build keeps waiting through a silence longer than its pop.

    redis-py 8 made every read time out after 5 s, as long as channels_redis's
    BZPOPMIN: each quiet wait then failed, and with it the socket it served.
    """
    layer = settings_redis_layer
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    try:
        await asyncio.sleep(layer.brpop_timeout + 2)
        assert not waiting.done(), waiting.exception()
        await layer.send(channel, {"type": "chat.message", "seq": 1})
        assert await asyncio.wait_for(waiting, 5) == {"type": "chat.message", "seq": 1}
    finally:
        waiting.cancel()


async def test_a_closing_socket_wait_ends_even_as_it_takes_over_the_process_wait(
    settings_redis_layer,
):
    """Cancelling a channel-layer wait ends it, whenever the cancellation comes.

    One wait of a process reads Redis for all; when it is cancelled (its socket
    closed) another takes over. A second socket closing as that one sends its
    first command: with a read timeout, redis-py sends under asyncio.wait_for,
    which on Python 3.11 can drop the cancellation, and the wait never ended.
    The race is a matter of microseconds, so it is run many times.
    """
    layer = settings_redis_layer
    for attempt in range(80):
        first = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        await asyncio.sleep(0.05)
        first.cancel()
        # From nothing to two milliseconds after the first, where the race lies.
        await asyncio.sleep((attempt % 5) * 0.0005)
        second.cancel()
        _done, still_waiting = await asyncio.wait([first, second], timeout=3)
        assert not still_waiting, f"a cancelled wait kept waiting (attempt {attempt})"


async def test_hundreds_of_sockets_may_use_the_redis_layer_at_once(settings_redis_layer):
    """redis-py 8 refuses a pool's 101st connection; 200 consoles joining at once need more."""
    layer = settings_redis_layer
    channels = [await layer.new_channel() for _ in range(300)]
    await asyncio.gather(*(layer.group_add("hotline.staff.test", name) for name in channels))
    await asyncio.gather(*(layer.group_discard("hotline.staff.test", name) for name in channels))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "sqlite:///db.sqlite3"),
        ("REDIS_URL", "memcached://cache:11211"),
        ("SENTRY_DSN", "not a dsn"),
        ("LOG_LEVEL", "LOUD"),
        ("EMAIL_PORT", "smtp"),
    ],
)
def test_it_refuses_to_start_with_a_bad_value_and_names_the_variable(environment, name, value):
    environment.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings()


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(environment):
    environment.delenv("SECRET_KEY")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings()


def test_it_uses_a_development_key_only_when_debug_is_on(environment):
    environment.delenv("SECRET_KEY")
    environment.setenv("DEBUG", "1")
    settings = load_settings()
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"].startswith("insecure-")


def test_it_turns_on_the_secure_defaults_when_debug_is_off(environment):
    settings = load_settings()
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000


# -- manage.py check --deploy ------------------------------------------------


def production_environment(tmp_path, **extra) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CONTENT_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "tongdai.example.vn",
        "CSRF_TRUSTED_ORIGINS": "https://tongdai.example.vn",
        "SQLITE_PATH": str(tmp_path / "deploy-check.sqlite3"),
    }
    env.update(extra)
    return env


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_silently_with_production_values(tmp_path):
    result = deploy_check(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_fails_the_deploy_check_when_a_protection_is_turned_off(tmp_path):
    result = deploy_check(production_environment(tmp_path, SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


# -- Vietnamese first --------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_in_vietnamese_whatever_language_the_browser_asks_for(client, op_hanoi):
    staff_login(client, op_hanoi)
    page = client.get("/cases/new/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in page
    assert "Bắt nạt trực tuyến" in page
    assert "Cyberbullying" not in page


@pytest.mark.django_db
def test_it_switches_to_english_only_when_the_person_chooses_it(client, op_hanoi):
    staff_login(client, op_hanoi)
    client.post("/i18n/setlang/", {"language": "en", "next": "/cases/new/"})
    page = client.get("/cases/new/").content.decode()
    assert '<html lang="en">' in page
    assert "Cyberbullying" in page


# -- deny by default ---------------------------------------------------------

# The only pages open without a login; any other opt-out must be added here on purpose.
PUBLIC_ROUTES = (
    "healthz",
    # For load balancers; says ready or not, and why, nothing else.
    "readyz",
    # A 404 unless METRICS_ENABLED, and then only on loopback or to METRICS_TOKEN.
    "metrics",
    "accounts/login/",
    # Django's password reset: asking for a link, and the link itself.
    "accounts/password-reset/",
    "i18n/setlang/",
    "admin/login/",
    "chat/",
    "twilio/",
    # Zalo's and Meta's webhooks, signed by the platform (connectors/views.py).
    "connectors/zalo/webhook/",
    "connectors/messenger/webhook/",
    # The young people's help pages and their service worker; not help/manage/.
    "help/",
)


def all_routes(patterns, prefix=""):
    from django.urls import URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from all_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_it_needs_a_login_on_every_page_except_the_public_few():
    from django.urls import get_resolver

    open_routes = {
        route
        for route, view in all_routes(get_resolver().url_patterns)
        if not getattr(view, "login_required", True)
    }
    assert "healthz" in open_routes
    assert all(route.startswith(PUBLIC_ROUTES) for route in open_routes), sorted(open_routes)


# -- commands on a fresh checkout -----------------------------------------------


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def bare_environment(tmp_path) -> dict:
    """What a developer's shell has on a fresh checkout: no SECRET_KEY, no DEBUG."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SQLITE_PATH": str(tmp_path / "bare.sqlite3"),
    }


def test_it_checks_for_missing_migrations_without_a_secret_key(tmp_path):
    result = manage("makemigrations", "--check", "--dry-run", env=bare_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_it_still_refuses_commands_that_touch_data_without_a_secret_key(tmp_path):
    result = manage("migrate", "--noinput", env=bare_environment(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "bare.sqlite3").exists()
