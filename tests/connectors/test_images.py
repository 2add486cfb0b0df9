"""Images young people send on Zalo and Messenger follow the web chat's screenshot rules: fetched
from the platform's CDN (https, allowed hosts, no redirect elsewhere, bounded), re-encoded without
metadata, kept encrypted, posted in sequence, limited, warned about, and told when refused."""

import datetime
import io
import json

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from connectors.crypto import secret_decrypt
from connectors.models import PlatformContact, PlatformMessage
from harms.models import EvidenceEvent, EvidenceFile, UploadAttempt
from harms.storage import CONTENT, THUMBNAIL, evidence_path, evidence_read
from helpline.models import Conversation, Message
from retention import jobs
from tests.connectors import zalo_edge
from tests.connectors.kit import (
    ZALO_USER,
    messenger_message,
    messenger_post,
    zalo_event,
    zalo_post,
)
from tests.harms.helpers import GPS_IFD, PDF, image_bytes, noise_bytes

pytestmark = pytest.mark.django_db

WARNING = "Đừng gửi ảnh khoả thân, của bạn hay của ai khác."
NOT_KEPT = "Tổng đài chưa nhận được ảnh bạn vừa gửi."
MARKER = "[Hình ảnh: tổng đài chưa nhận được]"


def sent_texts(edge) -> list[str]:
    return [r.body["message"]["text"] for r in edge.messages()]


def thread_messages() -> list[Message]:
    return list(Conversation.objects.get().messages.order_by("seq"))


def nothing_kept(evidence_root) -> bool:
    return not EvidenceFile.objects.exists() and not list(evidence_root.rglob("*.*"))


# ---------------------------------------------------------------- kept


def test_it_keeps_a_zalo_image_like_a_screenshot_from_the_web_chat(
    client, zalo_oa, zalo_api, settings
):
    url = zalo_api.cdn.put("/photo/a1.jpg", image_bytes(gps=True))

    response = zalo_post(client, zalo_event("", kind="image", url=url, msg_id="zalo-img-1"))

    assert response.status_code == 200
    youth, receipt, warning = thread_messages()
    file = EvidenceFile.objects.get()
    assert (youth.sender, youth.body, youth.seq) == ("youth", "[ảnh]", 1)
    assert (youth.attachment, youth.attachment_kind) == (file.pk, "image")
    assert (file.conversation, file.source, file.kind, file.uploaded_by) == (
        youth.conversation,
        "youth",
        "image",
        None,
    )
    # Re-encoded without its metadata, encrypted at rest, with a blurred thumbnail.
    kept = evidence_read(file.pk, CONTENT)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.getexif().get_ifd(GPS_IFD) == {}
    assert not evidence_path(file.pk, CONTENT).read_bytes().startswith(b"\xff\xd8")
    assert evidence_path(file.pk, THUMBNAIL).exists()
    assert EvidenceEvent.objects.get(file=file).action == "uploaded"
    # Fetched once, with nothing but what an image request needs: no token, no cookie.
    [fetch] = zalo_api.cdn.requests
    assert fetch.path == "/photo/a1.jpg"
    assert not {"access_token", "authorization", "cookie"} & set(fetch.headers)
    # The young person is told, after the receipt, what the web chat says before an upload.
    assert (receipt.sender, warning.sender) == ("system", "system")
    assert warning.body.startswith(WARNING)
    assert sent_texts(zalo_api) == [receipt.body, warning.body]
    inbound = PlatformMessage.objects.get(direction="in")
    assert (inbound.external_id, inbound.message) == ("zalo-img-1", youth)


def test_it_warns_once_per_conversation_and_posts_a_caption_before_its_image(
    client, zalo_oa, zalo_api
):
    first = zalo_api.cdn.put("/photo/1.png", image_bytes("PNG"))
    second = zalo_api.cdn.put("/photo/2.webp", image_bytes("WEBP"))

    zalo_post(client, zalo_event("đây là tin nó gửi", kind="image", url=first))
    zalo_post(client, zalo_event("", kind="image", url=second))

    bodies = [(m.sender, m.body) for m in thread_messages()]
    assert [body for sender, body in bodies if sender == "youth"] == [
        "đây là tin nó gửi",
        "[ảnh]",
        "[ảnh]",
    ]
    assert [body[:20] for sender, body in bodies if sender == "system"].count(WARNING[:20]) == 1
    assert EvidenceFile.objects.count() == 2
    assert sorted(f.content_type for f in EvidenceFile.objects.all()) == [
        "image/png",
        "image/webp",
    ]


