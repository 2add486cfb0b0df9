"""Settings for the youth cyber helpline.

Every value comes from the environment, with an embedded default that runs the
helpline in one process on SQLite and the in-memory channel layer. A bad value
raises ImproperlyConfigured naming the variable.
"""

import datetime
import re
import socket
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    database_from_url,
    development_fernet_key,
    env_bool,
    env_choice,
    env_fernet_keys,
    env_int,
    env_list,
    env_str,
    redis_hosts_from_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

# Fernet keys for the content kept in the database (helpline/crypto.py: messages, case
# summaries and notes, escalations), comma-separated, newest first: the first encrypts, all
# decrypt. Fail closed: without one the helpline refuses to start, unless DEBUG is on; then
# the key is derived from SECRET_KEY, so a development database stays readable exactly as
# long as SECRET_KEY stays the same.
CONTENT_ENCRYPTION_KEY = env_fernet_keys("CONTENT_ENCRYPTION_KEY")
if not CONTENT_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CONTENT_ENCRYPTION_KEY must be set when DEBUG is off")
    CONTENT_ENCRYPTION_KEY = development_fernet_key(SECRET_KEY, purpose="content")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "helpline",
    "accounts",
    "cases",
    "escalation",
    "telephony",
    "handbook",
    "reports",
    "harms",
    "retention",
    "inspection",
    "connectors",
    "synthetic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that every response carries the policy, static files included.
    "csp.middleware.CSPMiddleware",
    # Serves the chat's and console's static files from the one process of the
    # embedded default; behind nginx it still sets long cache headers.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a login unless it opts out explicitly.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # ...and a session that passed the second factor (accounts/second_factor.py).
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "accounts.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL when DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Wait for a concurrent writer instead of failing at once. The write-ahead
            # log keeps every commit durable (synchronous=FULL) with one fsync instead
            # of several: a chat message costs about 6 ms instead of 35 ms here.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
            # Socket consumers reach the database through one worker thread; closing
            # its connection after every frame would checkpoint the log each time.
            "CONN_MAX_AGE": None,
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The reports' and the case list's covering indexes (INCLUDE) serve PostgreSQL, where the
# national load is; the embedded SQLite keeps their key columns and says so on every
# migrate unless told that this is known.
SILENCED_SYSTEM_CHECKS = [] if DATABASE_URL else ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: in memory by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
# channels_redis waits for a process's messages with a BZPOPMIN of 5 s. Since
# redis-py 8 every read also times out after 5 s by default, so a wait that
# heard nothing raised TimeoutError and closed the socket it served: any socket
# quiet for 5 s. A socket timeout also makes redis-py send every command under
# asyncio.wait_for, which on Python 3.11 can swallow a cancellation: a socket
# that closed just as its process's wait passed to it kept waiting forever.
# So reads have no timeout, as before redis-py 8, and TCP keepalive notices a
# Redis that stopped answering (after about 25 s of silence).
CHANNEL_REDIS_CONNECTION = {
    # redis-py 8 caps a pool at 100 connections and raises at the 101st instead of
    # waiting: 200 consoles joining their groups at once then crashed (code 1011).
    # Each command in flight holds a connection, as before redis-py 8, when there was
    # no cap; Redis's own limit (maxclients, 10,000 by default) is the one that counts.
    "max_connections": 10_000,
    "socket_timeout": None,
    "socket_keepalive": True,
    "socket_keepalive_options": {
        option: value
        for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
        if (option := getattr(socket, name, None)) is not None
    },
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": url, **CHANNEL_REDIS_CONNECTION}
                    for url in redis_hosts_from_url("REDIS_URL", REDIS_URL)
                ],
                # A socket's inbox holds signals while it is busy; a full inbox drops
                # them (repaired by the socket's tick), so leave room for bursts.
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layers.SweepingInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

AUTH_USER_MODEL = "helpline.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login of a locked-out account or address (django-axes).
    "accounts.backends.LockoutBackend",
    # Django's ModelBackend, refusing the published demo password outside DEBUG.
    "helpline.backends.DemoPasswordRefusingBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user would be a row with no role; nothing needs it.
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
GUARDIAN_GROUP_OBJ_PERMS_MODEL = "guardian.GroupObjectPermission"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# How long a password-reset or enrolment link stays valid.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 3600, minimum=900)

