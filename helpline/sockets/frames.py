"""Inbound frames: one JSON object per text frame, checked before any handler sees it.

A bad frame gets an error frame and the socket stays open; what is wrong is
never logged, since a frame may carry what a young person wrote.
"""

import json
import uuid

from django.utils.translation import gettext as _

# Frames are flat objects, a list of codes at most. Anything deeper is not ours.
MAX_DEPTH = 3


class FrameError(Exception):
    """A frame that cannot be acted on; code and detail go back in an error frame."""

    def __init__(self, code: str, detail: str, **extra):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.extra = extra


def frame_size(text: str) -> int:
    # A lone surrogate cannot be encoded strictly; count it anyway.
    return len(text.encode("utf-8", "surrogatepass"))


def frame_parse(text: str) -> dict:
    """The frame as a dict, or FrameError: not JSON, not an object, too deep, or bad text."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("invalid_json", _("Khung dữ liệu không phải JSON hợp lệ.")) from None
    if not isinstance(frame, dict):
        raise FrameError("invalid_json", _("Khung dữ liệu không phải JSON hợp lệ."))
    _check(frame, depth=1)
    return frame


def _check(value, *, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise FrameError("invalid_json", _("Khung dữ liệu lồng nhau quá sâu."))
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth=depth + 1)


def _check_text(text: str) -> None:
    """The rules of the HTTP forms: no NUL character, and text that is valid UTF-8."""
    if "\x00" in text:
        raise FrameError("invalid_text", _("Nội dung chứa ký tự không hợp lệ."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("invalid_text", _("Nội dung chứa ký tự không hợp lệ.")) from None


def required(frame: dict, field: str, kind=str):
    if field not in frame or frame[field] is None:
        raise FrameError("missing_field", _("Thiếu trường “%(f)s”.") % {"f": field}, field=field)
    value = frame[field]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise FrameError(
            "invalid_field", _("Trường “%(f)s” không hợp lệ.") % {"f": field}, field=field
        )
    return value


def optional(frame: dict, field: str, kind=str, default=None):
    if frame.get(field) is None:
        return default
    return required(frame, field, kind)


def conversation_field(frame: dict) -> str:
    value = required(frame, "conversation")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FrameError(
            "invalid_field", _("Mã cuộc trao đổi không hợp lệ."), field="conversation"
        ) from None


def language_field(frame: dict, default: str) -> str:
    language = optional(frame, "language", default=default)
    if language not in ("vi", "en"):
        raise FrameError("invalid_field", _("Ngôn ngữ không hợp lệ."), field="language")
    return language
