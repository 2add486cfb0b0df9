"""Changes to staff accounts, and the two-person rule that guards who may read cases.

Whoever operates the server creates the first accounts with `manage.py
create_staff`. After that, every change that could give someone access (a new
account, another role or scope, a reactivation) is proposed by an administrator
as a StaffChangeRequest and applied only when a central supervisor, a second
person who is neither the proposer nor the account concerned, approves it. So no
single person can make themselves, or a friend, a reader of cases.
"""

import datetime

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from escalation.models import Agency
from helpline.models import (
    Hotline,
    Role,
    StaffChangeKind,
    StaffChangeRequest,
    StaffChangeState,
    User,
)
from helpline.staff_selectors import staff_change_request_get_for_user

ADMINISTRATORS_GROUP = "administrators"

# Exactly what the admin pages need: hotlines and their opening hours, the staff
# list (names, e-mail, deactivation), proposals of staff changes, categories,
# agencies, platforms and takedown channels, and the read-only call routing and
# number-reveal log. Nothing that
# holds case content is registered in the admin, so nothing here can read it.
ADMINISTRATOR_PERMISSIONS = {
    "helpline": [
        "view_hotline",
        "change_hotline",
        "view_user",
        "change_user",
        "view_staffchangerequest",
        "add_staffchangerequest",
    ],
    "cases": ["view_category", "change_category"],
    "escalation": ["view_agency", "add_agency", "change_agency"],
    "telephony": ["view_operatorendpoint", "view_phonereveal"],
    "harms": [
        "view_platform",
        "add_platform",
        "change_platform",
        "view_takedownchannel",
        "add_takedownchannel",
        "change_takedownchannel",
    ],
    "connectors": [
        "view_embedorigin",
        "add_embedorigin",
        "change_embedorigin",
        "view_platformaccount",
        "change_platformaccount",
    ],
}

PROPOSE_PERMISSION = "helpline.add_staffchangerequest"


def administrators_group_sync() -> Group:
    """Return the administrators' group, holding exactly ADMINISTRATOR_PERMISSIONS.

    Run after every migrate too, so a permission added or removed above reaches
    every administrator without a hand-made change.
    """
    group, _created = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    wanted = Q(pk__in=[])
    for app_label, codenames in ADMINISTRATOR_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def _scope_resolve(
    *, role: str, hotline_code: str | None, agency_code: str | None
) -> tuple[Hotline | None, Agency | None]:
    """Return the hotline and agency a role needs, or raise ValidationError."""
    if role not in Role.values:
        raise ValidationError(_("Vai trò không hợp lệ: %(role)s") % {"role": role})
    if role in (Role.OPERATOR, Role.SUPERVISOR):
        if not hotline_code or agency_code:
            raise ValidationError(_("Tư vấn viên và giám sát viên cần đúng một tổng đài."))
        hotline = Hotline.objects.filter(code=hotline_code).first()
        if hotline is None:
            raise ValidationError(_("Không có tổng đài mã %(code)s.") % {"code": hotline_code})
        return hotline, None
    if role == Role.LIAISON:
        if not agency_code or hotline_code:
            raise ValidationError(_("Cán bộ liên lạc cần đúng một cơ quan."))
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise ValidationError(_("Không có cơ quan mã %(code)s.") % {"code": agency_code})
        return None, agency
    if hotline_code or agency_code:
        raise ValidationError(_("Quản trị viên không thuộc tổng đài hay cơ quan nào."))
    return None, None


def _access_flags_set(user: User) -> None:
    """Derive the admin flags from the role: nobody is a superuser.

    Administrators reach /admin/ through is_staff and their group's permissions.
    """
    user.is_staff = user.role == Role.ADMINISTRATOR
    user.is_superuser = False


def _groups_set(user: User) -> None:
    """Derive the groups from the role and scope, and from nothing else.

    A liaison's group is their agency's: it is what gives them the escalations
    sent to that agency.
    """
    groups = []
    if user.agency_id is not None:
        groups.append(user.agency.group)
    if user.role == Role.ADMINISTRATOR:
        groups.append(administrators_group_sync())
    user.groups.set(groups)


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: str,
    password: str | None,
    hotline_code: str | None = None,
    agency_code: str | None = None,
    full_name: str = "",
    email: str = "",
    validate: bool = True,
) -> User:
    """Create a member of staff with one role and the scope that role needs.

    A password of None leaves the account unusable until a password is set.
    """
    hotline, agency = _scope_resolve(role=role, hotline_code=hotline_code, agency_code=agency_code)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("Tên đăng nhập %(name)s đã tồn tại.") % {"name": username})
    first, _sep, last = full_name.rpartition(" ")
    user = User(
        username=username,
        role=role,
        hotline=hotline,
        agency=agency,
        first_name=first,
        last_name=last,
        email=email,
    )
    _access_flags_set(user)
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            validate_password(password, user)
        user.set_password(password)
    user.save()
    _groups_set(user)
    return user


