from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Zalo, Messenger và khung trò chuyện nhúng")

    def ready(self) -> None:
        from connectors import receivers  # noqa: F401 - connects the signal receiver
        from connectors.crypto import connector_keys_check

        if settings.ZALO_OA_SECRET_KEY or settings.MESSENGER_APP_SECRET:
            # Fail at start-up, not on the first message: a bad key would otherwise
            # surface as 403s to every young person writing in.
            connector_keys_check()
