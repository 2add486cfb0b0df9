"""Whether a session has passed the second factor: the one rule for pages and sockets.

A session is verified when django-otp's login put the id of a confirmed device
of the session's own user in it. The demo accounts may skip the second factor
only while DEBUG is on and OTP_DEMO_EXEMPT allows it (settings make it false
outside DEBUG); every other account, always, needs it.
"""

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp.models import Device


def second_factor_exempt(user) -> bool:
    """True only for a demo account while DEBUG and OTP_DEMO_EXEMPT are both on."""
    from helpline.management.commands.seed_demo import DEMO_STAFF

    if not (settings.DEBUG and getattr(settings, "OTP_DEMO_EXEMPT", False)):
        return False
    return user.username in {username for username, *_rest in DEMO_STAFF}


def session_device(*, user, session):
    """The confirmed device of this user that verified the session, or None."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def session_devices(sessions: list) -> dict:
    """Persistent id -> device, for the devices these sessions name: one read per device kind.

    The same lookup as Device.from_persistent_id ("<app>.<model>/<id>"), for many
    sessions at once; the caller applies session_device's checks.
    """
    from django.apps import apps

    ids_by_model: dict[str, set[int]] = {}
    for session in sessions:
        persistent_id = session.get(DEVICE_ID_SESSION_KEY)
        if not isinstance(persistent_id, str) or "/" not in persistent_id:
            continue
        label, _slash, device_id = persistent_id.rpartition("/")
        if device_id.isdigit():
            ids_by_model.setdefault(label, set()).add(int(device_id))
    found = {}
    for label, ids in ids_by_model.items():
        try:
            device_class = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        if not issubclass(device_class, Device):
            continue
        for device in device_class.objects.filter(id__in=ids):
            found[device.persistent_id] = device
    return found


def second_factor_verified(*, user, session) -> bool:
    """Whether this session of this user passed the second factor (or may skip it)."""
    if second_factor_exempt(user):
        return True
    return session_device(user=user, session=session) is not None


def second_factor_enrolled(user) -> bool:
    """Whether the user has a confirmed device (an app or recovery codes) to verify with."""
    return user_has_device(user, confirmed=True)
