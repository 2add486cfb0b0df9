"""The figures of every periodic report, counted in the database.

`report_build` turns a kind, a scope and a period into a Report (reports/report.py)
that the page and every export read. Each figure is one grouped count or
aggregate over the rows that reports/selectors.py hands out (never a loop over
contacts), so a yearly report stays a few dozen queries however many contacts
there are.

What is counted, and from what:
- contacts: ContactRecord, by the local day each contact ended (ended_at);
- cases: Case, opened by created_at, closed by closed_at (still closed), by the
  highest risk they ever had;
- escalations: Escalation, by the day they were first sent (created_at), with
  their deadlines against the moment the report is built;
- survey answers: SurveyResponse, by submitted_on.
The definitions of the rates and deadline shares are in docs/architecture.md.
"""

import datetime
import statistics

from django.db.models import Count, DateField, F, Q
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import RISK_SCALE, Gender
from escalation.models import EscalationState, EscalationType, Urgency
from helpline.models import AgeGroup, Channel, ContactType, Risk, SurveyAnswer
from reports import selectors
from reports.aggregates import count_by, percentiles
from reports.periods import (
    MAX_PERIOD_DAYS,
    Period,
    mondays_in,
    months_in,
    previous_period,
    week_of,
    week_reference,
)
from reports.report import Chart, Report, Table

PERIOD_KINDS = ("yearly", "quarterly", "monthly", "weekly")
KIND_LABELS = {
    "yearly": gettext_lazy("Báo cáo năm"),
    "quarterly": gettext_lazy("Báo cáo quý"),
    "monthly": gettext_lazy("Báo cáo tháng"),
    "weekly": gettext_lazy("Báo cáo tình hình tuần"),
}
ONLINE_HARMS = "online"
# A contact in danger: the operator marked imminent risk, or raised the danger alarm.
IN_DANGER = Q(risk=Risk.IMMINENT) | Q(danger=True)
ANSWERED = Q(answered_at__isnull=False)
ABANDONED = Q(contact_type=ContactType.ABANDONED)
# Escalations the agency still has to act on (a returned one waits for the hotline).
AGENCY_WAITING = (EscalationState.SENT, EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS)
ENDED_UNRESOLVED = (EscalationState.DECLINED, EscalationState.WITHDRAWN)
# Waiting time buckets of the distribution chart: (upper bound in seconds, label).
WAIT_BUCKETS = (
    (30, gettext_lazy("Dưới 30 giây")),
    (60, gettext_lazy("30-60 giây")),
    (120, gettext_lazy("1-2 phút")),
    (300, gettext_lazy("2-5 phút")),
    (600, gettext_lazy("5-10 phút")),
    (1800, gettext_lazy("10-30 phút")),
    (None, gettext_lazy("Trên 30 phút")),
)
TOP_CATEGORIES = 10
# Weekly: a category is rising when this week's contacts exceed the mean of the
# four weeks before by at least this many.
RISING_MIN_INCREASE = 2
# Weekly: a province's volume is unusual when this week is above the mean of the
# four weeks before plus two standard deviations, and at least this many above the mean.
UNUSUAL_MIN_INCREASE = 5
PREVIOUS_WEEKS = 4


class ReportRequestError(ValueError):
    """The kind or the period asked for is not one a report can cover."""


def report_period(*, kind: str, start: datetime.date, end: datetime.date) -> Period:
    """The period a report of this kind covers: any range, except a weekly report's Monday-Sunday.

    A weekly report covers the week `start` falls in, whatever `end` says.
    """
    if kind not in PERIOD_KINDS:
        raise ReportRequestError(_("Loại báo cáo không hợp lệ."))
    if kind == "weekly":
        return week_of(start)
    if end < start:
        raise ReportRequestError(_("Ngày kết thúc phải sau ngày bắt đầu."))
    period = Period(start, end)
    if period.days > MAX_PERIOD_DAYS:
        raise ReportRequestError(_("Một báo cáo bao quát tối đa ba năm."))
    return period


def report_build(
    *,
    kind: str,
    scope: str,
    start: datetime.date,
    end: datetime.date,
    user=None,
    now: datetime.datetime | None = None,
) -> Report:
    """Count the report of this kind for the scope (a hotline's code or ALL) and period.

    With a user, the scope must be one they may read (else Http404); without one
    the caller is the system (the worker) and every scope is open. `now` is the
    moment the report is built: escalation deadlines are judged against it.
    Raises ReportRequestError for a kind or period no report covers.
    """
    period = report_period(kind=kind, start=start, end=end)
    if user is not None:
        report_scope = selectors.report_scope_get_for_user(user=user, code=scope)
    else:
        report_scope = selectors.report_scope_get(code=scope)
    now = now or timezone.now()
    if kind == "weekly":
        return _weekly_report(scope=report_scope, period=period, now=now)
    return _periodic_report(kind=kind, scope=report_scope, period=period, now=now)


