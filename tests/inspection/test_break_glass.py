"""Break-glass: a supervisor reads one case outside their hotline, for a while, and everyone knows.

The case door (cases.selectors) opens the case while the grant runs and
closes it after; the inspectors and the case's own supervisors are alerted by
e-mail (reference and link only) and on their consoles; the timeline and the
inspectors' trail hold every step.
"""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases.models import BreakGlassGrant, CaseEvent
from cases.selectors import case_get_for_user, cases_visible_to
from helpline.groups import staff_group
from inspection.services import break_glass_open
from tests.accounts.helpers import app_code, proof_expire
from tests.escalation.helpers import GroupListener
from tests.logins import confirmed_totp_device, staff_login
from tests.retention.helpers import CONTENT, case_from_chat

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def hue_case(op_hue):
    case, _conversation, _token = case_from_chat(operator=op_hue, close=False)
    return case


def open_glass(user, case, *, at=None, reason="staff_unreachable", note=""):
    return break_glass_open(
        user=user, case_reference=case.reference, reason=reason, note=note, at=at
    )


def test_it_opens_a_case_of_another_hotline_to_a_supervisor_for_the_set_time(
    sup_hanoi, hue_case, settings
):
    settings.BREAK_GLASS_MINUTES = 60
    now = timezone.now()
    with pytest.raises(Http404):
        case_get_for_user(user=sup_hanoi, case_id=hue_case.pk)
    grant = open_glass(sup_hanoi, hue_case, at=now)
    assert grant.expires_at == now + 60 * MINUTE
    assert case_get_for_user(user=sup_hanoi, case_id=hue_case.pk) == hue_case
    assert cases_visible_to(user=sup_hanoi, at=now + 59 * MINUTE).filter(pk=hue_case.pk).exists()
    assert (
        not cases_visible_to(user=sup_hanoi, at=now + 60 * MINUTE).filter(pk=hue_case.pk).exists()
    )


def test_it_asks_for_the_hotline_alone_while_no_grant_runs(sup_hanoi, hue_case):
    now = timezone.now()
    open_glass(sup_hanoi, hue_case, at=now - 61 * MINUTE)

    # A grant in the query, even an empty one, keeps PostgreSQL off the hotline's indexes.
    without = str(cases_visible_to(user=sup_hanoi, at=now).query)
    assert "breakglass" not in without
    assert not cases_visible_to(user=sup_hanoi, at=now).filter(pk=hue_case.pk).exists()
    assert cases_visible_to(user=sup_hanoi, at=now - 2 * MINUTE).filter(pk=hue_case.pk).exists()


def test_it_closes_the_case_again_once_the_grant_expired(client, sup_hanoi, hue_case):
    open_glass(sup_hanoi, hue_case, at=timezone.now() - 61 * MINUTE)
    staff_login(client, sup_hanoi)
    assert client.get(reverse("cases:detail", args=[hue_case.pk])).status_code == 404
    assert client.get(reverse("case_transcript", args=[hue_case.pk])).status_code == 404


def test_it_writes_the_grant_and_every_read_under_it_on_the_timeline(client, sup_hanoi, hue_case):
    grant = open_glass(sup_hanoi, hue_case, note="Không gọi được trực ban Huế")
    staff_login(client, sup_hanoi)
    assert client.get(reverse("cases:detail", args=[hue_case.pk])).status_code == 200
    assert client.get(reverse("case_transcript", args=[hue_case.pk])).status_code == 200
    lines = list(
        hue_case.events.filter(actor=sup_hanoi).values_list("action", "detail").order_by("id")
    )
    assert lines == [
        ("break_glass_opened", {"grant": grant.pk, "reason": "staff_unreachable", "minutes": 60}),
        ("viewed", {}),
        ("transcript_viewed", {}),
    ]


def test_it_alerts_the_inspectors_and_the_cases_own_supervisors_without_content(
    sup_hanoi, sup_hue, inspector, hue_case, django_capture_on_commit_callbacks
):
    listener = GroupListener(staff_group(sup_hue.pk), staff_group(sup_hanoi.pk))
    with django_capture_on_commit_callbacks(execute=True):
        grant = open_glass(sup_hanoi, hue_case)
    to = {tuple(message.to) for message in mail.outbox}
    assert to == {(inspector.email,), (sup_hue.email,)}
    for message in mail.outbox:
        assert hue_case.reference in message.subject
        assert "sup_hanoi" in message.body
        for words in CONTENT:
            assert words not in message.subject + message.body
    to_inspector = next(m for m in mail.outbox if m.to == [inspector.email])
    assert reverse("inspection:break_glass_detail", args=[grant.pk]) in to_inspector.body
    to_supervisor = next(m for m in mail.outbox if m.to == [sup_hue.email])
    assert reverse("cases:detail", args=[hue_case.pk]) in to_supervisor.body
    pushed = listener.drain()
    assert [event["frame"] for event in pushed] == [
        {
            "type": "break_glass",
            "case": hue_case.pk,
            "reference": hue_case.reference,
            "by": "sup_hanoi",
            "reason": "staff_unreachable",
            "expires_at": grant.expires_at.isoformat(),
        }
    ]


