"""The inspectors' pages (/inspection/) and the supervisors' break-glass page (/break-glass/).

Inspectors read who did what, when, to which case or conversation: ids,
references, codes, staff names and times. No page here shows a summary, a
note, a message or anything else a case holds; every content page elsewhere
refuses inspectors (403), as it refuses everyone who does not handle cases.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.reauth import reauth_required
from helpline.access import role_required, supervisor_required
from inspection import services
from inspection.forms import BreachForm, BreachNotificationForm, BreakGlassForm, TrailFilterForm
from inspection.selectors import (
    breach_report_get_for_user,
    breach_reports_visible_to,
    break_glass_grant_for_inspector,
    break_glass_grants_of,
    trail_for_user,
    trail_source_for_user,
)
from inspection.trail import SOURCES

inspector_required = role_required("is_inspector")

ROWS_PER_PAGE = 100
# Every row of a filter goes into its export; a larger one asks for a narrower filter.
EXPORT_MAX_ROWS = 100_000
# A cell a spreadsheet would run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@inspector_required
@never_cache
def index(request):
    """What the inspector can read, and every breach whose notification is still due."""
    now = timezone.now()
    open_breaches = _with_clocks(
        breach_reports_visible_to(user=request.user).filter(notified_at=None), now
    )
    return render(
        request,
        "inspection/index.html",
        {"sources": SOURCES, "open_breaches": open_breaches, "now": now},
    )


def _duration_text(delta) -> str:
    minutes = int(abs(delta).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return _("%(h)s giờ %(m)s phút") % {"h": hours, "m": minutes}


def breach_clock(breach, *, now) -> dict:
    """The 72-hour clock of a breach as the pages show it: its state and the time left or over."""
    if breach.notified_at is not None:
        state = "in_time" if breach.notified_in_time else "late"
        return {"state": state, "text": ""}
    left = breach.time_left(now=now)
    if breach.is_overdue(now=now):
        return {"state": "overdue", "text": _("Quá hạn %(d)s") % {"d": _duration_text(left)}}
    return {"state": "running", "text": _("Còn %(d)s") % {"d": _duration_text(left)}}


def _with_clocks(breaches, now) -> list:
    breaches = list(breaches)
    for breach in breaches:
        breach.clock = breach_clock(breach, now=now)
    return breaches


def _csv_cell(value) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@inspector_required
@never_cache
def trail(request, key: str):
    """One source of the audit trail, filtered, as a page or (format=csv) as a CSV export."""
    source = trail_source_for_user(user=request.user, key=key)
    form = TrailFilterForm(request.GET or None, source=source)
    _source, rows = trail_for_user(user=request.user, key=key, **form.filters())
    if request.GET.get("format") == "csv":
        return _csv(source, rows)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inspection/trail.html",
        {
            "source": source,
            "form": form,
            "page": page,
            "table": [source.row(item) for item in page.object_list],
            "query": query.urlencode(),
        },
    )


def _csv(source, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="trail-{source.key}-{stamp}.csv"'
    # A byte-order mark, so that spreadsheets read the Vietnamese as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(column) for column in source.columns])
    for item in rows[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        writer.writerow([_csv_cell(cell) for cell in source.row(item)])
    return response


@inspector_required
@never_cache
@require_http_methods(["GET", "POST"])
def breaches(request):
    """The data-breach register: record a suspected breach, follow each 72-hour clock."""
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            breach = services.breach_record(
                user=request.user,
                description=data["description"],
                discovered_at=data["discovered_at"],
                data_kinds=data["data_kinds"],
                people_affected=data["people_affected"],
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("Đã ghi nhận sự cố #%(id)s.") % {"id": breach.pk})
            return redirect("inspection:breach_detail", breach_id=breach.pk)
    return render(
        request,
        "inspection/breaches.html",
        {
            "form": form,
            "breaches": _with_clocks(breach_reports_visible_to(user=request.user), timezone.now()),
        },
    )


@inspector_required
@never_cache
@require_http_methods(["GET", "POST"])
def breach_detail(request, breach_id: int):
    breach = breach_report_get_for_user(user=request.user, breach_id=breach_id)
    breach.clock = breach_clock(breach, now=timezone.now())
    form = BreachNotificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.breach_notification_record(
                user=request.user,
                breach_id=breach.pk,
                notified_at=data["notified_at"],
                authority=data["authority"],
                reference=data["reference"],
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("Đã ghi nhận việc thông báo."))
            return redirect("inspection:breach_detail", breach_id=breach.pk)
    return render(
        request,
        "inspection/breach_detail.html",
        {"breach": breach, "form": form},
    )


@inspector_required
@never_cache
def break_glass_detail(request, grant_id: int):
    """The page an inspector's break-glass alert links to: who, which case, why, how long."""
    grant = break_glass_grant_for_inspector(user=request.user, grant_id=grant_id)
    return render(
        request, "inspection/break_glass_detail.html", {"grant": grant, "now": timezone.now()}
    )


# --- the supervisors' side ------------------------------------------------------------------


def _opens_a_case(request) -> bool:
    return request.method == "POST"


@supervisor_required
@never_cache
@require_http_methods(["GET", "POST"])
# Opening another hotline's case asks for the password or a code again (accounts.reauth);
# the form comes back with the reason as the supervisor typed it.
@reauth_required(when=_opens_a_case)
def break_glass(request):
    """A supervisor opens one case outside their hotline for BREAK_GLASS_MINUTES, with a reason."""
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.break_glass_open(
                user=request.user,
                case_reference=data["case_reference"],
                reason=data["reason"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Bạn được xem hồ sơ %(ref)s đến %(until)s. Ban kiểm tra đã được báo.")
                % {
                    "ref": grant.case.reference,
                    "until": timezone.localtime(grant.expires_at).strftime("%H:%M %d/%m/%Y"),
                },
            )
            return redirect("cases:detail", case_id=grant.case_id)
    return render(
        request,
        "inspection/break_glass.html",
        {
            "form": form,
            "grants": break_glass_grants_of(user=request.user)[:50],
            "now": timezone.now(),
            "break_glass_minutes": settings.BREAK_GLASS_MINUTES,
        },
    )
