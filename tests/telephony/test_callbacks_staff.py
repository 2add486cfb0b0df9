"""Callback requests are tasks of their hotline: listed masked, claimed once, called, closed."""

import contextlib
import datetime
import threading

import pytest
from cryptography.fernet import Fernet
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from helpline.groups import hotline_staff_group
from helpline.models import Hotline
from telephony import callbacks
from telephony.models import (
    CallbackAttempt,
    CallbackEvent,
    CallbackOutcome,
    CallbackRequest,
    CallbackState,
)
from tests.escalation.helpers import GroupListener
from tests.logins import staff_login

LOCAL = datetime.timezone(datetime.timedelta(hours=7))
NOW = datetime.datetime(2026, 11, 28, 18, 30, tzinfo=LOCAL)
HANOI_NUMBER = "+84912345678"
HUE_NUMBER = "+84987654321"


@pytest.fixture(autouse=True)
def phone_key(settings):
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def ask(*, province="01", number=HANOI_NUMBER, starts=NOW, hours=2, may_identify=False):
    callback, _created = callbacks.callback_request_create(
        province_code=province,
        phone=number,
        window_starts_at=starts,
        window_ends_at=starts + datetime.timedelta(hours=hours),
        may_identify=may_identify,
        language="vi",
        age_group="15-17",
        at=NOW - datetime.timedelta(hours=1),
    )
    return callback


@pytest.fixture
def hanoi_request(reference_data):
    return ask()


@pytest.fixture
def hue_request(reference_data):
    return ask(province="46", number=HUE_NUMBER)


def page(client, user, url):
    staff_login(client, user)
    return client.get(url)


def act(client, user, callback, step, **data):
    staff_login(client, user)
    return client.post(f"/callbacks/{callback.pk}/{step}/", data)


def shown_name(user) -> str:
    return user.get_full_name() or user.username


def events(callback) -> list[tuple[str, str | None, str]]:
    rows = CallbackEvent.objects.filter(callback_uuid=callback.pk).order_by("at", "id")
    return [(e.action, e.actor.username if e.actor else None, e.outcome) for e in rows]


# ---------------------------------------------------------------- who sees what


@pytest.mark.django_db
def test_it_lists_a_hotlines_requests_to_its_staff_and_every_request_to_centrals(
    client, hanoi_request, hue_request, op_hanoi, sup_hanoi, op_hue, op_central, sup_central
):
    seen = {}
    for user in (op_hanoi, sup_hanoi, op_hue, op_central, sup_central):
        items = page(client, user, "/callbacks/items/").json()["items"]
        seen[user.username] = sorted(item["hotline"] for item in items)
    assert seen == {
        "op_hanoi": ["01"],
        "sup_hanoi": ["01"],
        "op_hue": ["46"],
        "op_central": ["01", "46"],
        "sup_central": ["01", "46"],
    }


@pytest.mark.django_db
def test_it_refuses_the_pages_to_people_who_handle_no_calls(
    client, hanoi_request, liaison_a05, administrator
):
    for user in (liaison_a05, administrator):
        for url in ("/callbacks/", "/callbacks/items/", f"/callbacks/{hanoi_request.pk}/"):
            assert page(client, user, url).status_code == 403
        assert act(client, user, hanoi_request, "claim").status_code == 403
    client.logout()
    assert client.get("/callbacks/").status_code == 302  # to the login page
    hanoi_request.refresh_from_db()
    assert hanoi_request.state == CallbackState.REQUESTED


@pytest.mark.django_db
def test_it_hides_another_hotlines_request_as_missing(client, hanoi_request, op_hue):
    assert page(client, op_hue, f"/callbacks/{hanoi_request.pk}/").status_code == 404
    for step in ("claim", "reveal", "attempt", "done", "release", "cancel"):
        assert act(client, op_hue, hanoi_request, step, outcome="reached").status_code == 404
    assert events(hanoi_request) == [("requested", None, "")]


