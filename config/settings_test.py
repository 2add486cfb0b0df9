"""Test overrides: fast hashing, no TLS redirect, in-memory mail."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SQLITE_PATH", ":memory:")
# Not a secret: the tests' own content key (helpline/crypto.py), fixed so that failures reproduce.
os.environ.setdefault("CONTENT_ENCRYPTION_KEY", "dGVzdHMtb25seS1jb250ZW50LWtleS0wMTIzNDU2Nzg=")

from config.settings import *  # noqa: F403

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
