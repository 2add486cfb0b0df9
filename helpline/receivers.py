"""Open sockets of a member of staff look at who they are again when their account changes.

A logout, a deactivation, a new role or scope or a new password must close
every socket of that person at once, not at its next tick: the sockets re-read
the account and the session when they get {"type": "staff.recheck"}.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from helpline import groups
from helpline.broadcast import broadcast_on_commit
from helpline.models import User


def staff_sockets_recheck(user_id: int) -> None:
    broadcast_on_commit(groups.staff_group(user_id), {"type": "staff.recheck"})


@receiver(user_logged_out)
def end_session_then_recheck(sender, request, user, **kwargs):
    # The signal comes before logout() flushes the session: delete it now, so a
    # socket that re-checks at once already finds it gone.
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        import_module(settings.SESSION_ENGINE).SessionStore().delete(session_key)
    if user is not None:
        staff_sockets_recheck(user.pk)


@receiver(post_save, sender=User)
def account_changed_recheck(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    staff_sockets_recheck(instance.pk)
