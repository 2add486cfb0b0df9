"""The flash report of an incident: one page of counts, never content.

It counts the cases linked to the incident that the reader may see (a
provincial supervisor their hotline's, a central supervisor every one), the
contacts recorded in those cases and the escalations sent from them. Cases of
other hotlines are left out and only their number is noted. No reference,
name, summary or message reaches the report; the incident's own title,
platform and category, written by supervisors for this purpose, do.
"""

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import RISK_SCALE, Case, Category
from cases.selectors import cases_visible_to
from escalation.models import Agency, Escalation, EscalationType
from helpline.models import Channel, ContactRecord, Hotline, Risk
from helpline.provinces import province_name
from reports.incident_selectors import (
    incident_get_for_user,
    incident_linked_case_ids,
    incident_scope_for_user,
)
from reports.models import Incident, IncidentProvince, IncidentSeverity
from reports.report import ALL, Chart, Report, Table


def flash_report_build(*, incident: Incident, user) -> Report:
    """Build the flash report of an incident for this user; Http404 if they may not see it."""
    incident = incident_get_for_user(user=user, incident_id=incident.pk)
    scope = incident_scope_for_user(user)
    cases = cases_visible_to(user=user).filter(pk__in=incident_linked_case_ids(incident=incident))
    case_ids = list(cases.values_list("pk", flat=True))
    linked_total = incident_linked_case_ids(incident=incident).count()
    contacts = ContactRecord.objects.filter(case_id__in=case_ids)
    escalations = Escalation.objects.filter(case_id__in=case_ids)
    today = timezone.localdate()
    first_case = cases.order_by("created_at").values_list("created_at", flat=True).first()
    start = timezone.localtime(incident.opened_at).date()
    if first_case is not None:
        start = min(start, timezone.localtime(first_case).date())
    end = timezone.localtime(incident.closed_at).date() if incident.closed_at else today

    by_province = _by_province(cases)
    by_risk = _by_risk(cases)
    report = Report(
        kind="flash",
        scope=ALL if scope == ALL else user.hotline.code,
        scope_name=_("Toàn quốc") if scope == ALL else user.hotline.name,
        start=start,
        end=end,
        title=_("Báo cáo nhanh sự việc #%(id)s: %(title)s")
        % {"id": incident.pk, "title": incident.title},
        generated_at=timezone.now(),
        tables=[
            Table(
                key="overview",
                title=_("Tổng quan"),
                columns=[_("Chỉ số"), _("Số lượng")],
                rows=[
                    [_("Hồ sơ liên quan"), len(case_ids)],
                    [_("Lượt liên hệ trong các hồ sơ"), contacts.count()],
                    [_("Yêu cầu chuyển tuyến đã gửi"), escalations.count()],
                ],
            ),
            _with_total(
                "cases_by_province", _("Hồ sơ theo tỉnh/thành"), _("Tỉnh/thành"), by_province
            ),
            _with_total(
                "cases_by_risk", _("Hồ sơ theo mức độ rủi ro hiện tại"), _("Mức độ rủi ro"), by_risk
            ),
            Table(
                key="cases_by_category",
                title=_("Hồ sơ theo phân loại"),
                columns=[_("Phân loại"), _("Hồ sơ")],
                rows=_by_category(case_ids),
                note=_("Một hồ sơ có thể thuộc nhiều phân loại, nên bảng này không có dòng tổng."),
            ),
            _with_total(
                "contacts_by_channel",
                _("Lượt liên hệ theo kênh"),
                _("Kênh"),
                _labelled(contacts.values("channel"), "channel", dict(Channel.choices)),
                unit=_("Lượt liên hệ"),
            ),
            _with_total(
                "escalations_by_agency",
                _("Yêu cầu chuyển tuyến theo cơ quan nhận"),
                _("Cơ quan"),
                _by_agency(escalations),
                unit=_("Yêu cầu"),
            ),
            _with_total(
                "escalations_by_agency_scope",
                _("Yêu cầu chuyển tuyến theo loại cơ quan"),
                _("Loại cơ quan"),
                _labelled(
                    escalations.values("agency__scope"), "agency__scope", dict(Agency.Scope.choices)
                ),
                unit=_("Yêu cầu"),
            ),
            _with_total(
                "escalations_by_type",
                _("Yêu cầu chuyển tuyến theo loại"),
                _("Loại chuyển tuyến"),
                _labelled(escalations.values("type"), "type", dict(EscalationType.choices)),
                unit=_("Yêu cầu"),
            ),
        ],
        charts=[
            _chart("cases_by_province", _("Hồ sơ theo tỉnh/thành"), by_province),
            _chart("cases_by_risk", _("Hồ sơ theo mức độ rủi ro hiện tại"), by_risk),
        ],
        notes=_notes(incident, first_case, cases, others=linked_total - len(case_ids)),
    )
    return report


