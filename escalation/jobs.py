"""Timed work on escalations, run by `manage.py run_worker`.

Each job finds what is due by comparing deadlines with the `now` it is given,
and records what it sent in EscalationNotice (unique per escalation, kind and
deadline) in the same transaction as the sending. A notice already recorded is
never sent again, so a restart or a second worker changes nothing. If the
process dies after the mail left but before the commit, that one notice goes
out again on the next round: a duplicate reminder is better than a lost one.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import case_event_record
from cases.models import CaseEvent
from escalation.models import Escalation, EscalationNotice, EscalationState, Urgency
from escalation.services import escalation_broadcast
from helpline.models import Role, User

BATCH = 200


def _not_yet(kind: str, about_field: str):
    return ~Exists(
        EscalationNotice.objects.filter(
            escalation=OuterRef("pk"), kind=kind, about=OuterRef(about_field)
        )
    )


def _claim(escalation: Escalation, *, kind: str, about: datetime.datetime, now) -> bool:
    """Record the notice; False if an earlier round or another worker already did."""
    try:
        with transaction.atomic():
            EscalationNotice.objects.create(
                escalation=escalation, kind=kind, about=about, sent_at=now
            )
    except IntegrityError:
        return False
    return True


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _link(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def case_supervisors(escalation: Escalation) -> list[User]:
    """The supervisors of the case's hotline, or the central ones if it has none."""
    active = User.objects.filter(is_active=True, role=Role.SUPERVISOR)
    own = list(active.filter(hotline_id=escalation.case.hotline_id))
    return own or list(active.filter(hotline__is_central=True))


def notify_acknowledgement_overdue(*, now: datetime.datetime) -> int:
    """Tell the case's supervisors, by console and e-mail, when an agency let the deadline pass."""
    due = (
        Escalation.objects.filter(state=EscalationState.SENT, acknowledge_by__lte=now)
        .filter(_not_yet(EscalationNotice.Kind.ACKNOWLEDGEMENT_OVERDUE, "acknowledge_by"))
        .order_by("acknowledge_by")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(_notify_overdue(pk, now=now) for pk in list(due))


@transaction.atomic
def _notify_overdue(escalation_id: int, *, now: datetime.datetime) -> bool:
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("case", "agency")
        .filter(pk=escalation_id, state=EscalationState.SENT, acknowledge_by__lte=now)
        .first()
    )
    if escalation is None or not _claim(
        escalation,
        kind=EscalationNotice.Kind.ACKNOWLEDGEMENT_OVERDUE,
        about=escalation.acknowledge_by,
        now=now,
    ):
        return False
    supervisors = case_supervisors(escalation)
    notice = _("%(agency)s chưa tiếp nhận yêu cầu chuyển tuyến đúng hạn.") % {
        "agency": escalation.agency.name
    }
    recipients = [user.email for user in supervisors if user.email]
    if recipients:
        # Names and content stay out of mail: the reference and a link are enough.
        send_mail(
            subject=_("[Tổng đài] Quá hạn tiếp nhận: hồ sơ %(ref)s")
            % {"ref": escalation.case.reference},
            message=_(
                "%(notice)s\n\nHồ sơ: %(ref)s\nYêu cầu: #%(id)s\nHạn tiếp nhận: %(deadline)s\n"
                "Xem: %(link)s\n"
            )
            % {
                "notice": notice,
                "ref": escalation.case.reference,
                "id": escalation.pk,
                "deadline": _local(escalation.acknowledge_by),
                "link": _link(reverse("escalations:detail", args=[escalation.pk])),
            },
            from_email=None,
            recipient_list=recipients,
        )
    case_event_record(
        case_id=escalation.case_id,
        actor=None,
        action=CaseEvent.Action.ESCALATION,
        escalation=escalation.pk,
        notice="ack_overdue",
        at=now,
    )
    escalation_broadcast(
        escalation,
        notice=notice,
        code="ack_overdue",
        staff_ids=[user.pk for user in supervisors],
    )
    return True


def email_agency_immediate(*, now: datetime.datetime) -> int:
    """E-mail the agency once for every immediate escalation sent (or sent again) to it."""
    due = (
        Escalation.objects.filter(
            urgency=Urgency.IMMEDIATE, state=EscalationState.SENT, sent_at__lte=now
        )
        .exclude(Q(agency__notification_email="") | Q(access_revoked_at__isnull=False))
        .filter(_not_yet(EscalationNotice.Kind.AGENCY_IMMEDIATE, "sent_at"))
        .order_by("sent_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(_email_agency(pk, now=now) for pk in list(due))


@transaction.atomic
def _email_agency(escalation_id: int, *, now: datetime.datetime) -> bool:
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("agency")
        .filter(pk=escalation_id, state=EscalationState.SENT, urgency=Urgency.IMMEDIATE)
        .first()
    )
    if escalation is None or not _claim(
        escalation, kind=EscalationNotice.Kind.AGENCY_IMMEDIATE, about=escalation.sent_at, now=now
    ):
        return False
    send_mail(
        subject=_("[Tổng đài] Yêu cầu chuyển tuyến khẩn cấp #%(id)s") % {"id": escalation.pk},
        message=_(
            "Tổng đài hỗ trợ và ứng cứu thanh thiếu nhi trên không gian mạng vừa gửi tới "
            "%(agency)s một yêu cầu chuyển tuyến khẩn cấp.\n\nYêu cầu: #%(id)s (%(type)s)\n"
            "Hạn tiếp nhận: %(deadline)s\nĐăng nhập để xem: %(link)s\n\n"
            "Thư này không chứa nội dung hồ sơ."
        )
        % {
            "agency": escalation.agency.name,
            "id": escalation.pk,
            "type": escalation.get_type_display(),
            "deadline": _local(escalation.acknowledge_by),
            "link": _link(reverse("liaison:detail", args=[escalation.pk])),
        },
        from_email=None,
        recipient_list=[escalation.agency.notification_email],
    )
    return True


JOBS = [notify_acknowledgement_overdue, email_agency_immediate]