# The second factor (django-otp): an authenticator app (TOTP) and recovery codes,
# enrolled at the first login and asked for on every new session. The demo
# accounts may skip it while DEBUG is on, and only then.
OTP_DEMO_EXEMPT = DEBUG and env_bool("OTP_DEMO_EXEMPT", True)
OTP_TOTP_ISSUER = "Tong dai ho tro thanh thieu nhi"
# Revealing a number or sending a transcript asks for the password or a code
# again when the last proof is older than this.
REAUTH_MAX_AGE_SECONDS = env_int("REAUTH_MAX_AGE_SECONDS", 600, minimum=60)

# Failed logins (django-axes), counted per account and per address: at
# AXES_FAILURE_LIMIT within the cool-off, logins are refused until it has passed
# since the last failure, or a supervisor or administrator unlocks the account.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=3)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# A keyed hash stands in for the address (accounts/throttle.py); no log of successes.
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address_key"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# With DEBUG on, files are served straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "helpline@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# Security headers; the deploy check must find nothing with production values.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The preload directive only allows a later, manual submission to the browsers' list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Load balancers and Prometheus ask the workers directly, without nginx's X-Forwarded-Proto.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp): the pages run only this
# site's own scripts and styles, talk only to this site, and cannot be framed.
# A page that needs more says so with csp_update on its view (the chat's and the
# console's data: favicon, the console's Twilio softphone in helpline/pages.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's request logger prints the path, which may carry a case id, but
        # never the body; keep it at WARNING so routine 404s stay quiet.
        "django.request": {"level": "ERROR"},
        # daphne's DEBUG lines name each client's address and port. Its access log
        # is no logger at all: config/serve.py turns it off.
        "daphne": {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL},
        # Twilio's client logs request URLs and query strings at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # django-axes logs every login, failed or not, and each cleanup at INFO.
        "axes": {"level": "WARNING"},
    },
}

# The address staff reach the helpline at, for links in e-mails.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")

# Helpline behaviour.
CENTRAL_HOTLINE_CODE = "00"
CENTRAL_OVERFLOW_SECONDS = env_int("CENTRAL_OVERFLOW_SECONDS", 120, minimum=1)
OPERATOR_CAPACITY = env_int("OPERATOR_CAPACITY", 3, minimum=1)
CHAT_TOKEN_TTL_SECONDS = env_int("CHAT_TOKEN_TTL_SECONDS", 24 * 3600, minimum=60)
CHAT_MAX_FRAME_BYTES = env_int("CHAT_MAX_FRAME_BYTES", 16 * 1024, minimum=256)
CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 20, minimum=1)
CHAT_RATE_LIMIT_WINDOW_SECONDS = env_int("CHAT_RATE_LIMIT_WINDOW_SECONDS", 10, minimum=1)
# Limits on starting web chats from one network (an IPv4 address, or an IPv6 /64): starts
# per minute and per hour, and chats waiting unanswered at once. A school or a mobile
# network puts many young people behind one address, so answered chats never count.
CHAT_STARTS_PER_MINUTE = env_int("CHAT_STARTS_PER_MINUTE", 10, minimum=1)
CHAT_STARTS_PER_HOUR = env_int("CHAT_STARTS_PER_HOUR", 60, minimum=1)
CHAT_MAX_QUEUED_PER_ADDRESS = env_int("CHAT_MAX_QUEUED_PER_ADDRESS", 5, minimum=1)
# Wrong passphrases one network may try in an hour before it must wait.
CHAT_PASSPHRASE_TRIES_PER_HOUR = env_int("CHAT_PASSPHRASE_TRIES_PER_HOUR", 10, minimum=1)
# How long a message left while nobody could answer stays readable with its passphrase.
CHAT_LEFT_MESSAGE_TTL_SECONDS = env_int(
    "CHAT_LEFT_MESSAGE_TTL_SECONDS", 14 * 24 * 3600, minimum=3600
)
# Safe callbacks asked for on /chat/callback/: requests one network may send in an hour, and
# how long after its window a request nobody finished is closed as expired by the worker.
CALLBACK_REQUESTS_PER_HOUR = env_int("CALLBACK_REQUESTS_PER_HOUR", 5, minimum=1)
CALLBACK_EXPIRE_AFTER_HOURS = env_int("CALLBACK_EXPIRE_AFTER_HOURS", 24, minimum=1)
# The wait estimate needs this many chats answered in the last WAIT_ESTIMATE_HOURS, else it
# says it cannot tell.
WAIT_ESTIMATE_MIN_SAMPLES = env_int("WAIT_ESTIMATE_MIN_SAMPLES", 5, minimum=1)
WAIT_ESTIMATE_HOURS = env_int("WAIT_ESTIMATE_HOURS", 3, minimum=1)
PRESENCE_TTL_SECONDS = env_int("PRESENCE_TTL_SECONDS", 60, minimum=5)
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 4000, minimum=1)
# A queued web chat whose young person's socket has been gone this long is abandoned.
CHAT_QUEUED_GRACE_SECONDS = env_int("CHAT_QUEUED_GRACE_SECONDS", 90, minimum=10)
# How often each socket compares itself with the database (lost signals, overflow, timeouts).
CHAT_TICK_SECONDS = env_int("CHAT_TICK_SECONDS", 15, minimum=1)
# Where the chat's quick-exit button sends a young person: an ordinary public page
# (a weather search) that nobody looking over their shoulder would wonder about.
QUICK_EXIT_URL = env_str(
    "QUICK_EXIT_URL", "https://www.google.com/search?q=th%E1%BB%9Di+ti%E1%BA%BFt+h%C3%B4m+nay"
)

