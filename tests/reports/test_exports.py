"""Each export format read back: the figures, suppressed, with their titles and their context."""

import csv
import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from django.conf import settings
from django.test import override_settings
from docx.shared import Pt

from reports.exports import export_build, export_filename
from reports.report import Chart, Report, Table
from reports.suppression import HIDDEN, SMALL

ROOT = Path(settings.BASE_DIR)


def crafted_report(
    *,
    kind: str = "yearly",
    scope: str = "01",
    start: datetime.date = datetime.date(2025, 12, 1),
    end: datetime.date = datetime.date(2026, 11, 30),
) -> Report:
    """A report as reports/figures.py will build it, with small counts in known places.

    Channels: the phone's 3 must be hidden, and so must a second cell in its row and column.
    Age groups: the 2 and its partners. Wait times are durations and stay as they are.
    """
    return Report(
        kind=kind,
        scope=scope,
        scope_name="Tổng đài Thành phố Hà Nội" if scope == "01" else "Toàn quốc",
        start=start,
        end=end,
        title="Kết quả hoạt động của Tổng đài năm 2026",
        generated_at=datetime.datetime(2026, 11, 30, 1, 5, tzinfo=datetime.UTC),
        tables=[
            Table(
                key="channels",
                title="Liên hệ theo kênh",
                columns=["Kênh", "Năm nay", "Năm trước", "Thay đổi (%)"],
                rows=[
                    ["Web chat", 1234, 1100, 12.2],
                    ["Điện thoại", 3, 12, -75.0],
                    ["SMS", 48, 40, 20.0],
                    ["Tổng", 1285, 1152, 11.5],
                ],
                total_row=True,
            ),
            Table(
                key="ages",
                title="Liên hệ theo nhóm tuổi và giới",
                columns=["Nhóm tuổi", "Nữ", "Nam", "Không rõ"],
                rows=[["12-14", 2, 30, 41], ["15-17", 25, 38, 60], ["18-24", 17, 22, 0]],
            ),
            Table(
                key="waits",
                title="Thời gian chờ (giây)",
                columns=["Kênh", "Trung vị", "Phân vị 90"],
                rows=[["Web chat", 12.0, 95.5], ["Điện thoại", 3.0, None]],
                counts_people=False,
                note="Tính trên các cuộc đã được trả lời.",
            ),
        ],
        charts=[
            Chart(key="weeks", title="Theo tuần", kind="bar", labels=["1"], series=[("a", [3.0])])
        ],
        notes=["Số liệu đếm liên hệ, không phải hồ sơ."],
    )


def exported(format: str, report: Report | None = None) -> bytes:
    return export_build(report=report or crafted_report(), format=format).content


# -- suppression, whatever the format ----------------------------------------------------------


def test_it_names_files_by_kind_period_and_scope_only():
    assert export_build(report=crafted_report(), format="xlsx").filename == (
        "bao-cao-nam-20251201-20261130-01.xlsx"
    )
    every_hotline = crafted_report(kind="weekly", scope="all")
    assert export_filename(report=every_hotline, format="docx") == (
        "bao-cao-tuan-20251201-20261130-toan-quoc.docx"
    )


@pytest.mark.parametrize("format", ["csv", "xlsx", "docx"])
def test_it_suppresses_every_format(format):
    report = crafted_report()

    export = export_build(report=report, format=format)

    channels, ages, waits = (table_cells(format, export.content, index) for index in range(3))
    assert channels[1] == ["Điện thoại", SMALL, HIDDEN, HIDDEN]
    assert SMALL in ages[0] and ages[0][0] == "12-14"
    # Durations are not counts of people: a 3-second median stays.
    assert waits[1][:2] == ["Điện thoại", "3.0" if format == "csv" else "3,0"]
    # The report handed in is the hotline's own, and stays unsuppressed.
    assert report.tables[0].rows[1] == ["Điện thoại", 3, 12, -75.0]


def table_cells(format: str, content: bytes, index: int) -> list[list[str]]:
    """The body rows of the index-th table as text, however the format stores them."""
    if format == "csv":
        blocks = csv_blocks(content)
        return blocks[index][2:]
    if format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[index + 1]
        rows = list(sheet.iter_rows(min_row=4))
        return [[xlsx_text(cell) for cell in row] for row in rows if row[0].value is not None]
    document = docx.Document(io.BytesIO(content))
    # The first table holds the header blocks; the figures follow.
    grid = document.tables[1 + index]
    return [[cell.text for cell in row.cells] for row in grid.rows[1:]]


def xlsx_text(cell) -> str:
    """The cell as a reader sees it (with a comma, as the .docx writes decimals)."""
    if cell.data_type == "n" and cell.number_format == "#,##0.0":
        return f"{cell.value:.1f}".replace(".", ",")
    return "" if cell.value is None else str(cell.value)


# -- CSV -------------------------------------------------------------------------------------


