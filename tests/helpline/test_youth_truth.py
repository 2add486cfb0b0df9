"""What the young person is told (who is there, how long), the danger button, left messages,
passphrases, the survey, and the transfer note the next operator reads first."""

import datetime
import uuid
import zoneinfo

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.utils import timezone

from helpline.availability import availability_for_province, wait_estimate
from helpline.conversations import (
    conversation_accept,
    conversation_start,
    conversations_abandon_stale,
)
from helpline.models import (
    ChatStartAttempt,
    Conversation,
    ConversationRead,
    Hotline,
    SurveyResponse,
    YouthIdentity,
)
from helpline.presence import presence_heartbeat
from tests.helpline.chat_sockets import (
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
    youth_socket,
)

PASSPHRASE = "mèo xanh ăn táo chiều"


@database_sync_to_async
def row(conversation_id) -> Conversation:
    return Conversation.objects.select_related("hotline").get(pk=conversation_id)


# --- availability -----------------------------------------------------------------------


@pytest.mark.django_db
def test_nobody_online_is_said_plainly_and_no_wait_is_promised(reference_data):
    status = availability_for_province(province_code="01")
    assert (status["hotline"], status["staffed"], status["wait"]) == ("01", False, None)
    assert set(status["hours"]) == {"always", "opens", "closes"}


@pytest.mark.django_db
def test_central_staff_online_count_for_a_province_even_when_it_is_closed(op_central, settings):
    presence_heartbeat(user=op_central, status="available")
    hanoi = Hotline.objects.get(code="01")
    night = datetime.datetime(2026, 11, 25, 23, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    status = availability_for_province(province_code="01", at=night)
    assert status["open"] is hanoi.is_open(night) is False
    assert status["staffed"] is True


@pytest.mark.django_db
def test_an_operator_away_is_not_someone_who_answers(op_hanoi):
    presence_heartbeat(user=op_hanoi, status="away")
    assert availability_for_province(province_code="01")["staffed"] is False


@pytest.mark.django_db
def test_the_wait_is_a_range_from_recent_answers_or_nothing(op_hanoi, settings):
    settings.OPERATOR_CAPACITY = 20
    settings.WAIT_ESTIMATE_MIN_SAMPLES = 5
    hanoi = Hotline.objects.get(code="01")
    now = timezone.now()
    waits = [30, 70, 100, 150, 200, 260, 400]
    for index, seconds in enumerate(waits[:4]):
        queued = now - datetime.timedelta(minutes=30 + index)
        conversation, _token = conversation_start(channel="voice", hotline=hanoi, at=queued)
        conversation_accept(
            user=op_hanoi,
            conversation_id=conversation.pk,
            at=queued + datetime.timedelta(seconds=seconds),
        )
    assert wait_estimate(hanoi, at=now) is None
    for index, seconds in enumerate(waits[4:]):
        queued = now - datetime.timedelta(minutes=40 + index)
        conversation, _token = conversation_start(channel="voice", hotline=hanoi, at=queued)
        conversation_accept(
            user=op_hanoi,
            conversation_id=conversation.pk,
            at=queued + datetime.timedelta(seconds=seconds),
        )
    estimate = wait_estimate(hanoi, at=now)
    # p25 of the seven waits is 70 s and p75 is 260 s, widened to whole minutes.
    assert estimate == {"low": 60, "high": 300}
    # Answers older than the window say nothing about tonight.
    assert wait_estimate(hanoi, at=now + datetime.timedelta(hours=4)) is None


@pytest.mark.django_db(transaction=True)
async def test_the_status_frame_works_before_and_after_start(reference_data):
    youth = await youth_socket()
    await youth.send_json_to({"type": "status", "province": "46"})
    status = await receive_type(youth, "status")
    assert (status["hotline"], status["staffed"], status["wait"]) == ("46", False, None)
    await youth.send_json_to({"type": "status", "province": "99"})
    assert (await receive_type(youth, "error"))["field"] == "province"
    await youth.disconnect()


# --- danger ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_danger_puts_a_chat_at_the_top_and_in_front_of_central_at_once(
    op_hanoi, op_central, settings
):
    settings.CENTRAL_OVERFLOW_SECONDS = 600
    # Open at any hour the test runs, so only danger can send a chat to central at once.
    await database_sync_to_async(
        lambda: Hotline.objects.filter(code="01").update(always_open=True)
    )()
    calm = await start_chat(province="01")
    frightened = await start_chat(province="01")
    central = await console_socket(op_central)
    assert central.greeting["queue"]["items"] == []
    await frightened.send_json_to({"type": "danger"})
    assert await receive_type(frightened, "danger_noted")
    [item] = (await receive_type(central, "queue"))["items"]
    assert (item["conversation"], item["risk"], item["danger"]) == (
        frightened.started["conversation"],
        "imminent",
        True,
    )
    assert (await receive_type(frightened, "queue"))["position"] == 1
    assert (await receive_type(calm, "queue"))["position"] == 2
    for socket in (calm, frightened, central):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_danger_pressed_during_a_chat_tells_the_operator(op_hanoi, reference_data):
    youth = await start_chat(danger=False)
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(console, "accepted")
    assert accepted["danger"] is False
    await youth.send_json_to({"type": "danger"})
    assert (await receive_type(console, "danger"))["conversation"] == conversation_id
    info = await receive_type(console, "conversation")
    assert (info["risk"], info["danger"]) == ("imminent", True)
    for socket in (youth, console):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_chat_can_start_in_danger(reference_data):
    youth = await start_chat(danger=True)
    assert youth.started["danger"] is True
    conversation = await row(youth.started["conversation"])
    assert (conversation.risk, conversation.danger_at is not None) == ("imminent", True)
    assert conversation.overflow_at == conversation.queued_at
    await youth.disconnect()