# Twilio: with no auth token every webhook answers 403 (fail closed).
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_PUBLIC_BASE_URL = env_str("TWILIO_PUBLIC_BASE_URL")
# Softphone tokens (console/voice-token/) are signed with an API key, never the auth token.
TWILIO_API_KEY_SID = env_str("TWILIO_API_KEY_SID")
TWILIO_API_KEY_SECRET = env_str("TWILIO_API_KEY_SECRET")
TWILIO_TWIML_APP_SID = env_str("TWILIO_TWIML_APP_SID")
# Twilio's text-to-speech voice for <Say language="vi-VN">; empty uses the account's default.
TWILIO_SAY_VOICE = env_str("TWILIO_SAY_VOICE", "Google.vi-VN-Standard-A")
TWILIO_HTTP_TIMEOUT_SECONDS = env_int("TWILIO_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
TWILIO_DIAL_TIMEOUT_SECONDS = env_int("TWILIO_DIAL_TIMEOUT_SECONDS", 25, minimum=5)
SMS_CONTINUATION_WINDOW_SECONDS = env_int("SMS_CONTINUATION_WINDOW_SECONDS", 24 * 3600, minimum=60)
SMS_SEND_MAX_ATTEMPTS = env_int("SMS_SEND_MAX_ATTEMPTS", 5, minimum=1)
VOICEMAIL_MAX_SECONDS = env_int("VOICEMAIL_MAX_SECONDS", 120, minimum=10)
VOICEMAIL_RETENTION_DAYS = env_int("VOICEMAIL_RETENTION_DAYS", 30, minimum=1)
# How long each kind of data is kept, in days, and from which event (docs/security.md,
# "Retention"). The worker's purge (retention/jobs.py) deletes or erases what is past its
# period, in batches; retention.schedule checks this at startup (ImproperlyConfigured).
RETENTION = {
    # A contact that never became a case (its messages, call and SMS records, the caller's
    # number): from the end of the contact. Its contact record stays, for reports.
    "contact_days": env_int("RETENTION_CONTACT_DAYS", 90, minimum=1),
    # A closed case's conversations, summary, notes and escalation messages: from its closing.
    "closed_case_days": env_int("RETENTION_CLOSED_CASE_DAYS", 5 * 365, minimum=1),
    # A safe-callback request that is over (its number, encrypted): from its closing.
    "callback_days": env_int("RETENTION_CALLBACK_DAYS", 90, minimum=1),
    # A passphrase nobody used again: from its last use.
    "identity_days": env_int("RETENTION_IDENTITY_DAYS", 180, minimum=1),
    # Voicemail audio at Twilio: from its recording (telephony's own job deletes it).
    "voicemail_days": VOICEMAIL_RETENTION_DAYS,
    # Audit rows (timeline, reads, reveals, monitoring, disclosures, report events, holds,
    # break-glass grants, deletion requests): from their own time, and never while the data
    # they describe is still kept. Longer than any period above.
    "audit_days": env_int("RETENTION_AUDIT_DAYS", 10 * 365, minimum=1),
}
# Rows per purge batch (one transaction and one PurgeRecord each), and batches per kind of
# data in one round of the worker, so that a first purge of a large database leaves room
# for the other jobs between rounds.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500, minimum=1)
RETENTION_BATCHES_PER_ROUND = env_int("RETENTION_BATCHES_PER_ROUND", 20, minimum=1)
# After a purge that found nothing more to do, the worker looks again this much later.
RETENTION_PURGE_INTERVAL_SECONDS = env_int("RETENTION_PURGE_INTERVAL_SECONDS", 3600, minimum=1)
# How long a supervisor's break-glass access to one case outside their scope lasts.
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60, minimum=5)