def csv_blocks(content: bytes) -> list[list[list[str]]]:
    """The CSV's table blocks (title, columns, rows...), split on blank lines, after the cover."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    blocks, block = [], []
    for row in rows:
        if row:
            block.append(row)
        elif block:
            blocks.append(block)
            block = []
    blocks.append(block)
    return blocks[1:]


def test_it_writes_csv_in_utf8_with_a_bom_for_excel():
    content = exported("csv")

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Kết quả hoạt động của Tổng đài năm 2026"]
    assert ["Phạm vi", "Tổng đài Thành phố Hà Nội"] in rows
    assert ["Kỳ báo cáo", "Từ ngày 01/12/2025 đến ngày 30/11/2026"] in rows
    # Generated at 01:05 UTC, which is 08:05 in Vietnam.
    assert ["Thời điểm tạo", "30/11/2026 08:05"] in rows


def test_it_writes_one_csv_block_per_table_under_its_title():
    blocks = csv_blocks(exported("csv"))

    assert [block[0] for block in blocks[:3]] == [
        ["Liên hệ theo kênh"],
        ["Liên hệ theo nhóm tuổi và giới"],
        ["Thời gian chờ (giây)"],
    ]
    assert blocks[0][1] == ["Kênh", "Năm nay", "Năm trước", "Thay đổi (%)"]
    assert blocks[0][2] == ["Web chat", "1234", "1100", "12.2"]
    assert blocks[2][-1] == ["Tính trên các cuộc đã được trả lời."]
    assert blocks[3] == [["Số liệu đếm liên hệ, không phải hồ sơ."]]


def test_it_keeps_csv_text_from_running_as_a_formula():
    report = crafted_report()
    report.tables[1].rows[0][0] = '=HYPERLINK("http://x")'

    blocks = csv_blocks(exported("csv", report))

    assert blocks[1][2][0] == '\'=HYPERLINK("http://x")'


# -- XLSX ------------------------------------------------------------------------------------


def test_it_opens_the_workbook_on_a_cover_sheet():
    workbook = openpyxl.load_workbook(io.BytesIO(exported("xlsx")))

    assert workbook.sheetnames == [
        "Thông tin",
        "1. Liên hệ theo kênh",
        # Excel allows 31 characters; the name is cut after a whole word.
        "2. Liên hệ theo nhóm tuổi và",
        "3. Thời gian chờ (giây)",
    ]
    cover = {row[0]: row[1] for row in workbook["Thông tin"].iter_rows(values_only=True) if row[0]}
    assert "Kết quả hoạt động của Tổng đài năm 2026" in cover
    assert cover["Phạm vi"] == "Tổng đài Thành phố Hà Nội"
    assert cover["Kỳ báo cáo"] == "Từ ngày 01/12/2025 đến ngày 30/11/2026"
    assert cover["Thời điểm tạo"] == "30/11/2026 08:05"
    assert SMALL in cover["Ghi chú"]


def test_it_writes_counts_as_numbers_and_markers_as_text():
    sheet = openpyxl.load_workbook(io.BytesIO(exported("xlsx")))["1. Liên hệ theo kênh"]

    assert sheet["A1"].value == "Liên hệ theo kênh"
    assert [cell.value for cell in sheet[3]] == ["Kênh", "Năm nay", "Năm trước", "Thay đổi (%)"]
    web_chat, phone = sheet[4], sheet[5]
    assert [cell.value for cell in web_chat] == ["Web chat", 1234, 1100, 12.2]
    assert [cell.data_type for cell in web_chat[1:]] == ["n", "n", "n"]
    assert web_chat[1].number_format == "#,##0"
    assert web_chat[3].number_format == "#,##0.0"
    assert [cell.value for cell in phone] == ["Điện thoại", SMALL, HIDDEN, HIDDEN]
    assert phone[1].data_type == "s"
    assert sheet[7][0].font.bold
    # Columns are as wide as what they hold.
    assert sheet.column_dimensions["A"].width >= len("Điện thoại")
    assert sheet.freeze_panes == "B4"


def test_it_keeps_workbook_text_from_running_as_a_formula():
    report = crafted_report()
    report.tables[1].rows[0][0] = "=1+2"

    workbook = openpyxl.load_workbook(io.BytesIO(exported("xlsx", report)))

    label = workbook.worksheets[2]["A4"]
    assert (label.value, label.data_type) == ("=1+2", "s")


# -- DOCX ------------------------------------------------------------------------------------


def document_of(report: Report | None = None) -> docx.Document:
    return docx.Document(io.BytesIO(exported("docx", report)))


def block_lines(cell) -> list[str]:
    return [paragraph.text for paragraph in cell.paragraphs]


def test_it_heads_the_document_with_the_issuer_and_the_motto():
    header = document_of().tables[0].rows[0].cells

    assert block_lines(header[0]) == [
        "BAN CHẤP HÀNH ĐOÀN TP. HÀ NỘI",
        "BAN THƯỜNG VỤ",
        "***",
        "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-BC/TĐTN",
    ]
    assert not header[0].paragraphs[0].runs[0].bold
    assert header[0].paragraphs[1].runs[0].bold
    motto, _blank, place = header[1].paragraphs
    assert motto.text == "ĐOÀN TNCS HỒ CHÍ MINH"
    assert motto.runs[0].bold and motto.runs[0].underline
    assert place.text == "Hà Nội, ngày ... tháng ... năm ..."
    assert place.runs[0].italic


def test_it_takes_the_header_blocks_from_the_settings():
    state_motto = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    with override_settings(
        REPORT_DOCX_ISSUER_LINES=["UBND {province}", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"],
        REPORT_DOCX_MOTTO_LINES=state_motto,
        REPORT_DOCX_SYMBOL="SGDĐT",
    ):
        report = crafted_report()
        report.scope = "08"
        header = document_of(report).tables[0].rows[0].cells

    assert block_lines(header[0])[:2] == ["UBND TỈNH TUYÊN QUANG", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"]
    assert block_lines(header[0])[2].endswith("-BC/SGDĐT")
    motto = header[1].paragraphs
    assert [paragraph.text for paragraph in motto[:2]] == state_motto
    assert not motto[0].runs[0].underline and motto[1].runs[0].underline
    assert motto[3].text == "Tuyên Quang, ngày ... tháng ... năm ..."


def test_it_heads_a_central_report_with_the_central_issuer():
    header = document_of(crafted_report(scope="all")).tables[0].rows[0].cells

    assert block_lines(header[0]) == [
        "BAN CHẤP HÀNH TRUNG ƯƠNG",
        "***",
        "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-BC/TWĐTN",
    ]
    assert header[1].paragraphs[-1].text == "Hà Nội, ngày ... tháng ... năm ..."


def test_it_titles_the_document_and_lays_the_tables_out_under_their_titles():
    document = document_of()
    texts = [paragraph.text for paragraph in document.paragraphs if paragraph.text]

    assert texts[:3] == [
        "BÁO CÁO",
        "Kết quả hoạt động của Tổng đài năm 2026",
        "Tổng đài Thành phố Hà Nội. Từ ngày 01/12/2025 đến ngày 30/11/2026",
    ]
    assert "1. Liên hệ theo kênh" in texts
    assert "3. Thời gian chờ (giây)" in texts
    assert "Số liệu đếm liên hệ, không phải hồ sơ." in texts
    assert "Tính trên các cuộc đã được trả lời." in texts
    channels = document.tables[1]
    assert [cell.text for cell in channels.rows[0].cells] == [
        "Kênh",
        "Năm nay",
        "Năm trước",
        "Thay đổi (%)",
    ]
    # Vietnamese numbers: a dot between thousands, a comma before decimals.
    assert [cell.text for cell in channels.rows[1].cells] == ["Web chat", "1.234", "1.100", "12,2"]
    assert [cell.text for cell in document.tables[3].rows[2].cells] == ["Điện thoại", "3,0", "–"]


def test_it_closes_the_document_with_recipients_and_a_signature_block():
    closing = document_of().tables[-1].rows[0].cells

    assert block_lines(closing[0]) == [
        "Nơi nhận:",
        "- Ban Bí thư Trung ương Đoàn (để báo cáo);",
        "- Lưu: VP.",
    ]
    assert closing[0].paragraphs[0].runs[0].bold and closing[0].paragraphs[0].runs[0].italic
    signature = block_lines(closing[1])
    assert signature[:3] == ["TM. BAN THƯỜNG VỤ", "BÍ THƯ", "(Ký, ghi rõ họ tên)"]
    # Room to sign, left empty.
    assert signature[3:] == ["", "", "", ""]


def test_it_prints_on_a4_with_the_decree_margins():
    section = document_of().sections[0]

    # Word stores lengths in twentieths of a point, so compare in whole millimetres.
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25
    assert 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20


def test_it_writes_everything_in_times_new_roman():
    document = document_of()
    runs = [run for paragraph in document.paragraphs for run in paragraph.runs]
    cells = [cell for table in document.tables for row in table.rows for cell in row.cells]
    runs += [run for cell in cells for paragraph in cell.paragraphs for run in paragraph.runs]

    assert runs
    assert {run.font.name for run in runs} == {"Times New Roman"}
    assert document.styles["Normal"].font.name == "Times New Roman"
    body = [run for paragraph in document.paragraphs for run in paragraph.runs]
    assert {run.font.size for run in body} <= {Pt(13), Pt(14)}
    figures = [
        run
        for table in document.tables[1:-1]
        for row in table.rows
        for cell in row.cells
        for paragraph in cell.paragraphs
        for run in paragraph.runs
    ]
    assert {run.font.size for run in figures} == {Pt(13)}


def test_it_leaves_no_name_in_the_document_properties():
    properties = document_of().core_properties

    assert properties.author == ""
    assert properties.last_modified_by == ""
    assert properties.title == "Kết quả hoạt động của Tổng đài năm 2026"


# -- settings --------------------------------------------------------------------------------


def test_it_refuses_to_start_with_an_unknown_placeholder_in_a_header_setting(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "1",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "REPORT_DOCX_ISSUER_LINES": "BAN CHẤP HÀNH ĐOÀN {tinh}|BAN THƯỜNG VỤ",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "REPORT_DOCX_ISSUER_LINES" in result.stderr
