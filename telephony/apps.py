from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "telephony"
    verbose_name = _("Điện thoại và SMS (Twilio)")

    def ready(self) -> None:
        from telephony import receivers  # noqa: F401
        from telephony.phone import phone_keys_check

        if settings.TWILIO_AUTH_TOKEN:
            # Fail at start-up, not on the first call: a bad key would otherwise
            # surface as 403s to every caller.
            phone_keys_check()
