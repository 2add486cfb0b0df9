"""Who sees which escalation: the agency A / agency B matrix, hotline staff, revocation.

A liaison sees an escalation only while their agency's group holds the grant;
a global permission or superuser status adds nothing. What one may not see
answers 404. A liaison sees only what was sent: never the case's notes, its
internal summary, the transcript unless attached, or the other agencies.
"""

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.urls import reverse

from cases.models import CaseEvent, CaseNote
from cases.services import case_note_add, case_transition
from escalation.models import (
    Escalation,
    EscalationGroupObjectPermission,
    EscalationMessage,
    EscalationState,
)
from escalation.selectors import escalation_get_for_user, escalations_visible_to
from escalation.services import escalation_message_send, escalation_transition
from helpline.models import Conversation, Message
from tests.escalation.helpers import agency, escalate
from tests.logins import staff_login

LIAISON_PAGES = ["queue", "detail", "act", "message"]


@pytest.fixture
def escalation(op_hanoi, make_case):
    """A Hanoi case escalated to A05 (agency A)."""
    case = make_case(by=op_hanoi, summary="Tóm tắt nội bộ của tổng đài")
    return escalate(case, by=op_hanoi, summary="Nội dung gửi A05")


def liaison_attempt(client, page: str, escalation: Escalation):
    if page == "queue":
        return client.get(reverse("liaison:queue"))
    if page == "detail":
        return client.get(reverse("liaison:detail", args=[escalation.pk]))
    if page == "act":
        return client.post(
            reverse("liaison:act", args=[escalation.pk]),
            {"transition": "acknowledge", "state": escalation.state, "text": ""},
        )
    return client.post(
        reverse("liaison:message", args=[escalation.pk]), {"body": "Chúng tôi đã nhận"}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", LIAISON_PAGES)
def test_it_lets_the_liaison_of_the_agency_use_every_page(client, liaison_a05, escalation, page):
    staff_login(client, liaison_a05)
    response = liaison_attempt(client, page, escalation)
    assert response.status_code == (200 if page in ("queue", "detail") else 302)
    if page == "queue":
        assert f"#{escalation.pk}" in response.content.decode()
    if page == "act":
        escalation.refresh_from_db()
        assert escalation.state == EscalationState.ACKNOWLEDGED
    if page == "message":
        assert escalation.messages.get().side == EscalationMessage.Side.AGENCY


@pytest.mark.django_db
@pytest.mark.parametrize("page", LIAISON_PAGES)
def test_it_shows_the_liaison_of_another_agency_nothing(client, liaison_111, escalation, page):
    staff_login(client, liaison_111)
    response = liaison_attempt(client, page, escalation)
    if page == "queue":
        assert response.status_code == 200
        assert f"#{escalation.pk}" not in response.content.decode()
        assert escalation.case.reference not in response.content.decode()
    else:
        assert response.status_code == 404
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.SENT
    assert not escalation.messages.exists()
    assert not CaseEvent.objects.filter(actor=liaison_111).exists()


@pytest.fixture
def global_perms_liaison(liaison_111):
    """Agency B's liaison with the model-wide view and change permissions."""
    liaison_111.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="escalation",
            codename__in=["view_escalation", "change_escalation"],
        )
    )
    return type(liaison_111).objects.get(pk=liaison_111.pk)


@pytest.fixture
def superuser_liaison(liaison_111):
    liaison_111.is_superuser = True
    liaison_111.save()
    return liaison_111


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["global_perms_liaison", "superuser_liaison"])
@pytest.mark.parametrize("page", LIAISON_PAGES)
def test_it_does_not_widen_a_liaison_with_a_global_permission_or_superuser_status(
    request, client, escalation, variant, page
):
    user = request.getfixturevalue(variant)
    assert user.has_perm("escalation.view_escalation")
    staff_login(client, user)
    response = liaison_attempt(client, page, escalation)
    if page == "queue":
        assert f"#{escalation.pk}" not in response.content.decode()
    else:
        assert response.status_code == 404
    assert list(escalations_visible_to(user=user)) == []
    assert list(escalations_visible_to(user=user, perm="change")) == []


