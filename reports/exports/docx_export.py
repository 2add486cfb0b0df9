"""The report as a .docx a union can sign and send as it is (Decree 30/2020/NĐ-CP layout).

A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman. At the top, the
issuing body on the left with the number and symbol under it (the number left blank for the
clerk), the motto on the right with the place and date under it in italics; then "BÁO CÁO" and
the subject, the body (each table under its title, then the report's notes), and at the bottom
the recipients on the left and the signature block on the right. The header and signature texts
come from settings (REPORT_DOCX_*, see docs/operations.md): the youth union's own documents carry
"ĐOÀN TNCS HỒ CHÍ MINH" where the state's carry the national motto. The view renders this file in
Vietnamese whatever the user's language, since it is an official Vietnamese document.
"""

import copy
import io
from functools import cache

from django.conf import settings
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from helpline.provinces import provinces_by_code
from reports.exports.wording import legend_text, period_text
from reports.report import Report, Table

FONT = "Times New Roman"
BODY_SIZE = 13
TITLE_SIZE = 14
# Tables wider than this many columns drop to a smaller size to fit the page's width.
WIDE_TABLE_COLUMNS = 8
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
LEFT_BLOCK = Mm(70)
# Room for the clerk to write the number in by hand, and for the signature.
NUMBER_BLANK = "\u00a0" * 10
SIGNATURE_SPACE_LINES = 4


def report_docx(report: Report) -> bytes:
    document = Document()
    _page(document)
    _header(document, report)
    _title(document, report)
    _body(document, report)
    _closing(document, report)
    document.core_properties.title = report.title
    document.core_properties.author = ""
    document.core_properties.last_modified_by = ""
    document.core_properties.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def header_context(scope: str) -> dict:
    """What the header settings' {province} and {place} stand for in this scope."""
    province = provinces_by_code().get(scope)
    if province is None:
        return {"province": "", "place": settings.REPORT_DOCX_CENTRAL_PLACE, "central": True}
    name = province.name_vi
    short = name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    # The union's usage: "BCH TP. HÀ NỘI", "BCH TỈNH TUYÊN QUANG".
    prefix = "TP." if name.startswith("Thành phố ") else "TỈNH"
    return {"province": f"{prefix} {short.upper()}", "place": short, "central": False}


def _page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)


def _header(document, report: Report) -> None:
    context = header_context(report.scope)
    central = context["central"]
    issuer = (
        settings.REPORT_DOCX_CENTRAL_ISSUER_LINES if central else settings.REPORT_DOCX_ISSUER_LINES
    )
    symbol = settings.REPORT_DOCX_CENTRAL_SYMBOL if central else settings.REPORT_DOCX_SYMBOL
    left, right = _two_blocks(document)
    for index, line in enumerate(issuer):
        # The body above the issuer is plain, the issuer itself bold (Decree 30, item 3).
        bold = index > 0 or len(issuer) == 1
        _line(left, line.format(**context), size=BODY_SIZE, bold=bold)
    _line(left, _("Số: %(number)s-BC/%(symbol)s") % {"number": NUMBER_BLANK, "symbol": symbol})
    motto = settings.REPORT_DOCX_MOTTO_LINES
    for index, line in enumerate(motto):
        last = index == len(motto) - 1
        _line(right, line.format(**context), bold=True, underline=last)
    _line(right, "")
    _line(
        right, _("%(place)s, ngày ... tháng ... năm ...") % {"place": context["place"]}, italic=True
    )


def _title(document, report: Report) -> None:
    _paragraph(document, "", space_before=12)
    _paragraph(document, _("BÁO CÁO"), size=TITLE_SIZE, bold=True, center=True)
    _paragraph(document, report.title, size=TITLE_SIZE, bold=True, center=True)
    _paragraph(document, f"{report.scope_name}. {period_text(report)}", italic=True, center=True)
    _paragraph(document, "-----", center=True, space_after=12)


