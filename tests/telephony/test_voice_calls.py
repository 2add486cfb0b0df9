"""A call from ringing to hanging up: connecting the operator, statuses, durations, replays."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test import Client

from helpline.conversations import conversation_accept
from helpline.groups import staff_group
from helpline.models import Conversation, ConversationState
from telephony.models import Call, CallStatus, OperatorEndpoint, PhoneContact, PhoneNumber
from telephony.phone import phone_encrypt
from tests.logins import staff_login
from tests.telephony.twilio_kit import (
    ACCOUNT_SID,
    CALLER,
    HOTLINE_HANOI_NUMBER,
    PUBLIC_BASE_URL,
    parse_twiml,
    payload,
    post_signed,
    sign,
)

VOICE = "/twilio/voice/"
GATHER = "/twilio/voice/gather/"
STATUS = "/twilio/voice/status/"
ENQUEUE = "/twilio/voice/enqueue/"
DIAL = "/twilio/voice/dial/"
CALL_SID = payload("voice_incoming")["CallSid"]


def queue_a_call(client, **overrides) -> Call:
    post_signed(client, VOICE, payload("voice_incoming", **overrides))
    post_signed(client, GATHER, payload("voice_gather", Digits=None, **overrides))
    return Call.objects.select_related("conversation").get(
        call_sid=overrides.get("CallSid", CALL_SID)
    )


def accept(user, call, capture):
    with capture(execute=True):
        conversation_accept(user=user, conversation_id=call.conversation_id)
    call.refresh_from_db()
    return call


class StaffInbox:
    """Frames pushed to one member of staff's consoles, read from the channel layer."""

    def __init__(self, user):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(staff_group(user.pk), self.channel)

    def frames(self) -> list[dict]:
        found = []
        while True:
            try:
                event = async_to_sync(self._receive)()
            except TimeoutError:
                return found
            if event.get("type") == "console.push":
                found.append(event["frame"])

    async def _receive(self):
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)


@pytest.mark.django_db
def test_it_redirects_an_accepted_call_to_the_operators_softphone(
    client, telephony_ready, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    call = queue_a_call(client)
    assert fake_twilio.requests == []  # webhooks never call Twilio
    call = accept(op_hanoi, call, django_capture_on_commit_callbacks)
    [request] = fake_twilio.requests
    assert request.method == "POST"
    assert request.url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}.json"
    )
    root = parse_twiml(request.data["Twiml"])
    dial = root.find("Dial")
    assert dial.get("action") == PUBLIC_BASE_URL + DIAL
    # The operator sees the hotline's number, never the caller's.
    assert dial.get("callerId") == HOTLINE_HANOI_NUMBER
    assert CALLER not in request.data["Twiml"]
    client_noun = dial.find("Client")
    assert client_noun.find("Identity").text == f"staff-{op_hanoi.pk}"
    parameter = client_noun.find("Parameter")
    assert (parameter.get("name"), parameter.get("value")) == (
        "conversation",
        str(call.conversation_id),
    )
    assert client_noun.get("statusCallback") == PUBLIC_BASE_URL + STATUS
    assert (call.status, call.operator, call.endpoint_kind) == ("connecting", op_hanoi, "client")


