"""A young person asks for a safe callback on POST /chat/callback/: checked, limited, kept safe."""

import datetime
import json

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client
from django.utils import timezone

from helpline.groups import hotline_staff_group
from helpline.models import ChatStartAttempt, Hotline
from telephony import callbacks
from telephony.models import CallbackEvent, CallbackRequest, CallbackState, PhoneNumber
from telephony.phone import phone_decrypt, phone_vietnam_e164
from tests.escalation.helpers import GroupListener

URL = "/chat/callback/"
OWN_ORIGIN = "http://testserver"
NUMBER = "+84912345678"
TYPED = "0912 345 678"
LOCAL = datetime.timezone(datetime.timedelta(hours=7))
# A Saturday morning in Hanoi.
NOW = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def phone_key(settings):
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture
def clock(monkeypatch):
    """Time stands still at NOW until a test moves it."""

    class Clock:
        now = NOW

        def move(self, **delta):
            self.now += datetime.timedelta(**delta)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


def request_body(**fields) -> dict:
    body = {
        "province": "01",
        "phone": TYPED,
        "window_start": "18:00",
        "window_end": "20:00",
        "may_identify": False,
        "language": "vi",
        "age_group": "15-17",
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def post(client, body, *, origin=OWN_ORIGIN, address="203.0.113.7", raw=None, **headers):
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    return client.post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type=headers.pop("content_type", "application/json"),
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.mark.django_db
def test_it_stores_a_request_for_the_chosen_provinces_hotline_and_answers_with_the_window(
    client, reference_data, clock
):
    response = post(client, request_body())

    assert response.status_code == 201
    assert response.json() == {
        "status": "requested",
        "message": (
            "Đã nhận yêu cầu. Tổng đài sẽ gọi lại cho bạn trong khoảng 18:00–20:00, hôm nay, "
            "28/11. Khi gọi, tư vấn viên sẽ không nói là gọi từ tổng đài cho tới khi chắc chắn "
            "đang nói chuyện với bạn."
        ),
        "window": {"date": "2026-11-28", "day": "today", "start": "18:00", "end": "20:00"},
        "may_identify": False,
    }
    callback = CallbackRequest.objects.get()
    assert callback.hotline.code == "01"
    assert callback.state == CallbackState.REQUESTED
    assert callback.window_starts_at == datetime.datetime(2026, 11, 28, 18, 0, tzinfo=LOCAL)
    assert callback.window_ends_at == datetime.datetime(2026, 11, 28, 20, 0, tzinfo=LOCAL)
    assert (callback.may_identify, callback.language, callback.age_group) == (False, "vi", "15-17")
    assert phone_decrypt(callback.phone.number_encrypted) == NUMBER
    assert list(CallbackEvent.objects.values_list("action", "actor")) == [("requested", None)]


@pytest.mark.django_db
def test_it_keeps_no_number_in_clear_in_any_table_it_writes(client, reference_data, clock):
    post(client, request_body())
    for table in ("telephony_callbackrequest", "telephony_phonenumber", "telephony_callbackevent"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a model's table name
            dump = repr(cursor.fetchall())
        for form in (NUMBER, NUMBER[1:], "0912345678", "345678"):
            assert form not in dump, table


@pytest.mark.django_db
def test_it_sends_a_request_without_a_province_to_central(client, reference_data, clock):
    response = post(client, request_body(province=None, phone="+84 24 3826 1234"))
    assert response.status_code == 201
    callback = CallbackRequest.objects.get()
    assert callback.hotline.is_central
    assert phone_decrypt(callback.phone.number_encrypted) == "+842438261234"


@pytest.mark.django_db
def test_it_reads_a_window_that_already_ended_today_as_tomorrows(client, reference_data, clock):
    response = post(client, request_body(window_start="07:00", window_end="08:30"))
    assert response.status_code == 201
    assert response.json()["window"] == {
        "date": "2026-11-29",
        "day": "tomorrow",
        "start": "07:00",
        "end": "08:30",
    }
    assert "ngày mai, 29/11" in response.json()["message"]
    assert CallbackRequest.objects.get().window_starts_at == datetime.datetime(
        2026, 11, 29, 7, 0, tzinfo=LOCAL
    )


@pytest.mark.django_db
def test_it_takes_a_window_for_tomorrow_when_asked_even_if_today_is_still_ahead(
    client, reference_data, clock
):
    response = post(client, request_body(day="tomorrow"))
    assert response.json()["window"]["date"] == "2026-11-29"


@pytest.mark.django_db
def test_it_keeps_a_window_that_has_begun_but_not_ended_for_today(client, reference_data, clock):
    response = post(client, request_body(window_start="09:00", window_end="11:00"))
    assert response.json()["window"] == {
        "date": "2026-11-28",
        "day": "today",
        "start": "09:00",
        "end": "11:00",
    }


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("+84 0912 345 678", "+84912345678"),
        ("091.234.5678", "+84912345678"),
        ("0312-345-678", "+84312345678"),
        ("(024) 3826 1234", "+842438261234"),
        ("+84 236 3822 123", "+842363822123"),
        ("84912345678", None),
        ("0012345678", None),
        ("0112345678", None),
        ("1800 1567", None),
        ("0912 345 6789", None),
        ("+1 415 555 0100", None),
        ("0912x345678", None),
        ("", None),
        (None, None),
    ],
)
def test_it_reads_vietnamese_mobile_and_landline_numbers_only(typed, e164):
    assert phone_vietnam_e164(typed) == e164