def test_it_keeps_every_photo_of_a_messenger_message_and_takes_a_sticker_for_a_sticker(
    client, messenger_page, graph_api
):
    urls = [graph_api.cdn.put(f"/v/t1.15752-9/{n}.jpg", image_bytes()) for n in (1, 2)]
    messenger_post(client, messenger_message("", images=urls))
    sticker = messenger_message("")
    sticker["entry"][0]["messaging"][0]["message"]["attachments"] = [
        {"type": "image", "payload": {"url": graph_api.cdn.url("/sticker.png"), "sticker_id": 369}}
    ]
    messenger_post(client, sticker)

    youth = [m for m in thread_messages() if m.sender == "youth"]
    assert [m.body for m in youth] == ["[ảnh]", "[ảnh]", "[Nhãn dán: không hiển thị được ở đây]"]
    assert all(m.attachment for m in youth[:2])
    assert EvidenceFile.objects.count() == 2
    assert graph_api.cdn.fetched("/sticker.png") == 0


def test_it_makes_one_image_of_a_delivery_repeated_and_fetches_it_once(
    client, zalo_oa, zalo_api, settings
):
    url = zalo_api.cdn.put("/photo/dup.jpg", image_bytes())
    event = zalo_event("", kind="image", url=url, msg_id="zalo-img-dup")

    for _ in range(3):
        assert zalo_post(client, event).status_code == 200

    assert EvidenceFile.objects.count() == 1
    assert Message.objects.filter(sender="youth").count() == 1
    assert zalo_api.cdn.fetched("/photo/dup.jpg") == 1
    assert len(list(settings.EVIDENCE_ROOT.rglob("*.content"))) == 1
    assert len(zalo_api.messages()) == 2  # one receipt, one warning


# ---------------------------------------------------------------- refused, and told why


def refused(client, edge, url, *, text="") -> tuple[list[Message], list[str]]:
    zalo_post(client, zalo_event(text, kind="image", url=url))
    return thread_messages(), sent_texts(edge)


def test_it_refuses_an_image_over_the_size_limit_before_reading_it(
    client, zalo_oa, zalo_api, settings
):
    settings.EVIDENCE_IMAGE_MAX_BYTES = 4096
    url = zalo_api.cdn.put("/photo/big.png", noise_bytes(side=200))

    messages, texts = refused(client, zalo_api, url)

    youth, _receipt, not_kept, warning = messages
    assert youth.body == MARKER and youth.attachment is None
    assert (
        not_kept.body
        == NOT_KEPT + " Ảnh quá lớn: tối đa 0.00390625 MB. Bạn hãy chụp lại màn hình rồi gửi."
    )
    assert texts[1:] == [not_kept.body, warning.body]
    assert nothing_kept(settings.EVIDENCE_ROOT)


def test_it_stops_reading_an_image_that_grows_past_the_limit_without_saying_its_size(
    client, zalo_oa, zalo_api, settings
):
    settings.EVIDENCE_IMAGE_MAX_BYTES = 4096
    url = zalo_api.cdn.put("/photo/stream.png", noise_bytes(side=200), declare_length=False)

    messages, _texts = refused(client, zalo_api, url)

    assert "Ảnh quá lớn" in messages[2].body
    assert nothing_kept(settings.EVIDENCE_ROOT)


@pytest.mark.parametrize(
    "body",
    [PDF, image_bytes("GIF"), b"<html>login</html>", image_bytes()[:200]],
    ids=["pdf", "gif", "html", "truncated"],
)
def test_it_refuses_what_is_not_a_readable_jpeg_png_or_webp(
    client, zalo_oa, zalo_api, settings, body
):
    url = zalo_api.cdn.put("/photo/odd", body)

    messages, _texts = refused(client, zalo_api, url)

    assert messages[2].body == NOT_KEPT + (
        " Tổng đài chỉ nhận ảnh JPEG, PNG hoặc WebP đọc được. Bạn hãy chụp lại màn hình rồi gửi."
    )
    assert nothing_kept(settings.EVIDENCE_ROOT)


FETCH_FAILED = (
    NOT_KEPT + " Tổng đài không tải được ảnh từ ứng dụng. Bạn hãy gửi lại ảnh, hoặc kể bằng lời."
)