@pytest.mark.django_db
def test_it_dials_the_operators_phone_when_that_is_their_endpoint(
    client, telephony_ready, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    OperatorEndpoint.objects.create(
        user=op_hanoi, kind="phone", phone_encrypted=phone_encrypt("+84987654321")
    )
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    number = parse_twiml(fake_twilio.form()["Twiml"]).find("Dial/Number")
    assert number.text == "+84987654321"
    assert call.endpoint_kind == "phone"


@pytest.mark.django_db
def test_it_shows_a_failed_redirect_on_the_operators_console_and_can_retry(
    client, telephony_ready, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    fake_twilio.fail_next((500, "rest_error_server"))
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    assert (call.status, call.connect_error) == ("queued", "20500")
    [frame] = inbox.frames()
    assert frame["type"] == "call_error"
    assert frame["conversation"] == str(call.conversation_id)
    assert "Không chuyển được cuộc gọi" in frame["notice"]
    staff_login(client, op_hanoi)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/calls/{call.conversation_id}/reconnect/")
    assert response.json() == {
        "conversation": str(call.conversation_id),
        "status": "connecting",
        "ok": True,
    }
    assert len(fake_twilio.requests) == 2


@pytest.mark.django_db
def test_it_shows_a_network_failure_too(
    client, telephony_ready, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    fake_twilio.fail_next(ConnectionError("connection reset"))
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    assert call.connect_error == "network"
    assert [frame["type"] for frame in inbox.frames()] == ["call_error"]


@pytest.mark.django_db
def test_it_only_lets_the_holder_reconnect(client, telephony_ready, op_hanoi, sup_hanoi):
    call = queue_a_call(client)
    staff_login(client, sup_hanoi)
    response = client.post(f"/console/calls/{call.conversation_id}/reconnect/")
    assert response.status_code == 403


@pytest.mark.django_db
def test_it_records_a_whole_answered_call_with_its_durations(
    client, telephony_ready, op_hanoi, django_capture_on_commit_callbacks
):
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    post_signed(client, ENQUEUE, payload("voice_enqueue_action", QueueResult="redirected"))
    post_signed(client, STATUS, payload("voice_status_operator_ringing"))
    post_signed(client, STATUS, payload("voice_status_operator_answered"))
    call.refresh_from_db()
    assert (call.status, call.queue_seconds) == (CallStatus.ANSWERED, 47)
    assert call.answered_at is not None
    post_signed(
        client,
        DIAL,
        payload("voice_dial_action", DialCallStatus="completed", DialCallDuration="131"),
    )
    post_signed(client, STATUS, payload("voice_status_operator_completed"))
    post_signed(client, STATUS, payload("voice_status_completed"))
    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED
    assert (call.queue_seconds, call.talk_seconds, call.duration_seconds) == (47, 131, 185)
    assert call.ended_at is not None
    conversation = Conversation.objects.get()
    assert (conversation.state, conversation.ended_reason) == ("ended", "call_completed")
    assert conversation.operator == op_hanoi


@pytest.mark.django_db
def test_it_abandons_the_conversation_when_the_caller_hangs_up_in_the_queue(
    client, telephony_ready
):
    queue_a_call(client)
    response = post_signed(client, ENQUEUE, payload("voice_enqueue_action"))
    assert parse_twiml(response.content).tag == "Response"
    call = Call.objects.select_related("conversation").get()
    assert (call.status, call.queue_seconds) == (CallStatus.ABANDONED, 47)
    assert (call.conversation.state, call.conversation.ended_reason) == (
        ConversationState.ABANDONED,
        "caller_hung_up",
    )
    post_signed(client, STATUS, payload("voice_status_completed"))
    call.refresh_from_db()
    assert (call.status, call.duration_seconds) == (CallStatus.ABANDONED, 185)


@pytest.mark.django_db
def test_it_abandons_a_queued_call_whose_final_status_arrives_first(client, telephony_ready):
    queue_a_call(client)
    post_signed(client, STATUS, payload("voice_status_completed"))
    post_signed(client, ENQUEUE, payload("voice_enqueue_action"))
    call = Call.objects.select_related("conversation").get()
    assert (call.status, call.queue_seconds, call.duration_seconds) == ("abandoned", 47, 185)
    assert call.conversation.state == ConversationState.ABANDONED


@pytest.mark.django_db
def test_it_never_moves_a_call_status_back(
    client, telephony_ready, op_hanoi, django_capture_on_commit_callbacks
):
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    post_signed(client, STATUS, payload("voice_status_operator_answered"))
    post_signed(client, STATUS, payload("voice_status_operator_ringing"))  # late
    call.refresh_from_db()
    assert call.status == CallStatus.ANSWERED
    answered_at = call.answered_at
    post_signed(client, STATUS, payload("voice_status_completed"))
    for late in ("voice_status_operator_answered", "voice_status_operator_ringing"):
        post_signed(client, STATUS, payload(late))
    post_signed(client, ENQUEUE, payload("voice_enqueue_action", QueueResult="redirected"))
    call.refresh_from_db()
    assert (call.status, call.answered_at) == (CallStatus.COMPLETED, answered_at)
    assert Conversation.objects.get().state == ConversationState.ENDED


@pytest.mark.django_db
def test_it_offers_a_voicemail_when_the_operator_does_not_pick_up(
    client, telephony_ready, op_hanoi, django_capture_on_commit_callbacks
):
    call = accept(op_hanoi, queue_a_call(client), django_capture_on_commit_callbacks)
    inbox = StaffInbox(op_hanoi)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, DIAL, payload("voice_dial_action"))
    root = parse_twiml(response.content)
    assert root.find("Record") is not None
    call.refresh_from_db()
    assert call.status == CallStatus.NO_ANSWER
    [frame] = inbox.frames()
    assert (frame["type"], frame["code"]) == ("call_error", "no-answer")
    post_signed(client, STATUS, payload("voice_status_completed"))
    call.refresh_from_db()
    assert call.status == CallStatus.NO_ANSWER
    assert Conversation.objects.get().ended_reason == "call_no_answer"


@pytest.mark.django_db
def test_it_makes_one_record_of_a_callback_delivered_three_times(client, telephony_ready):
    for _ in range(3):
        assert post_signed(client, VOICE, payload("voice_incoming")).status_code == 200
    for _ in range(3):
        assert post_signed(client, GATHER, payload("voice_gather")).status_code == 200
    for _ in range(3):
        assert post_signed(client, ENQUEUE, payload("voice_enqueue_action")).status_code == 200
        assert post_signed(client, STATUS, payload("voice_status_completed")).status_code == 204
    assert Call.objects.count() == 1
    assert PhoneNumber.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert PhoneContact.objects.count() == 1
    assert Call.objects.get().status == CallStatus.ABANDONED


def post_concurrently(path: str, params: dict, times: int = 3) -> list[int]:
    """The same signed request from several threads at once, each with its own connection."""
    signature = sign(path, params)
    barrier = threading.Barrier(times)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            response = Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_record_of_a_callback_delivered_three_times_at_once(telephony_ready):
    assert post_concurrently(VOICE, payload("voice_incoming")) == [200, 200, 200]
    assert post_concurrently(GATHER, payload("voice_gather")) == [200, 200, 200]
    assert Call.objects.count() == 1
    assert PhoneNumber.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().risk == "imminent"
    statuses = post_concurrently(ENQUEUE, payload("voice_enqueue_action"))
    assert statuses == [200, 200, 200]
    assert Conversation.objects.get().state == ConversationState.ABANDONED


def leave_a_voicemail(client, op_hanoi, op_central) -> Call:
    from helpline.presence import presence_heartbeat

    for user in (op_hanoi, op_central):
        presence_heartbeat(user=user, status="away")
    post_signed(client, VOICE, payload("voice_incoming"))
    post_signed(client, "/twilio/voice/voicemail/status/", payload("voicemail_status"))
    post_signed(client, STATUS, payload("voice_status_completed"))
    return Call.objects.select_related("conversation").get()


@pytest.mark.django_db
def test_it_lets_an_operator_take_a_voicemail_without_dialling_anyone(
    client, telephony_ready, op_hanoi, op_central, fake_twilio, django_capture_on_commit_callbacks
):
    call = leave_a_voicemail(client, op_hanoi, op_central)
    inbox = StaffInbox(op_hanoi)
    call = accept(op_hanoi, call, django_capture_on_commit_callbacks)
    assert fake_twilio.requests == []
    assert call.status == CallStatus.VOICEMAIL
    [frame] = inbox.frames()
    assert (frame["type"], frame["status"]) == ("call_status", "voicemail")
    assert Conversation.objects.get().state == ConversationState.ACTIVE


@pytest.mark.django_db
def test_it_deletes_voicemail_audio_at_twilio_after_the_retention(
    client, telephony_ready, op_hanoi, op_central, fake_twilio, settings
):
    import datetime
    import io

    from django.core.management import call_command
    from django.utils import timezone

    call = leave_a_voicemail(client, op_hanoi, op_central)
    voicemail = call.voicemails.get()
    expected = voicemail.recorded_at + datetime.timedelta(days=settings.VOICEMAIL_RETENTION_DAYS)
    assert voicemail.delete_after == expected
    call_command("telephony_purge_voicemails", stdout=io.StringIO())
    assert fake_twilio.requests == []  # not due yet
    type(voicemail).objects.update(delete_after=timezone.now() - datetime.timedelta(seconds=1))
    call_command("telephony_purge_voicemails", stdout=io.StringIO())
    [request] = fake_twilio.requests
    assert request.method == "DELETE"
    assert request.url.endswith(f"/Recordings/{voicemail.recording_sid}.json")
    voicemail.refresh_from_db()
    assert voicemail.deleted_at is not None
    assert voicemail.recording_url == ""
    assert voicemail.duration_seconds == 23  # the metadata stays
    call_command("telephony_purge_voicemails", stdout=io.StringIO())
    assert len(fake_twilio.requests) == 1
