"""Incident pages under /reports/incidents/: list, open, detail, link and unlink cases, close,
and the flash report. Supervisors only (403 for anyone else); an incident the
supervisor may not see is a 404."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import has_transition_perm

from cases.forms import GroupedCategoryIterator
from cases.models import Category
from helpline.access import supervisor_required
from helpline.provinces import province_choices, province_name
from reports import incidents
from reports.audit import report_event_record
from reports.flash import flash_report_build
from reports.incident_selectors import (
    incident_cases_for_user,
    incident_get_for_user,
    incident_list_for_user,
)
from reports.models import IncidentSeverity, IncidentState, ReportEvent

NO_CHILD_DETAILS = gettext_lazy(
    "Các tổng đài khác và đối tác có thể đọc nội dung này: không ghi tên, tuổi, trường, "
    "tài khoản mạng xã hội, số điện thoại hay bất kỳ chi tiết nào về một em cụ thể."
)


class HarmCategoryField(forms.ModelChoiceField):
    """One category of the tree, under its parent's heading."""

    iterator = GroupedCategoryIterator

    def __init__(self, **kwargs):
        has_children = Exists(Category.objects.filter(parent=OuterRef("pk")))
        leaves = Category.objects.filter(is_active=True).filter(
            Q(parent__isnull=False) | ~has_children
        )
        super().__init__(queryset=leaves, to_field_name="code", **kwargs)


class IncidentForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Tên sự việc"), max_length=120, help_text=NO_CHILD_DETAILS
    )
    platform = forms.CharField(
        label=gettext_lazy("Nền tảng hoặc xu hướng"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("Ngắn gọn, ví dụ: “TikTok, thử thách nhịn thở”."),
    )
    category = HarmCategoryField(label=gettext_lazy("Loại tác hại"))
    severity = forms.ChoiceField(label=gettext_lazy("Mức độ"), choices=IncidentSeverity.choices)
    provinces = forms.MultipleChoiceField(
        label=gettext_lazy("Tỉnh/thành bị ảnh hưởng"),
        choices=province_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=gettext_lazy("Mô tả"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=NO_CHILD_DETAILS,
    )


class ReferenceForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Mã hồ sơ"), max_length=24)


@supervisor_required
@require_GET
def incident_list(request):
    return render(
        request,
        "reports/incident_list.html",
        {"incidents": incident_list_for_user(user=request.user)},
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def incident_create(request):
    initial = {}
    if not request.user.hotline.is_central:
        initial["provinces"] = [request.user.hotline.code]
    form = IncidentForm(request.POST or None, initial=initial)
    # Opened from a cross-province match (harms): its cases are linked once the incident exists.
    match_id = _match_id(request.POST.get("match") or request.GET.get("match"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                incident = incidents.incident_open(
                    user=request.user,
                    title=data["title"],
                    platform=data["platform"],
                    description=data["description"],
                    category=data["category"],
                    severity=data["severity"],
                    province_codes=data["provinces"],
                )
                if match_id is not None:
                    incidents.incident_cases_link_from_match(
                        user=request.user, incident_id=incident.pk, match_id=match_id
                    )
        except incidents.IncidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã mở sự việc #%(id)s.") % {"id": incident.pk})
            return redirect("incidents:detail", incident_id=incident.pk)
    return render(request, "reports/incident_form.html", {"form": form, "match_id": match_id})


def _match_id(raw) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else None


@supervisor_required
@require_GET
def incident_detail(request, incident_id: int):
    incident = incident_get_for_user(user=request.user, incident_id=incident_id)
    cases, others = incident_cases_for_user(user=request.user, incident=incident)
    provinces = [
        (code, province_name(code))
        for code in incident.provinces.values_list("province_code", flat=True)
    ]
    is_open = incident.state == IncidentState.OPEN
    return render(
        request,
        "reports/incident_detail.html",
        {
            "incident": incident,
            "cases": cases,
            "others": others,
            "linked": len(cases) + others,
            "provinces": provinces,
            "is_open": is_open,
            "can_close": is_open and has_transition_perm(incident.close, request.user),
            "link_form": ReferenceForm(),
        },
    )


def _act(request, incident_id: int, action, done: str):
    """Run one change from a posted form and go back to the incident with what happened."""
    form = ReferenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy nhập mã hồ sơ."))
        return redirect("incidents:detail", incident_id=incident_id)
    try:
        action(user=request.user, incident_id=incident_id, reference=form.cleaned_data["reference"])
    except incidents.IncidentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"reference": form.cleaned_data["reference"].upper()})
    return redirect("incidents:detail", incident_id=incident_id)


@supervisor_required
@require_POST
def incident_link(request, incident_id: int):
    return _act(
        request, incident_id, incidents.incident_case_link, _("Đã gắn hồ sơ %(reference)s.")
    )


@supervisor_required
@require_POST
def incident_unlink(request, incident_id: int):
    return _act(
        request, incident_id, incidents.incident_case_unlink, _("Đã gỡ hồ sơ %(reference)s.")
    )


@supervisor_required
@require_POST
def incident_close(request, incident_id: int):
    try:
        incidents.incident_close(user=request.user, incident_id=incident_id)
    except incidents.IncidentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã đóng sự việc."))
    return redirect("incidents:detail", incident_id=incident_id)


@supervisor_required
@require_GET
def incident_flash(request, incident_id: int):
    """The flash report, on the audit trail like every report read."""
    with transaction.atomic():
        incident = incident_get_for_user(user=request.user, incident_id=incident_id)
        report = flash_report_build(incident=incident, user=request.user)
        report_event_record(report=report, actor=request.user, action=ReportEvent.Action.VIEWED)
    return render(
        request,
        "reports/flash.html",
        {"report": report, "incident": incident, "charts": [_bars(c) for c in report.charts]},
    )


def _bars(chart) -> dict:
    """A chart as horizontal bars, each as a share of the longest (drawn in SVG by the page)."""
    values = chart.series[0][1] if chart.series else []
    longest = max(values, default=0) or 1
    return {
        "key": chart.key,
        "title": chart.title,
        "bars": [
            {"label": label, "value": int(value), "percent": round(100 * value / longest, 1)}
            for label, value in zip(chart.labels, values, strict=False)
        ],
    }
