"""A deploy check: an evidence key that is set but unusable is a mistake to fix before going live.

No key at all is a choice: the helpline then takes no evidence file (fail closed), and says so
where files are uploaded.
"""

from django.conf import settings
from django.core import checks

from harms.storage import EvidenceKeyMissing, evidence_keys_check


def evidence_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.EVIDENCE_ENCRYPTION_KEY.strip():
        return []
    try:
        evidence_keys_check()
    except EvidenceKeyMissing as problem:
        return [
            checks.Warning(
                f"{problem} Evidence files (screenshots, PDFs) are refused until it is fixed.",
                hint="Generate a key with cryptography's Fernet.generate_key() (operations.md).",
                id="harms.W001",
            )
        ]
    return []
