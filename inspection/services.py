"""Break-glass access to one case, and the data-breach register.

Each function checks the person again as the database knows them now, runs in
one transaction, writes its record (and the case's timeline through
cases.audit) beside the change, and alerts only after the commit.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from cases.audit import case_event_record
from cases.models import BreakGlassGrant, BreakGlassReason, Case, CaseEvent
from cases.selectors import cases_visible_to
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group
from helpline.models import Role, User
from inspection.models import BreachDataKind, BreachReport

logger = logging.getLogger(__name__)

NOTE_MAX = 300


def _current(user, check: str) -> User:
    """The person as the database knows them now, if the named role check holds."""
    current = User.objects.select_related("hotline").filter(pk=user.pk).first()
    if current is None or not getattr(current, check, False):
        raise PermissionDenied
    return current


# --- break-glass -------------------------------------------------------------------------------


def _link(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _break_glass_alert(grant: BreakGlassGrant) -> None:
    """Tell the inspectors and the case's own supervisors: by e-mail (reference and link, never
    content or names of young people) and on the supervisors' consoles."""
    case = grant.case
    supervisors = User.objects.filter(
        is_active=True, role=Role.SUPERVISOR, hotline_id=case.hotline_id
    ).exclude(pk=grant.user_id)
    inspectors = User.objects.filter(is_active=True, role=Role.INSPECTOR)
    frame = {
        "type": "break_glass",
        "case": case.pk,
        "reference": case.reference,
        "by": grant.user.username,
        "reason": grant.reason,
        "expires_at": grant.expires_at.isoformat(),
    }
    for supervisor_id in supervisors.values_list("pk", flat=True):
        broadcast_on_commit(staff_group(supervisor_id), {"type": "console.push", "frame": frame})
    mails = [
        (list(inspectors), reverse("inspection:break_glass_detail", args=[grant.pk])),
        (list(supervisors), reverse("cases:detail", args=[case.pk])),
    ]
    for people, path in mails:
        recipients = [person.email for person in people if person.email]
        if recipients:
            transaction.on_commit(lambda r=recipients, p=path: _break_glass_mail(grant, r, p))


def _break_glass_mail(grant: BreakGlassGrant, recipients: list[str], path: str) -> None:
    # Staff read these in Vietnamese first, like every notice the helpline sends.
    with override(settings.LANGUAGE_CODE):
        subject = _("[Tổng đài] Mở quyền xem khẩn cấp hồ sơ %(ref)s") % {
            "ref": grant.case.reference
        }
        body = _(
            "%(user)s đã mở quyền xem khẩn cấp hồ sơ %(ref)s (tổng đài %(hotline)s).\n"
            "Lý do: %(reason)s\nTừ %(opened)s đến %(expires)s\nXem: %(link)s\n"
        ) % {
            "user": grant.user.username,
            "ref": grant.case.reference,
            "hotline": grant.case.hotline.code,
            "reason": BreakGlassReason(grant.reason).label,
            "opened": _local(grant.opened_at),
            "expires": _local(grant.expires_at),
            "link": _link(path),
        }
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
    except Exception as error:
        # The grant stands and is in the inspectors' trail; the class only, never the addresses.
        logger.error("break-glass alert not sent: %s", type(error).__name__)


