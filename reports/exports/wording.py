"""What every export says around the figures: period, scope, time, the markers' meaning."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from reports.report import Report
from reports.suppression import HIDDEN, SMALL


def date_text(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def period_text(report: Report) -> str:
    return _("Từ ngày %(start)s đến ngày %(end)s") % {
        "start": date_text(report.start),
        "end": date_text(report.end),
    }


def previous_period_text(report: Report) -> str:
    if report.previous_start is None or report.previous_end is None:
        return ""
    return _("Từ ngày %(start)s đến ngày %(end)s") % {
        "start": date_text(report.previous_start),
        "end": date_text(report.previous_end),
    }


def generated_text(report: Report) -> str:
    return f"{timezone.localtime(report.generated_at):%d/%m/%Y %H:%M}"


def legend_text() -> str:
    return _(
        "Số liệu là số lượt, không có nội dung, tên, số điện thoại hay mã hồ sơ. "
        '"%(small)s": từ 1 đến 4; "%(hidden)s": số từ 5 trở lên được ẩn để không suy ra được '
        'các ô "%(small)s"; 0: không có.'
    ) % {"small": SMALL, "hidden": HIDDEN}


def heading_rows(report: Report) -> list[tuple[str, str]]:
    """The cover lines every format starts with: what the report covers and when it was made."""
    rows = [
        (_("Phạm vi"), report.scope_name),
        (_("Kỳ báo cáo"), period_text(report)),
    ]
    if previous := previous_period_text(report):
        rows.append((_("So sánh với"), previous))
    rows.append((_("Thời điểm tạo"), generated_text(report)))
    rows.append((_("Ghi chú"), legend_text()))
    return rows
