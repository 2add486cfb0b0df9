"""English, the second language: a complete and current catalogue, and pages that switch to it.

The Vietnamese text in the code is the msgid; locale/en/LC_MESSAGES/django.po holds the English.
The catalogue is read here with a small parser, so the check needs nothing beyond the gettext
tools that `make messages` uses too.
"""

import ast
import gettext
import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.logins import staff_login

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# What `make messages` leaves out; the copy below leaves out the same, plus what never holds code.
NOT_SCANNED = {".venv", "bench", "tests", "staticfiles", "locale", "node_modules", "test-artifacts"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
MAKE_MESSAGES = "run `make messages`, translate the new entries, then run it again to compile"

# Letters that only Vietnamese uses among the languages of these pages.
VIETNAMESE = re.compile(
    "[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE
)
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdifr]")


# -- a small .po reader --------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    def __str__(self) -> str:
        return f"{self.msgctxt}|{self.msgid}" if self.msgctxt else self.msgid


def po_read(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") first, in file order."""
    entries: list[Entry] = []
    entry, field_name = Entry(), None

    def close() -> None:
        nonlocal entry, field_name
        if field_name is not None:
            entries.append(entry)
        entry, field_name = Entry(), None

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            close()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
        else:
            keyword, _, quoted = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and field_name not in (None, "msgctxt"):
                close()
            field_name, text = keyword, ast.literal_eval(quoted)
        if field_name == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + text
        elif field_name == "msgid":
            entry.msgid += text
        elif field_name == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + text
        else:
            index = int(field_name[7:-1]) if field_name.startswith("msgstr[") else 0
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
    close()
    return entries


def catalogue_entries() -> list[Entry]:
    entries = po_read(CATALOGUE)
    assert entries and entries[0].msgid == "", "the catalogue has no header entry"
    return entries[1:]


def key(entry: Entry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


# -- the catalogue ---------------------------------------------------------------


def test_it_reads_a_po_file_as_gettext_writes_it(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        "#: cases/views.py\n#, python-format\n"
        'msgid ""\n"Đã tạo "\n"hồ sơ %(ref)s."\nmsgstr "Case %(ref)s created."\n\n'
        'msgctxt "button"\nmsgid "Thêm ghi chú"\nmsgstr "Add note"\n\n'
        '#, fuzzy\nmsgid "Hồ sơ"\nmsgid_plural "Hồ sơ"\nmsgstr[0] "Case"\nmsgstr[1] ""\n\n'
        '#~ msgid "Cũ"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )

    header, created, note, cases, old = po_read(po)

    assert header.msgstr == {0: "Language: en\n"}
    assert (created.msgid, created.msgstr, created.flags) == (
        "Đã tạo hồ sơ %(ref)s.",
        {0: "Case %(ref)s created."},
        {"python-format"},
    )
    assert key(note) == ("button", "Thêm ghi chú") and note.msgstr == {0: "Add note"}
    assert cases.msgid_plural == "Hồ sơ" and cases.msgstr == {0: "Case", 1: ""}
    assert "fuzzy" in cases.flags
    assert old.obsolete and old.msgstr == {0: "Old"}


def test_it_translates_every_entry_of_the_english_catalogue():
    header = po_read(CATALOGUE)[0]
    entries = catalogue_entries()

    assert "Language: en\n" in header.msgstr[0]
    assert "fuzzy" not in header.flags
    assert len(entries) > 400
    untranslated = [str(e) for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    obsolete = [str(e) for e in entries if e.obsolete]
    assert untranslated == [], f"untranslated entries: {MAKE_MESSAGES}"
    assert fuzzy == [], "fuzzy entries: check the English and remove the fuzzy flag"
    assert obsolete == [], f"obsolete entries: {MAKE_MESSAGES}"


def test_it_keeps_every_placeholder_in_the_english():
    changed = [
        (str(e), text)
        for e in catalogue_entries()
        if "python-format" in e.flags
        for text in e.msgstr.values()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e.msgid))
    ]

    assert changed == []


def test_it_compiled_the_catalogue_from_the_current_po():
    assert COMPILED.exists(), f"{COMPILED.name} is missing: {MAKE_MESSAGES}"
    with COMPILED.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def english(entry: Entry) -> dict[int, str]:
        if entry.msgid_plural is not None:
            return {
                n: compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in entry.msgstr
            }
        if entry.msgctxt:
            return {0: compiled.pgettext(entry.msgctxt, entry.msgid)}
        return {0: compiled.gettext(entry.msgid)}

    stale = [str(e) for e in catalogue_entries() if english(e) != e.msgstr]

    assert stale == [], f"the .mo differs from the .po: {MAKE_MESSAGES}"


# -- the catalogue against the code ------------------------------------------------


@pytest.fixture
def gettext_tools():
    missing = [
        tool for tool in ("xgettext", "msgmerge", "msguniq", "msgfmt") if not shutil.which(tool)
    ]
    if missing:
        pytest.fail(
            f"the gettext tools are missing ({', '.join(missing)}): install the Debian package "
            "`gettext`, which .ci/run installs, to check the catalogue against the code"
        )


def test_it_passes_msgfmt_checks_of_formats_and_headers(gettext_tools):
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check", "--output-file=/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def source_copy(target: Path) -> None:
    """Copy the files makemessages reads, so that it runs without touching the work tree."""
    base = Path(settings.BASE_DIR)
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if any(part in NOT_SCANNED or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)


def test_it_has_every_message_the_code_uses_in_the_catalogue(gettext_tools, tmp_path, monkeypatch):
    source_copy(tmp_path)
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["en"], no_location=True, verbosity=0)
    extracted = po_read(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")[1:]

    used = {key(e) for e in extracted}
    committed = {key(e) for e in catalogue_entries()}
    assert len(used) > 400
    assert sorted(used - committed, key=str) == [], (
        f"messages not in the catalogue: {MAKE_MESSAGES}"
    )
    assert sorted(committed - used, key=str) == [], f"messages no code uses: {MAKE_MESSAGES}"


# -- pages ---------------------------------------------------------------------------


def visible_text(page: str) -> str:
    """What a person reads or hears: text and the labels of controls, without scripts."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
    labels = re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', page)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page) + "\n" + "\n".join(labels))


def vietnamese_left(page: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """Lines still in Vietnamese, after taking out the switch back and the data shown."""
    text = visible_text(page)
    for allowed in ("Tiếng Việt", *data):
        text = text.replace(allowed, "")
    return [line.strip() for line in text.splitlines() if VIETNAMESE.search(line)]


def switch_to_english(client, next_url: str) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.mark.django_db
def test_it_shows_the_case_list_in_english_after_the_switch(client, op_hanoi, make_case):
    make_case(by=op_hanoi, risk="high")
    staff_login(client, op_hanoi)

    switch_to_english(client, "/cases/")
    page = client.get("/cases/").content.decode()

    assert '<html lang="en">' in page
    for english in ("Cases", "New case", "Filter", "Status", "Risk", "High", "Sign out"):
        assert english in page
    for vietnamese in ("Hồ sơ", "Tạo hồ sơ", "Lọc", "Trạng thái", "Rủi ro", "Cao", "Đăng xuất"):
        assert f">{vietnamese}<" not in page
    assert vietnamese_left(page, data=(op_hanoi.get_full_name(),)) == []


@pytest.mark.django_db
def test_it_answers_a_case_page_action_in_english(client, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    switch_to_english(client, f"/cases/{case.pk}/")

    response = client.post(f"/cases/{case.pk}/notes/", {"body": "Đã gọi lại cho em."}, follow=True)
    page = response.content.decode()

    assert "Note added." in page
    assert ">Add note</button>" in page
    assert "Start work" in page
    assert vietnamese_left(page, data=(op_hanoi.get_full_name(), "Đã gọi lại cho em.")) == []


@pytest.mark.django_db
def test_it_shows_the_youth_chat_in_english_after_the_switch(client, reference_data):
    switch_to_english(client, "/chat/")
    page = client.get("/chat/").content.decode()

    assert '<html lang="en">' in page
    for english in ("Chat with a counsellor", "Quick exit", "You are not alone.", "Start chatting"):
        assert english in page
    for vietnamese in ("Thoát nhanh", "Bạn không một mình.", "Bắt đầu trò chuyện"):
        assert vietnamese not in page
    assert vietnamese_left(page) == []


@pytest.mark.django_db
def test_it_shows_the_login_page_in_english_after_the_switch(client):
    switch_to_english(client, "/accounts/login/")
    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="en">' in page
    for english in ("Staff sign-in", "Username", "Password", "Sign in"):
        assert english in page
    assert "Đăng nhập" not in page
    assert vietnamese_left(page) == []


@pytest.mark.django_db
def test_it_stays_vietnamese_for_a_browser_that_asks_for_english(client, op_hanoi, reference_data):
    english_browser = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}

    login = client.get("/accounts/login/", **english_browser).content.decode()
    chat = client.get("/chat/", **english_browser).content.decode()
    staff_login(client, op_hanoi)
    cases = client.get("/cases/", **english_browser).content.decode()

    assert '<html lang="vi">' in login and "Đăng nhập dành cho cán bộ" in login
    assert "Staff sign-in" not in login
    assert '<html lang="vi">' in chat and "Bạn không một mình." in chat
    # The chat page carries its English for its own switch, as data, not as what is shown.
    assert "You are not alone." not in visible_text(chat)
    assert '<html lang="vi">' in cases and "Tạo hồ sơ" in cases
    assert "New case" not in cases
