from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


def _administrators_group_sync(**kwargs):
    from helpline.staff import administrators_group_sync

    administrators_group_sync()


class HelplineConfig(AppConfig):
    name = "helpline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from helpline import receivers  # noqa: F401 - connects the signal receivers
        from helpline.checks import demo_passwords_check

        checks.register(demo_passwords_check, checks.Tags.security, deploy=True)
        # Permissions are created after migrations, app by app, so the group is
        # set again after each one: the last run sees every permission it names.
        post_migrate.connect(_administrators_group_sync, dispatch_uid="administrators_group_sync")