# -- the yearly, quarterly and monthly reports ------------------------------------------


def _periodic_report(*, kind, scope, period, now) -> Report:
    previous = previous_period(period)
    contacts = selectors.contacts_in(scope=scope, period=period)
    escalations = selectors.escalations_sent_in(scope=scope, period=period)
    categories = selectors.categories_all()
    report = Report(
        kind=kind,
        scope=scope.code,
        scope_name=scope.name,
        start=period.start,
        end=period.end,
        title=_("%(kind)s %(start)s – %(end)s")
        % {"kind": KIND_LABELS[kind], "start": _day(period.start), "end": _day(period.end)},
        generated_at=now,
        previous_start=previous.start,
        previous_end=previous.end,
    )
    now_figures = _headline(scope=scope, period=period)
    before_figures = _headline(scope=scope, period=previous)
    report.tables += [
        _comparison_counts(now_figures, before_figures),
        _comparison_service(now_figures, before_figures),
        _contacts_by_channel(contacts),
    ]
    if scope.is_all:
        report.tables.append(_contacts_by_hotline(contacts))
    report.tables += [
        _contacts_by_month(contacts, period),
        _contacts_by_type(contacts),
        _contacts_by_area(contacts, categories),
        _contacts_online_harms(contacts, categories),
        _contacts_by_age_group(contacts),
        _contacts_by_gender(contacts),
        _cases_by_risk(scope=scope, period=period),
        _escalations_by_agency(escalations, now=now),
        _escalations_by_choice(
            escalations,
            "type",
            EscalationType.choices,
            _("Yêu cầu chuyển tuyến theo loại"),
            _("Loại yêu cầu"),
        ),
        _escalations_by_choice(
            escalations,
            "urgency",
            Urgency.choices,
            _("Yêu cầu chuyển tuyến theo mức khẩn cấp"),
            _("Mức khẩn cấp"),
        ),
        _escalation_deadlines(escalations, now=now),
        _survey_answers(selectors.surveys_in(scope=scope, period=period)),
    ]
    report.charts = _charts(
        weekly_contacts=contacts,
        contacts=contacts,
        escalations=escalations,
        weeks=mondays_in(period),
        categories=categories,
        now=now,
    )
    report.notes = _notes(now)
    return report


