"""The one writer of ReportEvent rows."""

from reports.models import ReportEvent
from reports.report import Report


def report_event_record(*, report: Report, actor, action: str, format: str = "") -> ReportEvent:
    """Record that this report was viewed, exported (in which format) or generated."""
    return ReportEvent.objects.create(
        actor=actor,
        action=action,
        kind=report.kind,
        scope=report.scope,
        start=report.start,
        end=report.end,
        format=format,
    )
