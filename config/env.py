"""Read settings from the environment, failing loudly on a bad value."""

import base64
import hmac
import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(name: str, url: str) -> dict:
    """Translate a postgres:// URL into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise ImproperlyConfigured(
            f"{name} must look like postgres://user:password@host:port/dbname"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port") from None
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    pool_size = options.pop("pool_max_size", None)
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": options,
    }
    if pool_size is not None:
        if not pool_size.isdigit() or int(pool_size) < 1:
            raise ImproperlyConfigured(f"{name}: pool_max_size must be a positive integer")
        config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": int(pool_size)}
    return config


def redis_hosts_from_url(name: str, url: str) -> list[str]:
    """Accept one redis:// URL, or several separated by commas for sharding."""
    hosts = [item.strip() for item in url.split(",") if item.strip()]
    if not hosts:
        raise ImproperlyConfigured(f"{name} must be a redis:// URL")
    for host in hosts:
        parts = urlsplit(host)
        # The URL may hold a password, so it is not echoed back.
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port") from None
    return hosts


def env_fernet_keys(name: str) -> str:
    """Fernet keys, comma-separated, newest first ("" when unset); a malformed one stops the start.

    The error names the variable, never the value.
    """
    raw = os.environ.get(name, "").strip()
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except ValueError:  # binascii.Error is one
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name} must be Fernet keys (32 url-safe base64 bytes), comma-separated"
            )
    return ",".join(keys)


def development_fernet_key(secret: str, *, purpose: str) -> str:
    """A Fernet key derived from SECRET_KEY, for DEBUG only: the same secret gives the same key."""
    digest = hmac.new(secret.encode(), f"helpline development key: {purpose}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode()
