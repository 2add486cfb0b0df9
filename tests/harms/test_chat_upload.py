"""A young person sends a screenshot from the chat (POST /chat/upload/): kept safe, in sequence."""

import io
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from cases.models import CaseEvent
from harms.models import EvidenceEvent, EvidenceFile, UploadAttempt
from harms.storage import CONTENT, evidence_path, evidence_read
from helpline.conversations import (
    conversation_accept,
    conversation_case_create,
    conversation_end,
    conversation_start,
)
from helpline.models import Message
from tests.harms.helpers import GPS_IFD, PDF, image_bytes, noise_bytes
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat, youth_socket
from tests.logins import staff_login

URL = "/chat/upload/"
OWN_ORIGIN = "http://testserver"


def upload(data: bytes, *, token: str, client_id=None, origin=OWN_ORIGIN, client=None, **headers):
    client = client or Client()
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    if token is not None:
        headers["HTTP_X_CHAT_TOKEN"] = token
    return client.post(
        URL,
        {
            "client_id": str(client_id or uuid.uuid4()),
            "file": SimpleUploadedFile("IMG_20260301_my_name.jpg", data, content_type="image/jpeg"),
        },
        REMOTE_ADDR="10.1.2.3",
        **headers,
    )


@pytest.fixture
def chat(reference_data):
    conversation, token = conversation_start(channel="webchat", hotline=None, province_code="01")
    conversation.token = token
    return conversation


pytestmark = pytest.mark.django_db


def test_it_stores_a_screenshot_and_acks_it_with_the_next_seq(chat, evidence_storage):
    client_id = uuid.uuid4()

    response = upload(image_bytes(), token=chat.token, client_id=client_id)

    assert response.status_code == 201, response.content
    ack = response.json()
    file = EvidenceFile.objects.get()
    assert ack == {
        "type": "ack",
        "client_id": str(client_id),
        "seq": 1,
        "attachment": {"id": str(file.pk), "kind": "image"},
    }
    message = Message.objects.get(conversation=chat)
    assert (message.seq, message.sender, message.body) == (1, "youth", "[ảnh]")
    assert (message.attachment, message.attachment_kind, message.client_id) == (
        file.pk,
        "image",
        client_id,
    )
    assert (file.conversation, file.case, file.source, file.uploaded_by) == (
        chat,
        None,
        "youth",
        None,
    )
    assert not evidence_path(file.pk, CONTENT).read_bytes().startswith(b"\xff\xd8")
    assert "my_name" not in " ".join(str(p) for p in evidence_storage.rglob("*"))
    assert EvidenceEvent.objects.get(file=file).actor is None
    assert "Set-Cookie" not in response and "no-cache" in response["Cache-Control"]


def test_it_answers_the_same_client_id_again_with_the_same_ack_and_stores_nothing(
    chat, evidence_storage
):
    client_id = uuid.uuid4()
    first = upload(image_bytes(), token=chat.token, client_id=client_id)

    again = upload(image_bytes("PNG"), token=chat.token, client_id=client_id)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert EvidenceFile.objects.count() == 1 and Message.objects.count() == 1
    assert len(list(evidence_storage.rglob("*.content"))) == 1


def test_it_strips_the_position_from_a_young_persons_screenshot(chat):
    upload(image_bytes(gps=True), token=chat.token)

    kept = evidence_read(EvidenceFile.objects.get().pk, CONTENT)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.getexif().get_ifd(GPS_IFD) == {}
    assert b"Exif" not in kept


@pytest.mark.parametrize("origin", ["http://evil.example", "https://testserver", "null", None])
def test_it_refuses_a_page_of_another_origin(chat, origin):
    response = upload(image_bytes(), token=chat.token, origin=origin)

    assert response.status_code == 403
    assert response.json() == {"error": "forbidden_origin"}
    assert not Message.objects.exists()


def test_it_takes_the_token_from_its_header_only(chat):
    response = Client().post(
        f"{URL}?token={chat.token}",
        {"client_id": str(uuid.uuid4()), "file": SimpleUploadedFile("a.jpg", image_bytes())},
        HTTP_ORIGIN=OWN_ORIGIN,
    )

    assert response.status_code == 403
    assert response.json()["error"] == "invalid_token"
    assert not EvidenceFile.objects.exists()


def test_it_refuses_an_unknown_token(chat):
    response = upload(image_bytes(), token="not-the-token")

    assert response.status_code == 403
    assert response.json()["error"] == "invalid_token"


def test_it_refuses_a_malformed_image_with_a_clear_message_and_posts_nothing(chat):
    response = upload(image_bytes()[:300], token=chat.token)

    assert response.status_code == 400
    assert response.json() == {
        "error": "malformed",
        "message": (
            "Không đọc được tệp này: tệp bị hỏng hoặc không phải là ảnh. Hãy chụp lại màn hình."
        ),
    }
    assert not EvidenceFile.objects.exists() and not Message.objects.exists()