def _day(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _notes(now: datetime.datetime) -> list[str]:
    return [
        _(
            "Mỗi lượt liên hệ được tính vào ngày kết thúc theo giờ Việt Nam; kỳ báo cáo "
            "gồm cả ngày đầu và ngày cuối."
        ),
        _("Thời hạn của yêu cầu chuyển tuyến được đối chiếu với thời điểm lập báo cáo: %(now)s.")
        % {"now": timezone.localtime(now).strftime("%d/%m/%Y %H:%M")},
    ]


def _with_total(rows: list[list]) -> list[list]:
    """The rows, then a row of column totals."""
    width = len(rows[0]) if rows else 1
    totals = [sum(row[i] or 0 for row in rows) for i in range(1, width)]
    return [*rows, [_("Tổng"), *totals]]


def _choice_rows(counts: dict, choices, *, blank_label=None, unknown_into=None) -> list[list]:
    """One row per choice (zeros included), then a row for blank values when asked.

    A value outside the choices is added to the `unknown_into` choice when there
    is one, else to the blank row, else it gets a row of its own: no contact is
    ever silently dropped.
    """
    tally = {code: 0 for code, _label in choices}
    blank = 0
    extra: dict[str, int] = {}
    for code, count in counts.items():
        if code in tally:
            tally[code] += count
        elif unknown_into is not None:
            tally[unknown_into] += count
        elif blank_label is not None:
            blank += count
        else:
            extra[str(code)] = extra.get(str(code), 0) + count
    rows = [[str(label), tally[code]] for code, label in choices]
    rows += [[code, count] for code, count in sorted(extra.items())]
    if blank_label is not None:
        rows.append([str(blank_label), blank])
    return rows


def _change(now_value, before_value) -> tuple:
    """Absolute change and change in percent (None when there is nothing to compare with)."""
    if now_value is None or before_value is None:
        return None, None
    absolute = now_value - before_value
    percent = round(absolute * 100 / before_value, 1) if before_value else None
    if isinstance(absolute, float):
        absolute = round(absolute, 1)
    return absolute, percent


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _headline(*, scope, period) -> dict:
    """The figures compared with the previous period, counted for one period."""
    contacts = selectors.contacts_in(scope=scope, period=period)
    figures = contacts.aggregate(
        contacts=Count("pk"),
        answered=Count("pk", filter=ANSWERED),
        abandoned=Count("pk", filter=ABANDONED),
        in_danger=Count("pk", filter=IN_DANGER),
    )
    figures["cases_opened"] = selectors.cases_opened_in(scope=scope, period=period).count()
    figures["cases_closed"] = selectors.cases_closed_in(scope=scope, period=period).count()
    figures["escalations"] = selectors.escalations_sent_in(scope=scope, period=period).count()
    figures["answered_rate"] = _rate(figures["answered"], figures["contacts"])
    figures["abandon_rate"] = _rate(figures["abandoned"], figures["contacts"])
    figures["wait_p50"], figures["wait_p90"] = percentiles(contacts, "waited_seconds", (0.5, 0.9))
    (figures["handled_p50"],) = percentiles(contacts, "handled_seconds", (0.5,))
    return figures


COMPARED_COUNTS = (
    ("contacts", gettext_lazy("Lượt liên hệ")),
    ("answered", gettext_lazy("Lượt được trả lời")),
    ("abandoned", gettext_lazy("Lượt bỏ đi trước khi được trả lời")),
    ("in_danger", gettext_lazy("Lượt liên hệ có nguy hiểm tức thời")),
    ("cases_opened", gettext_lazy("Hồ sơ mở mới")),
    ("cases_closed", gettext_lazy("Hồ sơ được đóng")),
    ("escalations", gettext_lazy("Yêu cầu chuyển tuyến đã gửi")),
)
COMPARED_SERVICE = (
    ("answered_rate", gettext_lazy("Tỉ lệ được trả lời (%)")),
    ("abandon_rate", gettext_lazy("Tỉ lệ bỏ đi trước khi được trả lời (%)")),
    ("wait_p50", gettext_lazy("Thời gian chờ, trung vị (giây)")),
    ("wait_p90", gettext_lazy("Thời gian chờ, phân vị 90 (giây)")),
    ("handled_p50", gettext_lazy("Thời gian xử lý, trung vị (giây)")),
)


def _comparison_columns() -> list[str]:
    return [_("Chỉ số"), _("Kỳ này"), _("Kỳ trước"), _("Thay đổi"), _("Thay đổi (%)")]


def _compared_rows(names, now_figures: dict, before_figures: dict) -> list[list]:
    rows = []
    for name, label in names:
        now_value, before_value = now_figures[name], before_figures[name]
        rows.append([str(label), now_value, before_value, *_change(now_value, before_value)])
    return rows


def _comparison_counts(now_figures: dict, before_figures: dict) -> Table:
    return Table(
        key="comparison",
        title=_("So sánh với kỳ trước"),
        columns=_comparison_columns(),
        rows=_compared_rows(COMPARED_COUNTS, now_figures, before_figures),
        derived_columns=2,
    )


def _comparison_service(now_figures: dict, before_figures: dict) -> Table:
    return Table(
        key="service",
        title=_("Chất lượng tiếp nhận, so với kỳ trước"),
        columns=_comparison_columns(),
        rows=_compared_rows(COMPARED_SERVICE, now_figures, before_figures),
        counts_people=False,
        derived_columns=2,
        note=_(
            "Tỉ lệ tính trên mọi lượt liên hệ. Thời gian chờ và thời gian xử lý chỉ tính "
            "các lượt được trả lời."
        ),
    )


def _count_table(key: str, title: str, label: str, rows: list[list], **extra) -> Table:
    return Table(
        key=key,
        title=title,
        columns=[label, _("Lượt liên hệ")],
        rows=_with_total(rows),
        total_row=True,
        **extra,
    )


def _contacts_by_channel(contacts) -> Table:
    rows = _choice_rows(count_by(contacts, "channel"), Channel.choices)
    return _count_table("contacts_by_channel", _("Lượt liên hệ theo kênh"), _("Kênh"), rows)


def _contacts_by_hotline(contacts) -> Table:
    rows_by_hotline = {
        row["hotline_id"]: row
        for row in contacts.values("hotline_id").annotate(
            contacts=Count("pk"),
            answered=Count("pk", filter=ANSWERED),
            abandoned=Count("pk", filter=ABANDONED),
        )
    }
    rows = []
    for hotline in selectors.hotlines_all():
        row = rows_by_hotline.get(hotline.pk, {})
        rows.append(
            [
                hotline.name,
                row.get("contacts", 0),
                row.get("answered", 0),
                row.get("abandoned", 0),
            ]
        )
    return Table(
        key="contacts_by_hotline",
        title=_("Lượt liên hệ theo tỉnh/thành (tổng đài tiếp nhận)"),
        columns=[_("Tổng đài"), _("Lượt liên hệ"), _("Được trả lời"), _("Bỏ đi")],
        rows=_with_total(rows),
        total_row=True,
    )


def _contacts_by_month(contacts, period: Period) -> Table:
    month = TruncMonth("ended_at", tzinfo=timezone.get_current_timezone(), output_field=DateField())
    counts = count_by(contacts, month=month)
    rows = [[first.strftime("%m/%Y"), counts.get(first, 0)] for first in months_in(period)]
    return _count_table("contacts_by_month", _("Lượt liên hệ theo tháng"), _("Tháng"), rows)


def _contacts_by_type(contacts) -> Table:
    rows = _choice_rows(
        count_by(contacts, "contact_type"),
        ContactType.choices,
        blank_label=_("Chưa ghi nhận"),
    )
    return _count_table(
        "contacts_by_type",
        _("Lượt liên hệ theo loại"),
        _("Loại liên hệ"),
        rows,
        note=_("Lượt chưa có kết quả ghi nhận được đếm ở dòng “Chưa ghi nhận”."),
    )


def _category_names(categories) -> dict[str, str]:
    return {category.code: category.name for category in categories}


def _contacts_by_area(contacts, categories) -> Table:
    area = Coalesce("categories__parent__code", "categories__code")
    counts = {
        row["area"]: row["n"]
        for row in contacts.values(area=area).annotate(n=Count("pk", distinct=True)).order_by()
    }
    rows = [
        [category.name, counts.get(category.code, 0)]
        for category in categories
        if category.parent_id is None
    ]
    rows.append([_("Chưa phân loại"), counts.get(None, 0)])
    return Table(
        key="contacts_by_category",
        title=_("Lượt liên hệ theo nhóm vấn đề"),
        columns=[_("Nhóm vấn đề"), _("Lượt liên hệ")],
        rows=rows,
        note=_("Một lượt liên hệ có thể thuộc nhiều nhóm, nên tổng các dòng có thể lớn hơn."),
    )


def _in_online_harms() -> Q:
    return Q(categories__code=ONLINE_HARMS) | Q(categories__parent__code=ONLINE_HARMS)


def _contacts_online_harms(contacts, categories) -> Table:
    online = contacts.filter(_in_online_harms())
    counts = count_by(online, "categories__code")
    rows = [
        [category.name, counts.get(category.code, 0)]
        for category in categories
        if category.parent is not None and category.parent.code == ONLINE_HARMS
    ]
    if counts.get(ONLINE_HARMS):
        rows.insert(0, [_("Tác hại trên mạng, chưa rõ loại"), counts[ONLINE_HARMS]])
    any_online = online.aggregate(n=Count("pk", distinct=True))["n"]
    rows.append([_("Lượt liên hệ có ít nhất một tác hại trên mạng"), any_online])
    return Table(
        key="contacts_online_harms",
        title=_("Tác hại trên không gian mạng"),
        columns=[_("Loại tác hại"), _("Lượt liên hệ")],
        rows=rows,
        note=_("Dòng cuối đếm mỗi lượt một lần, dù lượt đó có nhiều loại tác hại."),
    )


def _contacts_by_age_group(contacts) -> Table:
    rows = _choice_rows(
        count_by(contacts, "age_group"),
        AgeGroup.choices,
        blank_label=_("Không rõ"),
    )
    return _count_table(
        "contacts_by_age_group", _("Lượt liên hệ theo nhóm tuổi"), _("Nhóm tuổi"), rows
    )


def _contacts_by_gender(contacts) -> Table:
    rows = _choice_rows(count_by(contacts, "gender"), Gender.choices, unknown_into=Gender.UNKNOWN)
    return _count_table(
        "contacts_by_gender", _("Lượt liên hệ theo giới tính"), _("Giới tính"), rows
    )


def _cases_by_risk(*, scope, period) -> Table:
    opened = count_by(selectors.cases_opened_in(scope=scope, period=period), "highest_risk")
    closed = count_by(selectors.cases_closed_in(scope=scope, period=period), "highest_risk")
    rows = [
        [str(Risk(risk).label), opened.get(risk, 0), closed.get(risk, 0)]
        for risk in reversed(RISK_SCALE)
    ]
    return Table(
        key="cases_by_risk",
        title=_("Hồ sơ mở mới và đã đóng, theo mức rủi ro cao nhất"),
        columns=[_("Mức rủi ro cao nhất"), _("Mở mới"), _("Đã đóng")],
        rows=_with_total(rows),
        total_row=True,
    )


def _deadline_filters(now: datetime.datetime) -> dict[str, Q]:
    """Which escalations met each deadline, and which missed it, as of `now`.

    Acknowledged in time: acknowledged at or before acknowledge_by. Late: acknowledged
    after it, still unacknowledged past it, or declined or withdrawn without an
    acknowledgement after it. Resolved in time: resolved at or before resolve_by.
    Late: resolved after it, still waiting on the agency past it, or declined or
    withdrawn after it. The others (not yet due, returned to the hotline, ended
    before the deadline) count in neither.
    """
    return {
        "ack_within": Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("acknowledge_by")),
        "ack_late": Q(acknowledged_at__gt=F("acknowledge_by"))
        | Q(acknowledged_at__isnull=True, state=EscalationState.SENT, acknowledge_by__lt=now)
        | Q(
            acknowledged_at__isnull=True,
            state__in=ENDED_UNRESOLVED,
            finished_at__gt=F("acknowledge_by"),
        ),
        "resolve_within": Q(state=EscalationState.RESOLVED, finished_at__lte=F("resolve_by")),
        "resolve_late": Q(state=EscalationState.RESOLVED, finished_at__gt=F("resolve_by"))
        | Q(state__in=AGENCY_WAITING, resolve_by__lt=now)
        | Q(state__in=ENDED_UNRESOLVED, finished_at__gt=F("resolve_by")),
    }


