"""Evidence files at rest: encrypted, in a folder of their own, named by id alone.

Each file (and its blurred thumbnail) is one Fernet token (AES-128-CBC with
HMAC-SHA256) under EVIDENCE_ROOT, never in the database and never under a
folder the web server serves. Keys come from EVIDENCE_ENCRYPTION_KEY,
comma-separated, newest first: the first encrypts, every one decrypts, as for
phone numbers (telephony/phone.py). Without a usable key nothing is written or
read (fail closed). A file's name is its id: nothing a person typed or the
uploaded file's own name ever reaches the disk.
"""

import os
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CONTENT = "content"
THUMBNAIL = "thumbnail"
PARTS = (CONTENT, THUMBNAIL)


class EvidenceKeyMissing(ImproperlyConfigured):
    """EVIDENCE_ENCRYPTION_KEY is empty or malformed: no evidence file may be stored or read."""


class EvidenceUnreadable(Exception):
    """A stored file is missing, or cannot be decrypted with the configured keys."""


@lru_cache(maxsize=4)
def _cipher(raw: str) -> MultiFernet:
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise EvidenceKeyMissing("EVIDENCE_ENCRYPTION_KEY is not set.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        # The message names the variable, never the value.
        raise EvidenceKeyMissing(
            "EVIDENCE_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), "
            "comma-separated."
        ) from None


def evidence_keys_check() -> None:
    """Raise EvidenceKeyMissing unless the configured keys are usable."""
    _cipher(settings.EVIDENCE_ENCRYPTION_KEY)


def evidence_keys_configured() -> bool:
    try:
        evidence_keys_check()
    except EvidenceKeyMissing:
        return False
    return True


def evidence_path(file_id: uuid.UUID, part: str) -> Path:
    """Where one part of a file is kept: EVIDENCE_ROOT/ab/<32 hex digits>.<part>."""
    if part not in PARTS:
        raise ValueError(part)
    name = uuid.UUID(str(file_id)).hex
    return Path(settings.EVIDENCE_ROOT) / name[:2] / f"{name}.{part}"


def evidence_write(file_id: uuid.UUID, part: str, data: bytes) -> None:
    """Encrypt and store one part."""
    token = _cipher(settings.EVIDENCE_ENCRYPTION_KEY).encrypt(data)
    _write_token(evidence_path(file_id, part), token)


def _write_token(path: Path, token: bytes) -> None:
    """Write through a temporary file, so that a reader never sees a half-written one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(token)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def evidence_read(file_id: uuid.UUID, part: str) -> bytes:
    """Read and decrypt one part, or raise EvidenceUnreadable."""
    cipher = _cipher(settings.EVIDENCE_ENCRYPTION_KEY)
    try:
        token = evidence_path(file_id, part).read_bytes()
        return cipher.decrypt(token)
    except (FileNotFoundError, InvalidToken):
        raise EvidenceUnreadable(str(file_id)) from None


def evidence_erase(file_id: uuid.UUID) -> None:
    """Delete every part of a file that exists."""
    for part in PARTS:
        evidence_path(file_id, part).unlink(missing_ok=True)


def evidence_rotate(file_id: uuid.UUID) -> int:
    """Encrypt the parts of a file again under the newest key; returns how many were rewritten."""
    cipher = _cipher(settings.EVIDENCE_ENCRYPTION_KEY)
    rewritten = 0
    for part in PARTS:
        path = evidence_path(file_id, part)
        if not path.exists():
            continue
        try:
            token = cipher.rotate(path.read_bytes())
        except InvalidToken:
            raise EvidenceUnreadable(str(file_id)) from None
        _write_token(path, token)
        rewritten += 1
    return rewritten
