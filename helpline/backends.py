"""Logging in: Django's model backend, closed to the published demo password outside DEBUG."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from helpline.management.commands.seed_demo import DEMO_PASSWORD


class DemoPasswordRefusingBackend(ModelBackend):
    """Refuse the demo password outside DEBUG, for every account.

    seed_demo gives the demo accounts a password printed in the README. A
    database seeded under DEBUG and later served without it would otherwise keep
    accounts anyone can open. The refusal does not depend on the username, so it
    tells nobody which accounts exist.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == DEMO_PASSWORD and not settings.DEBUG:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
