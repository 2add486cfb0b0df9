"""Writes about signing in: the second factor, sessions ended, accounts unlocked.

Each change that matters to the account's security writes an AccountEvent in
its transaction; ending sessions tells the owner's open sockets to look again
once it has committed (helpline.receivers.staff_sockets_recheck).
"""

import datetime
from importlib import import_module

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.browsers import browser_family
from accounts.models import AccountAction, AccountEvent, StaffSession
from accounts.second_factor import second_factor_enrolled
from helpline.models import User
from helpline.receivers import staff_sockets_recheck

RECOVERY_CODE_COUNT = 10
# How often a session's "last activity" is written: a page view does not need a write each time.
SESSION_TOUCH_SECONDS = 300


def account_event_record(*, actor: User | None, account_id: int, action: str) -> AccountEvent:
    return AccountEvent.objects.create(actor=actor, account_id=account_id, action=action)


# -- the second factor -------------------------------------------------------


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The authenticator app being enrolled, unconfirmed until its first code is right.

    Refused once the account has a confirmed device: a session that has not
    passed the second factor must not be able to add another one.
    """
    if second_factor_enrolled(user):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=False)


def second_factor_enrol(*, user: User, device_id: int, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app being enrolled with its first code; return it and new recovery codes.

    A wrong code raises ValidationError after its failure is committed, so the
    device's throttling counts it.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if second_factor_enrolled(user):
            raise PermissionDenied
        device = TOTPDevice.objects.select_for_update().filter(
            pk=device_id, user=user, confirmed=False
        )
        device = device.first()
        accepted = device is not None and device.verify_token(_token_digits(token))
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _recovery_codes_replace(user)
            account_event_record(
                actor=user, account_id=user.pk, action=AccountAction.SECOND_FACTOR_ENROLLED
            )
    if not accepted:
        raise ValidationError(_("Mã không đúng. Hãy nhập mã đang hiện trong ứng dụng."))
    return device, codes


@transaction.atomic
def second_factor_reset(*, user_id: int) -> User:
    """Forget an account's app and recovery codes and end its sessions (a lost phone).

    Only whoever runs the server does this, from a command: the next login
    enrols a new app. Recorded with no actor.
    """
    account = User.objects.select_for_update().get(pk=user_id)
    TOTPDevice.objects.filter(user=account).delete()
    StaticDevice.objects.filter(user=account).delete()
    keys = list(StaffSession.objects.filter(user=account).values_list("session_key", flat=True))
    _sessions_end(user_id=account.pk, session_keys=keys)
    account_event_record(
        actor=None, account_id=account.pk, action=AccountAction.SECOND_FACTOR_RESET
    )
    return account


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes for an enrolled account; the old ones stop working."""
    if not second_factor_enrolled(user):
        raise PermissionDenied
    codes = _recovery_codes_replace(user)
    account_event_record(
        actor=user, account_id=user.pk, action=AccountAction.RECOVERY_CODES_CREATED
    )
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _index in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_check(*, user: User, token: str) -> Device | None:
    """The user's device that accepts this code, or None.

    Six digits are an authenticator app's code; anything else is tried as a
    recovery code, which is used up. Each device throttles its own failures
    (django-otp), and each attempt runs in its own transaction so a failure is
    counted even when the caller goes on to refuse.
    """
    token = "".join(token.split()).lower()
    if not token:
        return None
    if token.isdigit() and len(token) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    for device in devices:
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


def _token_digits(token: str) -> str:
    return "".join(token.split())


# -- staff sessions ----------------------------------------------------------


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def staff_session_record(
    *, user: User, session_key: str, user_agent: str, at: datetime.datetime | None = None
) -> None:
    """Note a session of this member of staff: the browser's family and the time, nothing more."""
    at = at or timezone.now()
    StaffSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "last_seen_at": at},
        create_defaults={
            "user": user,
            "browser": browser_family(user_agent),
            "started_at": at,
            "last_seen_at": at,
        },
    )


def staff_session_touch(
    *, user: User, session_key: str, user_agent: str, at: datetime.datetime
) -> None:
    """Move a session's last activity on; note the session if it has no row yet."""
    updated = StaffSession.objects.filter(session_key=session_key, user=user).update(
        last_seen_at=at
    )
    if not updated:
        staff_session_record(user=user, session_key=session_key, user_agent=user_agent, at=at)


def _sessions_end(*, user_id: int, session_keys: list[str]) -> None:
    store = _session_store()()
    for session_key in session_keys:
        store.delete(session_key)
    StaffSession.objects.filter(user_id=user_id, session_key__in=session_keys).delete()
    # Every open socket of this person reads its session again and closes (4403) if it ended.
    staff_sockets_recheck(user_id)


@transaction.atomic
def staff_session_end(*, user: User, session_id: int) -> None:
    """End one of the user's own sessions; another person's session is 404."""
    row = StaffSession.objects.select_for_update().filter(pk=session_id, user=user).first()
    if row is None:
        raise Http404
    _sessions_end(user_id=user.pk, session_keys=[row.session_key])
    account_event_record(actor=user, account_id=user.pk, action=AccountAction.SESSION_ENDED)


@transaction.atomic
def staff_sessions_end_others(*, user: User, current_session_key: str) -> int:
    """End every session of the user but the one they are using; return how many ended."""
    keys = list(
        StaffSession.objects.select_for_update()
        .filter(user=user)
        .exclude(session_key=current_session_key)
        .values_list("session_key", flat=True)
    )
    if keys:
        _sessions_end(user_id=user.pk, session_keys=keys)
        account_event_record(actor=user, account_id=user.pk, action=AccountAction.SESSION_ENDED)
    return len(keys)


@transaction.atomic
def staff_sessions_end_all(*, by: User, user_id: int) -> int:
    """An administrator ends every session of an account; return how many ended.

    Ending sessions only takes access away, so it needs no second person.
    """
    if not (by.is_active and by.is_staff and by.has_perm("helpline.change_user")):
        raise PermissionDenied
    account = User.objects.select_for_update().filter(pk=user_id).first()
    if account is None:
        raise Http404
    keys = list(StaffSession.objects.filter(user=account).values_list("session_key", flat=True))
    _sessions_end(user_id=account.pk, session_keys=keys)
    account_event_record(
        actor=by, account_id=account.pk, action=AccountAction.SESSIONS_ENDED_BY_ADMINISTRATOR
    )
    return len(keys)


# -- lockouts ----------------------------------------------------------------


@transaction.atomic
def account_unlock(*, by: User, user_id: int) -> User:
    """Clear the failed logins of an account the unlocker may manage (404 otherwise)."""
    from axes.utils import reset

    from accounts.selectors import account_get_for_unlock

    account = account_get_for_unlock(user=by, account_id=user_id)
    reset(username=account.username)
    account_event_record(actor=by, account_id=account.pk, action=AccountAction.UNLOCKED)
    return account


# -- the enrolment link ------------------------------------------------------


def enrolment_link_send(*, user: User, actor: User | None = None) -> None:
    """E-mail the account a link to set its first password; the second factor follows at login.

    The link is Django's password-reset link (a signed, expiring token that
    stops working once the password is set), sent with the enrolment wording.
    """
    from accounts.mail import enrolment_mail_send

    if not user.email:
        raise ValidationError(_("Tài khoản này chưa có email để gửi liên kết."))
    with transaction.atomic():
        account_event_record(
            actor=actor, account_id=user.pk, action=AccountAction.ENROLMENT_LINK_SENT
        )
    enrolment_mail_send(user=user)
