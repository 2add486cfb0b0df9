"""The two-person rule: an administrator proposes a staff change, a central supervisor decides.

Nothing changes at the proposal. The change is applied once, by a second person
who is neither the proposer nor the account concerned, and the request row
keeps who proposed, who decided, when, and the role and scope before and after.
"""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from helpline.models import (
    Role,
    StaffChangeKind,
    StaffChangeRequest,
    StaffChangeState,
    User,
)
from helpline.staff import (
    staff_change_request_approve,
    staff_change_request_propose,
    staff_change_scope,
    staff_create,
)
from tests.logins import staff_login

PAGE = "/staff/requests/"
ALREADY_DECIDED = "Yêu cầu này đã được người khác quyết định."


@pytest.fixture
def sup_central_2(reference_data) -> User:
    """A second supervisor of the central hotline."""
    staff_create(username="sup_central_2", role=Role.SUPERVISOR, password=None, hotline_code="00")
    return User.objects.select_related("hotline").get(username="sup_central_2")


def promote_op_hue(administrator) -> StaffChangeRequest:
    """The dangerous change: make a provincial operator a central supervisor."""
    return staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CHANGE_SCOPE,
        target_id=User.objects.get(username="op_hue").pk,
        role=Role.SUPERVISOR,
        hotline_code="00",
    )


def decide(client, user, proposal, decision="approve"):
    staff_login(client, user)
    return client.post(PAGE, {"request_id": proposal.pk, "decision": decision}, follow=True)


# -- proposing in /admin/ ------------------------------------------------------