BAD_FIELDS = [
    ({"phone": None}, "phone", "required"),
    ({"phone": "12345"}, "phone", "invalid"),
    ({"phone": "+1 415 555 0100"}, "phone", "invalid"),
    ({"phone": "1900 1234"}, "phone", "invalid"),
    ({"phone": "0912abc345"}, "phone", "invalid"),
    ({"phone": 912345678}, "phone", "invalid"),
    ({"window_start": None}, "window_start", "required"),
    ({"window_start": "6pm"}, "window_start", "invalid"),
    ({"window_end": "24:00"}, "window_end", "invalid"),
    ({"window_end": "17:00"}, "window_end", "before_start"),
    ({"window_end": "18:20"}, "window_end", "too_short"),
    ({"window_start": "07:00", "window_end": "08:00", "day": "today"}, "window_end", "passed"),
    ({"day": "monday"}, "day", "invalid"),
    ({"may_identify": None}, "may_identify", "required"),
    ({"may_identify": "yes"}, "may_identify", "invalid"),
    ({"province": "99"}, "province", "invalid"),
    ({"language": "fr"}, "language", "invalid"),
    ({"age_group": "40"}, "age_group", "invalid"),
    ({"message": "please call me"}, "message", "unknown"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "field", "code"), BAD_FIELDS)
def test_it_refuses_a_bad_field_with_an_error_for_that_field_and_stores_nothing(
    client, reference_data, clock, fields, field, code
):
    response = post(client, request_body(**fields))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert list(body["fields"]) == [field]
    assert body["fields"][field]["code"] == code
    assert body["fields"][field]["message"]
    assert not CallbackRequest.objects.exists()
    assert not PhoneNumber.objects.exists()
    assert not ChatStartAttempt.objects.exists()


@pytest.mark.django_db
def test_it_reports_every_bad_field_at_once(client, reference_data, clock):
    response = post(client, request_body(phone="abc", may_identify=None, age_group="x"))
    assert sorted(response.json()["fields"]) == ["age_group", "may_identify", "phone"]


