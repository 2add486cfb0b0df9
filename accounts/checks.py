"""`manage.py check --deploy`: the second factor and login throttling must be on."""

from django.conf import settings
from django.core.checks import Error

SECOND_FACTOR_MIDDLEWARE = "accounts.middleware.SecondFactorRequiredMiddleware"
AXES_BACKEND = "accounts.backends.LockoutBackend"
AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"


def second_factor_enforced_check(app_configs=None, **kwargs) -> list[Error]:
    """Fail when staff could sign in with a password alone or guess without limit."""
    errors = []
    middleware = list(settings.MIDDLEWARE)
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if SECOND_FACTOR_MIDDLEWARE not in middleware or (
        auth in middleware and middleware.index(SECOND_FACTOR_MIDDLEWARE) < middleware.index(auth)
    ):
        errors.append(
            Error(
                "Pages do not require the second factor.",
                hint=f"Put {SECOND_FACTOR_MIDDLEWARE} in MIDDLEWARE after {auth}.",
                id="accounts.E001",
            )
        )
    if getattr(settings, "OTP_DEMO_EXEMPT", False) and not settings.DEBUG:
        errors.append(
            Error(
                "Demo accounts may skip the second factor while DEBUG is off.",
                hint="OTP_DEMO_EXEMPT may only be true with DEBUG on.",
                id="accounts.E002",
            )
        )
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if not (
        getattr(settings, "AXES_ENABLED", True)
        and backends[:1] == [AXES_BACKEND]
        and AXES_MIDDLEWARE in middleware
    ):
        errors.append(
            Error(
                "Failed logins are not throttled.",
                hint=f"Keep AXES_ENABLED on, {AXES_BACKEND} first in AUTHENTICATION_BACKENDS "
                f"and {AXES_MIDDLEWARE} in MIDDLEWARE.",
                id="accounts.E003",
            )
        )
    return errors
