"""django-axes' refusal of locked-out logins, for logins that come from a request."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuse every login of a locked-out account or address.

    authenticate() without a request is called by code (a command, a test),
    never by a login form: there is no address to count, so it is let through
    to the next backend instead of raising as django-axes does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
