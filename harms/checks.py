"""A deploy check: evidence files are refused until their encryption key is set."""

from django.core import checks

from harms.storage import EvidenceKeyMissing, evidence_keys_check


def evidence_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        evidence_keys_check()
    except EvidenceKeyMissing as problem:
        return [
            checks.Warning(
                f"{problem} Evidence files (screenshots, PDFs) are refused until it is.",
                hint="Generate a key with cryptography's Fernet.generate_key() (operations.md).",
                id="harms.W001",
            )
        ]
    return []
