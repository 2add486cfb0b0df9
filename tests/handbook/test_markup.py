"""The help pages' tiny markup: structure from plain lines, every character escaped."""

from handbook.markup import render_help_text


def test_it_turns_blank_lines_dashes_numbers_and_hashes_into_structure():
    text = (
        "Đoạn một,\ndòng hai.\n\n## Làm gì\n1. Bước một\n2. Bước hai\n\n- Ý một\n- Ý hai\nĐoạn ba."
    )

    assert render_help_text(text) == (
        "<p>Đoạn một,<br>dòng hai.</p>\n<h2>Làm gì</h2>\n"
        "<ol><li>Bước một</li><li>Bước hai</li></ol>\n"
        "<ul><li>Ý một</li><li>Ý hai</li></ul>\n<p>Đoạn ba.</p>"
    )


def test_it_escapes_every_tag_and_quote_in_the_text():
    html = render_help_text('<script>alert(1)</script>\n- <b onclick="x()">a & b</b>\n## <i>')

    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<ul><li>&lt;b onclick=&quot;x()&quot;&gt;a &amp; b&lt;/b&gt;</li></ul>\n"
        "<h2>&lt;i&gt;</h2>"
    )


def test_it_renders_nothing_for_empty_text_and_windows_line_ends_like_others():
    assert render_help_text("") == ""
    assert render_help_text("a\r\n\r\nb") == "<p>a</p>\n<p>b</p>"