# Fernet keys, comma-separated, newest first: the first encrypts, all decrypt.
PHONE_ENCRYPTION_KEY = env_str("PHONE_ENCRYPTION_KEY")
if TWILIO_AUTH_TOKEN and not PHONE_ENCRYPTION_KEY:
    # Phone numbers would otherwise have nowhere safe to go; refuse to start.
    raise ImproperlyConfigured("PHONE_ENCRYPTION_KEY must be set when TWILIO_AUTH_TOKEN is set")


# Messaging platforms (connectors/): a Zalo Official Account and a Facebook Page feed the same
# queue as the web chat. Without a platform's secrets its webhook answers 403 to everything and
# stores nothing (fail closed). Platform user ids are personal data: encrypted with these Fernet
# keys (comma-separated, newest first, like PHONE_ENCRYPTION_KEY) and found by a keyed hash; the
# platforms' access tokens are encrypted with them too.
CONNECTOR_ENCRYPTION_KEY = env_str("CONNECTOR_ENCRYPTION_KEY")
# Zalo: the app's id and secret key (token refresh) and the OA secret key (webhook signatures).
ZALO_APP_ID = env_str("ZALO_APP_ID")
ZALO_APP_SECRET_KEY = env_str("ZALO_APP_SECRET_KEY")
ZALO_OA_SECRET_KEY = env_str("ZALO_OA_SECRET_KEY")
# A signed event whose timestamp is further than this from now is refused (a replay).
ZALO_WEBHOOK_MAX_AGE_SECONDS = env_int("ZALO_WEBHOOK_MAX_AGE_SECONDS", 300, minimum=30)
# Zalo's rule for free reply messages: within 48 hours of the young person's last message,
# at most 8 replies to it. Past either, Zalo would bill a proactive message: refused here.
ZALO_REPLY_WINDOW_HOURS = env_int("ZALO_REPLY_WINDOW_HOURS", 48, minimum=1)
ZALO_REPLIES_PER_USER_MESSAGE = env_int("ZALO_REPLIES_PER_USER_MESSAGE", 8, minimum=1)
# The worker refreshes an OA's access token this long before it expires.
ZALO_TOKEN_REFRESH_MARGIN_SECONDS = env_int("ZALO_TOKEN_REFRESH_MARGIN_SECONDS", 3600, minimum=60)
# Messenger: the app secret (X-Hub-Signature-256) and the token the subscription check echoes.
MESSENGER_APP_SECRET = env_str("MESSENGER_APP_SECRET")
MESSENGER_VERIFY_TOKEN = env_str("MESSENGER_VERIFY_TOKEN")
MESSENGER_GRAPH_VERSION = env_str("MESSENGER_GRAPH_VERSION", "v21.0")
# Only once Meta approved the app's Human Agent feature: a reply 24 hours to 7 days after the
# young person's last message may then go out with the HUMAN_AGENT tag (docs/operations.md).
MESSENGER_HUMAN_AGENT_ENABLED = env_bool("MESSENGER_HUMAN_AGENT_ENABLED", False)


# Where the platforms' APIs are. Changed only to point at a stand-in on loopback (tests).
def _api_base_url(name: str, default: str) -> str:
    url = env_str(name, default).rstrip("/")
    if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        # Tokens and young people's messages travel to this address.
        raise ImproperlyConfigured(f"{name} must be an https:// URL")
    return url


