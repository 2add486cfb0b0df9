"""Reads about signing in: a person's own sessions, and the locked accounts one may unlock."""

from importlib import import_module

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import Http404

from accounts.models import StaffSession
from helpline.models import Role, User


def staff_sessions_for_user(*, user: User) -> list[StaffSession]:
    """The sessions of this person that are still alive, most recently used first.

    Rows whose session expired or was ended elsewhere are deleted on the way.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    rows = list(StaffSession.objects.filter(user=user))
    alive = [row for row in rows if store.exists(row.session_key)]
    gone = [row.pk for row in rows if row not in alive]
    if gone:
        StaffSession.objects.filter(pk__in=gone).delete()
    return alive


def accounts_unlockable_by(*, user: User) -> QuerySet:
    """Accounts this person may unlock: an administrator any; a supervisor their hotline's staff."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return User.objects.none()
    if user.role == Role.ADMINISTRATOR:
        return User.objects.all()
    if user.role == Role.SUPERVISOR and user.hotline_id is not None:
        return User.objects.filter(hotline_id=user.hotline_id)
    return User.objects.none()


def account_get_for_unlock(*, user: User, account_id) -> User:
    """One account this person may unlock, or Http404."""
    account = accounts_unlockable_by(user=user).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def locked_accounts_for_user(*, user: User) -> list[dict]:
    """The accounts in this person's reach that are locked out now, with their failures."""
    from axes.models import AccessAttempt

    from accounts.throttle import failure_limit, lockout_window_start

    reachable = accounts_unlockable_by(user=user)
    failures = (
        AccessAttempt.objects.filter(attempt_time__gte=lockout_window_start())
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=failure_limit())
    )
    counts = {row["username"]: row["total"] for row in failures}
    accounts = reachable.filter(username__in=counts).order_by("username")
    return [{"account": account, "failures": counts[account.username]} for account in accounts]
