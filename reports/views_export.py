"""A report's export, for supervisors: suppressed, in CSV, XLSX or .docx, and on the record.

The same query as the report's page (reports/views.py), the same figures (report_build) and the
same scope door (reports/selectors.py: another hotline's report is a 404), then the file from
reports.exports, which suppresses it.
"""

from contextlib import nullcontext

from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.reauth import reauth_required
from helpline.access import supervisor_required
from reports.audit import report_event_record
from reports.exports import FORMATS, export_build
from reports.figures import ReportRequestError, report_build
from reports.forms import ReportForm
from reports.models import ReportEvent
from reports.selectors import report_scope_default_for, report_scope_get_for_user


@supervisor_required
@never_cache
@require_GET
# A file of figures leaves the helpline: the person exporting proves again who they are.
@reauth_required()
def report_export(request, format: str):
    """Send the report as a file: ?kind=yearly&start=2025-12-01&end=2026-11-30&scope=01."""
    if format not in FORMATS:
        raise Http404
    form = ReportForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Báo cáo cần loại, phạm vi và kỳ hợp lệ."))
    choice = form.cleaned_data
    if choice["scope"]:
        scope = report_scope_get_for_user(user=request.user, code=choice["scope"])
    else:
        scope = report_scope_default_for(user=request.user)
    # An official document is written in Vietnamese, whatever language the page is in.
    with translation.override("vi") if format == "docx" else nullcontext():
        try:
            # Counted, written and recorded in one transaction: an export that cannot be
            # recorded is not sent, and one that fails to be written is not recorded.
            with transaction.atomic():
                report = report_build(
                    kind=choice["kind"],
                    scope=scope.code,
                    start=choice["start"],
                    end=choice["end"] or choice["start"],
                    user=request.user,
                )
                export = export_build(report=report, format=format)
                report_event_record(
                    report=report,
                    actor=request.user,
                    action=ReportEvent.Action.EXPORTED,
                    format=format,
                )
        except ReportRequestError as error:
            return HttpResponseBadRequest(str(error))
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