def _escalations_per_agency(escalations, *, now) -> list[tuple[str, dict]]:
    filters = _deadline_filters(now)
    counted = escalations.values("agency_id").annotate(
        sent=Count("pk"), **{name: Count("pk", filter=q) for name, q in filters.items()}
    )
    by_agency = {row["agency_id"]: row for row in counted}
    agencies = selectors.agencies_named(by_agency)
    named = [(agencies[agency_id].name, row) for agency_id, row in by_agency.items()]
    return sorted(named, key=lambda item: (-item[1]["sent"], item[0]))


def _escalations_by_agency(escalations, *, now) -> Table:
    names = ("sent", "ack_within", "ack_late", "resolve_within", "resolve_late")
    rows = [
        [name, *(row[field] for field in names)]
        for name, row in _escalations_per_agency(escalations, now=now)
    ]
    return Table(
        key="escalations_by_agency",
        title=_("Yêu cầu chuyển tuyến theo cơ quan"),
        columns=[
            _("Cơ quan"),
            _("Đã gửi"),
            _("Tiếp nhận đúng hạn"),
            _("Tiếp nhận trễ hoặc quá hạn"),
            _("Giải quyết đúng hạn"),
            _("Giải quyết trễ hoặc quá hạn"),
        ],
        rows=_with_total(rows),
        total_row=True,
    )


