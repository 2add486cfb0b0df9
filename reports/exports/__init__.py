"""A report as a file that leaves the hotline: CSV, XLSX or .docx, always suppressed.

Every export goes through export_build, which hides small counts first (reports/suppression.py),
so no format and no caller can send out a table that singles out a young person. The page
inside the hotline shows the report unsuppressed; it never goes through here.
"""

from dataclasses import dataclass

from reports.exports.csv_export import report_csv
from reports.exports.docx_export import report_docx
from reports.exports.xlsx_export import report_xlsx
from reports.report import ALL, Report
from reports.suppression import report_suppressed

FORMATS = ("csv", "xlsx", "docx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
WRITERS = {"csv": report_csv, "xlsx": report_xlsx, "docx": report_docx}
# File names are ASCII, so every browser and mail client keeps them as they are.
KIND_SLUGS = {
    "yearly": "nam",
    "quarterly": "quy",
    "monthly": "thang",
    "weekly": "tuan",
    "flash": "dot-xuat",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


def export_build(*, report: Report, format: str) -> Export:
    """Return the report, suppressed, as a file in this format ("csv", "xlsx" or "docx")."""
    published = report_suppressed(report)
    return Export(
        content=WRITERS[format](published),
        content_type=CONTENT_TYPES[format],
        filename=export_filename(report=published, format=format),
    )


def export_filename(*, report: Report, format: str) -> str:
    """Kind, period and scope code, nothing else: bao-cao-nam-20251201-20261130-01.xlsx."""
    scope = "toan-quoc" if report.scope == ALL else report.scope
    kind = KIND_SLUGS.get(report.kind, "khac")
    return f"bao-cao-{kind}-{report.start:%Y%m%d}-{report.end:%Y%m%d}-{scope}.{format}"