@pytest.mark.django_db
def test_it_gives_a_superuser_administrator_no_escalation(client, administrator, escalation):
    # Administrators are no longer superusers; one made a superuser by hand still sees nothing.
    administrator.is_superuser = True
    administrator.save(update_fields=["is_superuser"])
    staff_login(client, administrator)
    assert client.get(reverse("liaison:queue")).status_code == 403
    assert client.get(reverse("liaison:detail", args=[escalation.pk])).status_code == 403
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 403
    assert list(escalations_visible_to(user=administrator)) == []
    with pytest.raises(Http404):
        escalation_get_for_user(user=administrator, escalation_id=escalation.pk)


HOTLINE_SEES = {
    "op_hanoi": True,
    "sup_hanoi": True,
    "sup_central": True,
    "op_hue": False,
    "op_central": False,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "sees"), HOTLINE_SEES.items())
def test_it_shows_the_escalation_to_the_staff_who_see_the_case(
    request, client, escalation, username, sees
):
    user = request.getfixturevalue(username)
    staff_login(client, user)
    detail = client.get(reverse("escalations:detail", args=[escalation.pk]))
    message = client.post(reverse("escalations:message", args=[escalation.pk]), {"body": "Bổ sung"})
    withdraw = client.post(
        reverse("escalations:act", args=[escalation.pk]),
        {"transition": "withdraw", "state": "sent", "text": "Nhầm cơ quan"},
    )
    create = client.get(reverse("escalations:create", args=[escalation.case_id]))
    if sees:
        assert [detail.status_code, message.status_code, withdraw.status_code] == [200, 302, 302]
        assert create.status_code == 200
        escalation.refresh_from_db()
        assert escalation.state == EscalationState.WITHDRAWN
    else:
        assert [detail.status_code, message.status_code, withdraw.status_code] == [404] * 3
        assert create.status_code == 404
        escalation.refresh_from_db()
        assert escalation.state == EscalationState.SENT
        assert not escalation.messages.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["op_hanoi", "sup_hanoi", "sup_central"])
def test_it_keeps_hotline_staff_out_of_the_liaison_pages(request, client, escalation, username):
    staff_login(client, request.getfixturevalue(username))
    for page in LIAISON_PAGES:
        assert liaison_attempt(client, page, escalation).status_code == 403


@pytest.mark.django_db
def test_it_keeps_liaisons_out_of_the_hotline_pages(client, liaison_a05, escalation):
    staff_login(client, liaison_a05)
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 403
    assert client.get(reverse("escalations:create", args=[escalation.case_id])).status_code == 403
    assert client.get(reverse("cases:detail", args=[escalation.case_id])).status_code == 403


@pytest.mark.django_db
def test_it_revokes_the_grant_when_the_hotline_withdraws(client, op_hanoi, liaison_a05, escalation):
    escalation_transition(
        user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="Nhầm cơ quan"
    )
    assert not EscalationGroupObjectPermission.objects.filter(content_object=escalation).exists()
    escalation.refresh_from_db()
    assert escalation.access_revoked_at is not None
    staff_login(client, liaison_a05)
    for page in ("detail", "act", "message"):
        assert liaison_attempt(client, page, escalation).status_code == 404
    assert f"#{escalation.pk}" not in liaison_attempt(client, "queue", escalation).content.decode()


def close_case(case, *, by):
    case_transition(user=by, case_id=case.pk, transition="open")
    case_transition(user=by, case_id=case.pk, transition="resolve")
    case_transition(user=by, case_id=case.pk, transition="close")


