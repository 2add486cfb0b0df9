"""A report's export, for supervisors: suppressed, in CSV, XLSX or .docx, and on the record."""

from contextlib import nullcontext

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import supervisor_required
from helpline.provinces import provinces_by_code
from reports.audit import report_event_record
from reports.exports import FORMATS, export_build
from reports.models import ReportEvent
from reports.report import ALL, KINDS


class ReportExportForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in KINDS])
    start = forms.DateField(input_formats=["%Y-%m-%d"])
    end = forms.DateField(input_formats=["%Y-%m-%d"])
    scope = forms.CharField(max_length=4)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("Ngày bắt đầu phải trước ngày kết thúc."))
        return cleaned


@supervisor_required
@never_cache
@require_GET
def report_export(request, format: str):
    """Send the report as a file: ?kind=yearly&start=2025-12-01&end=2026-11-30&scope=01."""
    if format not in FORMATS:
        raise Http404
    form = ReportExportForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Báo cáo cần loại, phạm vi và kỳ hợp lệ."))
    choice = form.cleaned_data
    if not _scope_allowed(user=request.user, scope=choice["scope"]):
        raise Http404
    # Imported here so that exports stand on their own until the figures are built.
    from reports.figures import report_build

    # An official document is written in Vietnamese, whatever language the page is in.
    with translation.override("vi") if format == "docx" else nullcontext():
        report = report_build(
            kind=choice["kind"],
            scope=choice["scope"],
            start=choice["start"],
            end=choice["end"],
            user=request.user,
        )
        export = export_build(report=report, format=format)
    # Recorded before anything is sent: an export that cannot be recorded does not leave.
    with transaction.atomic():
        report_event_record(
            report=report, actor=request.user, action=ReportEvent.Action.EXPORTED, format=format
        )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _scope_allowed(*, user, scope: str) -> bool:
    """A provincial supervisor exports their own hotline; a central one any hotline, or all.

    The hotlines are the central one and one per province of the reference list.
    """
    if user.is_central_supervisor:
        return scope in (ALL, settings.CENTRAL_HOTLINE_CODE) or scope in provinces_by_code()
    return user.hotline is not None and scope == user.hotline.code
