"""The supervisors' report pages: choose a report, then read its tables and charts.

Supervisors only (everyone else gets 403 on every /reports/ URL). The kind,
period and scope travel in the query string: they are not personal data.
Every report shown is recorded (ReportEvent "viewed") in the transaction that
counts it, so a report that could not be recorded is not shown.
"""

import datetime
from urllib.parse import urlencode

from django.db import transaction
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import supervisor_required
from reports.audit import report_event_record
from reports.charts import chart_svg
from reports.figures import KIND_LABELS, PERIOD_KINDS, ReportRequestError, report_build
from reports.forms import ReportForm
from reports.models import ReportEvent
from reports.periods import default_period, local_today, week_reference
from reports.report import Report
from reports.selectors import (
    report_scope_default_for,
    report_scope_get_for_user,
    report_scopes_for,
    weekly_reports_visible_to,
)

EXPORT_FORMATS = ("csv", "xlsx", "docx")
WEEKLY_SHOWN = 26
# Tables shown above the charts: the figures a reader looks at first.
LEAD_TABLES = ("comparison", "service", "weekly_overview")


def report_query(*, kind: str, start: datetime.date, end: datetime.date, scope: str) -> str:
    return urlencode(
        {"kind": kind, "start": start.isoformat(), "end": end.isoformat(), "scope": scope}
    )


def _scope_asked(request):
    code = request.GET.get("scope")
    if code:
        return report_scope_get_for_user(user=request.user, code=code)
    return report_scope_default_for(user=request.user)


def _presets(scope_code: str) -> list[dict]:
    """One link per kind, for its usual period (this union year, last quarter, month, week)."""
    today = local_today()
    presets = []
    for kind in PERIOD_KINDS:
        period = default_period(kind, today=today)
        query = report_query(kind=kind, start=period.start, end=period.end, scope=scope_code)
        presets.append({"kind": kind, "label": KIND_LABELS[kind], "period": period, "query": query})
    return presets


def _weekly_list(request, scope) -> list[dict]:
    reports = weekly_reports_visible_to(user=request.user, scope=scope)[:WEEKLY_SHOWN]
    return [
        {
            "reference": week_reference(weekly.week_start),
            "week_start": weekly.week_start,
            "week_end": weekly.week_start + datetime.timedelta(days=6),
            "generated_at": weekly.generated_at,
            "query": report_query(
                kind="weekly", start=weekly.week_start, end=weekly.week_start, scope=scope.code
            ),
        }
        for weekly in reports
    ]


def _index(request, *, form: ReportForm, status: int = 200):
    scope = _scope_asked(request)
    context = {
        "form": form,
        "scope": scope,
        "scopes": report_scopes_for(user=request.user),
        "presets": _presets(scope.code),
        "weekly_reports": _weekly_list(request, scope),
    }
    return render(request, "reports/index.html", context, status=status)


@supervisor_required
@never_cache
@require_GET
def report_index(request):
    """Choose a report; the weekly reports the worker made for the scope are listed."""
    scope = _scope_asked(request)
    period = default_period("yearly", today=local_today())
    form = ReportForm(
        initial={"kind": "yearly", "start": period.start, "end": period.end, "scope": scope.code}
    )
    return _index(request, form=form)


def export_links(query: str) -> list[tuple[str, str]]:
    """Where each export of this report is. The export views (reports/views_export.py) add
    the route `reports:export`; until it exists the same address is written out here."""
    links = []
    for export_format in EXPORT_FORMATS:
        try:
            path = reverse("reports:export", args=[export_format])
        except NoReverseMatch:
            path = f"{reverse('reports:index')}export/{export_format}/"
        links.append((export_format, f"{path}?{query}"))
    return links


@supervisor_required
@never_cache
@require_GET
def report_view(request):
    """Count the report asked for and show it, recording that it was viewed."""
    form = ReportForm(request.GET)
    if not form.is_valid():
        return _index(request, form=form, status=400)
    data = form.cleaned_data
    scope = _scope_asked(request)
    try:
        with transaction.atomic():
            report = report_build(
                kind=data["kind"],
                scope=scope.code,
                start=data["start"],
                end=data["end"] or data["start"],
                user=request.user,
            )
            report_event_record(report=report, actor=request.user, action=ReportEvent.Action.VIEWED)
    except ReportRequestError as error:
        form.add_error(None, str(error))
        return _index(request, form=form, status=400)
    return render(request, "reports/view.html", _view_context(report))


def _view_context(report: Report) -> dict:
    query = report_query(kind=report.kind, start=report.start, end=report.end, scope=report.scope)
    return {
        "report": report,
        "kind_label": KIND_LABELS[report.kind],
        "lead_tables": [table for table in report.tables if table.key in LEAD_TABLES],
        "other_tables": [table for table in report.tables if table.key not in LEAD_TABLES],
        "charts": [chart_svg(chart) for chart in report.charts],
        "export_links": export_links(query),
    }