@pytest.mark.django_db
def test_it_answers_in_english_when_the_request_says_so(client, reference_data, clock):
    response = post(client, request_body(language="en", may_identify=True))
    assert response.json()["message"] == (
        "Request received. The helpline will call you back between 18:00 and 20:00, today, "
        "28/11. The counsellor will say they are calling from the Child and Youth Helpline."
    )
    assert CallbackRequest.objects.get().language == "en"
    refused = post(client, request_body(language="en", phone="123"))
    assert refused.json()["fields"]["phone"]["message"].startswith("This phone number")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "https://evil.example",
        "http://testserver.evil.example",
        "http://testserver:8080",
        "https://testserver",
    ],
)
def test_it_refuses_a_request_from_any_other_origin(client, reference_data, clock, origin):
    response = post(client, request_body(), origin=origin)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden_origin"
    assert not CallbackRequest.objects.exists()


@pytest.mark.django_db
def test_it_needs_no_csrf_token_or_login_from_a_page_of_its_own_origin(reference_data, clock):
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, request_body()).status_code == 201
    assert post(strict, request_body(phone="0912000009"), origin=None).status_code == 403


@pytest.mark.django_db
def test_it_takes_the_https_origin_behind_a_trusted_tls_proxy_and_only_that(
    client, reference_data, clock, settings
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # nginx passes the browser's Host on and says the request came over TLS.
    proxy = {"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"}
    assert post(client, request_body(), origin="https://testserver", **proxy).status_code == 201
    downgraded = post(client, request_body(phone="0912000009"), origin="http://testserver", **proxy)
    assert downgraded.status_code == 403
    no_proxy = post(client, request_body(phone="0912000009"), origin="https://testserver")
    assert no_proxy.status_code == 403


@pytest.mark.django_db
def test_it_accepts_an_origin_listed_as_trusted(client, reference_data, clock, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://tongdai.example.vn"]
    response = post(client, request_body(), origin="https://tongdai.example.vn")
    assert response.status_code == 201


@pytest.mark.django_db
def test_it_refuses_what_is_not_a_json_object(client, reference_data, clock):
    form = post(
        client, None, raw="phone=0912345678", content_type="application/x-www-form-urlencoded"
    )
    assert (form.status_code, form.json()["error"]) == (415, "unsupported_media_type")
    broken = post(client, None, raw="{not json")
    assert (broken.status_code, broken.json()["error"]) == (400, "invalid_json")
    listed = post(client, None, raw="[1, 2]")
    assert (listed.status_code, listed.json()["error"]) == (400, "invalid_json")
    huge = post(client, None, raw=json.dumps(request_body(age_group="x" * 3000)))
    assert (huge.status_code, huge.json()["error"]) == (413, "too_large")
    assert client.get(URL, HTTP_ORIGIN=OWN_ORIGIN).status_code == 405
    assert not CallbackRequest.objects.exists()


@pytest.mark.django_db
def test_it_limits_the_requests_of_one_network_per_hour(client, reference_data, clock, settings):
    settings.CALLBACK_REQUESTS_PER_HOUR = 2
    numbers = ["0912000001", "0912000002", "0912000003", "0912000004"]
    answers = [post(client, request_body(phone=n)).status_code for n in numbers[:3]]
    assert answers == [201, 201, 429]
    refused = post(client, request_body(phone=numbers[3]))
    assert refused.json()["error"] == "too_many_requests"
    assert refused.json()["message"]
    assert CallbackRequest.objects.count() == 2
    # Another network is not held back, and this one may ask again an hour later.
    assert post(client, request_body(phone=numbers[2]), address="198.51.100.9").status_code == 201
    clock.move(minutes=61)
    assert post(client, request_body(phone=numbers[3])).status_code == 201


@pytest.mark.django_db
def test_it_counts_an_ipv6_network_as_its_64(client, reference_data, clock, settings):
    settings.CALLBACK_REQUESTS_PER_HOUR = 1
    first = post(client, request_body(phone="0912000001"), address="2001:db8:1:2::1")
    second = post(client, request_body(phone="0912000002"), address="2001:db8:1:2::ffff")
    assert (first.status_code, second.status_code) == (201, 429)


@pytest.mark.django_db
def test_a_repeat_for_a_waiting_number_changes_nothing_and_gets_the_first_answer(
    client, reference_data, clock
):
    first = post(client, request_body())
    again = post(client, request_body(phone=NUMBER))  # the same number, typed differently

    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert CallbackRequest.objects.count() == 1
    actions = list(CallbackEvent.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["requested", "repeated"]


@pytest.mark.django_db
def test_a_repeat_with_another_window_keeps_the_first_and_does_not_reveal_it(
    client, reference_data, clock
):
    post(client, request_body(may_identify=True))
    stored = CallbackRequest.objects.get()

    other = post(client, request_body(window_start="19:00", window_end="21:00", province="46"))

    # Whoever typed this number learns nothing about the request already waiting.
    assert other.status_code == 201
    assert other.json()["window"]["start"] == "19:00"
    callback = CallbackRequest.objects.get()
    assert callback.pk == stored.pk
    assert (callback.window_starts_at, callback.hotline.code, callback.may_identify) == (
        stored.window_starts_at,
        "01",
        True,
    )


@pytest.mark.django_db
def test_a_number_may_ask_again_once_its_earlier_request_is_closed(
    client, reference_data, clock, sup_hanoi
):
    post(client, request_body())
    callbacks.callback_cancel(user=sup_hanoi, callback_id=CallbackRequest.objects.get().pk)
    assert post(client, request_body()).status_code == 201
    assert CallbackRequest.objects.filter(state=CallbackState.REQUESTED).count() == 1
    assert CallbackRequest.objects.count() == 2


@pytest.mark.django_db
def test_it_never_writes_the_number_to_a_log(client, reference_data, clock, caplog, settings):
    caplog.set_level("DEBUG")
    # Django's request logger names every refused request; settings keep it at ERROR.
    caplog.set_level("DEBUG", logger="django.request")
    settings.CALLBACK_REQUESTS_PER_HOUR = 2
    post(client, request_body())
    post(client, request_body())
    post(client, request_body())  # refused by the limit
    post(client, request_body(phone="0987 654 32"), address="198.51.100.9")  # refused as invalid
    post(client, request_body(), origin="https://evil.example")
    assert len(caplog.records) >= 3  # the refusals were logged, without the number
    for form in (NUMBER, NUMBER[1:], "0912345678", "0912 345 678", "345678", "0987 654 32"):
        assert form not in caplog.text


@pytest.mark.django_db
def test_it_never_echoes_a_refused_number(client, reference_data, clock):
    response = post(client, request_body(phone="0987 654 32"))
    assert response.status_code == 400
    assert "654" not in response.content.decode()


@pytest.mark.django_db
def test_it_sets_no_cookie_and_is_never_cached(client, reference_data, clock):
    response = post(client, request_body())
    assert response.status_code == 201
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_refuses_every_request_while_no_phone_key_is_configured(
    client, reference_data, clock, settings
):
    settings.PHONE_ENCRYPTION_KEY = ""
    response = post(client, request_body())
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert not CallbackRequest.objects.exists()
    assert not PhoneNumber.objects.exists()


@pytest.mark.django_db
def test_it_tells_the_consoles_of_the_hotline_and_of_central_how_many_are_open(
    client, reference_data, clock, django_capture_on_commit_callbacks
):
    hanoi = Hotline.objects.get(code="01")
    central = Hotline.objects.get(is_central=True)
    hanoi_consoles = GroupListener(hotline_staff_group(hanoi.pk))
    central_consoles = GroupListener(hotline_staff_group(central.pk))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, request_body(province=None, phone="0912000001"))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, request_body(phone="0912000002"))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, request_body(phone="0912000002"))  # a repeat changes no count

    def frame(n):
        return {"type": "console.push", "frame": {"type": "callbacks", "open": n, "unclaimed": n}}

    assert hanoi_consoles.drain() == [frame(1)]
    assert central_consoles.drain() == [frame(1), frame(2)]