def test_it_refuses_a_pdf_from_the_chat(chat):
    response = upload(PDF, token=chat.token)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_type"
    assert "Chỉ gửi được ảnh JPEG, PNG hoặc WebP." in response.json()["message"]


@pytest.mark.parametrize("side", [60, 300])
def test_it_refuses_an_oversized_image(chat, settings, side):
    # 60: caught while reading the upload; 300: refused from Content-Length before reading.
    settings.EVIDENCE_IMAGE_MAX_BYTES = 4096

    response = upload(noise_bytes(side=side), token=chat.token)

    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "Ảnh quá lớn" in response.json()["message"]
    assert not EvidenceFile.objects.exists() and not Message.objects.exists()


def test_it_refuses_every_screenshot_while_no_key_is_configured(chat, settings):
    settings.EVIDENCE_ENCRYPTION_KEY = ""

    response = upload(image_bytes(), token=chat.token)

    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert not EvidenceFile.objects.exists() and not Message.objects.exists()


def test_it_refuses_a_screenshot_after_the_conversation_ended(chat):
    conversation_end(conversation_id=chat.pk)

    response = upload(image_bytes(), token=chat.token)

    assert response.status_code == 409
    assert response.json()["error"] == "conversation_closed"


def test_it_limits_screenshots_per_conversation(chat, settings):
    settings.CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR = 2
    assert upload(image_bytes(), token=chat.token).status_code == 201
    assert upload(image_bytes(), token=chat.token).status_code == 201

    refused = upload(image_bytes(), token=chat.token)

    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_uploads"
    assert EvidenceFile.objects.count() == 2


def test_it_limits_screenshots_per_network_counting_refused_ones_too(reference_data, settings):
    settings.CHAT_UPLOADS_PER_NETWORK_PER_HOUR = 2
    chats = [conversation_start(channel="webchat", hotline=None)[1] for _ in range(3)]
    assert upload(b"not an image", token=chats[0]).status_code == 400
    assert upload(image_bytes(), token=chats[1]).status_code == 201

    refused = upload(image_bytes(), token=chats[2])

    assert refused.status_code == 429
    # Only a keyed hash of the network is kept, never the address.
    assert UploadAttempt.objects.count() == 2
    assert not UploadAttempt.objects.filter(address_hash__contains="10.1.2.3").exists()


def test_it_answers_in_the_language_the_page_names(chat):
    response = upload(image_bytes()[:300], token=chat.token, HTTP_X_CHAT_LANGUAGE="en")

    assert response.json()["message"].startswith("This file cannot be read")


def test_it_shows_the_screenshot_to_the_operator_who_holds_the_chat_and_records_it(
    chat, op_hanoi, op_hue, client
):
    upload(image_bytes(), token=chat.token)
    file = EvidenceFile.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=chat.pk)

    staff_login(client, op_hue)
    assert client.post(f"/harms/files/{file.pk}/content/").status_code == 404
    staff_login(client, op_hanoi)
    shown = client.post(f"/harms/files/{file.pk}/content/")

    assert shown.status_code == 200 and shown.content.startswith(b"\xff\xd8")
    assert EvidenceEvent.objects.filter(file=file, action="shown", actor=op_hanoi).count() == 1

    # Once the chat becomes a case, the file is the case's and its reads are on the timeline.
    case = conversation_case_create(user=op_hanoi, conversation_id=chat.pk)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/harms/files/{file.pk}/thumbnail/" in page
    client.post(f"/harms/files/{file.pk}/content/")
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.EVIDENCE_SHOWN).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_it_delivers_the_screenshot_in_sequence_to_the_console_and_on_resume(
    reference_data, op_hanoi
):
    youth = await start_chat(province="01")
    token = youth.started["token"]
    console = await console_socket(op_hanoi)
    await console.send_json_to({"type": "accept", "conversation": youth.started["conversation"]})
    await receive_type(console, "accepted")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "chào"})
    await receive_type(youth, "ack")
    await receive_type(console, "message")

    response = await sync_to_async(upload)(image_bytes(), token=token)

    ack = response.json()
    assert ack["seq"] == 2
    pushed = await receive_type(console, "message")
    assert pushed["seq"] == 2 and pushed["body"] == "[ảnh]"
    assert pushed["attachment"] == ack["attachment"]
    # The young person's own page learns the seq of what it sent, like a message from another tab.
    echoed = await receive_type(youth, "message")
    assert echoed["attachment"] == ack["attachment"]
    await youth.disconnect()

    again = await youth_socket()
    await again.send_json_to({"type": "resume", "token": token, "last_seq": 1})
    await receive_type(again, "resumed")
    replayed = await receive_type(again, "message")
    assert (replayed["seq"], replayed["attachment"]) == (2, ack["attachment"])
    await again.disconnect()
    await console.disconnect()