def test_it_gives_no_second_grant_while_one_runs(sup_hanoi, hue_case):
    first = open_glass(sup_hanoi, hue_case)
    assert open_glass(sup_hanoi, hue_case) == first
    assert BreakGlassGrant.objects.count() == 1


@pytest.mark.parametrize("who", ["op_hanoi", "op_hue", "administrator", "liaison_a05", "inspector"])
def test_it_lets_only_supervisors_break_the_glass(request, hue_case, who):
    with pytest.raises(PermissionDenied):
        open_glass(request.getfixturevalue(who), hue_case)
    assert not BreakGlassGrant.objects.exists()


def test_it_refuses_a_case_the_supervisor_already_sees(sup_central, sup_hue, hue_case):
    for supervisor in (sup_central, sup_hue):
        with pytest.raises(ValidationError):
            open_glass(supervisor, hue_case)
    assert not BreakGlassGrant.objects.exists()


def test_it_wants_an_explanation_for_an_other_reason(sup_hanoi, hue_case):
    with pytest.raises(ValidationError):
        open_glass(sup_hanoi, hue_case, reason="other")
    assert open_glass(sup_hanoi, hue_case, reason="other", note="Cục A05 gọi điện yêu cầu")


def test_it_breaks_the_glass_from_the_page_and_sends_the_supervisor_to_the_case(
    client, sup_hanoi, hue_case
):
    staff_login(client, sup_hanoi)
    page = client.get(reverse("break_glass"))
    assert page.status_code == 200
    assert "Ban kiểm tra" in page.content.decode()
    response = client.post(
        reverse("break_glass"),
        {"case_reference": hue_case.reference, "reason": "imminent_danger", "note": ""},
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[hue_case.pk])
    assert client.get(response.url).status_code == 200


def test_it_says_so_when_no_case_has_that_reference(client, sup_hanoi):
    staff_login(client, sup_hanoi)
    response = client.post(
        reverse("break_glass"),
        {"case_reference": "HUE-2026-999999", "reason": "imminent_danger", "note": ""},
    )
    assert "Không có hồ sơ mang mã này" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("who", ["op_hanoi", "administrator", "liaison_a05", "inspector"])
def test_it_refuses_the_break_glass_page_to_everyone_but_supervisors(request, client, who):
    staff_login(client, request.getfixturevalue(who))
    assert client.get(reverse("break_glass")).status_code == 403


def test_it_asks_for_the_password_or_a_code_again_before_opening_the_case(
    client, sup_hanoi, hue_case
):
    staff_login(client, sup_hanoi)
    proof_expire(client)
    fields = {"case_reference": hue_case.reference, "reason": "other", "note": "A05 gọi khẩn"}
    asked = client.post(reverse("break_glass"), fields)
    assert asked.status_code == 200
    assert 'id="reauth-form"' in asked.content.decode()
    assert not BreakGlassGrant.objects.exists()
    code = app_code(confirmed_totp_device(sup_hanoi))
    opened = client.post(reverse("break_glass"), {**fields, "reauth_code": code})
    assert opened.status_code == 302
    grant = BreakGlassGrant.objects.get()
    assert (grant.reason, grant.note) == ("other", "A05 gọi khẩn")


def test_it_shows_the_inspector_the_grant_and_what_was_done_under_it(
    client, sup_hanoi, inspector, hue_case
):
    grant = open_glass(sup_hanoi, hue_case, note="Không gọi được trực ban Huế")
    staff_login(client, sup_hanoi)
    client.get(reverse("cases:detail", args=[hue_case.pk]))
    staff_login(client, inspector)
    page = client.get(reverse("inspection:break_glass_detail", args=[grant.pk])).content.decode()
    assert hue_case.reference in page and "sup_hanoi" in page and "Không gọi được" in page
    for words in CONTENT:
        assert words not in page
    row = next(
        line
        for line in client.get(reverse("inspection:trail", args=["break_glass"]), {"format": "csv"})
        .content.decode("utf-8-sig")
        .splitlines()[1:]
    )
    # One read of the case page while the grant ran.
    assert row.endswith(",1")
    assert CaseEvent.objects.filter(case=hue_case, actor=sup_hanoi, action="viewed").count() == 1


def test_it_keeps_the_grant_when_the_alert_mail_cannot_be_sent(
    sup_hanoi, inspector, hue_case, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from inspection import services

    def refuse(**kwargs):
        raise ConnectionRefusedError("mail.example.invalid refused")

    monkeypatch.setattr(services, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        grant = open_glass(sup_hanoi, hue_case)
    assert BreakGlassGrant.objects.get() == grant
    assert "break-glass alert not sent: ConnectionRefusedError" in caplog.text
    assert "mail.example.invalid" not in caplog.text
