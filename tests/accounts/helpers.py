"""Codes as an authenticator app would show them, and logging in as a person does."""

import time

from django_otp.oath import totp

from accounts.reauth import REAUTH_SESSION_KEY

PASSWORD = "mat-khau-rieng-2026"


def app_code(device) -> str:
    """The code the device's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def with_password(user, password: str = PASSWORD):
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def password_login(client, user, password: str = PASSWORD, **extra):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": password}, **extra
    )


def proof_expire(client) -> None:
    """Make this session's last proof of identity an hour old."""
    session = client.session
    session[REAUTH_SESSION_KEY] = int(time.time()) - 3600
    session.save()