@transaction.atomic
def break_glass_open(
    *, user, case_reference: str, reason: str, note: str = "", at: datetime.datetime | None = None
) -> BreakGlassGrant:
    """Give a supervisor BREAK_GLASS_MINUTES of access to one case outside their hotline.

    The case is found by its reference among all cases: that is the exception
    this is for, and why each one is on the case's timeline, in the inspectors'
    trail, and alerts the inspectors and the case's own supervisors. A case
    already in the person's scope, or one they already hold a running grant
    on, gets no new grant.
    """
    user = _current(user, "is_supervisor")
    at = at or timezone.now()
    if reason not in BreakGlassReason.values:
        raise ValidationError(_("Lý do không hợp lệ."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Giải thích tối đa %(n)s ký tự.") % {"n": NOTE_MAX})
    if reason == BreakGlassReason.OTHER and not note:
        raise ValidationError(_("Hãy giải thích lý do."))
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("hotline")
        .filter(reference__iexact=(case_reference or "").strip())
        .first()
    )
    if case is None:
        raise ValidationError(_("Không có hồ sơ mang mã này."))
    running = BreakGlassGrant.objects.filter(user=user, case=case, expires_at__gt=at).first()
    if running is not None:
        return running
    if cases_visible_to(user=user, at=at).filter(pk=case.pk).exists():
        raise ValidationError(_("Hồ sơ này đã thuộc phạm vi của bạn: hãy mở nó như bình thường."))
    grant = BreakGlassGrant.objects.create(
        user=user,
        case=case,
        reason=reason,
        note=note,
        opened_at=at,
        expires_at=at + datetime.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    case_event_record(
        case=case,
        actor=user,
        action=CaseEvent.Action.BREAK_GLASS_OPENED,
        at=at,
        grant=grant.pk,
        reason=reason,
        minutes=settings.BREAK_GLASS_MINUTES,
    )
    _break_glass_alert(grant)
    return grant


# --- the data-breach register ------------------------------------------------------------------


def _kinds_checked(data_kinds) -> list[str]:
    kinds = list(dict.fromkeys(data_kinds or []))
    if not kinds or not all(kind in BreachDataKind.values for kind in kinds):
        raise ValidationError(_("Hãy chọn các loại dữ liệu liên quan."))
    return kinds


@transaction.atomic
def breach_record(
    *,
    user,
    description: str,
    discovered_at: datetime.datetime,
    data_kinds,
    people_affected: int | None,
    at: datetime.datetime | None = None,
) -> BreachReport:
    """Record a suspected breach; its 72-hour clock runs from the moment it was discovered."""
    user = _current(user, "is_inspector")
    at = at or timezone.now()
    description = (description or "").strip()
    if not description or len(description) > 500:
        raise ValidationError(_("Hãy mô tả ngắn gọn sự cố (tối đa 500 ký tự)."))
    if discovered_at > at:
        raise ValidationError(_("Thời điểm phát hiện không thể ở tương lai."))
    if people_affected is not None and people_affected < 0:
        raise ValidationError(_("Số người bị ảnh hưởng không hợp lệ."))
    return BreachReport.objects.create(
        description=description,
        discovered_at=discovered_at,
        data_kinds=_kinds_checked(data_kinds),
        people_affected=people_affected,
        recorded_by=user,
        recorded_at=at,
    )


@transaction.atomic
def breach_notification_record(
    *,
    user,
    breach_id: int,
    notified_at: datetime.datetime,
    authority: str,
    reference: str,
    at: datetime.datetime | None = None,
) -> BreachReport:
    """Record that the authority was notified (who, when, its reference); this stops the clock.

    Recorded once: a second notification is a new record's business.
    """
    user = _current(user, "is_inspector")
    at = at or timezone.now()
    breach = BreachReport.objects.select_for_update().filter(pk=breach_id).first()
    if breach is None:
        raise ValidationError(_("Không có sự cố này."))
    if breach.notified_at is not None:
        raise ValidationError(_("Sự cố này đã được ghi nhận là đã thông báo."))
    authority, reference = (authority or "").strip(), (reference or "").strip()
    if not authority or not reference:
        raise ValidationError(_("Hãy ghi cơ quan nhận thông báo và số hiệu thông báo."))
    if not breach.discovered_at <= notified_at <= at:
        raise ValidationError(_("Thời điểm thông báo phải sau lúc phát hiện và không ở tương lai."))
    breach.notified_at, breach.notified_by = notified_at, user
    breach.notification_authority = authority[:200]
    breach.notification_reference = reference[:60]
    breach.save(
        update_fields=[
            "notified_at",
            "notified_by",
            "notification_authority",
            "notification_reference",
        ]
    )
    return breach