# --- left messages and passphrases -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_left_message_waits_and_is_read_back_with_the_passphrase(
    op_hanoi, settings, reference_data
):
    settings.CHAT_QUEUED_GRACE_SECONDS = 10
    youth = await start_chat(mode="message")
    conversation_id = youth.started["conversation"]
    assert youth.started["mode"] == "message"
    await youth.send_json_to(
        {"type": "message", "client_id": str(uuid.uuid4()), "body": "Em bị dọa tung ảnh"}
    )
    await receive_type(youth, "ack")
    await youth.send_json_to({"type": "passphrase", "passphrase": PASSPHRASE})
    assert (await receive_type(youth, "passphrase_set"))["returning"] is False
    await youth.disconnect()
    # Gone for longer than the grace period: a left message is not abandoned.
    later = timezone.now() + datetime.timedelta(hours=1)
    assert await database_sync_to_async(conversations_abandon_stale)(at=later) == 0
    assert (await row(conversation_id)).state == "queued"

    console = await console_socket(op_hanoi)
    [item] = console.greeting["queue"]["items"]
    assert (item["left_message"], item["returning"]) == (True, True)
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "body": "Chị đã đọc, em hãy giữ bình tĩnh.",
        }
    )
    await receive_type(console, "ack")

    back = await youth_socket()
    await back.send_json_to({"type": "resume", "passphrase": " Mèo XANH ăn táo   chiều "})
    resumed = await receive_type(back, "resumed")
    assert resumed["conversation"] == conversation_id and resumed["mode"] == "message"
    assert resumed["token"] and resumed["token"] != youth.started["token"]
    answer = await receive_type(back, "message")
    answer = answer if answer["sender"] == "operator" else await receive_type(back, "message")
    assert answer["body"] == "Chị đã đọc, em hãy giữ bình tĩnh."
    for socket in (back, console):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_passphrases_are_slow_hashed_and_guessing_is_limited(settings, reference_data):
    settings.CHAT_PASSPHRASE_TRIES_PER_HOUR = 3
    youth = await start_chat()
    await youth.send_json_to({"type": "passphrase", "passphrase": "ngắn"})
    assert (await receive_type(youth, "error"))["code"] == "weak_passphrase"
    await youth.send_json_to({"type": "passphrase", "passphrase": PASSPHRASE})
    await receive_type(youth, "passphrase_set")
    identity = await database_sync_to_async(YouthIdentity.objects.get)()
    assert PASSPHRASE not in identity.passphrase_hash and len(identity.lookup) == 8
    assert identity.passphrase_hash.startswith(("pbkdf2", "md5", "argon2", "bcrypt", "scrypt"))

    # Someone else choosing the same passphrase is refused, and that counts as a try.
    other = await start_chat(address="10.9.9.9")
    await other.send_json_to({"type": "passphrase", "passphrase": PASSPHRASE})
    assert (await receive_type(other, "error"))["code"] == "passphrase_taken"
    guesser = await youth_socket(address="10.9.9.9")
    for guess in ("một hai ba bốn", "năm sáu bảy tám"):
        await guesser.send_json_to({"type": "resume", "passphrase": guess})
        assert (await receive_type(guesser, "error"))["code"] == "wrong_passphrase"
    await guesser.send_json_to({"type": "resume", "passphrase": PASSPHRASE})
    assert (await receive_type(guesser, "error"))["code"] == "too_many_tries"
    tries = await database_sync_to_async(
        ChatStartAttempt.objects.filter(kind=ChatStartAttempt.Kind.PASSPHRASE).count
    )()
    assert tries == 3
    for socket in (youth, other, guesser):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_returning_young_person_lets_the_operator_see_earlier_contacts(
    op_hanoi, op_hue, reference_data
):
    first = await start_chat(province="46")
    await first.send_json_to(
        {"type": "message", "client_id": str(uuid.uuid4()), "body": "lần trước"}
    )
    await receive_type(first, "ack")
    await first.send_json_to({"type": "passphrase", "passphrase": PASSPHRASE})
    await receive_type(first, "passphrase_set")
    await first.send_json_to({"type": "end"})
    await receive_type(first, "state")

    youth = await start_chat(province="01", address="10.0.0.2")
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    assert (await receive_type(console, "accepted"))["returning"] is False
    await console.send_json_to({"type": "earlier", "conversation": conversation_id})
    assert (await receive_type(console, "earlier"))["items"] == []

    await youth.send_json_to({"type": "passphrase", "passphrase": PASSPHRASE, "returning": True})
    assert (await receive_type(youth, "passphrase_set"))["returning"] is True
    assert (await receive_type(console, "conversation"))["returning"] is True
    await console.send_json_to({"type": "earlier", "conversation": conversation_id})
    [item] = (await receive_type(console, "earlier"))["items"]
    assert (item["conversation"], item["hotline"]) == (first.started["conversation"], "46")
    assert "body" not in item
    await console.send_json_to(
        {"type": "earlier", "conversation": conversation_id, "open": item["conversation"]}
    )
    history = await receive_type(console, "earlier_history")
    assert [m["body"] for m in history["messages"]] == ["lần trước"]
    reads = await database_sync_to_async(
        lambda: list(
            ConversationRead.objects.filter(kind="earlier").values_list(
                "actor__username", "conversation_uuid"
            )
        )
    )()
    assert reads == [("op_hanoi", uuid.UUID(first.started["conversation"]))]

    # Another operator, holding nothing of this young person, gets nothing.
    hue = await console_socket(op_hue)
    await hue.send_json_to(
        {"type": "earlier", "conversation": conversation_id, "open": item["conversation"]}
    )
    assert (await receive_type(hue, "error"))["code"] == "not_found"
    for socket in (first, youth, console, hue):
        await socket.disconnect()