@pytest.mark.parametrize(
    "where",
    ["another host", "plain http", "another port"],
)
def test_it_fetches_nothing_from_outside_the_allowed_hosts(
    client, zalo_oa, zalo_api, graph_api, settings, where
):
    for cdn in (zalo_api.cdn, graph_api.cdn):
        cdn.put("/photo/x.jpg", image_bytes())
    # Only Zalo's CDN, and the API's own server, which serves the same files over plain http.
    settings.CONNECTOR_MEDIA_HOSTS = [zalo_api.cdn.host, zalo_api.url.removeprefix("http://")]
    url = {
        # The same server under a name the setting does not allow.
        "another host": zalo_api.cdn.url("/photo/x.jpg", host="localhost"),
        "plain http": f"{zalo_api.url}/photo/x.jpg",
        # An allowed host name, but on a port no entry names.
        "another port": graph_api.cdn.url("/photo/x.jpg"),
    }[where]

    messages, _texts = refused(client, zalo_api, url, text="ảnh đây ạ")

    assert zalo_api.cdn.requests == graph_api.cdn.requests == []
    # The words arrive all the same; only the image is missing, and the young person knows.
    youth, _receipt, not_kept, _warning = messages
    assert (youth.body, not_kept.body) == ("ảnh đây ạ", FETCH_FAILED)
    assert nothing_kept(settings.EVIDENCE_ROOT)


@pytest.mark.parametrize("target", ["an allowed host", "a host not allowed"])
def test_it_follows_no_redirect_to_another_host(
    client, zalo_oa, zalo_api, graph_api, settings, target
):
    # Messenger's CDN is allowed too: a redirect there is refused all the same.
    other = graph_api.cdn if target == "an allowed host" else zalo_api.cdn
    other.put("/elsewhere.jpg", image_bytes())
    host = "127.0.0.1" if target == "an allowed host" else "localhost"
    url = zalo_api.cdn.redirect("/photo/moved.jpg", other.url("/elsewhere.jpg", host=host))

    messages, _texts = refused(client, zalo_api, url)

    assert zalo_api.cdn.fetched("/photo/moved.jpg") == 1
    assert other.fetched("/elsewhere.jpg") == 0
    assert messages[2].body == FETCH_FAILED
    assert nothing_kept(settings.EVIDENCE_ROOT)


def test_it_follows_a_redirect_on_the_same_host(client, zalo_oa, zalo_api):
    zalo_api.cdn.put("/photo/final.jpg", image_bytes())
    url = zalo_api.cdn.redirect("/photo/short", "/photo/final.jpg")

    zalo_post(client, zalo_event("", kind="image", url=url))

    assert EvidenceFile.objects.count() == 1
    assert zalo_api.cdn.fetched("/photo/final.jpg") == 1


@pytest.mark.parametrize("failure", ["not found", "dropped", "hangs", "no url"])
def test_it_tells_the_young_person_when_the_image_cannot_be_fetched_and_loses_nothing_else(
    client, zalo_oa, zalo_api, settings, failure
):
    settings.CONNECTOR_MEDIA_TIMEOUT_SECONDS = 1
    url = {
        "not found": zalo_api.cdn.url("/photo/gone.jpg"),
        "dropped": zalo_api.cdn.put("/photo/drop.jpg", b"", drop=True),
        "hangs": zalo_api.cdn.put("/photo/slow.jpg", image_bytes(), stall=True),
        "no url": "",
    }[failure]

    zalo_post(client, zalo_event("tin một"))
    zalo_post(client, zalo_event("nó đe doạ em", kind="image", url=url))
    zalo_post(client, zalo_event("tin ba"))

    youth = [m.body for m in thread_messages() if m.sender == "youth"]
    assert youth == ["tin một", "nó đe doạ em", "tin ba"]
    assert FETCH_FAILED in sent_texts(zalo_api)
    assert nothing_kept(settings.EVIDENCE_ROOT)


def test_it_fetches_nothing_without_an_evidence_key(client, zalo_oa, zalo_api, settings):
    settings.EVIDENCE_ENCRYPTION_KEY = ""
    url = zalo_api.cdn.put("/photo/a.jpg", image_bytes())

    messages, _texts = refused(client, zalo_api, url)

    assert zalo_api.cdn.requests == []
    assert (
        messages[2].body == NOT_KEPT + " Tổng đài hiện chưa nhận được ảnh. Bạn hãy kể bằng lời nhé."
    )


