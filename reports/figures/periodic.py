"""The yearly, quarterly and monthly reports: the same figures over any period.

Each table is read from grouped counts over the rows reports/selectors.py hands
out; the period's contacts are counted once for all of them
(reports/figures/contact_counts.py), and the previous period's headline figures
with their own few queries for the comparison.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import RISK_SCALE, Gender
from escalation.models import EscalationType, Urgency
from helpline.models import AgeGroup, Channel, ContactType, Risk, SurveyAnswer
from reports import selectors
from reports.aggregates import count_by
from reports.figures.common import (
    KIND_LABELS,
    ONLINE_HARMS,
    change,
    choice_rows,
    day_text,
    escalations_per_agency,
    period_notes,
    rate,
    report_charts,
    with_total,
)
from reports.figures.contact_counts import contact_counts, headline_of, service_times
from reports.figures.tally import ContactTally
from reports.periods import (
    Period,
    mondays_in,
    months_in,
    previous_period,
)
from reports.report import Report, Table


def periodic_report(*, kind, scope, period, now) -> Report:
    previous = previous_period(period)
    escalations = selectors.escalations_sent_in(scope=scope, period=period)
    # Counted once per agency: the table, the chart, the deadlines and the total read it.
    per_agency = escalations_per_agency(escalations, now=now)
    categories = selectors.categories_all()
    report = Report(
        kind=kind,
        scope=scope.code,
        scope_name=scope.name,
        start=period.start,
        end=period.end,
        title=_("%(kind)s %(start)s – %(end)s")
        % {"kind": KIND_LABELS[kind], "start": day_text(period.start), "end": day_text(period.end)},
        generated_at=now,
        previous_start=previous.start,
        previous_end=previous.end,
    )
    counted = contact_counts(scope=scope, period=period)
    cases_opened = count_by(selectors.cases_opened_in(scope=scope, period=period), "highest_risk")
    cases_closed = count_by(selectors.cases_closed_in(scope=scope, period=period), "highest_risk")
    now_figures = {
        **counted.headline(),
        **service_times(counted.waits, counted.handling),
        "cases_opened": sum(cases_opened.values()),
        "cases_closed": sum(cases_closed.values()),
        "escalations": sum(row["sent"] for _name, row in per_agency),
    }
    before_figures = _headline(scope=scope, period=previous)
    for figures in (now_figures, before_figures):
        figures["answered_rate"] = rate(figures["answered"], figures["contacts"])
        figures["abandon_rate"] = rate(figures["abandoned"], figures["contacts"])
    report.tables += [
        _comparison_counts(now_figures, before_figures),
        _comparison_service(now_figures, before_figures),
        _contacts_by_channel(counted),
    ]
    if scope.is_all:
        report.tables.append(_contacts_by_hotline(counted.tally))
    report.tables += [
        _contacts_by_month(counted, period),
        _contacts_by_type(counted),
        _contacts_by_area(counted, categories),
        _contacts_online_harms(counted, categories),
        _contacts_by_age_group(counted),
        _contacts_by_gender(counted),
        _cases_by_risk(cases_opened, cases_closed),
        _escalations_by_agency(per_agency),
        *_escalations_by_choice(escalations),
        _escalation_deadlines(per_agency),
        _survey_answers(selectors.surveys_in(scope=scope, period=period)),
    ]
    report.charts = report_charts(
        week_channel_counts=counted.by_week_and_channel(),
        weeks=mondays_in(period),
        category_counts=counted.by_category,
        waits=counted.waits,
        per_agency=per_agency,
        categories=categories,
    )
    report.notes = period_notes(now)
    return report


def _headline(*, scope, period) -> dict:
    """The figures compared with the previous period, counted for one period."""
    tally = ContactTally(scope=scope, period=period)
    figures = headline_of(tally)
    figures["cases_opened"] = selectors.cases_opened_in(scope=scope, period=period).count()
    figures["cases_closed"] = selectors.cases_closed_in(scope=scope, period=period).count()
    figures["escalations"] = selectors.escalations_sent_in(scope=scope, period=period).count()
    waits = tally.histogram("waited_seconds")
    figures.update(service_times(waits, tally.histogram("handled_seconds")))
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
        rows.append([str(label), now_value, before_value, *change(now_value, before_value)])
    return rows


def _comparison_counts(now_figures: dict, before_figures: dict) -> Table:
    return Table(
        key="comparison",
        title=_("So sánh với kỳ trước"),
        columns=_comparison_columns(),
        rows=_compared_rows(COMPARED_COUNTS, now_figures, before_figures),
        derived_columns=2,
    )


def _compared_row(name: str) -> int:
    return [key for key, _label in COMPARED_COUNTS].index(name)


# Each row of the service table, by the rows of the comparison table it is worked out from.
_SERVICE_SOURCES = {
    index: [("comparison", _compared_row(source)) for source in sources]
    for index, sources in enumerate(
        (
            ("answered", "contacts"),  # answered rate
            ("abandoned", "contacts"),  # abandon rate
            ("answered",),  # wait, median
            ("answered",),  # wait, 90th percentile
            ("answered",),  # handling time, median
        )
    )
}


def _comparison_service(now_figures: dict, before_figures: dict) -> Table:
    return Table(
        key="service",
        title=_("Chất lượng tiếp nhận, so với kỳ trước"),
        columns=_comparison_columns(),
        rows=_compared_rows(COMPARED_SERVICE, now_figures, before_figures),
        counts_people=False,
        derived_columns=2,
        # A rate beside its counts, or a median of a handful of waits, gives a small
        # count back: the export hides them wherever the counts they come from are small.
        depends_on=_SERVICE_SOURCES,
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
        rows=with_total(rows),
        total_row=True,
        **extra,
    )


def _contacts_by_channel(counted) -> Table:
    rows = choice_rows(counted.by("channel"), Channel.choices)
    return _count_table("contacts_by_channel", _("Lượt liên hệ theo kênh"), _("Kênh"), rows)


def _contacts_by_hotline(tally) -> Table:
    counted: dict[int, dict[str, int]] = {}
    by_type = tally.count("contact_type", by=("hotline_id",))
    for (_dimension, contact_type, hotline_id), measures in by_type.items():
        row = counted.setdefault(hotline_id, {"contacts": 0, "answered": 0, "abandoned": 0})
        row["contacts"] += measures["contacts"]
        row["answered"] += measures["answered"]
        if contact_type == ContactType.ABANDONED:
            row["abandoned"] += measures["contacts"]
    rows = []
    for hotline in selectors.hotlines_all():
        row = counted.get(hotline.pk, {})
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
        rows=with_total(rows),
        total_row=True,
    )


def _contacts_by_month(counted, period: Period) -> Table:
    counts = counted.by_month()
    rows = [[first.strftime("%m/%Y"), counts.get(first, 0)] for first in months_in(period)]
    return _count_table("contacts_by_month", _("Lượt liên hệ theo tháng"), _("Tháng"), rows)


def _contacts_by_type(counted) -> Table:
    rows = choice_rows(
        counted.by("contact_type"),
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


def _contacts_by_area(counted, categories) -> Table:
    counts = counted.by_area
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


def _contacts_online_harms(counted, categories) -> Table:
    counts = counted.by_category
    rows = [
        [category.name, counts.get(category.code, 0)]
        for category in categories
        if category.parent is not None and category.parent.code == ONLINE_HARMS
    ]
    if counts.get(ONLINE_HARMS):
        rows.insert(0, [_("Tác hại trên mạng, chưa rõ loại"), counts[ONLINE_HARMS]])
    # The online-harm area's row of the table by area: each contact once, whatever
    # number of online harms it has.
    any_online = counted.by_area.get(ONLINE_HARMS, 0)
    rows.append([_("Lượt liên hệ có ít nhất một tác hại trên mạng"), any_online])
    return Table(
        key="contacts_online_harms",
        title=_("Tác hại trên không gian mạng"),
        columns=[_("Loại tác hại"), _("Lượt liên hệ")],
        rows=rows,
        note=_("Dòng cuối đếm mỗi lượt một lần, dù lượt đó có nhiều loại tác hại."),
    )


def _contacts_by_age_group(counted) -> Table:
    rows = choice_rows(
        counted.by("age_group"),
        AgeGroup.choices,
        blank_label=_("Không rõ"),
    )
    return _count_table(
        "contacts_by_age_group", _("Lượt liên hệ theo nhóm tuổi"), _("Nhóm tuổi"), rows
    )


def _contacts_by_gender(counted) -> Table:
    rows = choice_rows(counted.by("gender"), Gender.choices, unknown_into=Gender.UNKNOWN)
    return _count_table(
        "contacts_by_gender", _("Lượt liên hệ theo giới tính"), _("Giới tính"), rows
    )


def _cases_by_risk(opened: dict, closed: dict) -> Table:
    rows = [
        [str(Risk(risk).label), opened.get(risk, 0), closed.get(risk, 0)]
        for risk in reversed(RISK_SCALE)
    ]
    return Table(
        key="cases_by_risk",
        title=_("Hồ sơ mở mới và đã đóng, theo mức rủi ro cao nhất"),
        columns=[_("Mức rủi ro cao nhất"), _("Mở mới"), _("Đã đóng")],
        rows=with_total(rows),
        total_row=True,
    )


def _escalations_by_agency(per_agency) -> Table:
    names = ("sent", "ack_within", "ack_late", "resolve_within", "resolve_late")
    rows = [[name, *(row[field] for field in names)] for name, row in per_agency]
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
        rows=with_total(rows),
        total_row=True,
    )


def _escalations_by_choice(escalations) -> list[Table]:
    """By type and by urgency, from one count by both."""
    counted = count_by(escalations, "type", "urgency")
    tables = []
    for index, field, choices, title, label in (
        (0, "type", EscalationType.choices, _("Yêu cầu chuyển tuyến theo loại"), _("Loại yêu cầu")),
        (
            1,
            "urgency",
            Urgency.choices,
            _("Yêu cầu chuyển tuyến theo mức khẩn cấp"),
            _("Mức khẩn cấp"),
        ),
    ):
        by_field: dict = {}
        for key, count in counted.items():
            by_field[key[index]] = by_field.get(key[index], 0) + count
        tables.append(
            Table(
                key=f"escalations_by_{field}",
                title=title,
                columns=[label, _("Đã gửi")],
                rows=with_total(choice_rows(by_field, choices)),
                total_row=True,
            )
        )
    return tables


def _escalation_deadlines(per_agency) -> Table:
    counted = {
        name: sum(row[name] for _agency, row in per_agency)
        for name in ("ack_within", "ack_late", "resolve_within", "resolve_late")
    }
    rows = []
    for label, within, late in (
        (_("Thời hạn tiếp nhận"), counted["ack_within"], counted["ack_late"]),
        (_("Thời hạn giải quyết"), counted["resolve_within"], counted["resolve_late"]),
    ):
        rows.append([str(label), within + late, within, rate(within, within + late)])
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
        # No total in the title: a total beside the answers would give a hidden one back.
        title=_("Khảo sát sau cuộc trò chuyện"),
        columns=[_("Câu hỏi"), *(str(label) for label in SurveyAnswer.labels), _("Bỏ trống")],
        rows=rows,
    )
