"""The transcript of a case's conversations, and the canned responses page."""

import pytest
from django.test import Client

from cases.models import CaseEvent
from helpline.conversations import (
    conversation_accept,
    conversation_case_create,
    conversation_start,
    message_post,
)
from helpline.models import CannedResponse
from tests.logins import staff_login

SCRIPT = '<script>alert("x")</script>'


def client_for(user) -> Client:
    client = Client()
    staff_login(client, user)
    return client


@pytest.fixture
def case_with_transcript(op_hanoi, hotline_hanoi):
    conversation, _token = conversation_start(channel="webchat", hotline=hotline_hanoi)
    message_post(conversation_id=conversation.pk, sender="youth", body=SCRIPT)
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    message_post(
        conversation_id=conversation.pk, sender="operator", body="Chào em", author=op_hanoi
    )
    return conversation_case_create(user=op_hanoi, conversation_id=conversation.pk)


@pytest.mark.django_db
def test_the_transcript_shows_the_messages_escaped_and_audits_the_reading(
    op_hanoi, case_with_transcript
):
    response = client_for(op_hanoi).get(f"/cases/{case_with_transcript.pk}/transcript/")
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Chào em" in html
    assert (
        CaseEvent.objects.filter(
            case=case_with_transcript, actor=op_hanoi, action=CaseEvent.Action.TRANSCRIPT_VIEWED
        ).count()
        == 1
    )
    assert CaseEvent.objects.filter(
        case=case_with_transcript, action=CaseEvent.Action.CONVERSATION_LINKED
    ).exists()


@pytest.mark.django_db
def test_the_transcript_of_a_case_out_of_scope_is_missing_and_not_audited(
    op_hue, liaison_a05, administrator, case_with_transcript
):
    assert (
        client_for(op_hue).get(f"/cases/{case_with_transcript.pk}/transcript/").status_code == 404
    )
    for outsider in (liaison_a05, administrator):
        response = client_for(outsider).get(f"/cases/{case_with_transcript.pk}/transcript/")
        assert response.status_code == 403
    assert not CaseEvent.objects.filter(action=CaseEvent.Action.TRANSCRIPT_VIEWED).exists()


@pytest.mark.django_db
def test_a_central_supervisor_reads_a_provincial_transcript(sup_central, case_with_transcript):
    response = client_for(sup_central).get(f"/cases/{case_with_transcript.pk}/transcript/")
    assert response.status_code == 200
    assert CaseEvent.objects.filter(
        actor=sup_central, action=CaseEvent.Action.TRANSCRIPT_VIEWED
    ).exists()


@pytest.mark.django_db
def test_the_case_page_links_to_the_transcript(op_hanoi, case_with_transcript):
    response = client_for(op_hanoi).get(f"/cases/{case_with_transcript.pk}/")
    assert f"/cases/{case_with_transcript.pk}/transcript/" in response.content.decode()


@pytest.mark.django_db
def test_supervisors_edit_canned_responses_and_operators_may_not(op_hanoi, sup_hanoi):
    assert client_for(op_hanoi).get("/canned/").status_code == 403
    client = client_for(sup_hanoi)
    assert client.get("/canned/").status_code == 200
    response = client.post(
        "/canned/", {"title": "Hẹn gặp lại", "body": SCRIPT, "position": 5, "is_active": "on"}
    )
    assert response.status_code == 302
    canned = CannedResponse.objects.get(title="Hẹn gặp lại")
    assert (canned.hotline.code, canned.updated_by, canned.body) == ("01", sup_hanoi, SCRIPT)
    page = client.get("/canned/").content.decode()
    assert SCRIPT not in page
    client.post("/canned/", {"id": canned.pk, "title": "Tạm biệt", "body": "x", "position": 5})
    canned.refresh_from_db()
    assert (canned.title, canned.is_active) == ("Tạm biệt", False)


@pytest.mark.django_db
def test_a_provincial_supervisor_cannot_edit_the_shared_responses(sup_hanoi):
    shared = CannedResponse.objects.create(title="Chung", body="x")
    client = client_for(sup_hanoi)
    assert client.get(f"/canned/?edit={shared.pk}").status_code == 404
    response = client.post(
        "/canned/", {"id": shared.pk, "title": "đổi", "body": "y", "position": 1}
    )
    assert response.status_code == 404
    shared.refresh_from_db()
    assert shared.title == "Chung"


@pytest.mark.django_db
def test_the_default_canned_responses_are_seeded_in_vietnamese():
    from helpline.models import CannedResponse as Model

    # The data migration ran for this (non-transactional) test database.
    titles = list(Model.objects.filter(hotline__isnull=True).values_list("title", flat=True))
    assert "Chào hỏi" in titles