@pytest.mark.django_db
def test_it_applies_an_administrators_proposal_only_after_a_central_supervisor_approves(
    client, administrator, sup_central, op_hue
):
    staff_login(client, administrator)
    response = client.post(
        reverse("admin:helpline_staffchangerequest_add"),
        {
            "kind": StaffChangeKind.CHANGE_SCOPE,
            "target": op_hue.pk,
            "role": Role.SUPERVISOR,
            "hotline": "00",
            "reason": "Điều động về trung ương",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    proposal = StaffChangeRequest.objects.get()
    user = User.objects.select_related("hotline").get(pk=op_hue.pk)
    assert (user.role, user.hotline.code) == (Role.OPERATOR, "46")
    assert not user.is_central_supervisor

    page = decide(client, sup_central, proposal).content.decode()
    assert f"Đã duyệt yêu cầu #{proposal.pk}." in page
    user = User.objects.select_related("hotline").get(pk=op_hue.pk)
    assert user.is_central_supervisor
    proposal = StaffChangeRequest.objects.get(pk=proposal.pk)
    assert proposal.state == StaffChangeState.APPROVED
    assert (proposal.proposed_by, proposal.decided_by) == (administrator, sup_central)
    assert proposal.decided_at >= proposal.proposed_at
    assert (proposal.before_role, proposal.before_hotline_code) == (Role.OPERATOR, "46")
    assert (proposal.role, proposal.hotline_code) == (Role.SUPERVISOR, "00")


@pytest.mark.django_db
def test_it_leaves_a_rejected_proposal_unapplied(client, administrator, sup_central, op_hue):
    proposal = promote_op_hue(administrator)
    page = decide(client, sup_central, proposal, "reject").content.decode()
    assert f"Đã từ chối yêu cầu #{proposal.pk}." in page
    assert not User.objects.select_related("hotline").get(pk=op_hue.pk).is_central_supervisor
    proposal = StaffChangeRequest.objects.get(pk=proposal.pk)
    assert (proposal.state, proposal.decided_by) == (StaffChangeState.REJECTED, sup_central)


@pytest.mark.django_db
def test_it_creates_an_approved_account_with_an_unusable_password_and_the_admin_group(
    client, administrator, sup_central
):
    staff_login(client, administrator)
    response = client.post(
        reverse("admin:helpline_staffchangerequest_add"),
        {
            "kind": StaffChangeKind.CREATE,
            "username": "quan_tri_2",
            "full_name": "Lý Thị Mai",
            "email": "mai@example.invalid",
            "role": Role.ADMINISTRATOR,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not User.objects.filter(username="quan_tri_2").exists()
    decide(client, sup_central, StaffChangeRequest.objects.get())
    user = User.objects.get(username="quan_tri_2")
    assert not user.has_usable_password()
    assert (user.get_full_name(), user.email) == ("Lý Thị Mai", "mai@example.invalid")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["administrators"]
    assert StaffChangeRequest.objects.get().target == user


@pytest.mark.django_db
def test_it_moves_a_liaison_to_another_agencys_group_on_approval(
    administrator, sup_central, liaison_a05
):
    proposal = staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CHANGE_SCOPE,
        target_id=liaison_a05.pk,
        role=Role.LIAISON,
        agency_code="hotline-111",
    )
    staff_change_request_approve(by=sup_central, request_id=proposal.pk)
    groups = list(User.objects.get(pk=liaison_a05.pk).groups.values_list("name", flat=True))
    assert groups == ["agency:hotline-111"]


@pytest.mark.django_db
def test_it_reactivates_an_account_only_on_approval(administrator, sup_central, op_hanoi):
    op_hanoi.is_active = False
    op_hanoi.save(update_fields=["is_active"])
    proposal = staff_change_request_propose(
        by=administrator, kind=StaffChangeKind.REACTIVATE, target_id=op_hanoi.pk
    )
    assert not User.objects.get(pk=op_hanoi.pk).is_active
    assert (proposal.before_role, proposal.role) == (Role.OPERATOR, Role.OPERATOR)
    staff_change_request_approve(by=sup_central, request_id=proposal.pk)
    assert User.objects.get(pk=op_hanoi.pk).is_active


@pytest.mark.django_db
def test_it_saves_the_account_so_that_open_sockets_hear_of_the_change(
    administrator, sup_central, op_hue
):
    saved = []
    post_save.connect(
        lambda sender, instance, **kwargs: saved.append(instance.pk),
        sender=User,
        weak=False,
        dispatch_uid="test-approval-saves",
    )
    try:
        staff_change_request_approve(by=sup_central, request_id=promote_op_hue(administrator).pk)
    finally:
        post_save.disconnect(sender=User, dispatch_uid="test-approval-saves")
    assert op_hue.pk in saved


# -- nobody about themselves ---------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_proposal_about_the_proposers_own_account(client, administrator):
    staff_login(client, administrator)
    response = client.post(
        reverse("admin:helpline_staffchangerequest_add"),
        {
            "kind": StaffChangeKind.CHANGE_SCOPE,
            "target": administrator.pk,
            "role": Role.SUPERVISOR,
            "hotline": "00",
        },
    )
    assert response.status_code == 200
    assert not StaffChangeRequest.objects.exists()
    with pytest.raises(ValidationError, match="chính mình"):
        staff_change_request_propose(
            by=administrator,
            kind=StaffChangeKind.CHANGE_SCOPE,
            target_id=administrator.pk,
            role=Role.SUPERVISOR,
            hotline_code="00",
        )
    assert not StaffChangeRequest.objects.exists()


@pytest.mark.django_db
def test_it_refuses_in_the_database_a_request_about_its_proposer(administrator):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffChangeRequest.objects.create(
            kind=StaffChangeKind.REACTIVATE, target=administrator, proposed_by=administrator
        )


@pytest.mark.django_db
def test_it_refuses_a_central_supervisor_deciding_about_their_own_account(
    client, administrator, sup_central, sup_central_2
):
    demotion = staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CHANGE_SCOPE,
        target_id=sup_central.pk,
        role=Role.OPERATOR,
        hotline_code="00",
    )
    for decision in ("approve", "reject"):
        page = decide(client, sup_central, demotion, decision).content.decode()
        assert "Không ai được quyết định yêu cầu về tài khoản của chính mình." in page
    assert StaffChangeRequest.objects.get(pk=demotion.pk).state == StaffChangeState.PENDING
    staff_change_request_approve(by=sup_central_2, request_id=demotion.pk)
    assert User.objects.get(pk=sup_central.pk).role == Role.OPERATOR


@pytest.mark.django_db
def test_it_never_lets_the_proposer_approve(sup_central, sup_central_2, op_hue):
    # Even a central supervisor given the right to propose cannot approve their own proposal.
    sup_central.user_permissions.add(Permission.objects.get(codename="add_staffchangerequest"))
    proposer = User.objects.select_related("hotline").get(pk=sup_central.pk)
    proposal = promote_op_hue(proposer)
    with pytest.raises(ValidationError, match="Người đề xuất không thể tự duyệt"):
        staff_change_request_approve(by=proposer, request_id=proposal.pk)
    assert not User.objects.select_related("hotline").get(pk=op_hue.pk).is_central_supervisor
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffChangeRequest.objects.filter(pk=proposal.pk).update(
            state=StaffChangeState.APPROVED, decided_by=proposer, decided_at=proposal.proposed_at
        )
    staff_change_request_approve(by=sup_central_2, request_id=proposal.pk)
    assert User.objects.select_related("hotline").get(pk=op_hue.pk).is_central_supervisor


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["op_hanoi", "sup_hanoi", "liaison_a05"])
def test_it_lets_only_administrators_propose(request, who, op_hue):
    with pytest.raises(PermissionDenied):
        promote_op_hue(request.getfixturevalue(who))
    assert not StaffChangeRequest.objects.exists()


# -- decided exactly once ------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_second_decision_on_the_same_request(
    client, administrator, sup_central, sup_central_2
):
    proposal = promote_op_hue(administrator)
    staff_change_request_approve(by=sup_central, request_id=proposal.pk)
    page = decide(client, sup_central_2, proposal, "reject").content.decode()
    assert ALREADY_DECIDED in page
    with pytest.raises(ValidationError, match=ALREADY_DECIDED):
        staff_change_request_approve(by=sup_central_2, request_id=proposal.pk)
    proposal = StaffChangeRequest.objects.get(pk=proposal.pk)
    assert (proposal.state, proposal.decided_by) == (StaffChangeState.APPROVED, sup_central)