def _escalations_by_choice(escalations, field: str, choices, title: str, label: str) -> Table:
    rows = _choice_rows(count_by(escalations, field), choices)
    return Table(
        key=f"escalations_by_{field}",
        title=title,
        columns=[label, _("Đã gửi")],
        rows=_with_total(rows),
        total_row=True,
    )


def _escalation_deadlines(escalations, *, now) -> Table:
    counted = escalations.aggregate(
        **{name: Count("pk", filter=q) for name, q in _deadline_filters(now).items()}
    )
    rows = []
    for label, within, late in (
        (_("Thời hạn tiếp nhận"), counted["ack_within"], counted["ack_late"]),
        (_("Thời hạn giải quyết"), counted["resolve_within"], counted["resolve_late"]),
    ):
        rows.append([str(label), within + late, within, _rate(within, within + late)])
    return Table(
        key="escalation_deadlines",
        title=_("Tỉ lệ cơ quan xử lý đúng hạn"),
        columns=[_("Thời hạn"), _("Đã đến hạn"), _("Đúng hạn"), _("Tỉ lệ đúng hạn (%)")],
        rows=rows,
        derived_columns=1,
        note=_(
            "Chỉ tính các yêu cầu đã đến hạn: đã tiếp nhận hoặc giải quyết, hoặc đã quá hạn. "
            "Yêu cầu chưa đến hạn, đang chờ tổng đài bổ sung, hoặc kết thúc trước hạn "
            "không được tính."
        ),
    )


