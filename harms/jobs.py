"""Timed work for the worker (manage.py run_worker): re-check reminders, upload limits, matches.

Each reminder is recorded in TakedownNotice (unique per request, kind and
deadline) in the transaction that sends it, so a restart or a second worker
never sends it twice.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.audit import case_event_record
from cases.models import CaseEvent
from harms.matches import refresh_harm_matches
from harms.models import WAITING_STATES, TakedownNotice, TakedownRequest, UploadAttempt
from harms.takedowns import takedown_push

RECHECK = "recheck"
BATCH = 200


def remind_takedown_recheck(*, now: datetime.datetime) -> int:
    """Past a channel's deadline, remind the person who sent the request to look again."""
    due = (
        TakedownRequest.objects.filter(state__in=WAITING_STATES, due_at__lte=now)
        .filter(
            ~Exists(
                TakedownNotice.objects.filter(
                    takedown=OuterRef("pk"), kind=RECHECK, about=OuterRef("due_at")
                )
            )
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(_remind(pk, now=now) for pk in list(due))


@transaction.atomic
def _remind(takedown_id: int, *, now: datetime.datetime) -> bool:
    takedown = (
        TakedownRequest.objects.select_for_update(of=("self",))
        .select_related("item__case", "channel", "sent_by")
        .get(pk=takedown_id)
    )
    if takedown.state not in WAITING_STATES:
        return False
    try:
        with transaction.atomic():
            TakedownNotice.objects.create(
                takedown=takedown, kind=RECHECK, about=takedown.due_at, sent_at=now
            )
    except IntegrityError:
        return False
    case = takedown.item.case
    case_event_record(
        case_id=case.pk,
        actor=None,
        action=CaseEvent.Action.TAKEDOWN,
        takedown=takedown.pk,
        item=takedown.item_id,
        notice="recheck_due",
        at=now,
    )
    takedown_push(takedown, name=RECHECK, user_ids=[takedown.sent_by_id])
    sender = takedown.sent_by
    if sender is not None and sender.email:
        link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("cases:detail", args=[case.pk])
        # A reference and a link only: never the URL, the handle or anything of the case.
        send_mail(
            _("Nhắc kiểm tra yêu cầu gỡ bỏ, hồ sơ %(ref)s") % {"ref": case.reference},
            _(
                "Yêu cầu gỡ bỏ #%(id)s đã quá thời hạn phản hồi của kênh. Hãy kiểm tra xem nội "
                "dung còn trên mạng không và ghi lại kết quả: %(link)s"
            )
            % {"id": takedown.pk, "link": link},
            settings.DEFAULT_FROM_EMAIL,
            [sender.email],
        )
    return True


def forget_old_upload_attempts(*, now: datetime.datetime) -> int:
    """The keyed hashes of chat uploads older than the limit looks at (an hour)."""
    cutoff = now - datetime.timedelta(hours=1)
    deleted, _detail = UploadAttempt.objects.filter(at__lte=cutoff).delete()
    return deleted


JOBS = [remind_takedown_recheck, forget_old_upload_attempts, refresh_harm_matches]
