"""The audit trail as inspectors read it: one source per kind of record, never content.

Each source names its model, the time it is ordered and filtered by, where its
hotline, its actor and its action (a code) are, and the cells of a row: ids,
references, codes with their labels, staff usernames and times. No summary,
note, message, escalation text, phone number or disclosed value appears in any
cell; the tests compare every page and export against the content of a case.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import BreakGlassGrant, BreakGlassReason, CaseEvent
from escalation.models import DisclosureRecord, LegalBasis, SharedItem
from helpline.models import ConversationRead, MonitoringSession, StaffChangeKind, StaffChangeRequest
from reports.models import ReportEvent
from retention.models import (
    DeletionRequest,
    DeletionStatus,
    HoldReason,
    LegalHold,
    PurgeKind,
    PurgeRecord,
)
from telephony.models import CallbackEvent, PhoneReveal


def _when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _who(user) -> str:
    return user.username if user is not None else ""


def _label(choices, code: str) -> str:
    return f"{code} ({choices(code).label})" if code in choices.values else code


ITEM_LABELS = {"summary": _("Tóm tắt"), "message": _("Tin nhắn")}


def _items(codes) -> str:
    labels = []
    for code in codes or []:
        label = ITEM_LABELS.get(code) or (
            SharedItem(code).label if code in SharedItem.values else code
        )
        labels.append(str(label))
    return ", ".join(labels)


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    queryset: Callable[[], QuerySet]
    date_field: str
    columns: list
    row: Callable[[object], list]
    hotline_field: str | None = None
    actor_fields: tuple[str, ...] = ()
    action_field: str | None = None
    actions: list = field(default_factory=list)


def _case_events():
    return CaseEvent.objects.select_related("case", "case__hotline", "actor")


def _break_glass():
    # The reads and changes the supervisor made on the case while the grant ran.
    used = (
        CaseEvent.objects.filter(
            case_id=OuterRef("case_id"),
            actor_id=OuterRef("user_id"),
            at__gte=OuterRef("opened_at"),
            at__lt=OuterRef("expires_at"),
        )
        .exclude(action=CaseEvent.Action.BREAK_GLASS_OPENED)
        .order_by()
        .values("case_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return BreakGlassGrant.objects.select_related("case", "case__hotline", "user").annotate(
        events_during=Coalesce(Subquery(used), 0)
    )


SOURCES = [
    Source(
        key="case_events",
        title=_("Nhật ký hồ sơ: ai đọc, ai thay đổi"),
        queryset=_case_events,
        date_field="at",
        columns=[
            _("Thời điểm"),
            _("Người thực hiện"),
            _("Hồ sơ"),
            _("Tổng đài"),
            _("Hành động"),
            _("Trạng thái"),
            _("Chi tiết (mã)"),
        ],
        row=lambda e: [
            _when(e.at),
            _who(e.actor),
            e.case.reference,
            e.case.hotline.code,
            _label(CaseEvent.Action, e.action),
            f"{e.from_state}→{e.to_state}" if e.from_state or e.to_state else "",
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "",
        ],
        hotline_field="case__hotline__code",
        actor_fields=("actor_id",),
        action_field="action",
        actions=CaseEvent.Action.choices,
    ),
    Source(
        key="disclosures",
        title=_("Chia sẻ thông tin với cơ quan và căn cứ pháp lý"),
        queryset=lambda: DisclosureRecord.objects.select_related(
            "escalation__case__hotline", "sent_by"
        ),
        date_field="sent_at",
        columns=[
            _("Thời điểm"),
            _("Người gửi"),
            _("Hồ sơ"),
            _("Tổng đài"),
            _("Yêu cầu chuyển tuyến"),
            _("Cơ quan nhận"),
            _("Thông tin đã chia sẻ"),
            _("Căn cứ pháp lý"),
        ],
        row=lambda d: [
            _when(d.sent_at),
            _who(d.sent_by),
            d.escalation.case.reference,
            d.escalation.case.hotline.code,
            f"#{d.escalation_id}",
            d.recipient_name,
            _items(d.items),
            _label(LegalBasis, d.legal_basis),
        ],
        hotline_field="escalation__case__hotline__code",
        actor_fields=("sent_by_id",),
        action_field="legal_basis",
        actions=LegalBasis.choices,
    ),
    Source(
        key="phone_reveals",
        title=_("Xem số điện thoại người gọi"),
        queryset=lambda: PhoneReveal.objects.select_related("actor", "actor__hotline"),
        date_field="at",
        columns=[_("Thời điểm"), _("Người xem"), _("Tổng đài của người xem"), _("Cuộc trao đổi")],
        row=lambda r: [
            _when(r.at),
            _who(r.actor),
            r.actor.hotline.code if r.actor.hotline_id else "",
            str(r.conversation_uuid),
        ],
        hotline_field="actor__hotline__code",
        actor_fields=("actor_id",),
    ),
    Source(
        key="callbacks",
        title=_("Yêu cầu gọi lại: các bước, lượt xem số"),
        queryset=lambda: CallbackEvent.objects.select_related("hotline", "actor"),
        date_field="at",
        columns=[
            _("Thời điểm"),
            _("Người thực hiện"),
            _("Tổng đài"),
            _("Yêu cầu gọi lại"),
            _("Bước"),
        ],
        row=lambda c: [
            _when(c.at),
            _who(c.actor),
            c.hotline.code,
            str(c.callback_uuid),
            _label(CallbackEvent.Action, c.action),
        ],
        hotline_field="hotline__code",
        actor_fields=("actor_id",),
        action_field="action",
        actions=CallbackEvent.Action.choices,
    ),
    Source(
        key="monitoring",
        title=_("Phiên giám sát cuộc trao đổi"),
        queryset=lambda: MonitoringSession.objects.select_related("hotline", "supervisor"),
        date_field="started_at",
        columns=[
            _("Bắt đầu"),
            _("Kết thúc"),
            _("Giám sát viên"),
            _("Tổng đài"),
            _("Cuộc trao đổi"),
            _("Lý do kết thúc"),
        ],
        row=lambda m: [
            _when(m.started_at),
            _when(m.ended_at),
            _who(m.supervisor),
            m.hotline.code,
            str(m.conversation_uuid),
            _label(MonitoringSession.EndReason, m.end_reason) if m.end_reason else "",
        ],
        hotline_field="hotline__code",
        actor_fields=("supervisor_id",),
        action_field="end_reason",
        actions=MonitoringSession.EndReason.choices,
    ),
    Source(
        key="conversation_reads",
        title=_("Lượt đọc cuộc trao đổi trên bàn trực"),
        queryset=lambda: ConversationRead.objects.select_related("actor", "actor__hotline"),
        date_field="at",
        columns=[
            _("Thời điểm"),
            _("Người đọc"),
            _("Tổng đài của người đọc"),
            _("Cuộc trao đổi"),
            _("Cách đọc"),
            _("Tin nhắn (số thứ tự)"),
        ],
        row=lambda r: [
            _when(r.at),
            _who(r.actor),
            r.actor.hotline.code if r.actor.hotline_id else "",
            str(r.conversation_uuid),
            _label(ConversationRead.Kind, r.kind),
            f"{r.first_seq}–{r.last_seq}",
        ],
        hotline_field="actor__hotline__code",
        actor_fields=("actor_id",),
        action_field="kind",
        actions=ConversationRead.Kind.choices,
    ),
    Source(
        key="report_events",
        title=_("Xem, xuất báo cáo"),
        queryset=lambda: ReportEvent.objects.select_related("actor"),
        date_field="at",
        columns=[
            _("Thời điểm"),
            _("Người thực hiện"),
            _("Hành động"),
            _("Loại báo cáo"),
            _("Phạm vi"),
            _("Kỳ báo cáo"),
            _("Định dạng"),
        ],
        row=lambda r: [
            _when(r.at),
            _who(r.actor),
            _label(ReportEvent.Action, r.action),
            r.kind,
            r.scope,
            f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}",
            r.format,
        ],
        hotline_field="scope",
        actor_fields=("actor_id",),
        action_field="action",
        actions=ReportEvent.Action.choices,
    ),
    Source(
        key="holds",
        title=_("Lệnh giữ dữ liệu"),
        queryset=lambda: LegalHold.objects.select_related(
            "case", "case__hotline", "placed_by", "lifted_by"
        ),
        date_field="placed_at",
        columns=[
            _("Đặt lúc"),
            _("Người đặt"),
            _("Hồ sơ"),
            _("Tổng đài"),
            _("Lý do"),
            _("Số hiệu văn bản"),
            _("Gỡ lúc"),
            _("Người gỡ"),
        ],
        row=lambda h: [
            _when(h.placed_at),
            _who(h.placed_by),
            h.case.reference,
            h.case.hotline.code,
            _label(HoldReason, h.reason),
            h.reference,
            _when(h.lifted_at),
            _who(h.lifted_by),
        ],
        hotline_field="case__hotline__code",
        actor_fields=("placed_by_id", "lifted_by_id"),
        action_field="reason",
        actions=HoldReason.choices,
    ),
    Source(
        key="purges",
        title=_("Xoá dữ liệu hết hạn lưu trữ"),
        queryset=lambda: PurgeRecord.objects.all(),
        date_field="run_at",
        columns=[
            _("Thời điểm"),
            _("Loại dữ liệu"),
            _("Số bản ghi"),
            _("Kèm theo"),
            _("Từ ngày"),
            _("Đến ngày"),
        ],
        row=lambda p: [
            _when(p.run_at),
            _label(PurgeKind, p.kind),
            str(p.count),
            ", ".join(f"{label}: {n}" for label, n in sorted(p.cascaded.items())),
            f"{p.oldest:%Y-%m-%d}",
            f"{p.newest:%Y-%m-%d}",
        ],
        action_field="kind",
        actions=PurgeKind.choices,
    ),
    Source(
        key="break_glass",
        title=_("Quyền xem khẩn cấp (break-glass)"),
        queryset=_break_glass,
        date_field="opened_at",
        columns=[
            _("Mở lúc"),
            _("Hết hạn lúc"),
            _("Giám sát viên"),
            _("Tổng đài của người mở"),
            _("Hồ sơ"),
            _("Tổng đài của hồ sơ"),
            _("Lý do"),
            _("Giải thích"),
            _("Số lượt đọc, thay đổi"),
        ],
        row=lambda g: [
            _when(g.opened_at),
            _when(g.expires_at),
            _who(g.user),
            g.user.hotline.code if g.user.hotline_id else "",
            g.case.reference,
            g.case.hotline.code,
            _label(BreakGlassReason, g.reason),
            g.note,
            str(g.events_during),
        ],
        hotline_field="case__hotline__code",
        actor_fields=("user_id",),
        action_field="reason",
        actions=BreakGlassReason.choices,
    ),
    Source(
        key="deletions",
        title=_("Yêu cầu xoá của người liên hệ"),
        queryset=lambda: DeletionRequest.objects.select_related("hotline", "case"),
        date_field="requested_at",
        columns=[
            _("Yêu cầu lúc"),
            _("Tổng đài"),
            _("Cuộc trao đổi"),
            _("Hồ sơ"),
            _("Tình trạng"),
            _("Đã xoá lúc"),
        ],
        row=lambda d: [
            _when(d.requested_at),
            d.hotline.code,
            str(d.conversation_uuid),
            d.case.reference if d.case_id else "",
            _label(DeletionStatus, d.status),
            _when(d.done_at),
        ],
        hotline_field="hotline__code",
        action_field="status",
        actions=DeletionStatus.choices,
    ),
    Source(
        key="staff_changes",
        title=_("Thay đổi quyền truy cập của nhân sự"),
        queryset=lambda: StaffChangeRequest.objects.select_related(
            "target", "proposed_by", "decided_by"
        ),
        date_field="proposed_at",
        columns=[
            _("Đề xuất lúc"),
            _("Người đề xuất"),
            _("Loại"),
            _("Tài khoản"),
            _("Trước"),
            _("Sau"),
            _("Quyết định"),
            _("Người quyết định"),
            _("Quyết định lúc"),
        ],
        row=lambda s: [
            _when(s.proposed_at),
            _who(s.proposed_by),
            _label(StaffChangeKind, s.kind),
            s.account_name,
            s.before_summary if s.kind != StaffChangeKind.CREATE else "",
            s.after_summary,
            s.state,
            _who(s.decided_by),
            _when(s.decided_at),
        ],
        hotline_field="hotline_code",
        actor_fields=("proposed_by_id", "decided_by_id"),
        action_field="kind",
        actions=StaffChangeKind.choices,
    ),
]
SOURCES_BY_KEY = {source.key: source for source in SOURCES}


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def trail_rows(
    source: Source,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    hotline: str = "",
    actor_id: int | None = None,
    action: str = "",
) -> QuerySet:
    """The source's records within the filters, newest first. Dates are local and inclusive."""
    rows = source.queryset()
    if start is not None:
        rows = rows.filter(**{f"{source.date_field}__gte": _day_start(start)})
    if end is not None:
        rows = rows.filter(
            **{f"{source.date_field}__lt": _day_start(end + datetime.timedelta(days=1))}
        )
    if hotline and source.hotline_field:
        rows = rows.filter(**{source.hotline_field: hotline})
    if actor_id is not None and source.actor_fields:
        who = Q()
        for actor_field in source.actor_fields:
            who |= Q(**{actor_field: actor_id})
        rows = rows.filter(who)
    if action and source.action_field:
        rows = rows.filter(**{source.action_field: action})
    return rows.order_by(f"-{source.date_field}", "-pk")
