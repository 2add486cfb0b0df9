"""The report as an XLSX workbook: a cover sheet, then one sheet per table.

Counts are numbers, so totals and charts can be made from them; "<5" and "×" are text, so no
formula can treat a hidden cell as a value. Text is never read as a formula or a link.
"""

import io
import re

import xlsxwriter
from django.utils.translation import gettext as _

from reports.exports.wording import heading_rows
from reports.report import Report, Table

SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
WIDEST_COLUMN = 60
# A table with more columns than this prints across the page.
WIDE_TABLE_COLUMNS = 8


def report_xlsx(report: Report) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": report.title, "author": "", "company": ""})
    formats = _formats(workbook)
    _cover(workbook.add_worksheet(_sheet_name(_("Thông tin"))), report, formats)
    for number, table in enumerate(report.tables, start=1):
        # The number keeps names unique however the titles are cut.
        sheet = workbook.add_worksheet(_sheet_name(f"{number}. {table.title}"))
        _table_sheet(sheet, table, formats)
    workbook.close()
    return buffer.getvalue()


def _formats(workbook) -> dict:
    base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
    number = {**base, "align": "right"}
    header = {**base, "bold": True, "text_wrap": True, "bottom": 1, "bg_color": "#EEEEEE"}
    return {
        "title": workbook.add_format({**base, "bold": True, "font_size": 14}),
        "label": workbook.add_format({**base, "bold": True}),
        "text": workbook.add_format({**base, "text_wrap": True}),
        "header": workbook.add_format(header),
        "header number": workbook.add_format({**header, "align": "right"}),
        "int": workbook.add_format({**number, "num_format": "#,##0"}),
        "float": workbook.add_format({**number, "num_format": "#,##0.0"}),
        "marker": workbook.add_format(number),
        "total int": workbook.add_format({**number, "num_format": "#,##0", "bold": True, "top": 1}),
        "total float": workbook.add_format(
            {**number, "num_format": "#,##0.0", "bold": True, "top": 1}
        ),
        "total marker": workbook.add_format({**number, "bold": True, "top": 1}),
        "total label": workbook.add_format({**base, "bold": True, "top": 1}),
        "note": workbook.add_format({**base, "italic": True}),
    }


def _printable(sheet, *, landscape: bool = False) -> None:
    """Print on A4, one page wide, as a union would file it."""
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    if landscape:
        sheet.set_landscape()


def _cover(sheet, report: Report, formats: dict) -> None:
    _printable(sheet)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 70)
    sheet.write_string(0, 0, report.title, formats["title"])
    row = 2
    for label, value in heading_rows(report):
        sheet.write_string(row, 0, label, formats["label"])
        sheet.write_string(row, 1, value, formats["text"])
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Các bảng"), formats["label"])
    for number, table in enumerate(report.tables, start=1):
        sheet.write_string(row, 1, f"{number}. {table.title}", formats["text"])
        row += 1
    for note in report.notes:
        row += 1
        sheet.write_string(row, 1, note, formats["text"])


def _table_sheet(sheet, table: Table, formats: dict) -> None:
    _printable(sheet, landscape=len(table.columns) > WIDE_TABLE_COLUMNS)
    sheet.write_string(0, 0, table.title, formats["title"])
    header_row = 2
    for column, heading in enumerate(table.columns):
        style = formats["header number" if column else "header"]
        sheet.write_string(header_row, column, heading, style)
    last = len(table.rows) - 1
    for index, row in enumerate(table.rows):
        total = table.total_row and index == last
        for column, value in enumerate(row):
            _write(sheet, header_row + 1 + index, column, value, formats, total=total)
    if table.note:
        sheet.write_string(header_row + len(table.rows) + 2, 0, table.note, formats["note"])
    sheet.freeze_panes(header_row + 1, 1)
    for column, width in enumerate(_widths(table)):
        sheet.set_column(column, column, width)


def _write(sheet, row: int, column: int, value, formats: dict, *, total: bool) -> None:
    prefix = "total " if total else ""
    if column == 0:
        label = "" if value is None else str(value)
        sheet.write_string(row, 0, label, formats["total label" if total else "text"])
    elif value is None:
        sheet.write_blank(row, column, None, formats[prefix + "marker"])
    elif isinstance(value, int | float) and not isinstance(value, bool):
        kind = "float" if isinstance(value, float) else "int"
        sheet.write_number(row, column, value, formats[prefix + kind])
    else:
        sheet.write_string(row, column, str(value), formats[prefix + "marker"])


def _widths(table: Table) -> list[float]:
    widths = []
    for column, heading in enumerate(table.columns):
        cells = [row[column] for row in table.rows if column < len(row)]
        longest = max([len(heading), *(len(_shown(value)) for value in cells)], default=8)
        widths.append(min(max(longest + 2, 8), WIDEST_COLUMN))
    return widths


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _sheet_name(wanted: str) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, no quote at either end.

    A longer title is cut after its last whole word that fits.
    """
    name = SHEET_NAME_FORBIDDEN.sub(" ", wanted)
    if len(name) > SHEET_NAME_LIMIT:
        cut = name[: SHEET_NAME_LIMIT + 1]
        name = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut[:SHEET_NAME_LIMIT]
    return name[:SHEET_NAME_LIMIT].strip().strip("'")
