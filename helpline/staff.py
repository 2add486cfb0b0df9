"""Changes to hotlines and staff."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from escalation.models import Agency
from helpline.models import Hotline, Role, User

ADMINISTRATORS_GROUP = "administrators"

# Exactly what the admin pages need: hotlines and their opening hours, the staff
# list, categories, agencies, and call routing and the number-reveal log. Nothing
# that holds case content is registered in the admin, so nothing here can read it.
ADMINISTRATOR_PERMISSIONS = {
    "helpline": ["view_hotline", "change_hotline", "view_user", "change_user"],
    "cases": ["view_category", "change_category"],
    "escalation": ["view_agency", "add_agency", "change_agency"],
    "telephony": ["view_operatorendpoint", "view_phonereveal"],
}


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