@pytest.mark.django_db
def test_it_revokes_every_grant_when_the_case_closes_after_resolution(
    client, op_hanoi, sup_hanoi, liaison_a05, liaison_111, escalation
):
    case = escalation.case
    other = escalate(case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse")
    escalation_transition(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    escalation_transition(
        user=liaison_a05, escalation_id=escalation.pk, transition="resolve", text="Đã xử lý"
    )

    close_case(case, by=sup_hanoi)

    assert not EscalationGroupObjectPermission.objects.filter(content_object__case=case).exists()
    escalation.refresh_from_db()
    other.refresh_from_db()
    # The resolved one keeps its state; the one still open is withdrawn with the case.
    assert escalation.state == EscalationState.RESOLVED
    assert other.state == EscalationState.WITHDRAWN
    for liaison, item in ((liaison_a05, escalation), (liaison_111, other)):
        staff_login(client, liaison)
        assert liaison_attempt(client, "detail", item).status_code == 404
    revocations = CaseEvent.objects.filter(
        case=case, action=CaseEvent.Action.ESCALATION, actor=sup_hanoi
    ).values_list("detail", flat=True)
    assert {"escalation": escalation.pk, "transition": "revoke", "reason": "case_closed"} in list(
        revocations
    )


@pytest.mark.django_db
def test_it_keeps_the_grant_when_a_close_is_refused(op_hanoi, liaison_a05, make_case):
    case = make_case(by=op_hanoi, risk="high")
    escalation = escalate(case, by=op_hanoi)
    case_transition(user=op_hanoi, case_id=case.pk, transition="open")
    case_transition(user=op_hanoi, case_id=case.pk, transition="resolve")
    from cases.services import CaseError

    with pytest.raises(CaseError):
        case_transition(user=op_hanoi, case_id=case.pk, transition="close")
    assert escalation_get_for_user(user=liaison_a05, escalation_id=escalation.pk)


@pytest.fixture
def rich_case(op_hanoi, make_case):
    """A case with a note, an internal summary and a transcript full of things not to leak."""
    case = make_case(by=op_hanoi, summary="TÓM-TẮT-NỘI-BỘ", age_group="15-17")
    case_note_add(user=op_hanoi, case_id=case.pk, body="GHI-CHÚ-NỘI-BỘ")
    conversation = Conversation.objects.create(
        channel="webchat", hotline=case.hotline, case=case, province_code="01"
    )
    Message.objects.create(
        conversation=conversation, seq=1, sender="youth", body="<script>alert(1)</script> TIN-NHẮN"
    )
    return case


@pytest.mark.django_db
def test_it_shows_a_liaison_only_what_was_sent(client, op_hanoi, liaison_a05, rich_case):
    escalation = escalate(rich_case, by=op_hanoi, summary="GỬI-A05", shared_items=["age_group"])
    escalate(rich_case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse")
    escalation_message_send(user=op_hanoi, escalation_id=escalation.pk, body="TRAO-ĐỔI-A05")

    staff_login(client, liaison_a05)
    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert "GỬI-A05" in page
    assert "TRAO-ĐỔI-A05" in page
    assert "15-17" in page
    for secret in ("TÓM-TẮT-NỘI-BỘ", "GHI-CHÚ-NỘI-BỘ", "TIN-NHẮN", "alert(1)"):
        assert secret not in page
    # Nor which other agencies the case went to.
    assert agency("hotline-111").name_vi not in page
    assert not CaseEvent.objects.filter(
        actor=liaison_a05, action=CaseEvent.Action.TRANSCRIPT_VIEWED
    ).exists()


@pytest.mark.django_db
def test_it_shows_an_attached_transcript_escaped_and_audits_the_read(
    client, op_hanoi, liaison_a05, rich_case
):
    escalation = escalate(rich_case, by=op_hanoi, shared_items=["transcript"])
    staff_login(client, liaison_a05)
    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; TIN-NHẮN" in page
    assert "<script>alert(1)" not in page
    assert "GHI-CHÚ-NỘI-BỘ" not in page
    reads = CaseEvent.objects.filter(case=rich_case, actor=liaison_a05)
    assert sorted(reads.values_list("action", flat=True)) == [
        CaseEvent.Action.ESCALATION_VIEWED,
        CaseEvent.Action.TRANSCRIPT_VIEWED,
    ]
    assert all(event.detail == {"escalation": escalation.pk, "side": "agency"} for event in reads)
    # Attaching copied nothing: the messages are still the case's own rows.
    assert Message.objects.count() == 1
    assert CaseNote.objects.count() == 1


@pytest.mark.django_db
def test_it_audits_every_read_by_the_hotline(client, op_hanoi, escalation):
    other = escalate(
        escalation.case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse"
    )
    staff_login(client, op_hanoi)
    client.get(reverse("escalations:detail", args=[escalation.pk]))
    client.get(reverse("cases:detail", args=[escalation.case_id]))

    reads = CaseEvent.objects.filter(
        case=escalation.case, action=CaseEvent.Action.ESCALATION_VIEWED, actor=op_hanoi
    )
    assert sorted(event.detail["escalation"] for event in reads) == sorted(
        [escalation.pk, escalation.pk, other.pk]
    )
