"""Test overrides: fast hashing, no TLS redirect, in-memory mail."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SQLITE_PATH", ":memory:")
# Not a secret: the tests' own content key (helpline/crypto.py), fixed so that failures reproduce.
os.environ.setdefault("CONTENT_ENCRYPTION_KEY", "dGVzdHMtb25seS1jb250ZW50LWtleS0wMTIzNDU2Nzg=")

# Parallel test workers (pytest-xdist) share one Redis: each gets a database of its own, so
# that one worker's groups and channels never reach another's sockets. The environment is
# changed too, so that the servers a test starts inherit it.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and os.environ.get("REDIS_URL"):
    from urllib.parse import urlsplit, urlunsplit

    _redis = urlsplit(os.environ["REDIS_URL"])
    _database = 1 + int(_xdist_worker[2:])
    os.environ["REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{_database}"))

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests serve static files from the source folders, as DEBUG does; there is no
# collected STATIC_ROOT for WhiteNoise to scan (it warns on every request otherwise).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Race tests run threads against one database. SQLite's shared in-memory database
# answers "table is locked" at once instead of waiting for the other writer, so
# tests use a file, one per process so that parallel runs never meet.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"helpline-test-{os.getpid()}.sqlite3")
    }