def _body(document, report: Report) -> None:
    _paragraph(document, legend_text(), justify=True, indent=True, space_after=6)
    for number, table in enumerate(report.tables, start=1):
        _paragraph(document, f"{number}. {table.title}", bold=True, space_before=6, space_after=6)
        _figures(document, table)
        if table.note:
            _paragraph(document, table.note, italic=True, space_before=3)
    for note in report.notes:
        _paragraph(document, note, justify=True, indent=True, space_before=6)


def _figures(document, table: Table) -> None:
    size = BODY_SIZE if len(table.columns) <= WIDE_TABLE_COLUMNS else 11
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Row by row: Table.cell(row, column) walks the whole table each time.
    header, *body = (row.cells for row in grid.rows)
    for cell, heading in zip(header, table.columns, strict=True):
        _cell(cell, heading, size=size, bold=True, center=True)
    last = len(table.rows) - 1
    for index, (cells, row) in enumerate(zip(body, table.rows, strict=True)):
        total = table.total_row and index == last
        for column, cell in enumerate(cells):
            value = row[column] if column < len(row) else None
            text = str(value) if column == 0 and value is not None else _number(value)
            _cell(cell, text, size=size, bold=total, right=column > 0)


def _closing(document, report: Report) -> None:
    context = header_context(report.scope)
    _paragraph(document, "", space_before=12)
    left, right = _two_blocks(document)
    _line(left, _("Nơi nhận:"), size=12, bold=True, italic=True, center=False)
    for line in settings.REPORT_DOCX_RECIPIENT_LINES:
        _line(left, line.format(**context), size=11, center=False)
    for line in settings.REPORT_DOCX_SIGNER_LINES:
        _line(right, line.format(**context), bold=True)
    _line(right, _("(Ký, ghi rõ họ tên)"), italic=True)
    for _blank in range(SIGNATURE_SPACE_LINES):
        _line(right, "")


def _two_blocks(document):
    """A borderless two-column row: the left block and the right block of the page."""
    blocks = document.add_table(rows=1, cols=2)
    blocks.autofit = False
    left, right = blocks.rows[0].cells
    left.width, right.width = LEFT_BLOCK, TEXT_WIDTH - LEFT_BLOCK
    return left, right


def _line(cell, text: str, *, size: int = BODY_SIZE, center: bool = True, **style) -> None:
    """A line of a header or closing block; the cell's first, empty paragraph is used first."""
    first = cell.paragraphs[0]
    paragraph = first if not first.text and not first.runs else cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    _run(paragraph, text, size=size, **style)


def _cell(cell, text: str, *, size: int, bold: bool = False, center=False, right=False) -> None:
    paragraph = cell.paragraphs[0]
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(paragraph, text, size=size, bold=bold)


def _paragraph(
    document,
    text: str,
    *,
    size: int = BODY_SIZE,
    center: bool = False,
    justify: bool = False,
    indent: bool = False,
    space_before: int = 0,
    space_after: int = 0,
    **style,
):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif justify:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.paragraph_format.space_after = Pt(space_after)
    _run(paragraph, text, size=size, **style)
    return paragraph


def _run(paragraph, text: str, *, size: int, bold=False, italic=False, underline=False) -> None:
    """Every run names its font and size, so nothing falls back to the template's Calibri."""
    run = paragraph.add_run(text)
    # A copy of ready-made properties: setting them one by one through python-docx costs
    # about a millisecond a run, seconds for a report of every hotline.
    run.element.insert(0, copy.deepcopy(_run_properties(size, bold, italic, underline)))


@cache
def _run_properties(size: int, bold: bool, italic: bool, underline: bool):
    fonts = " ".join(f'w:{script}="{FONT}"' for script in ("ascii", "hAnsi", "eastAsia", "cs"))
    half_points = size * 2
    # The children in the order the schema gives them.
    return parse_xml(
        f"<w:rPr {nsdecls('w')}><w:rFonts {fonts}/>"
        + ("<w:b/>" if bold else "")
        + ("<w:i/>" if italic else "")
        + f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
        + ('<w:u w:val="single"/>' if underline else "")
        + "</w:rPr>"
    )


def _number(value) -> str:
    """Vietnamese style: a dot between thousands, a comma before decimals; "–" for no value."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
