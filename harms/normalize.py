"""The canonical form of a handle or URL, and its keyed hash.

Two provinces write the same account as "@KeXau" and "kexau", the same post
with and without "?utm_source=...": each is reduced to one form before it is
hashed, so that the match (harms/matches.py) finds them without anyone
comparing the cases themselves. What counts as the same:

- a handle: the platform, then the handle in Unicode NFKC, case-folded, without
  leading "@", zero-width characters or surrounding spaces. "kexau" and
  "kexau1" differ, and so do the same handle on two platforms;
- a URL: http and https alike, the host in lower case without "www.", "m." or
  "mobile.", no user name, no default port, no fragment, no tracking parameters
  (utm_*, fbclid, gclid, si, igshid and the others below), the other
  parameters sorted, and no trailing slash except the root's. The path keeps
  its case: most sites tell /AbC from /abc.

A URL whose first path segment starts with "@" (TikTok, YouTube, Threads)
also names a handle on that platform, used when the item names none.
"""

import hashlib
import hmac
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "si",
        "mibextid",
        "rdid",
        "sfnsn",
        "share_url",
        "share_id",
        "share_app_id",
        "sender_device",
        "is_from_webapp",
        "is_copy_url",
        "_t",
        "_r",
        "ref",
        "ref_src",
        "ref_url",
        "feature",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "zarsrc",
    }
)
TRACKING_PREFIXES = ("utm_", "__cft__", "__tn__", "_rdr")
HOST_PREFIXES = ("www.", "m.", "mobile.")
DEFAULT_PORTS = {80, 443}
ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")
SPACES = re.compile(r"\s+")


def handle_normalize(handle: str) -> str:
    """The handle as compared: NFKC, case-folded, no "@" in front, no invisible characters."""
    text = ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", handle or ""))
    text = SPACES.sub(" ", text).strip().lstrip("@").strip()
    return text.casefold()


def url_canonical(url: str) -> str:
    """The URL as compared, or "" when it is not an http(s) URL with a host."""
    text = ZERO_WIDTH.sub("", (url or "").strip())
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
            break
    netloc = host if port is None or port in DEFAULT_PORTS else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    kept = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in TRACKING_PARAMETERS
        and not name.lower().startswith(TRACKING_PREFIXES)
    )
    query = f"?{urlencode(kept)}" if kept else ""
    return f"https://{netloc}{path}{query}"


def handle_from_url(url: str) -> str:
    """The handle a URL names in its first path segment ("/@kexau/video/1"), or ""."""
    canonical = url_canonical(url)
    if not canonical:
        return ""
    segment = urlsplit(canonical).path.split("/")[1]
    return handle_normalize(segment) if segment.startswith("@") and len(segment) > 1 else ""


def _match_key() -> bytes:
    if settings.HARMS_MATCH_KEY:
        return settings.HARMS_MATCH_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"harms match key v1", hashlib.sha256).digest()


def _keyed(text: str) -> str:
    return hmac.new(_match_key(), text.encode(), hashlib.sha256).hexdigest()


def handle_hash(*, platform_code: str, handle: str) -> str:
    """The keyed hash of a handle on a platform, or "" without a handle."""
    normalized = handle_normalize(handle)
    return _keyed(f"handle\x00{platform_code}\x00{normalized}") if normalized else ""


def url_hash(url: str) -> str:
    """The keyed hash of a URL's canonical form, or "" when it is not a URL."""
    canonical = url_canonical(url)
    return _keyed(f"url\x00{canonical}") if canonical else ""


def item_hashes(*, platform_code: str, url: str, handle: str) -> tuple[str, str]:
    """(handle hash, URL hash) of an item; the handle comes from the URL when none is given."""
    named = handle if handle_normalize(handle) else handle_from_url(url)
    return handle_hash(platform_code=platform_code, handle=named), url_hash(url)