ZALO_API_BASE_URL = _api_base_url("ZALO_API_BASE_URL", "https://openapi.zalo.me")
ZALO_OAUTH_BASE_URL = _api_base_url("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com")
MESSENGER_GRAPH_BASE_URL = _api_base_url("MESSENGER_GRAPH_BASE_URL", "https://graph.facebook.com")
CONNECTOR_HTTP_TIMEOUT_SECONDS = env_int("CONNECTOR_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
# A reply the platform could not take is tried again after 15 s, 30 s, 60 s... up to this many
# attempts in all; then the operator's console says it was not delivered.
CONNECTOR_SEND_MAX_ATTEMPTS = env_int("CONNECTOR_SEND_MAX_ATTEMPTS", 6, minimum=1)
CONNECTOR_RETRY_BASE_SECONDS = env_int("CONNECTOR_RETRY_BASE_SECONDS", 15, minimum=1)
# A national account asks for the province first; an unanswered question routes to central.
CONNECTOR_PROVINCE_ANSWER_SECONDS = env_int("CONNECTOR_PROVINCE_ANSWER_SECONDS", 120, minimum=10)
# Replies leave from a small pool of threads, so no socket waits on a platform's API.
CONNECTOR_SEND_IN_BACKGROUND = env_bool("CONNECTOR_SEND_IN_BACKGROUND", True)


# An image a young person sends on Zalo or Messenger is fetched from the platform's CDN by the
# URL in the webhook: over https only, from these hosts only, never through a redirect to
# another host, at most EVIDENCE_IMAGE_MAX_BYTES, within CONNECTOR_MEDIA_TIMEOUT_SECONDS in all.
# An entry is a host ("cdn.example.vn") or a leading dot for every host under a domain
# (".zadn.vn"), with ":port" only for a port other than 443. The defaults are Zalo's and
# Facebook's CDNs (docs/operations.md, section 10).
def _media_hosts(name: str, default: list[str]) -> list[str]:
    hosts = [host.lower() for host in env_list(name, default)]
    for host in hosts:
        # No scheme, path, wildcard or user info: a host (or .domain), and a port at most.
        if not re.fullmatch(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?", host):
            raise ImproperlyConfigured(f"{name}: {host!r} is not a host name (with a port)")
    return hosts


CONNECTOR_MEDIA_HOSTS = _media_hosts(
    "CONNECTOR_MEDIA_HOSTS", [".zadn.vn", ".zdn.vn", ".fbcdn.net", ".fbsbx.com"]
)
CONNECTOR_MEDIA_TIMEOUT_SECONDS = env_int("CONNECTOR_MEDIA_TIMEOUT_SECONDS", 10, minimum=1)
if (ZALO_OA_SECRET_KEY or MESSENGER_APP_SECRET) and not CONNECTOR_ENCRYPTION_KEY:
    # Platform user ids would otherwise have nowhere safe to go; refuse to start.
    raise ImproperlyConfigured(
        "CONNECTOR_ENCRYPTION_KEY must be set when ZALO_OA_SECRET_KEY or MESSENGER_APP_SECRET is"
    )


# The .docx report (reports/exports/docx_export.py), laid out as Decree 30/2020/NĐ-CP asks. Each
# setting holds lines separated by "|". In every line, {province} stands for the province as the
# union writes it ("TP. HÀ NỘI", "TỈNH TUYÊN QUANG") and {place} for its name ("Hà Nội"); reports
# of the central hotline or of every hotline use the CENTRAL settings.
def _docx_lines(name: str, default: str) -> list[str]:
    lines = [line.strip() for line in env_str(name, default).split("|") if line.strip()]
    try:
        for line in lines:
            line.format(province="", place="")
    except (KeyError, IndexError, ValueError):
        raise ImproperlyConfigured(
            f"{name} may use only {{province}} and {{place}} between braces"
        ) from None
    return lines


REPORT_DOCX_ISSUER_LINES = _docx_lines(
    "REPORT_DOCX_ISSUER_LINES", "BAN CHẤP HÀNH ĐOÀN {province}|BAN THƯỜNG VỤ|***"
)
REPORT_DOCX_CENTRAL_ISSUER_LINES = _docx_lines(
    "REPORT_DOCX_CENTRAL_ISSUER_LINES", "BAN CHẤP HÀNH TRUNG ƯƠNG|***"
)
# The right-hand block: the union's heading by default; the national motto for a state body is
# "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập - Tự do - Hạnh phúc". The last line is underlined.
REPORT_DOCX_MOTTO_LINES = _docx_lines("REPORT_DOCX_MOTTO_LINES", "ĐOÀN TNCS HỒ CHÍ MINH")
# The symbol after the number: "Số:     -BC/TĐTN".
REPORT_DOCX_SYMBOL = env_str("REPORT_DOCX_SYMBOL", "TĐTN")
REPORT_DOCX_CENTRAL_SYMBOL = env_str("REPORT_DOCX_CENTRAL_SYMBOL", "TWĐTN")
REPORT_DOCX_CENTRAL_PLACE = env_str("REPORT_DOCX_CENTRAL_PLACE", "Hà Nội")
REPORT_DOCX_SIGNER_LINES = _docx_lines("REPORT_DOCX_SIGNER_LINES", "TM. BAN THƯỜNG VỤ|BÍ THƯ")
REPORT_DOCX_RECIPIENT_LINES = _docx_lines(
    "REPORT_DOCX_RECIPIENT_LINES", "- Ban Bí thư Trung ương Đoàn (để báo cáo);|- Lưu: VP."
)

# Evidence of online harm (harms/): screenshots and PDFs kept encrypted in files, outside
# the database and outside anything the web server serves (never under STATIC_ROOT).
EVIDENCE_ROOT = Path(env_str("EVIDENCE_ROOT", str(BASE_DIR / "var" / "evidence"))).resolve()
if any(EVIDENCE_ROOT.is_relative_to(Path(s).resolve()) for s in (STATIC_ROOT, *STATICFILES_DIRS)):
    raise ImproperlyConfigured("EVIDENCE_ROOT must not be inside a folder of static files")
# Fernet keys, comma-separated, newest first, like PHONE_ENCRYPTION_KEY. Without one no
# evidence file is stored or shown (fail closed).
EVIDENCE_ENCRYPTION_KEY = env_str("EVIDENCE_ENCRYPTION_KEY")
EVIDENCE_IMAGE_MAX_BYTES = env_int("EVIDENCE_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
EVIDENCE_PDF_MAX_BYTES = env_int("EVIDENCE_PDF_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Screenshots a young person may send from the chat (POST /chat/upload/): per conversation,
# and per network (an IPv4 address or an IPv6 /64, kept as a keyed hash for an hour).
CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR = env_int(
    "CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR", 20, minimum=1
)
CHAT_UPLOADS_PER_NETWORK_PER_HOUR = env_int("CHAT_UPLOADS_PER_NETWORK_PER_HOUR", 60, minimum=1)
# The key of the keyed hashes (HMAC-SHA256) that find the same handle or URL in cases of
# several hotlines. Empty: derived from SECRET_KEY. Changing it needs `manage.py
# harms_rehash`, which computes every item's hashes again from the item itself.
HARMS_MATCH_KEY = env_str("HARMS_MATCH_KEY")

# Health and metrics (docs/operations.md, "Health and metrics").
# How long /healthz and /readyz wait for each Redis host's answer.
HEALTH_CHECK_TIMEOUT_SECONDS = env_int("HEALTH_CHECK_TIMEOUT_SECONDS", 2, minimum=1)
# After SIGTERM, how long daphne keeps serving while /readyz answers 503, so that a load
# balancer polling it stops sending work first. nginx alone needs none: it moves on to the
# next worker as soon as this one's socket refuses.
READYZ_DRAIN_SECONDS = env_int("READYZ_DRAIN_SECONDS", 0)
# The Prometheus endpoint /metrics: off by default; then only on loopback, or to this token.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters long")
# run_worker serves its own /metrics on this loopback port when it is set (0: it does not).
METRICS_WORKER_PORT = env_int("METRICS_WORKER_PORT", 0)
if METRICS_WORKER_PORT > 65535:
    raise ImproperlyConfigured("METRICS_WORKER_PORT must be a TCP port (at most 65535)")
METRICS_WORKER_ADDRESS = env_str("METRICS_WORKER_ADDRESS", "127.0.0.1")
# prometheus_client's own variable: the directory the processes of one host share.
METRICS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if METRICS_MULTIPROC_DIR and not Path(METRICS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured("PROMETHEUS_MULTIPROC_DIR must name an existing directory")

SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
