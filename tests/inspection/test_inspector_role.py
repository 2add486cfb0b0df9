"""The inspector: a role with no hotline and no agency, made like the others, reading no content."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from escalation.models import Agency
from helpline.models import Hotline, StaffChangeKind, User
from helpline.staff import staff_change_request_approve, staff_change_request_propose
from tests.helpline.chat_sockets import closed_with, session_cookie
from tests.logins import staff_login
from tests.retention.helpers import case_from_chat

pytestmark = pytest.mark.django_db


def test_it_creates_an_inspector_through_the_two_person_rule(administrator, sup_central):
    proposal = staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CREATE,
        username="kiemtra1",
        full_name="Trần Kiểm Tra",
        email="kt1@example.invalid",
        role="inspector",
    )
    staff_change_request_approve(by=sup_central, request_id=proposal.pk)
    inspector = User.objects.get(username="kiemtra1")
    assert (inspector.role, inspector.hotline, inspector.agency) == ("inspector", None, None)
    assert inspector.is_inspector
    assert not (inspector.is_staff or inspector.is_superuser or inspector.is_hotline_staff)
    assert not inspector.has_usable_password()
    assert list(inspector.groups.all()) == []


def test_it_creates_an_inspector_with_create_staff(reference_data, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a-long-enough-password-42")
    call_command("create_staff", "--username", "kiemtra2", "--role", "inspector")
    assert User.objects.get(username="kiemtra2").is_inspector


@pytest.mark.parametrize("scope", ["hotline", "agency"])
def test_it_refuses_an_inspector_with_a_hotline_or_an_agency(reference_data, scope):
    fields = {"hotline": Hotline.objects.get(code="01")} if scope == "hotline" else {}
    if scope == "agency":
        fields["agency"] = Agency.objects.first()
    user = User(username=f"bad-{scope}", role="inspector", **fields)
    with pytest.raises(ValidationError):
        user.clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def test_it_sends_an_inspector_to_the_inspection_pages(client, inspector):
    staff_login(client, inspector)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("inspection:index")


def content_pages(case):
    escalation = case.escalations.get()
    return [
        reverse("escalations:detail", args=[escalation.pk]),
        reverse("liaison:detail", args=[escalation.pk]),
        reverse("cases:list"),
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:edit", args=[case.pk]),
        reverse("case_transcript", args=[case.pk]),
        reverse("escalations:create", args=[case.pk]),
        reverse("console"),
        reverse("canned_list"),
        reverse("hotline_settings"),
        reverse("telephony:callbacks"),
        reverse("liaison:queue"),
        reverse("retention:holds"),
        reverse("retention:deletions"),
        reverse("break_glass"),
        reverse("staff_requests"),
        reverse("reports:index"),
        reverse("board:board"),
        reverse("incidents:list"),
        reverse("accounts:lockouts"),
    ]


def test_it_refuses_every_content_page_to_an_inspector(client, inspector, op_hanoi):
    case, _conversation, _token = case_from_chat(operator=op_hanoi, escalate=True)
    staff_login(client, inspector)
    for url in content_pages(case):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin's own login


@pytest.mark.django_db(transaction=True)
async def test_it_closes_the_console_and_the_liaison_socket_to_an_inspector(inspector):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from config.asgi import application
    from tests.helpline.chat_sockets import HOST, ORIGIN

    cookie = await sync_to_async(session_cookie)(inspector)
    for path in ("/ws/console/", "/ws/liaison/"):
        socket = WebsocketCommunicator(
            application,
            path,
            headers=[
                HOST,
                ORIGIN,
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        )
        connected, _code = await socket.connect()
        assert connected
        assert await closed_with(socket) == 4403