def test_it_limits_images_per_conversation(client, zalo_oa, zalo_api, settings):
    settings.CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR = 2
    for n in range(3):
        url = zalo_api.cdn.put(f"/photo/{n}.jpg", image_bytes())
        zalo_post(client, zalo_event("", kind="image", url=url))

    assert EvidenceFile.objects.count() == 2
    assert [m.body for m in thread_messages() if m.sender == "youth"].count(MARKER) == 1
    assert any("Bạn đã gửi nhiều ảnh trong một giờ qua." in t for t in sent_texts(zalo_api))
    # The refused image's file was written, then erased once the refusal committed.
    assert len(list(settings.EVIDENCE_ROOT.rglob("*.content"))) == 2


def test_it_limits_tries_per_platform_user_across_conversations_counting_failed_ones(
    client, zalo_oa, zalo_api, settings
):
    from helpline.conversations import conversation_end

    settings.CHAT_UPLOADS_PER_NETWORK_PER_HOUR = 2
    zalo_post(client, zalo_event("", kind="image", url=zalo_api.cdn.url("/photo/none.jpg")))
    conversation_end(conversation_id=Conversation.objects.get().pk)
    zalo_post(client, zalo_event("", kind="image", url=zalo_api.cdn.put("/a.jpg", image_bytes())))
    zalo_post(client, zalo_event("", kind="image", url=zalo_api.cdn.put("/b.jpg", image_bytes())))

    assert EvidenceFile.objects.count() == 1
    # Counted under the keyed hash of the Zalo user, never the user id itself.
    contact = PlatformContact.objects.get()
    assert set(UploadAttempt.objects.values_list("address_hash", flat=True)) == {contact.user_hash}
    with connection.cursor() as cursor:
        cursor.execute("SELECT address_hash FROM harms_uploadattempt")
        assert all(ZALO_USER not in row[0] for row in cursor.fetchall())


# ---------------------------------------------------------------- a national account


def test_it_holds_an_image_sent_before_the_province_and_posts_it_once_routed(
    client, zalo_national_oa, zalo_api, settings
):
    national = zalo_edge.NATIONAL_OA_ID
    url = zalo_api.cdn.put("/photo/early.jpg", image_bytes())
    zalo_post(client, zalo_event("", kind="image", url=url, oa=national))
    # An image is no answer to the question, even with digits in its caption.
    zalo_post(client, zalo_event("01", kind="image", url=url, oa=national))

    assert not Conversation.objects.exists()
    held = PlatformMessage.objects.filter(direction="in", status="held").order_by("id")
    assert held.count() == 2
    first = held.first()
    # Kept on disk at once, encrypted; named, in the held row, only under encryption.
    staged = json.loads(secret_decrypt(first.held_images_encrypted))
    assert "early" not in first.held_images_encrypted
    assert len(staged) == 1 and "staged" in staged[0]
    assert not EvidenceFile.objects.exists()

    zalo_post(client, zalo_event("01", oa=national))

    conversation = Conversation.objects.get()
    assert conversation.hotline.code == "01"
    youth = [m for m in thread_messages() if m.sender == "youth"]
    assert [m.body for m in youth] == ["[ảnh]", "01", "[ảnh]"]
    assert EvidenceFile.objects.filter(conversation=conversation).count() == 2
    assert {str(f.pk) for f in EvidenceFile.objects.all()} >= {staged[0]["staged"]["file_id"]}
    system = [m.body for m in thread_messages() if m.sender == "system"]
    assert len(system) == 2 and system[1].startswith(WARNING)
    assert not PlatformMessage.objects.filter(status="held").exists()


def test_it_erases_held_images_with_a_held_message_the_purge_deletes(
    client, zalo_national_oa, zalo_api, settings
):
    url = zalo_api.cdn.put("/photo/never.jpg", image_bytes())
    zalo_post(client, zalo_event("", kind="image", url=url, oa=zalo_edge.NATIONAL_OA_ID))
    assert len(list(settings.EVIDENCE_ROOT.rglob("*.content"))) == 1

    # Never routed (no worker ran), then past its period: the row and its files go together.
    with TestCase.captureOnCommitCallbacks(execute=True):
        jobs.retention_purge(now=timezone.now() + datetime.timedelta(days=91))

    assert not PlatformMessage.objects.filter(direction="in").exists()
    assert list(settings.EVIDENCE_ROOT.rglob("*.*")) == []
