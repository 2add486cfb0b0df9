from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    """Signing in: the second factor, throttling, re-authentication and staff sessions."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import receivers  # noqa: F401 - connects the signal receivers
        from accounts.checks import second_factor_enforced_check

        checks.register(second_factor_enforced_check, checks.Tags.security, deploy=True)
