"""What an uploaded file must be, and what is kept of it.

Images (JPEG, PNG, WebP, at most EVIDENCE_IMAGE_MAX_BYTES) are decoded in full
and drawn again into a new image, which is what is kept: a malformed or
truncated file fails to decode and is refused, and nothing of the original
file but its pixels survives, so EXIF (GPS position, camera, time), XMP, IPTC,
ICC profiles and text chunks are gone. The orientation EXIF asked for is
applied first. An animated image keeps its first frame.

PDFs (at most EVIDENCE_PDF_MAX_BYTES, and only from staff) are kept as
received once they start with "%PDF-": their metadata (author, software,
dates) is NOT removed. Staff are told so where they upload them.

Each image also gets a thumbnail that is blurred beyond recognition, which is
what pages show until someone asks, on the record, to see the image itself.
"""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

# Format as Pillow names it -> (content type, what the thumbnail and the image keep).
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_CONTENT_TYPE = "application/pdf"
# Larger pictures are refused before decoding: a small file can decode to gigabytes.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIDE = 240
# Drawn this small first, then enlarged and blurred: nothing recognisable is left.
THUMBNAIL_SOURCE_SIDE = 20


class EvidenceRefused(Exception):
    """A file that is not kept, with the reason as a code and in words for the person."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CleanFile:
    kind: str  # "image" or "pdf"
    content_type: str
    data: bytes
    thumbnail: bytes | None
    width: int | None
    height: int | None
    original_size: int
    original_sha256: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _too_large(limit: int) -> EvidenceRefused:
    return EvidenceRefused(
        "too_large",
        _("Tệp quá lớn: tối đa %(mb)s MB.") % {"mb": _megabytes(limit)},
    )


def _unsupported(allow_pdf: bool) -> EvidenceRefused:
    if allow_pdf:
        text = _("Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF.")
    else:
        text = _("Chỉ gửi được ảnh JPEG, PNG hoặc WebP.")
    return EvidenceRefused("unsupported_type", text)


def _malformed() -> EvidenceRefused:
    return EvidenceRefused(
        "malformed",
        _("Không đọc được tệp này: tệp bị hỏng hoặc không phải là ảnh. Hãy chụp lại màn hình."),
    )


def evidence_clean(data: bytes, *, allow_pdf: bool) -> CleanFile:
    """Check a file and return what is kept of it, or raise EvidenceRefused."""
    if not data:
        raise EvidenceRefused("empty", _("Tệp trống."))
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        if not allow_pdf:
            raise _unsupported(allow_pdf)
        if len(data) > settings.EVIDENCE_PDF_MAX_BYTES:
            raise _too_large(settings.EVIDENCE_PDF_MAX_BYTES)
        return CleanFile("pdf", PDF_CONTENT_TYPE, data, None, None, None, len(data), digest)
    if len(data) > settings.EVIDENCE_IMAGE_MAX_BYTES:
        raise _too_large(settings.EVIDENCE_IMAGE_MAX_BYTES)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise _unsupported(allow_pdf)
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceRefused("too_large", _("Ảnh quá lớn (quá nhiều điểm ảnh)."))
            image_format = image.format
            image.load()
            pixels = _pixels_only(ImageOps.exif_transpose(image), image_format)
    except EvidenceRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise _malformed() from None
    except Image.DecompressionBombError:
        raise EvidenceRefused("too_large", _("Ảnh quá lớn (quá nhiều điểm ảnh).")) from None
    return CleanFile(
        "image",
        IMAGE_FORMATS[image_format],
        _encoded(pixels, image_format),
        _blurred_thumbnail(pixels),
        pixels.width,
        pixels.height,
        len(data),
        digest,
    )


def _pixels_only(image: Image.Image, image_format: str) -> Image.Image:
    """A new image holding the pixels and nothing else: no EXIF, XMP, ICC or text."""
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if image_format == "JPEG":
        mode = "L" if image.mode in ("1", "L") else "RGB"
    else:
        mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    # frombytes starts from an empty info dict: nothing of the original file's metadata.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encoded(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _blurred_thumbnail(image: Image.Image) -> bytes:
    """A JPEG at most THUMBNAIL_SIDE wide or high, in which nothing can be recognised."""
    scale = min(1.0, THUMBNAIL_SIDE / max(image.width, image.height))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    tiny = image.convert("RGB")
    tiny.thumbnail((THUMBNAIL_SOURCE_SIDE, THUMBNAIL_SOURCE_SIDE))
    blurred = tiny.resize(size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(8))
    out = io.BytesIO()
    blurred.save(out, "JPEG", quality=70)
    return out.getvalue()
