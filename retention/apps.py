from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from retention.schedule import retention_schedule_check

        # A schedule that would purge too early, or keep the trail shorter than the data it
        # describes, must stop the start, not be found out after the data is gone.
        retention_schedule_check(settings.RETENTION)
