from django.apps import AppConfig


class HandbookConfig(AppConfig):
    name = "handbook"
    default_auto_field = "django.db.models.BigAutoField"
