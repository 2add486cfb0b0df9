"""Phone numbers as personal data: encrypted at rest, found by a keyed hash, shown masked.

The database alone never reveals a number. Encryption uses Fernet (AES-128-CBC
with HMAC-SHA256) with keys from PHONE_ENCRYPTION_KEY; the lookup hash is an
HMAC-SHA256 under a key derived from the newest encryption key, so a stolen
database can't be searched by hashing every possible number.
"""

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK_PREFIX = "•••• ••• "


class PhoneKeyMissing(ImproperlyConfigured):
    """PHONE_ENCRYPTION_KEY is empty or malformed; phone features must not run."""


def _key_list(raw: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in raw.split(",") if key.strip())


@lru_cache(maxsize=4)
def _ciphers(raw: str) -> tuple[MultiFernet, bytes]:
    keys = _key_list(raw)
    if not keys:
        raise PhoneKeyMissing("PHONE_ENCRYPTION_KEY is not set")
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError:
        # The message names the variable, never the value.
        raise PhoneKeyMissing(
            "PHONE_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from None
    lookup_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpline phone lookup v1"
    ).derive(base64.urlsafe_b64decode(keys[0]))
    return MultiFernet(fernets), lookup_key


def phone_keys_check() -> None:
    """Raise PhoneKeyMissing unless the configured keys are usable."""
    _ciphers(settings.PHONE_ENCRYPTION_KEY)


def phone_keys_configured() -> bool:
    try:
        phone_keys_check()
    except PhoneKeyMissing:
        return False
    return True


def phone_normalize(number: str) -> str:
    """Canonical form for hashing: E.164 digits with a leading +, or a client identity as is.

    Twilio already sends E.164; admins may type spaces, dots or dashes.
    """
    number = (number or "").strip()
    if number.startswith("client:") or not number:
        return number
    digits = re.sub(r"\D", "", number)
    return ("+" + digits) if number.startswith("+") else digits


# What people type around the digits of a number: spaces, dots, dashes, brackets.
_TYPED_NUMBER = re.compile(r"\+?[0-9 .()\-]{9,24}")


def phone_vietnam_e164(typed) -> str | None:
    """A Vietnamese mobile or landline number as E.164 (+84...), or None when it is not one.

    It must start with +84 or 0. After that, a mobile number has nine digits
    and starts with 3, 5, 7, 8 or 9; a landline has ten and starts with 2 (the
    area code). "+84 0912..." is read as "+84 912...", as people write it.
    Short codes, service numbers (1800, 1900) and foreign numbers are refused.
    """
    if not isinstance(typed, str) or not _TYPED_NUMBER.fullmatch(typed.strip()):
        return None
    number = phone_normalize(typed)
    if number.startswith("+84"):
        national = number[3:].removeprefix("0")
    elif number.startswith("0") and not number.startswith("00"):
        national = number[1:]
    else:
        return None
    is_mobile = len(national) == 9 and national[0] in "35789"
    is_landline = len(national) == 10 and national[0] == "2"
    return "+84" + national if is_mobile or is_landline else None


def phone_encrypt(number: str) -> str:
    fernet, _ = _ciphers(settings.PHONE_ENCRYPTION_KEY)
    return fernet.encrypt(phone_normalize(number).encode()).decode()


def phone_decrypt(token: str) -> str:
    fernet, _ = _ciphers(settings.PHONE_ENCRYPTION_KEY)
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise PhoneKeyMissing("a stored phone number can't be decrypted with the keys") from None


def phone_lookup_hash(number: str) -> str:
    _, lookup_key = _ciphers(settings.PHONE_ENCRYPTION_KEY)
    return hmac.new(lookup_key, phone_normalize(number).encode(), hashlib.sha256).hexdigest()


def phone_mask(number: str) -> str:
    """Show only the last three digits: "•••• ••• 123"."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < 6:
        # Too short to hide anything by showing a part; "anonymous" lands here too.
        return MASK_PREFIX.strip()
    return MASK_PREFIX + digits[-3:]


def phone_reencrypt(token: str) -> str:
    """Encrypt again under the newest key (for key rotation)."""
    fernet, _ = _ciphers(settings.PHONE_ENCRYPTION_KEY)
    return fernet.rotate(token.encode()).decode()
