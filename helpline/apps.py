from django.apps import AppConfig


class HelplineConfig(AppConfig):
    name = "helpline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from helpline import receivers  # noqa: F401 - connects the signal receivers
