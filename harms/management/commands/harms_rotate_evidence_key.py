"""Encrypt every evidence file again under the newest EVIDENCE_ENCRYPTION_KEY.

Key rotation, as for phone numbers: put the new key first and keep the old one
after it, restart, run this, then remove the old key.
"""

from django.core.management.base import BaseCommand, CommandError

from harms.models import EvidenceFile
from harms.storage import (
    EvidenceKeyMissing,
    EvidenceUnreadable,
    evidence_keys_check,
    evidence_rotate,
)


class Command(BaseCommand):
    help = "Re-encrypt every stored evidence file under the newest EVIDENCE_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        try:
            evidence_keys_check()
        except EvidenceKeyMissing as problem:
            raise CommandError(str(problem)) from None
        rewritten = unreadable = 0
        for file_id in EvidenceFile.objects.filter(deleted_at__isnull=True).values_list(
            "pk", flat=True
        ):
            try:
                rewritten += evidence_rotate(file_id)
            except EvidenceUnreadable:
                unreadable += 1
        self.stdout.write(f"{rewritten} parts re-encrypted, {unreadable} files unreadable")
        if unreadable:
            raise CommandError("some files could not be decrypted with the configured keys")
