"""System checks of this project's own, run by `manage.py check --deploy`."""

from django.contrib.auth.hashers import check_password, is_password_usable
from django.core.checks import Warning
from django.db import DatabaseError, connection

from helpline.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF
from helpline.models import User


def demo_passwords_check(app_configs=None, **kwargs) -> list[Warning]:
    """Warn while a demo account can still log in with the published demo password.

    Only the known demo usernames are hashed, so the check stays quick.
    The hash is compared without check_password's rehashing setter: a check
    must not write.
    """
    usernames = [username for username, *_rest in DEMO_STAFF]
    try:
        if User._meta.db_table not in connection.introspection.table_names():
            return []  # Not migrated yet: there is no account at all.
        accounts = list(
            User.objects.filter(username__in=usernames, is_active=True).values_list(
                "username", "password"
            )
        )
    except DatabaseError:
        return [
            Warning(
                "Could not read the staff table to look for demo passwords.",
                hint="Run the check again once the database answers.",
                id="helpline.W002",
            )
        ]
    exposed = sorted(
        username
        for username, encoded in accounts
        if is_password_usable(encoded) and check_password(DEMO_PASSWORD, encoded)
    )
    if not exposed:
        return []
    return [
        Warning(
            "These accounts still have the published demo password: " + ", ".join(exposed) + ".",
            hint="Run `manage.py seed_demo` with DEBUG off to make the demo passwords unusable.",
            id="helpline.W001",
        )
    ]