@pytest.mark.django_db(transaction=True)
def test_it_gives_one_of_two_racing_approvers_the_decision(
    reference_data, administrator, sup_central, sup_central_2
):
    proposal = promote_op_hue(administrator)
    barrier = threading.Barrier(2)
    outcomes = {}

    def approve(user):
        try:
            barrier.wait()
            staff_change_request_approve(by=user, request_id=proposal.pk)
            outcomes[user.username] = "approved"
        except ValidationError as error:
            outcomes[user.username] = error.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(user,)) for user in (sup_central, sup_central_2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == sorted(["approved", ALREADY_DECIDED])
    winner = next(name for name, outcome in outcomes.items() if outcome == "approved")
    proposal = StaffChangeRequest.objects.get(pk=proposal.pk)
    assert proposal.decided_by.username == winner
    assert User.objects.select_related("hotline").get(username="op_hue").is_central_supervisor


@pytest.mark.django_db
def test_it_refuses_to_apply_a_change_to_an_account_that_moved_since_the_proposal(
    client, administrator, sup_central, op_hue
):
    proposal = promote_op_hue(administrator)
    # Whoever runs the server moved the account meanwhile.
    staff_change_scope(user_id=op_hue.pk, role=Role.OPERATOR, hotline_code="01")
    page = decide(client, sup_central, proposal).content.decode()
    assert "Tài khoản đã thay đổi từ khi có đề xuất này." in page
    assert StaffChangeRequest.objects.get(pk=proposal.pk).state == StaffChangeState.PENDING
    assert User.objects.get(pk=op_hue.pk).hotline.code == "01"


@pytest.mark.django_db
def test_it_keeps_one_pending_request_per_account(administrator, op_hue):
    promote_op_hue(administrator)
    with pytest.raises(ValidationError, match="đang chờ duyệt"):
        staff_change_request_propose(
            by=administrator,
            kind=StaffChangeKind.CHANGE_SCOPE,
            target_id=op_hue.pk,
            role=Role.OPERATOR,
            hotline_code="01",
        )
    assert StaffChangeRequest.objects.count() == 1


# -- the record cannot be rewritten --------------------------------------------


@pytest.mark.django_db
def test_it_never_edits_or_deletes_a_proposal(client, administrator, op_hue):
    proposal = promote_op_hue(administrator)
    staff_login(client, administrator)
    change = reverse("admin:helpline_staffchangerequest_change", args=[proposal.pk])
    assert client.get(change).status_code == 200  # read-only
    response = client.post(change, {"kind": StaffChangeKind.CHANGE_SCOPE, "role": "liaison"})
    assert response.status_code == 403
    delete = reverse("admin:helpline_staffchangerequest_delete", args=[proposal.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    proposal = StaffChangeRequest.objects.get(pk=proposal.pk)
    proposal.role = Role.LIAISON
    with pytest.raises(ValidationError):
        proposal.save()
    with pytest.raises(ValidationError):
        proposal.delete()
    assert StaffChangeRequest.objects.get(pk=proposal.pk).role == Role.SUPERVISOR


# -- the approval page -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["op_hanoi", "op_central", "sup_hanoi", "liaison_a05", "administrator"]
)
def test_it_answers_403_on_the_approval_page_to_everyone_but_central_supervisors(
    request, client, administrator, op_hue, who
):
    proposal = promote_op_hue(administrator)
    staff_login(client, request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, {"request_id": proposal.pk, "decision": "approve"})
    assert response.status_code == 403
    assert StaffChangeRequest.objects.get(pk=proposal.pk).state == StaffChangeState.PENDING
    assert not User.objects.select_related("hotline").get(pk=op_hue.pk).is_central_supervisor


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_of_the_approval_page_to_the_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_it_shows_central_supervisors_the_pending_requests_in_vietnamese_first(
    administrator, sup_central, op_hue
):
    proposal = promote_op_hue(administrator)
    client = Client()
    staff_login(client, sup_central)
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Duyệt thay đổi nhân sự" in page
    assert f'id="request-{proposal.pk}"' in page
    assert "Tư vấn viên · 46" in page
    assert "Giám sát viên · 00" in page
    client.post("/i18n/setlang/", {"language": "en", "next": PAGE})
    page = client.get(PAGE).content.decode()
    assert "Staff changes to approve" in page
    assert "Counsellor · 46" in page


@pytest.mark.django_db
def test_it_offers_no_buttons_on_a_request_about_the_reader(client, administrator, sup_central):
    staff_change_request_propose(
        by=administrator,
        kind=StaffChangeKind.CHANGE_SCOPE,
        target_id=sup_central.pk,
        role=Role.OPERATOR,
        hotline_code="00",
    )
    staff_login(client, sup_central)
    page = client.get(PAGE).content.decode()
    assert "Về tài khoản của bạn: người khác sẽ quyết định." in page
    assert 'value="approve"' not in page


@pytest.mark.django_db
def test_it_lists_proposals_in_the_admin_with_vietnamese_headers_and_role_codes(
    client, administrator, op_hue
):
    promote_op_hue(administrator)
    staff_login(client, administrator)
    page = client.get(reverse("admin:helpline_staffchangerequest_changelist")).content.decode()
    assert "Trước thay đổi" in page
    assert "Tư vấn viên · 46" in page
    assert "Giám sát viên · 00" in page
    assert "Before summary" not in page
