"""The help pages' tiny markup, rendered to escaped HTML.

Text written by staff never reaches a page as HTML: every character is escaped,
and only the structure below becomes tags.

- a blank line separates blocks;
- a line starting with "## " is a subheading;
- lines starting with "- " are a bulleted list;
- lines starting with "1. ", "2. "... are a numbered list;
- other lines are a paragraph (a single line break stays a line break).
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BULLET = re.compile(r"^[-•]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+(.*)$")
_SUBHEADING = re.compile(r"^##\s+(.*)$")


def _line_kind(line: str) -> tuple[str, str]:
    for kind, pattern in (("h", _SUBHEADING), ("ul", _BULLET), ("ol", _NUMBERED)):
        match = pattern.match(line)
        if match:
            return kind, match.group(1).strip()
    return "p", line.strip()


def _groups(text: str) -> list[tuple[str, list[str]]]:
    """Consecutive lines of the same kind, split at blank lines and headings."""
    groups: list[tuple[str, list[str]]] = []
    previous = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            previous = None
            continue
        kind, content = _line_kind(raw.strip())
        if kind == previous and kind != "h":
            groups[-1][1].append(content)
        else:
            groups.append((kind, [content]))
        previous = kind
    return groups


def render_help_text(text: str) -> SafeString:
    """Return the text as HTML paragraphs, subheadings and lists, every character escaped."""
    html = []
    for kind, lines in _groups(text or ""):
        escaped = [escape(line) for line in lines]
        if kind == "h":
            html.append(f"<h2>{escaped[0]}</h2>")
        elif kind in ("ul", "ol"):
            items = "".join(f"<li>{line}</li>" for line in escaped)
            html.append(f"<{kind}>{items}</{kind}>")
        else:
            html.append(f"<p>{'<br>'.join(escaped)}</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text was escaped above
