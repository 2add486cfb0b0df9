"""Platform user ids and access tokens at rest: encrypted, found by a keyed hash, shown masked.

A Zalo user id or a Messenger page-scoped id names one young person as surely
as a phone number does, so it is kept the way telephony keeps numbers, under
keys of its own: Fernet (AES-128-CBC with HMAC-SHA256) with the keys of
CONNECTOR_ENCRYPTION_KEY, newest first, and an HMAC-SHA256 lookup hash under a
key derived from the newest one, so a stolen database can't be searched by
hashing every possible id. The platforms' access and refresh tokens are
encrypted with the same keys.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "••••"


class ConnectorKeyMissing(ImproperlyConfigured):
    """CONNECTOR_ENCRYPTION_KEY is empty or malformed; no connector may run."""


@lru_cache(maxsize=4)
def _ciphers(raw: str) -> tuple[MultiFernet, bytes]:
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ConnectorKeyMissing("CONNECTOR_ENCRYPTION_KEY is not set")
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError:
        # The message names the variable, never the value.
        raise ConnectorKeyMissing(
            "CONNECTOR_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), "
            "comma-separated"
        ) from None
    lookup_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpline connector lookup v1"
    ).derive(base64.urlsafe_b64decode(keys[0]))
    return MultiFernet(fernets), lookup_key


def connector_keys_check() -> None:
    """Raise ConnectorKeyMissing unless the configured keys are usable."""
    _ciphers(settings.CONNECTOR_ENCRYPTION_KEY)


def connector_keys_configured() -> bool:
    try:
        connector_keys_check()
    except ConnectorKeyMissing:
        return False
    return True


def secret_encrypt(value: str) -> str:
    fernet, _ = _ciphers(settings.CONNECTOR_ENCRYPTION_KEY)
    return fernet.encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    fernet, _ = _ciphers(settings.CONNECTOR_ENCRYPTION_KEY)
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise ConnectorKeyMissing("a stored value can't be decrypted with the keys") from None


def platform_user_hash(*, platform: str, account_id: str, user_id: str) -> str:
    """The keyed hash a platform user is found by; ids are only unique per account."""
    _, lookup_key = _ciphers(settings.CONNECTOR_ENCRYPTION_KEY)
    subject = f"{platform}\x00{account_id}\x00{user_id}".encode()
    return hmac.new(lookup_key, subject, hashlib.sha256).hexdigest()


def platform_user_mask(user_id: str) -> str:
    """Show only the last three characters: "••••789"."""
    if len(user_id or "") < 8:
        return MASK
    return MASK + user_id[-3:]