@transaction.atomic
def staff_change_scope(
    *, user_id: int, role: str, hotline_code: str | None = None, agency_code: str | None = None
) -> User:
    """Give an existing account another role or scope, with the groups and flags that follow.

    Saved with user.save(), so receivers of post_save (open sockets re-checking
    their user) hear of it.
    """
    user = User.objects.select_for_update().get(pk=user_id)
    hotline, agency = _scope_resolve(role=role, hotline_code=hotline_code, agency_code=agency_code)
    user.role, user.hotline, user.agency = role, hotline, agency
    _access_flags_set(user)
    _groups_set(user)
    user.save()
    return user


@transaction.atomic
def staff_email_change(*, user_id: int, email: str) -> User:
    """Give an account another e-mail address, where its password-reset links will go."""
    user = User.objects.select_for_update().get(pk=user_id)
    user.email = email
    user.save(update_fields=["email"])
    return user


@transaction.atomic
def staff_reactivate(*, user_id: int) -> User:
    """Let a deactivated account log in again, with the role and scope it had."""
    user = User.objects.select_for_update().get(pk=user_id)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


# -- the two-person rule -----------------------------------------------------


def _scope_codes(user: User) -> tuple[str, str, str]:
    return (
        user.role,
        user.hotline.code if user.hotline_id else "",
        user.agency.code if user.agency_id else "",
    )


def staff_change_request_build(
    *,
    by: User,
    kind: str,
    target_id: int | None = None,
    username: str = "",
    full_name: str = "",
    email: str = "",
    role: str = "",
    hotline_code: str = "",
    agency_code: str = "",
    reason: str = "",
) -> StaffChangeRequest:
    """Check a proposal and return it unsaved, or raise ValidationError.

    The admin's form calls this to show mistakes beside the fields;
    staff_change_request_propose calls it again inside its transaction.
    """
    if not (by.is_active and by.has_perm(PROPOSE_PERMISSION)):
        raise PermissionDenied
    proposal = StaffChangeRequest(kind=kind, proposed_by=by, reason=reason)
    if kind == StaffChangeKind.CREATE:
        _check_new_account(username=username, email=email)
        _scope_resolve(role=role, hotline_code=hotline_code, agency_code=agency_code)
        proposal.username, proposal.full_name, proposal.email = username, full_name, email
    elif kind in (StaffChangeKind.CHANGE_SCOPE, StaffChangeKind.REACTIVATE):
        target = _target_for_proposal(by=by, target_id=target_id)
        before = _scope_codes(target)
        if kind == StaffChangeKind.CHANGE_SCOPE:
            _scope_resolve(role=role, hotline_code=hotline_code, agency_code=agency_code)
            if (role, hotline_code, agency_code) == before:
                raise ValidationError(_("Tài khoản này đã có đúng vai trò và phạm vi đó."))
        else:
            if target.is_active:
                raise ValidationError(_("Tài khoản này đang hoạt động."))
            role, hotline_code, agency_code = before
        proposal.target = target
        proposal.before_role, proposal.before_hotline_code, proposal.before_agency_code = before
    elif kind == StaffChangeKind.CHANGE_EMAIL:
        target = _target_for_proposal(by=by, target_id=target_id)
        _check_new_email(target=target, email=email)
        proposal.target, proposal.email, proposal.before_email = target, email, target.email
        return proposal
    else:
        raise ValidationError(_("Loại thay đổi không hợp lệ."))
    proposal.role, proposal.hotline_code, proposal.agency_code = role, hotline_code, agency_code
    return proposal


def _check_new_account(*, username: str, email: str) -> None:
    if not username:
        raise ValidationError(_("Cần tên đăng nhập cho tài khoản mới."))
    User.username_validator(username)
    if email:
        validate_email(email)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("Tên đăng nhập %(name)s đã tồn tại.") % {"name": username})
    if StaffChangeRequest.objects.filter(
        kind=StaffChangeKind.CREATE, username=username, state=StaffChangeState.PENDING
    ).exists():
        raise ValidationError(_("Đã có một yêu cầu đang chờ duyệt cho tên đăng nhập này."))


def _check_new_email(*, target: User, email: str) -> None:
    if not email:
        raise ValidationError(_("Cần email mới."))
    validate_email(email)
    if email.lower() == (target.email or "").lower():
        raise ValidationError(_("Tài khoản này đã có email đó."))


def _target_for_proposal(*, by: User, target_id: int | None) -> User:
    if target_id is None:
        raise ValidationError(_("Cần chọn tài khoản cần thay đổi."))
    if target_id == by.pk:
        raise ValidationError(_("Không ai được đề xuất thay đổi tài khoản của chính mình."))
    target = User.objects.select_related("hotline", "agency").filter(pk=target_id).first()
    if target is None:
        raise ValidationError(_("Không có tài khoản này."))
    if StaffChangeRequest.objects.filter(target=target, state=StaffChangeState.PENDING).exists():
        raise ValidationError(_("Tài khoản này đã có một yêu cầu đang chờ duyệt."))
    return target