SURVEY_QUESTIONS = (
    ("felt_heard", gettext_lazy("Em cảm thấy được lắng nghe")),
    ("got_help", gettext_lazy("Em nhận được sự giúp đỡ cần thiết")),
    ("would_return", gettext_lazy("Em sẽ liên hệ lại khi cần")),
)


def _survey_answers(surveys) -> Table:
    answers = [*SurveyAnswer.values, ""]
    counted = surveys.aggregate(
        total=Count("pk"),
        **{
            f"{question}_{answer or 'blank'}": Count("pk", filter=Q(**{question: answer}))
            for question, _label in SURVEY_QUESTIONS
            for answer in answers
        },
    )
    rows = [
        [str(label), *(counted[f"{question}_{answer or 'blank'}"] for answer in answers)]
        for question, label in SURVEY_QUESTIONS
    ]
    return Table(
        key="survey_answers",
        title=_("Khảo sát sau cuộc trò chuyện: %(n)s phiếu") % {"n": counted["total"]},
        columns=[_("Câu hỏi"), *(str(label) for label in SurveyAnswer.labels), _("Bỏ trống")],
        rows=rows,
    )


# -- charts -------------------------------------------------------------------------------


def _charts(*, weekly_contacts, contacts, escalations, weeks, categories, now) -> list[Chart]:
    """The four pictures of a report. weekly_contacts feeds the per-week chart (for a
    weekly report it reaches four weeks back); the others are about the period."""
    return [
        _chart_contacts_per_week(weekly_contacts, weeks),
        _chart_top_categories(contacts, categories),
        _chart_wait_distribution(contacts),
        _chart_escalations_by_agency(escalations, now=now),
    ]


def _week_of_ended_at():
    return TruncWeek("ended_at", tzinfo=timezone.get_current_timezone(), output_field=DateField())


def _chart_contacts_per_week(contacts, weeks: list[datetime.date]) -> Chart:
    counts = count_by(contacts, "channel", week=_week_of_ended_at())
    return Chart(
        key="contacts_per_week",
        title=_("Lượt liên hệ mỗi tuần, theo kênh"),
        kind="stacked",
        labels=[monday.strftime("%d/%m") for monday in weeks],
        series=[
            (str(label), [counts.get((channel, monday), 0) for monday in weeks])
            for channel, label in Channel.choices
        ],
    )


def _chart_top_categories(contacts, categories) -> Chart:
    counts = count_by(contacts.filter(categories__isnull=False), "categories__code")
    names = _category_names(categories)
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_CATEGORIES]
    return Chart(
        key="top_categories",
        title=_("Các vấn đề được nêu nhiều nhất"),
        kind="bar",
        labels=[names.get(code, code) for code, _count in top],
        series=[(_("Lượt liên hệ"), [count for _code, count in top])],
    )


def _wait_bucket_index(seconds: int) -> int:
    for index, (bound, _label) in enumerate(WAIT_BUCKETS):
        if bound is None or seconds < bound:
            return index
    raise AssertionError("the last bucket has no bound")


def _chart_wait_distribution(contacts) -> Chart:
    # Grouped by the number of seconds in the database, then put in buckets here:
    # a few thousand distinct values at most, never one row per contact.
    tally = [0] * len(WAIT_BUCKETS)
    for seconds, count in count_by(
        contacts.filter(waited_seconds__isnull=False), "waited_seconds"
    ).items():
        tally[_wait_bucket_index(seconds)] += count
    return Chart(
        key="wait_distribution",
        title=_("Thời gian chờ trước khi được trả lời"),
        kind="bar",
        labels=[str(label) for _bound, label in WAIT_BUCKETS],
        series=[(_("Lượt được trả lời"), tally)],
    )


