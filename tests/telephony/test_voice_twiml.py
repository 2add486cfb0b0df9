"""What a caller hears, branch by branch, read as XML the way Twilio reads it."""

import datetime

import pytest

from helpline.models import Conversation, ConversationState, Hotline, PresenceStatus
from helpline.presence import presence_heartbeat
from telephony.models import Call, CallStatus, PhoneContact
from tests.telephony.twilio_kit import (
    HOTLINE_CENTRAL_NUMBER,
    PUBLIC_BASE_URL,
    parse_twiml,
    payload,
    post_signed,
)

VOICE = "/twilio/voice/"
GATHER = "/twilio/voice/gather/"
WAIT = "/twilio/voice/wait/"


def twiml(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = parse_twiml(response.content)
    assert root.tag == "Response"
    return root


def says(root) -> list[str]:
    for element in root.iter("Say"):
        assert element.get("language") == "vi-VN"
    return [element.text for element in root.iter("Say")]


def close(hotline: Hotline) -> None:
    """Opening and closing at the same minute: never open."""
    hotline.always_open = False
    hotline.opens_at = hotline.closes_at = datetime.time(8, 0)
    hotline.save()


@pytest.mark.django_db
def test_it_greets_in_vietnamese_and_asks_about_danger_when_the_hotline_is_open(
    client, telephony_ready
):
    root = twiml(post_signed(client, VOICE, payload("voice_incoming")))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == PUBLIC_BASE_URL + GATHER
    assert any("Tổng đài hỗ trợ và ứng cứu thanh thiếu nhi" in text for text in says(gather))
    assert any("bấm phím 1" in text for text in says(gather))
    # No key pressed: Twilio falls through to the redirect, to the same action.
    assert root.find("Redirect").text == PUBLIC_BASE_URL + GATHER
    call = Call.objects.get()
    assert (call.hotline.code, call.status, call.rerouted_to_central) == ("01", "received", False)
    assert call.conversation is None


@pytest.mark.django_db
def test_it_enqueues_the_caller_with_a_wait_url_after_the_question(client, telephony_ready):
    post_signed(client, VOICE, payload("voice_incoming"))
    root = twiml(post_signed(client, GATHER, payload("voice_gather", Digits=None)))
    enqueue = root.find("Enqueue")
    assert enqueue.text == "hotline-01"
    assert enqueue.get("waitUrl") == PUBLIC_BASE_URL + WAIT
    assert enqueue.get("action") == PUBLIC_BASE_URL + "/twilio/voice/enqueue/"
    call = Call.objects.select_related("conversation").get()
    conversation = call.conversation
    assert (conversation.channel, conversation.state, conversation.risk) == ("voice", "queued", "")
    assert conversation.hotline.code == "01"
    assert (call.status, call.pressed_danger) == (CallStatus.QUEUED, False)
    assert PhoneContact.objects.get(conversation=conversation).phone_id == call.phone_id


@pytest.mark.django_db
def test_it_puts_a_caller_who_pressed_1_first_in_the_queue_as_imminent(client, telephony_ready):
    for index in range(2):
        sid = f"CA{index:032x}"
        post_signed(client, VOICE, payload("voice_incoming", CallSid=sid))
        post_signed(client, GATHER, payload("voice_gather", CallSid=sid, Digits=None))
    post_signed(client, VOICE, payload("voice_incoming"))
    root = twiml(post_signed(client, GATHER, payload("voice_gather", Digits="1")))
    assert any("ưu tiên" in text for text in says(root))
    assert root.find("Enqueue") is not None
    call = Call.objects.select_related("conversation").get(
        call_sid=payload("voice_gather")["CallSid"]
    )
    assert call.pressed_danger
    assert call.conversation.risk == "imminent"
    hold = twiml(post_signed(client, WAIT, payload("voice_wait", QueuePosition="3")))
    # Our own queue decides the place (risk first), not Twilio's first-in-first-out one.
    assert any("vị trí số 1" in text for text in says(hold))
    assert hold.find("Pause") is not None


@pytest.mark.django_db
def test_it_tells_a_waiting_caller_their_place(client, telephony_ready):
    for index in range(3):
        sid = f"CA{index:032x}"
        post_signed(client, VOICE, payload("voice_incoming", CallSid=sid))
        post_signed(client, GATHER, payload("voice_gather", CallSid=sid, Digits=None))
    root = twiml(post_signed(client, WAIT, payload("voice_wait", CallSid=f"CA{2:032x}")))
    assert any("vị trí số 3" in text for text in says(root))


@pytest.mark.django_db
def test_it_sends_a_call_to_a_closed_hotline_to_central(client, telephony_ready):
    close(telephony_ready["hanoi"])
    root = twiml(post_signed(client, VOICE, payload("voice_incoming")))
    assert root.find("Gather") is not None
    twiml(post_signed(client, GATHER, payload("voice_gather", Digits=None)))
    call = Call.objects.select_related("conversation__hotline").get()
    assert call.rerouted_to_central
    assert call.hotline.code == "00"
    assert call.conversation.hotline.code == "00"
    enqueue = twiml(post_signed(client, GATHER, payload("voice_gather", Digits=None))).find(
        "Enqueue"
    )
    assert enqueue.text == "hotline-00"


@pytest.mark.django_db
def test_it_sends_a_call_to_an_unknown_number_to_central(client, telephony_ready):
    post_signed(client, VOICE, payload("voice_incoming", To="+842400000000"))
    call = Call.objects.get()
    assert (call.hotline.code, call.rerouted_to_central) == ("00", True)


@pytest.mark.django_db
def test_it_hands_an_open_hotline_with_nobody_at_the_console_to_central(
    client, telephony_ready, op_hanoi
):
    presence_heartbeat(user=op_hanoi, status=PresenceStatus.AWAY)
    root = twiml(post_signed(client, VOICE, payload("voice_incoming")))
    assert root.find("Gather") is not None
    assert Call.objects.get().hotline.code == "00"


@pytest.mark.django_db
def test_it_takes_a_voicemail_when_nobody_can_answer(client, telephony_ready, op_hanoi, op_central):
    presence_heartbeat(user=op_hanoi, status=PresenceStatus.AWAY)
    presence_heartbeat(user=op_central, status=PresenceStatus.AWAY)
    root = twiml(post_signed(client, VOICE, payload("voice_incoming")))
    assert root.find("Gather") is None
    assert root.find("Enqueue") is None
    assert any("chưa có tư vấn viên" in text for text in says(root))
    record = root.find("Record")
    assert record.get("action") == PUBLIC_BASE_URL + "/twilio/voice/voicemail/"
    assert (
        record.get("recordingStatusCallback") == PUBLIC_BASE_URL + "/twilio/voice/voicemail/status/"
    )
    assert int(record.get("maxLength")) > 0
    call = Call.objects.select_related("conversation").get()
    assert call.status == CallStatus.VOICEMAIL
    # The voicemail waits in the queue so that the next operator calls back.
    assert (call.conversation.channel, call.conversation.state) == ("voice", "queued")
    assert call.conversation.hotline.code == "01"


@pytest.mark.django_db
def test_it_counts_a_stale_heartbeat_as_nobody(client, telephony_ready, op_hanoi, op_central):
    from helpline.models import Presence

    old = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    Presence.objects.filter(user__in=[op_hanoi, op_central]).update(last_seen=old)
    root = twiml(post_signed(client, VOICE, payload("voice_incoming")))
    assert root.find("Record") is not None


@pytest.mark.django_db
def test_it_keeps_the_voicemails_metadata_on_the_conversation(
    client, telephony_ready, op_hanoi, op_central
):
    presence_heartbeat(user=op_hanoi, status=PresenceStatus.AWAY)
    presence_heartbeat(user=op_central, status=PresenceStatus.AWAY)
    post_signed(client, VOICE, payload("voice_incoming"))
    goodbye = twiml(post_signed(client, "/twilio/voice/voicemail/", payload("voicemail_action")))
    assert goodbye.find("Hangup") is not None
    for _ in range(2):
        response = post_signed(
            client, "/twilio/voice/voicemail/status/", payload("voicemail_status")
        )
        assert response.status_code == 204
    post_signed(client, "/twilio/voice/status/", payload("voice_status_completed"))
    call = Call.objects.select_related("conversation").get()
    voicemail = call.voicemails.get()
    assert voicemail.conversation_id == call.conversation_id
    assert (voicemail.duration_seconds, voicemail.status) == (23, "completed")
    assert voicemail.recording_url.startswith("https://api.twilio.com/")
    assert voicemail.delete_after > voicemail.recorded_at
    # Hanging up after a voicemail leaves it in the queue for a call back.
    assert call.status == CallStatus.VOICEMAIL
    assert call.duration_seconds == 185
    assert Conversation.objects.get().state == ConversationState.QUEUED


@pytest.mark.django_db
def test_it_refuses_outgoing_calls_from_the_softphone(client, telephony_ready):
    root = twiml(post_signed(client, "/twilio/voice/outgoing/", payload("voice_outgoing")))
    assert root.find("Hangup") is not None
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_says_nothing_of_a_central_number_in_the_twiml(client, telephony_ready):
    response = post_signed(client, VOICE, payload("voice_incoming", To=HOTLINE_CENTRAL_NUMBER))
    assert HOTLINE_CENTRAL_NUMBER.encode() not in response.content
    assert payload("voice_incoming")["From"].encode() not in response.content
