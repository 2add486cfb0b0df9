"""Changes to hotlines and staff."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from escalation.models import Agency
from helpline.models import Hotline, Role, User


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
    if role not in Role.values:
        raise ValidationError(_("Vai trò không hợp lệ: %(role)s") % {"role": role})
    hotline = agency = None
    if role in (Role.OPERATOR, Role.SUPERVISOR):
        if not hotline_code or agency_code:
            raise ValidationError(_("Tư vấn viên và giám sát viên cần đúng một tổng đài."))
        hotline = Hotline.objects.filter(code=hotline_code).first()
        if hotline is None:
            raise ValidationError(_("Không có tổng đài mã %(code)s.") % {"code": hotline_code})
    elif role == Role.LIAISON:
        if not agency_code or hotline_code:
            raise ValidationError(_("Cán bộ liên lạc cần đúng một cơ quan."))
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise ValidationError(_("Không có cơ quan mã %(code)s.") % {"code": agency_code})
    elif hotline_code or agency_code:
        raise ValidationError(_("Quản trị viên không thuộc tổng đài hay cơ quan nào."))
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
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
    )
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            validate_password(password, user)
        user.set_password(password)
    user.save()
    if agency is not None:
        user.groups.add(agency.group)
    return user
