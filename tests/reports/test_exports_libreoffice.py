"""LibreOffice opens the .docx and the .xlsx: it turns them into PDFs with something in them.

`.ci/run` installs LibreOffice (libreoffice-writer-nogui, libreoffice-calc-nogui); a machine
without it fails here instead of skipping, since a union that cannot open the file has no report.
One soffice run converts both files, with its own profile in the test's directory.
"""

import subprocess

from reports.exports import export_build
from tests.reports.test_exports import crafted_report


def test_it_writes_files_libreoffice_opens(tmp_path):
    report = crafted_report()
    (tmp_path / "document.docx").write_bytes(export_build(report=report, format="docx").content)
    (tmp_path / "workbook.xlsx").write_bytes(export_build(report=report, format="xlsx").content)

    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "document.docx"),
            str(tmp_path / "workbook.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stderr
    for name in ("document.pdf", "workbook.pdf"):
        pdf = (tmp_path / name).read_bytes()
        assert pdf.startswith(b"%PDF-"), name
        assert b"/Type /Page" in pdf or b"/Type/Page" in pdf, name
        assert len(pdf) > 5000, name
