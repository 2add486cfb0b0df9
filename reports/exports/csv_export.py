"""The report as CSV: one block per table under its title, for tools that read plain data.

UTF-8 with a byte order mark, because Excel reads a CSV without one in the machine's code page
and turns Vietnamese into noise. Numbers are written plainly (a dot before decimals) so that
scripts read them; people who want a spreadsheet take the XLSX.
"""

import csv
import io

from reports.exports.wording import heading_rows
from reports.report import Report

# A text cell starting with one of these runs as a formula in a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_text(report.title)])
    for label, value in heading_rows(report):
        writer.writerow([_text(label), _text(value)])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([_text(table.title)])
        writer.writerow([_text(column) for column in table.columns])
        for row in table.rows:
            writer.writerow([_cell(value) for value in row])
        if table.note:
            writer.writerow([_text(table.note)])
    if report.notes:
        writer.writerow([])
        for note in report.notes:
            writer.writerow([_text(note)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return _text(value)


def _text(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