@pytest.mark.django_db
def test_the_list_shows_the_masked_number_the_window_and_the_choices_never_the_number(
    client, hanoi_request, op_hanoi, clock
):
    response = page(client, op_hanoi, "/callbacks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert "•••• ••• 678" in html
    assert "18:30–20:30" in html
    assert "Đang trong khung giờ" in html
    assert "15-17" in html
    for form in (HANOI_NUMBER, HANOI_NUMBER[1:], "0912345678", "345678"):
        assert form not in html


@pytest.mark.django_db
def test_it_marks_a_window_that_has_passed_as_overdue(client, reference_data, op_hanoi, clock):
    ask(starts=NOW - datetime.timedelta(hours=3), hours=1)
    [item] = page(client, op_hanoi, "/callbacks/items/").json()["items"]
    assert (item["overdue"], item["in_window"]) == (True, False)
    assert "Đã qua khung giờ" in page(client, op_hanoi, "/callbacks/").content.decode()


@pytest.mark.django_db
def test_the_console_list_carries_the_counts_its_badge_shows(
    client, hanoi_request, op_hanoi, sup_hanoi, clock
):
    callbacks.callback_claim(user=sup_hanoi, callback_id=hanoi_request.pk)
    ask(number="+84912000002", starts=NOW + datetime.timedelta(hours=1))
    body = page(client, op_hanoi, "/callbacks/items/").json()
    assert (body["open"], body["unclaimed"]) == (2, 1)
    first = body["items"][0]
    assert first == {
        "id": str(hanoi_request.pk),
        "hotline": "01",
        "masked": "•••• ••• 678",
        "window": {"date": "2026-11-28", "start": "18:30", "end": "20:30"},
        "window_starts_at": "2026-11-28T11:30:00+00:00",
        "window_ends_at": "2026-11-28T13:30:00+00:00",
        "in_window": True,
        "overdue": False,
        "may_identify": False,
        "asked_again": 0,
        "age_group": "15-17",
        "language": "vi",
        "requested_at": "2026-11-28T10:30:00+00:00",
        "state": "claimed",
        "claimed_by": shown_name(sup_hanoi),
        "claimed_by_me": False,
        "url": f"/callbacks/{hanoi_request.pk}/",
    }


# ---------------------------------------------------------------- claiming


@pytest.mark.django_db
def test_it_lets_one_person_claim_and_tells_the_next_who_has_it(
    client, hanoi_request, op_hanoi, sup_hanoi
):
    response = act(client, op_hanoi, hanoi_request, "claim")
    assert response.status_code == 302
    assert response["Location"] == f"/callbacks/{hanoi_request.pk}/"

    response = act(client, sup_hanoi, hanoi_request, "claim")
    assert response["Location"] == "/callbacks/"
    name = shown_name(op_hanoi)
    assert f"Yêu cầu này đã được {name} nhận." in client.get("/callbacks/").content.decode()

    hanoi_request.refresh_from_db()
    assert (hanoi_request.state, hanoi_request.claimed_by) == (CallbackState.CLAIMED, op_hanoi)
    assert events(hanoi_request) == [("requested", None, ""), ("claimed", "op_hanoi", "")]
    listed = page(client, sup_hanoi, "/callbacks/").content.decode()
    assert f"Đã được {name} nhận" in listed


@pytest.mark.django_db
def test_claiming_twice_is_harmless(client, hanoi_request, op_hanoi):
    act(client, op_hanoi, hanoi_request, "claim")
    response = act(client, op_hanoi, hanoi_request, "claim")
    assert response["Location"] == f"/callbacks/{hanoi_request.pk}/"
    assert [e[0] for e in events(hanoi_request)] == ["requested", "claimed"]


@pytest.mark.django_db(transaction=True)
def test_two_people_claiming_at_once_have_exactly_one_winner(reference_data, op_hanoi, sup_hanoi):
    callback = ask()
    barrier = threading.Barrier(2)
    outcomes = {}
    # SQLite's test database answers "table is locked" instead of waiting, so there
    # the two claims queue one behind the other; on PostgreSQL they really race.
    serialize = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def claim(user):
        barrier.wait()
        try:
            with serialize:
                callbacks.callback_claim(user=user, callback_id=callback.pk)
            outcomes[user.username] = "won"
        except callbacks.CallbackAlreadyClaimed as refused:
            outcomes[user.username] = str(refused)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in (op_hanoi, sup_hanoi)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(outcomes) == 2
    assert len(winners) == 1
    loser = next(name for name in outcomes if name not in winners)
    callback.refresh_from_db()
    assert callback.claimed_by.username == winners[0]
    assert outcomes[loser] == f"Yêu cầu này đã được {shown_name(callback.claimed_by)} nhận."
    assert CallbackEvent.objects.filter(action="claimed").count() == 1


@pytest.mark.django_db
def test_a_stale_copy_cannot_claim_what_someone_else_claimed(hanoi_request, op_hanoi, sup_hanoi):
    stale = CallbackRequest.objects.get(pk=hanoi_request.pk)
    callbacks.callback_claim(user=op_hanoi, callback_id=hanoi_request.pk)
    stale.claim(by=sup_hanoi, at=NOW)
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    hanoi_request.refresh_from_db()
    assert hanoi_request.claimed_by == op_hanoi


# ---------------------------------------------------------------- the number


@pytest.mark.django_db
def test_it_shows_the_full_number_only_to_the_holder_and_records_each_reveal(
    client, hanoi_request, op_hanoi, sup_hanoi, sup_central
):
    # Before anyone holds it, nobody sees the number, a supervisor neither.
    refused = act(client, sup_hanoi, hanoi_request, "reveal")
    assert refused.status_code == 302
    assert HANOI_NUMBER not in client.get(refused["Location"]).content.decode()

    act(client, op_hanoi, hanoi_request, "claim")
    detail = page(client, op_hanoi, f"/callbacks/{hanoi_request.pk}/").content.decode()
    assert HANOI_NUMBER not in detail
    assert "Hiện số để gọi" in detail
    for _twice in range(2):
        shown = act(client, op_hanoi, hanoi_request, "reveal")
        assert shown.status_code == 200
        assert HANOI_NUMBER in shown.content.decode()
        assert "no-cache" in shown["Cache-Control"] or "no-store" in shown["Cache-Control"]
    for other in (sup_hanoi, sup_central):
        response = act(client, other, hanoi_request, "reveal")
        assert HANOI_NUMBER not in client.get(response["Location"]).content.decode()

    reveals = CallbackEvent.objects.filter(action="number_revealed", callback_uuid=hanoi_request.pk)
    assert [e.actor.username for e in reveals] == ["op_hanoi", "op_hanoi"]


# ---------------------------------------------------------------- calling


@pytest.mark.django_db
def test_it_records_each_attempt_and_closes_with_the_last_outcome(
    client, hanoi_request, op_hanoi, django_capture_on_commit_callbacks
):
    act(client, op_hanoi, hanoi_request, "claim")
    assert act(client, op_hanoi, hanoi_request, "attempt", outcome="no_answer").status_code == 302
    act(client, op_hanoi, hanoi_request, "attempt", outcome="reached")
    consoles = GroupListener(hotline_staff_group(hanoi_request.hotline_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, op_hanoi, hanoi_request, "done")

    assert response["Location"] == "/callbacks/"
    hanoi_request.refresh_from_db()
    assert (hanoi_request.state, hanoi_request.outcome) == (CallbackState.DONE, "reached")
    attempts = CallbackAttempt.objects.filter(callback=hanoi_request)
    assert [(a.outcome, a.by.username) for a in attempts] == [
        ("no_answer", "op_hanoi"),
        ("reached", "op_hanoi"),
    ]
    assert events(hanoi_request) == [
        ("requested", None, ""),
        ("claimed", "op_hanoi", ""),
        ("attempted", "op_hanoi", "no_answer"),
        ("attempted", "op_hanoi", "reached"),
        ("done", "op_hanoi", "reached"),
    ]
    assert consoles.drain() == [
        {"type": "console.push", "frame": {"type": "callbacks", "open": 0, "unclaimed": 0}}
    ]
    assert page(client, op_hanoi, "/callbacks/items/").json()["items"] == []


@pytest.mark.django_db
def test_it_shows_the_attempts_on_the_requests_page(client, hanoi_request, op_hanoi):
    act(client, op_hanoi, hanoi_request, "claim")
    act(client, op_hanoi, hanoi_request, "attempt", outcome="not_safe_to_talk")
    html = page(client, op_hanoi, f"/callbacks/{hanoi_request.pk}/").content.decode()
    assert f"Bạn ấy chưa thể nói chuyện an toàn · {shown_name(op_hanoi)}" in html
    assert "Đánh dấu xong" in html


@pytest.mark.django_db
def test_it_refuses_done_before_any_attempt_and_an_unknown_outcome(client, hanoi_request, op_hanoi):
    act(client, op_hanoi, hanoi_request, "claim")
    act(client, op_hanoi, hanoi_request, "done")
    act(client, op_hanoi, hanoi_request, "attempt", outcome="gave up")
    html = client.get(f"/callbacks/{hanoi_request.pk}/").content.decode()
    assert "Hãy ghi lại ít nhất một lần gọi trước khi đánh dấu xong." in html
    assert "Kết quả cuộc gọi không hợp lệ." in html
    hanoi_request.refresh_from_db()
    assert hanoi_request.state == CallbackState.CLAIMED
    assert not CallbackAttempt.objects.exists()


@pytest.mark.django_db
def test_only_the_holder_records_attempts_and_finishes(client, hanoi_request, op_hanoi, sup_hanoi):
    act(client, op_hanoi, hanoi_request, "claim")
    act(client, op_hanoi, hanoi_request, "attempt", outcome="no_answer")
    act(client, sup_hanoi, hanoi_request, "attempt", outcome="reached")
    act(client, sup_hanoi, hanoi_request, "done")
    hanoi_request.refresh_from_db()
    assert hanoi_request.state == CallbackState.CLAIMED
    assert [a.by.username for a in CallbackAttempt.objects.all()] == ["op_hanoi"]


@pytest.mark.django_db
def test_the_holder_or_a_supervisor_can_give_a_request_back(
    client, hanoi_request, op_hanoi, op_central, sup_hanoi
):
    act(client, op_hanoi, hanoi_request, "claim")
    act(client, op_central, hanoi_request, "release")  # neither holder nor supervisor
    hanoi_request.refresh_from_db()
    assert hanoi_request.claimed_by == op_hanoi

    act(client, sup_hanoi, hanoi_request, "release")
    hanoi_request.refresh_from_db()
    assert (hanoi_request.state, hanoi_request.claimed_by) == (CallbackState.REQUESTED, None)
    act(client, op_central, hanoi_request, "claim")
    hanoi_request.refresh_from_db()
    assert hanoi_request.claimed_by == op_central
    assert [e[:2] for e in events(hanoi_request)][1:] == [
        ("claimed", "op_hanoi"),
        ("released", "sup_hanoi"),
        ("claimed", "op_central"),
    ]


@pytest.mark.django_db
def test_a_supervisor_or_the_holder_can_cancel_an_operator_who_does_not_hold_it_cannot(
    client, reference_data, op_hanoi, sup_hanoi
):
    first = ask()
    act(client, op_hanoi, first, "cancel")
    first.refresh_from_db()
    assert first.state == CallbackState.REQUESTED
    act(client, sup_hanoi, first, "cancel")
    first.refresh_from_db()
    assert first.state == CallbackState.CANCELLED

    second = ask(number="+84912000002")
    act(client, op_hanoi, second, "claim")
    act(client, op_hanoi, second, "cancel")
    second.refresh_from_db()
    assert second.state == CallbackState.CANCELLED
    assert events(second)[-1] == ("cancelled", "op_hanoi", "")

    # A closed request takes no further step.
    response = act(client, sup_hanoi, second, "claim")
    assert response["Location"] == "/callbacks/"
    second.refresh_from_db()
    assert second.state == CallbackState.CANCELLED


@pytest.mark.django_db
def test_it_tells_staff_not_to_identify_when_the_number_asked_again(
    client, reference_data, op_hanoi, clock
):
    callback = ask(may_identify=True)
    [item] = page(client, op_hanoi, "/callbacks/items/").json()["items"]
    assert (item["may_identify"], item["asked_again"]) == (True, 0)

    ask(may_identify=False, starts=NOW + datetime.timedelta(hours=3))  # the same number again
    [item] = page(client, op_hanoi, "/callbacks/items/").json()["items"]
    assert (item["may_identify"], item["asked_again"]) == (False, 1)
    callback.refresh_from_db()
    assert callback.may_identify is True  # the request itself is unchanged
    html = client.get(f"/callbacks/{callback.pk}/").content.decode()
    assert "số này đã gửi lại yêu cầu 1 lần" in html


@pytest.mark.django_db
def test_every_step_tells_the_hotlines_and_centrals_consoles_the_new_counts(
    hanoi_request, op_hanoi, django_capture_on_commit_callbacks
):
    hanoi = hanoi_request.hotline
    central = Hotline.objects.get(is_central=True)
    ask(province="", number="+84912000003")
    hanoi_consoles = GroupListener(hotline_staff_group(hanoi.pk))
    central_consoles = GroupListener(hotline_staff_group(central.pk))
    with django_capture_on_commit_callbacks(execute=True):
        callbacks.callback_claim(user=op_hanoi, callback_id=hanoi_request.pk)

    assert hanoi_consoles.drain() == [
        {"type": "console.push", "frame": {"type": "callbacks", "open": 1, "unclaimed": 0}}
    ]
    assert central_consoles.drain() == [
        {"type": "console.push", "frame": {"type": "callbacks", "open": 2, "unclaimed": 1}}
    ]


@pytest.mark.django_db
def test_the_trail_holds_codes_and_ids_only(client, hanoi_request, op_hanoi):
    act(client, op_hanoi, hanoi_request, "claim")
    act(client, op_hanoi, hanoi_request, "reveal")
    act(client, op_hanoi, hanoi_request, "attempt", outcome="wrong_number")
    for event in CallbackEvent.objects.all():
        assert event.action in CallbackEvent.Action.values
        assert event.outcome in ("", *CallbackOutcome.values)
        assert event.callback_uuid == hanoi_request.pk
    assert {f.name for f in CallbackEvent._meta.get_fields()} == {
        "id",
        "callback_uuid",
        "hotline",
        "actor",
        "action",
        "outcome",
        "at",
    }