# --- survey and transfer note -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_survey_is_counted_once_and_linked_to_nothing(reference_data):
    youth = await start_chat()
    await youth.send_json_to({"type": "survey", "felt_heard": "yes"})
    assert (await receive_type(youth, "survey_thanks"))["counted"] is False
    await youth.send_json_to({"type": "end"})
    await receive_type(youth, "state")
    answers = {"felt_heard": "yes", "got_help": "partly", "would_return": "yes"}
    await youth.send_json_to({"type": "survey", **answers})
    assert (await receive_type(youth, "survey_thanks"))["counted"] is True
    await youth.send_json_to({"type": "survey", **answers})
    assert (await receive_type(youth, "survey_thanks"))["counted"] is False
    [response] = await database_sync_to_async(lambda: list(SurveyResponse.objects.values()))()
    assert {k: response[k] for k in answers} == answers
    assert "conversation_id" not in response and "conversation_uuid" not in response
    await youth.send_json_to({"type": "survey", "felt_heard": "maybe"})
    assert (await receive_type(youth, "error"))["field"] == "felt_heard"
    await youth.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_next_operator_reads_the_handover_note_first_and_the_youth_never(
    op_hanoi, op_hue
):
    youth = await start_chat(province="01")
    hanoi = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await hanoi.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(hanoi, "accepted")
    note = "Em ở Huế, đã nói về bắt nạt ở trường; đang bình tĩnh hơn."
    await hanoi.send_json_to(
        {"type": "transfer", "conversation": conversation_id, "hotline": "46", "note": note}
    )
    await receive_type(hanoi, "transferred")
    hue = await console_socket(op_hue)
    await hue.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(hue, "accepted")
    assert (accepted["handover_note"], accepted["transferred_from"]) == (note, "01")
    youth_frames = await frames_until_quiet(youth)
    assert note not in str(youth_frames)
    for socket in (youth, hanoi, hue):
        await socket.disconnect()


@pytest.mark.django_db
@override_settings(CHAT_LEFT_MESSAGE_TTL_SECONDS=7 * 24 * 3600)
def test_a_left_message_token_lives_as_long_as_the_setting(reference_data):
    now = timezone.now()
    conversation, _token = conversation_start(
        channel="webchat", hotline=None, left_message=True, at=now
    )
    assert conversation.token_expires_at == now + datetime.timedelta(days=7)


@pytest.mark.django_db
def test_a_transferred_chat_keeps_the_place_its_first_wait_earned(op_hanoi, op_hue):
    from helpline.conversations import conversation_transfer
    from helpline.selectors import queue_for_user

    hue = Hotline.objects.get(code="46")
    start = timezone.now() - datetime.timedelta(minutes=10)
    moved, _token = conversation_start(
        channel="webchat", hotline=Hotline.objects.get(code="01"), at=start
    )
    conversation_accept(user=op_hanoi, conversation_id=moved.pk, at=start)
    waiting, _token = conversation_start(
        channel="webchat", hotline=hue, at=start + datetime.timedelta(minutes=5)
    )
    conversation_transfer(user=op_hanoi, conversation_id=moved.pk, hotline="46")
    moved.refresh_from_db()
    assert moved.queued_at == start
    assert [c.pk for c in queue_for_user(user=op_hue)] == [moved.pk, waiting.pk]