def _with_total(key: str, title: str, label: str, rows: list[list], *, unit: str = "") -> Table:
    total = sum(row[1] for row in rows)
    return Table(
        key=key,
        title=title,
        columns=[label, unit or _("Hồ sơ")],
        rows=[*rows, [_("Tổng"), total]],
        total_row=True,
    )


def _chart(key: str, title: str, rows: list[list]) -> Chart:
    return Chart(
        key=key,
        title=title,
        kind="bar",
        labels=[row[0] for row in rows],
        series=[(_("Hồ sơ"), [float(row[1]) for row in rows])],
    )


def _labelled(values, field: str, labels: dict) -> list[list]:
    """Counts grouped by a code, labelled in the reader's language, the largest first."""
    counts = values.annotate(n=Count("pk")).values_list(field, "n")
    rows = [[str(labels.get(code, code or _("Không rõ"))), n] for code, n in counts]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _by_province(cases) -> list[list]:
    counts = cases.values("province_code").annotate(n=Count("pk")).values_list("province_code", "n")
    rows = [[province_name(code) or _("Không rõ"), n] for code, n in counts]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _by_risk(cases) -> list[list]:
    counts = dict(cases.values("risk").annotate(n=Count("pk")).values_list("risk", "n"))
    # The highest risk first, every level shown even at zero: a flash report is read for them.
    return [[str(Risk(level).label), counts.get(level, 0)] for level in reversed(RISK_SCALE)]


def _by_category(case_ids: list[int]) -> list[list]:
    through = Case.categories.through
    counts = (
        through.objects.filter(case_id__in=case_ids)
        .values("category_id")
        .annotate(n=Count("case_id", distinct=True))
        .values_list("category_id", "n")
    )
    names = {category.pk: category.name for category in Category.objects.all()}
    rows = [[names.get(category_id, ""), n] for category_id, n in counts]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _by_agency(escalations) -> list[list]:
    counts = escalations.values("agency_id").annotate(n=Count("pk")).values_list("agency_id", "n")
    agencies = Agency.objects.in_bulk([agency_id for agency_id, _n in counts])
    rows = [
        [f"{agencies[agency_id].name} ({agencies[agency_id].get_scope_display()})", n]
        for agency_id, n in counts
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"


def _notes(incident: Incident, first_case, cases, *, others: int) -> list[str]:
    last_case = cases.order_by("-created_at").values_list("created_at", flat=True).first()
    provinces = IncidentProvince.objects.filter(incident=incident).values_list(
        "province_code", flat=True
    )
    opened_by = Hotline.objects.get(pk=incident.hotline_id).name
    notes = [
        _("Mức độ: %(severity)s. Loại tác hại: %(category)s.")
        % {
            "severity": IncidentSeverity(incident.severity).label,
            "category": incident.category.name,
        },
        _("Nền tảng hoặc xu hướng: %(platform)s.") % {"platform": incident.platform or "—"},
        _("Tỉnh/thành bị ảnh hưởng: %(provinces)s.")
        % {"provinces": ", ".join(province_name(code) for code in provinces) or "—"},
        _("Mở lúc %(opened)s bởi %(hotline)s; đóng lúc %(closed)s.")
        % {
            "opened": _when(incident.opened_at),
            "hotline": opened_by,
            "closed": _when(incident.closed_at),
        },
        _("Hồ sơ đầu tiên tạo lúc %(first)s, hồ sơ gần nhất lúc %(last)s.")
        % {"first": _when(first_case), "last": _when(last_case)},
    ]
    if others:
        notes.append(
            _("%(n)s hồ sơ của tổng đài khác gắn với sự việc này không được tính ở đây.")
            % {"n": others}
        )
    return notes