def _chart_escalations_by_agency(escalations, *, now) -> Chart:
    per_agency = _escalations_per_agency(escalations, now=now)
    return Chart(
        key="escalations_by_agency",
        title=_("Yêu cầu chuyển tuyến theo cơ quan: tiếp nhận đúng hạn hay không"),
        kind="stacked",
        labels=[name for name, _row in per_agency],
        series=[
            (_("Tiếp nhận đúng hạn"), [row["ack_within"] for _name, row in per_agency]),
            (_("Tiếp nhận trễ hoặc quá hạn"), [row["ack_late"] for _name, row in per_agency]),
            (
                _("Chưa đến hạn hoặc khác"),
                [row["sent"] - row["ack_within"] - row["ack_late"] for _name, row in per_agency],
            ),
        ],
    )


# -- the weekly situation report ------------------------------------------------------------


def category_is_rising(this_week: int, previous_weeks: list[int]) -> bool:
    """Rising: this week's count exceeds the mean of the weeks before by RISING_MIN_INCREASE."""
    return this_week >= statistics.fmean(previous_weeks) + RISING_MIN_INCREASE


def volume_is_unusual(this_week: int, previous_weeks: list[int]) -> bool:
    """Unusual: above the mean of the weeks before plus two (population) standard
    deviations, and at least UNUSUAL_MIN_INCREASE contacts above the mean."""
    mean = statistics.fmean(previous_weeks)
    spread = statistics.pstdev(previous_weeks)
    return this_week > mean + 2 * spread and this_week >= mean + UNUSUAL_MIN_INCREASE


def _weekly_report(*, scope, period: Period, now) -> Report:
    history = Period(period.start - datetime.timedelta(weeks=PREVIOUS_WEEKS), period.end)
    weeks = mondays_in(history)  # the four weeks before, then this week
    contacts = selectors.contacts_in(scope=scope, period=period)
    history_contacts = selectors.contacts_in(scope=scope, period=history)
    categories = selectors.categories_all()
    report = Report(
        kind="weekly",
        scope=scope.code,
        scope_name=scope.name,
        start=period.start,
        end=period.end,
        title=_("Báo cáo tình hình tuần %(week)s") % {"week": week_reference(period.start)},
        generated_at=now,
        previous_start=history.start,
        previous_end=period.start - datetime.timedelta(days=1),
    )
    report.tables.append(_weekly_overview(scope=scope, history=history, weeks=weeks))
    report.tables.append(_weekly_rising_categories(history_contacts, weeks, categories))
    if scope.is_all:
        report.tables.append(_weekly_unusual_provinces(history_contacts, weeks))
    report.tables.append(_weekly_overdue(scope=scope, now=now))
    report.charts = _charts(
        weekly_contacts=history_contacts,
        contacts=contacts,
        escalations=selectors.escalations_sent_in(scope=scope, period=period),
        weeks=weeks,
        categories=categories,
        now=now,
    )
    report.notes = [
        _(
            "So sánh tuần này (thứ Hai đến Chủ nhật) với trung bình bốn tuần liền trước. "
            "Vấn đề tăng: tuần này nhiều hơn trung bình ít nhất %(rising)s lượt."
        )
        % {"rising": RISING_MIN_INCREASE},
        _("Nền tảng mạng xã hội tăng: chưa ghi nhận (hệ thống chưa lưu nền tảng của vụ việc)."),
        *_notes(now),
    ]
    if scope.is_all:
        report.notes.insert(
            1,
            _(
                "Tỉnh/thành có số lượt bất thường: tuần này vượt trung bình bốn tuần trước "
                "cộng hai độ lệch chuẩn, và nhiều hơn trung bình ít nhất %(min)s lượt."
            )
            % {"min": UNUSUAL_MIN_INCREASE},
        )
    return report


def _weekly_columns(weeks: list[datetime.date]) -> list[str]:
    return [monday.strftime("%d/%m") for monday in weeks]


def _split(counts_by_week: list[int]) -> tuple[int, list[int]]:
    return counts_by_week[-1], counts_by_week[:-1]


