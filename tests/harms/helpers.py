"""Images and items for the harms tests, made here rather than kept as files."""

import io
import os

from PIL import Image

from cases.models import Category
from harms.models import Platform
from harms.services import online_item_create

# EXIF tags: the GPS IFD and, in it, latitude and longitude.
GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
CAMERA_MAKE = 0x010F


def image_bytes(image_format: str = "JPEG", *, size=(64, 48), gps: bool = False) -> bytes:
    """A small picture with a pattern, with a GPS position in its EXIF when asked."""
    image = Image.new("RGB", size, (200, 30, 30))
    for x in range(0, size[0], 8):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 20, 220))
    out = io.BytesIO()
    extra = {}
    if gps:
        exif = Image.Exif()
        exif[CAMERA_MAKE] = "PhoneMaker"
        exif[GPS_IFD] = {
            GPS_LATITUDE_REF: "N",
            GPS_LATITUDE: (21.0, 1.0, 30.0),
            GPS_LONGITUDE_REF: "E",
            GPS_LONGITUDE: (105.0, 51.0, 0.0),
        }
        extra["exif"] = exif
    image.save(out, image_format, **extra)
    return out.getvalue()


def noise_bytes(image_format: str = "PNG", *, side: int = 400) -> bytes:
    """A picture that does not compress: random pixels, about side * side * 3 bytes as PNG."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def platform(code: str) -> Platform:
    return Platform.objects.get(code=code)


def category_id(code: str) -> int:
    return Category.objects.get(code=code).pk


def record_item(
    case,
    *,
    by,
    platform_code="tiktok",
    url="",
    handle="",
    category="online.cyberbullying",
    kind="profile",
    description="",
    upload=None,
    at=None,
):
    return online_item_create(
        user=by,
        case_id=case.pk,
        platform=platform(platform_code).pk,
        kind=kind,
        url=url,
        handle=handle,
        category=category_id(category),
        seen_at=None,
        description=description,
        upload=upload,
        at=at,
    )