@transaction.atomic
def staff_change_request_propose(*, by: User, **proposal_fields) -> StaffChangeRequest:
    """Record a proposed staff change; nothing changes until a central supervisor approves it."""
    proposal = staff_change_request_build(by=by, **proposal_fields)
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        # Another proposal for the same account or username got in first.
        raise ValidationError(_("Tài khoản này đã có một yêu cầu đang chờ duyệt.")) from None
    return proposal


def _decision_start(*, by: User, request_id: int) -> tuple[User, StaffChangeRequest]:
    """Lock a pending request that this person may decide, or raise.

    The decider is read again from the database: a supervisor deactivated or
    moved a moment ago decides nothing.
    """
    decider = User.objects.select_related("hotline").filter(pk=by.pk).first()
    if decider is None or not decider.is_central_supervisor:
        raise PermissionDenied
    proposal = staff_change_request_get_for_user(
        user=decider, request_id=request_id, for_update=True
    )
    if proposal.state != StaffChangeState.PENDING:
        raise ValidationError(_("Yêu cầu này đã được người khác quyết định."))
    if decider.pk == proposal.proposed_by_id:
        raise ValidationError(_("Người đề xuất không thể tự duyệt yêu cầu của mình."))
    if decider.pk == proposal.target_id:
        raise ValidationError(_("Không ai được quyết định yêu cầu về tài khoản của chính mình."))
    return decider, proposal


def _decision_save(proposal: StaffChangeRequest) -> None:
    try:
        proposal.save(update_fields=sorted(StaffChangeRequest.DECISION_FIELDS))
    except ConcurrentTransition:
        # Decided by someone else between the lock and the save (SQLite has no row locks).
        raise ValidationError(_("Yêu cầu này đã được người khác quyết định.")) from None


def _apply(proposal: StaffChangeRequest) -> User:
    """Make the approved change through the staff services; return the account."""
    if proposal.kind == StaffChangeKind.CREATE:
        # No password: the person sets one before the account can be used.
        return staff_create(
            username=proposal.username,
            role=proposal.role,
            password=None,
            hotline_code=proposal.hotline_code or None,
            agency_code=proposal.agency_code or None,
            full_name=proposal.full_name,
            email=proposal.email,
        )
    target = User.objects.select_for_update(of=("self",)).select_related("hotline", "agency")
    target = target.get(pk=proposal.target_id)
    if proposal.kind == StaffChangeKind.CHANGE_EMAIL:
        if target.email != proposal.before_email:
            raise ValidationError(
                _("Tài khoản đã thay đổi từ khi có đề xuất này. Hãy từ chối và đề xuất lại.")
            )
        return staff_email_change(user_id=target.pk, email=proposal.email)
    before = (proposal.before_role, proposal.before_hotline_code, proposal.before_agency_code)
    if _scope_codes(target) != before:
        raise ValidationError(
            _("Tài khoản đã thay đổi từ khi có đề xuất này. Hãy từ chối và đề xuất lại.")
        )
    if proposal.kind == StaffChangeKind.REACTIVATE:
        if target.is_active:
            raise ValidationError(_("Tài khoản này đang hoạt động."))
        return staff_reactivate(user_id=target.pk)
    return staff_change_scope(
        user_id=target.pk,
        role=proposal.role,
        hotline_code=proposal.hotline_code or None,
        agency_code=proposal.agency_code or None,
    )


@transaction.atomic
def staff_change_request_approve(
    *, by: User, request_id: int, at: datetime.datetime | None = None
) -> StaffChangeRequest:
    """Apply a pending staff change as a second person. Of two racing deciders, one wins."""
    decider, proposal = _decision_start(by=by, request_id=request_id)
    proposal.target = _apply(proposal)
    proposal.approve(by=decider, at=at or timezone.now())
    _decision_save(proposal)
    return proposal


@transaction.atomic
def staff_change_request_reject(
    *, by: User, request_id: int, at: datetime.datetime | None = None
) -> StaffChangeRequest:
    """Close a pending staff change without applying it."""
    decider, proposal = _decision_start(by=by, request_id=request_id)
    proposal.reject(by=decider, at=at or timezone.now())
    _decision_save(proposal)
    return proposal


@transaction.atomic
def hotline_wrap_up_grace_set(*, user, seconds: int) -> Hotline:
    """A supervisor sets how long their hotline's operators may leave a wrap-up undone."""
    if not getattr(user, "is_supervisor", False):
        raise ValidationError(_("Chỉ giám sát viên được đổi thiết lập của tổng đài."))
    if not 0 <= seconds <= 3600:
        raise ValidationError(_("Giá trị không hợp lệ."))
    hotline = Hotline.objects.select_for_update().get(pk=user.hotline_id)
    hotline.wrap_up_grace_seconds = seconds
    hotline.save(update_fields=["wrap_up_grace_seconds"])
    return hotline
