"""Logging a member of staff in for a test, second factor included.

Pages and sockets refuse a session that has not passed the second factor, so
the tests log in as a person would end up: password accepted, authenticator
app verified. A session logged in with plain force_login is one that stopped
at the password.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_totp_device(user) -> TOTPDevice:
    """The user's enrolled authenticator app, enrolled now if they had none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def staff_login(client, user) -> None:
    """Log the user in on this test client with the second factor verified."""
    device = confirmed_totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
