"""The worker closes callback requests a day after their window passed, so the list stays honest."""

import datetime

import pytest
from cryptography.fernet import Fernet

from helpline.groups import hotline_staff_group
from helpline.management.commands.run_worker import registered_jobs
from telephony import callbacks, jobs
from telephony.models import CallbackEvent, CallbackRequest, CallbackState
from tests.escalation.helpers import GroupListener

LOCAL = datetime.timezone(datetime.timedelta(hours=7))
WINDOW_ENDS = datetime.datetime(2026, 11, 28, 20, 0, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def phone_key(settings):
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()


def ask(number: str, *, ends=WINDOW_ENDS) -> CallbackRequest:
    callback, _created = callbacks.callback_request_create(
        province_code="01",
        phone=number,
        window_starts_at=ends - datetime.timedelta(hours=2),
        window_ends_at=ends,
        may_identify=False,
        at=ends - datetime.timedelta(hours=5),
    )
    return callback


def states() -> dict[str, str]:
    return {str(c.pk): c.state for c in CallbackRequest.objects.all()}


@pytest.mark.django_db
def test_it_expires_open_requests_a_day_after_their_window_and_no_sooner(reference_data, op_hanoi):
    waiting = ask("+84912000001")
    claimed = ask("+84912000002")
    callbacks.callback_claim(user=op_hanoi, callback_id=claimed.pk)
    done = ask("+84912000003")
    callbacks.callback_claim(user=op_hanoi, callback_id=done.pk)
    callbacks.callback_attempt_record(user=op_hanoi, callback_id=done.pk, outcome="reached")
    callbacks.callback_finish(user=op_hanoi, callback_id=done.pk)
    later = ask("+84912000004", ends=WINDOW_ENDS + datetime.timedelta(hours=3))

    a_day_after = WINDOW_ENDS + datetime.timedelta(hours=24)
    assert callbacks.callback_requests_expire(at=a_day_after) == 0
    assert callbacks.callback_requests_expire(at=a_day_after + datetime.timedelta(seconds=1)) == 2

    assert states() == {
        str(waiting.pk): CallbackState.EXPIRED,
        str(claimed.pk): CallbackState.EXPIRED,
        str(done.pk): CallbackState.DONE,
        str(later.pk): CallbackState.REQUESTED,
    }
    expired = CallbackEvent.objects.filter(action="expired")
    assert sorted(e.callback_uuid for e in expired) == sorted([waiting.pk, claimed.pk])
    assert {e.actor for e in expired} == {None}
    # Running again does nothing twice.
    assert callbacks.callback_requests_expire(at=a_day_after + datetime.timedelta(hours=1)) == 0


@pytest.mark.django_db
def test_the_expiry_follows_its_setting(reference_data, settings):
    settings.CALLBACK_EXPIRE_AFTER_HOURS = 2
    ask("+84912000001")
    assert callbacks.callback_requests_expire(at=WINDOW_ENDS + datetime.timedelta(hours=1)) == 0
    assert callbacks.callback_requests_expire(at=WINDOW_ENDS + datetime.timedelta(hours=3)) == 1


@pytest.mark.django_db
def test_it_runs_in_the_worker_and_tells_the_consoles(
    reference_data, django_capture_on_commit_callbacks
):
    callback = ask("+84912000001")
    assert jobs.expire_passed_callbacks in registered_jobs()
    consoles = GroupListener(hotline_staff_group(callback.hotline_id))
    with django_capture_on_commit_callbacks(execute=True):
        done = jobs.expire_passed_callbacks(now=WINDOW_ENDS + datetime.timedelta(days=2))
    assert done == 1
    assert consoles.drain() == [
        {"type": "console.push", "frame": {"type": "callbacks", "open": 0, "unclaimed": 0}}
    ]


@pytest.mark.django_db
def test_an_expired_number_can_ask_again(reference_data):
    ask("+84912000001")
    callbacks.callback_requests_expire(at=WINDOW_ENDS + datetime.timedelta(days=2))
    _again, created = callbacks.callback_request_create(
        phone="+84912000001",
        window_starts_at=WINDOW_ENDS + datetime.timedelta(days=2),
        window_ends_at=WINDOW_ENDS + datetime.timedelta(days=2, hours=1),
        may_identify=False,
    )
    assert created
    assert CallbackRequest.objects.filter(state=CallbackState.REQUESTED).count() == 1
