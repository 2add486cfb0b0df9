"""Staff reset a password by e-mail; e-mail changes need two people; new staff get a link."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import AccountAction, AccountEvent
from helpline.models import StaffChangeKind, User
from helpline.staff import staff_change_request_approve, staff_change_request_propose
from tests.accounts.helpers import with_password
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "mot-mat-khau-moi-2026"


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/password-reset/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def set_password_through(link: str) -> Client:
    browser = Client()
    form = browser.get(path_of(link), follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    return browser


def test_it_resets_a_staff_password_by_e_mail_in_vietnamese_once(op_hanoi):
    op_hanoi.email = "ha@example.invalid"
    op_hanoi.save(update_fields=["email"])
    with_password(op_hanoi)

    Client().post("/accounts/password-reset/", {"email": "ha@example.invalid"})

    (message,) = mail.outbox
    assert message.subject == "Đặt lại mật khẩu tài khoản cán bộ tổng đài"
    assert "Xin chào op_hanoi," in message.body
    link = link_in(message)
    set_password_through(link)
    op_hanoi.refresh_from_db()
    assert op_hanoi.check_password(NEW_PASSWORD)
    used = Client().get(path_of(link), follow=True)
    assert "Liên kết này không còn dùng được" in used.content.decode()


def test_it_answers_an_unknown_address_like_a_known_one():
    response = Client().post("/accounts/password-reset/", {"email": "ai-do@example.invalid"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_it_creates_staff_who_set_their_own_password_from_an_e_mailed_link(
    reference_data, settings
):
    settings.PUBLIC_BASE_URL = "https://tongdai.example.invalid"
    call_command(
        "create_staff",
        "--username=op_moi",
        "--role=operator",
        "--hotline=01",
        "--email=moi@example.invalid",
        "--send-enrolment-link",
    )

    user = User.objects.get(username="op_moi")
    assert not user.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["moi@example.invalid"]
    assert message.subject == "Kích hoạt tài khoản cán bộ tổng đài"
    set_password_through(link_in(message))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AccountEvent.objects.filter(
        account=user, actor=None, action=AccountAction.ENROLMENT_LINK_SENT
    ).exists()
    # The first login goes on to enrol the second factor.
    browser = Client()
    browser.post("/accounts/login/", {"username": "op_moi", "password": NEW_PASSWORD})
    assert browser.get("/cases/")["Location"].startswith("/accounts/enrol/")


def test_it_refuses_an_enrolment_link_without_an_address(reference_data):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "create_staff",
            "--username=op_moi",
            "--role=operator",
            "--hotline=01",
            "--send-enrolment-link",
        )
    assert not User.objects.filter(username="op_moi").exists()


def test_it_keeps_e_mail_addresses_out_of_an_administrators_reach(client, administrator, op_hanoi):
    staff_login(client, administrator)
    url = reverse("admin:helpline_user_change", args=[op_hanoi.pk])

    client.post(url, {"first_name": "Hà", "last_name": "Nguyễn", "email": "toi@example.invalid"})

    op_hanoi.refresh_from_db()
    assert op_hanoi.first_name == "Hà"
    assert op_hanoi.email != "toi@example.invalid"


def test_it_changes_an_e_mail_address_only_when_a_central_supervisor_approves(
    administrator, sup_central, op_hanoi
):
    proposal = staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CHANGE_EMAIL,
        target_id=op_hanoi.pk,
        email="ha.moi@example.invalid",
    )
    op_hanoi.refresh_from_db()
    assert op_hanoi.email == ""
    assert (proposal.before_summary, proposal.after_summary) == ("—", "ha.moi@example.invalid")

    staff_change_request_approve(by=sup_central, request_id=proposal.pk)

    op_hanoi.refresh_from_db()
    assert op_hanoi.email == "ha.moi@example.invalid"


def test_it_refuses_an_e_mail_change_about_oneself(administrator):
    with pytest.raises(ValidationError):
        staff_change_request_propose(
            by=administrator,
            kind=StaffChangeKind.CHANGE_EMAIL,
            target_id=administrator.pk,
            email="toi@example.invalid",
        )