def _weekly_overview(*, scope, history: Period, weeks) -> Table:
    week = _week_of_ended_at()
    contacts = selectors.contacts_in(scope=scope, period=history)
    per_week = {
        row["week"]: row
        for row in contacts.values(week=week).annotate(
            contacts=Count("pk"), in_danger=Count("pk", filter=IN_DANGER)
        )
    }
    local = timezone.get_current_timezone()
    cases = count_by(
        selectors.cases_opened_in(scope=scope, period=history),
        week=TruncWeek("created_at", tzinfo=local, output_field=DateField()),
    )
    escalations = count_by(
        selectors.escalations_sent_in(scope=scope, period=history),
        week=TruncWeek("created_at", tzinfo=local, output_field=DateField()),
    )
    series = (
        (_("Lượt liên hệ"), [per_week.get(m, {}).get("contacts", 0) for m in weeks]),
        (
            _("Lượt liên hệ có nguy hiểm tức thời"),
            [per_week.get(m, {}).get("in_danger", 0) for m in weeks],
        ),
        (_("Hồ sơ mở mới"), [cases.get(m, 0) for m in weeks]),
        (_("Yêu cầu chuyển tuyến đã gửi"), [escalations.get(m, 0) for m in weeks]),
    )
    rows = []
    for label, counts in series:
        this_week, previous = _split(counts)
        mean = round(statistics.fmean(previous), 1)
        rows.append([str(label), *previous, this_week, mean, round(this_week - mean, 1)])
    return Table(
        key="weekly_overview",
        title=_("Tuần này so với bốn tuần trước"),
        columns=[
            _("Chỉ số"),
            *_weekly_columns(weeks[:-1]),
            _("Tuần này"),
            _("Trung bình 4 tuần trước"),
            _("Thay đổi"),
        ],
        rows=rows,
        derived_columns=2,
        note=_("Các cột ngày ghi thứ Hai đầu mỗi tuần."),
    )


def _weekly_rising_categories(history_contacts, weeks, categories) -> Table:
    counts = count_by(
        history_contacts.filter(categories__isnull=False),
        "categories__code",
        week=_week_of_ended_at(),
    )
    names = _category_names(categories)
    rising = []
    for code in {code for code, _week in counts}:
        this_week, previous = _split([counts.get((code, monday), 0) for monday in weeks])
        if category_is_rising(this_week, previous):
            mean = round(statistics.fmean(previous), 1)
            rising.append([names.get(code, code), this_week, mean, round(this_week - mean, 1)])
    rising.sort(key=lambda row: (-row[3], row[0]))
    return Table(
        key="weekly_rising_categories",
        title=_("Vấn đề tăng so với bốn tuần trước"),
        columns=[_("Vấn đề"), _("Tuần này"), _("Trung bình 4 tuần trước"), _("Tăng thêm")],
        rows=rising,
        derived_columns=1,
        note="" if rising else _("Không có vấn đề nào tăng."),
    )


def _weekly_unusual_provinces(history_contacts, weeks) -> Table:
    counts = count_by(history_contacts, "hotline_id", week=_week_of_ended_at())
    rows = []
    for hotline in selectors.hotlines_all():
        this_week, previous = _split([counts.get((hotline.pk, monday), 0) for monday in weeks])
        if volume_is_unusual(this_week, previous):
            mean = round(statistics.fmean(previous), 1)
            rows.append([hotline.name, this_week, mean, round(this_week - mean, 1)])
    return Table(
        key="weekly_unusual_provinces",
        title=_("Tỉnh/thành có số lượt liên hệ bất thường"),
        columns=[_("Tổng đài"), _("Tuần này"), _("Trung bình 4 tuần trước"), _("Tăng thêm")],
        rows=rows,
        derived_columns=1,
        note="" if rows else _("Không có tỉnh/thành nào có số lượt bất thường."),
    )


def _weekly_overdue(*, scope, now) -> Table:
    overdue = selectors.escalations_overdue(scope=scope, now=now)
    counted = overdue.values("agency_id").annotate(
        acknowledge=Count("pk", filter=Q(state=EscalationState.SENT, acknowledge_by__lt=now)),
        resolve=Count("pk", filter=Q(state__in=AGENCY_WAITING, resolve_by__lt=now)),
        total=Count("pk"),
    )
    by_agency = {row["agency_id"]: row for row in counted}
    agencies = selectors.agencies_named(by_agency)
    rows = sorted(
        (
            [agencies[agency_id].name, row["acknowledge"], row["resolve"], row["total"]]
            for agency_id, row in by_agency.items()
        ),
        key=lambda row: (-row[3], row[0]),
    )
    return Table(
        key="weekly_overdue_escalations",
        title=_("Yêu cầu chuyển tuyến đang quá hạn"),
        columns=[
            _("Cơ quan"),
            _("Quá hạn tiếp nhận"),
            _("Quá hạn giải quyết"),
            _("Số yêu cầu quá hạn"),
        ],
        rows=_with_total(rows) if rows else [],
        total_row=bool(rows),
        note=_(
            "Yêu cầu còn chờ cơ quan xử lý và đã quá hạn tại thời điểm lập báo cáo; "
            "một yêu cầu quá cả hai hạn được đếm một lần ở cột cuối."
        ),
    )
