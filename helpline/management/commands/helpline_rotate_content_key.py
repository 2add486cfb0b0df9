"""Encrypt every stored content text again under the newest CONTENT_ENCRYPTION_KEY.

Key rotation, as for phone numbers: put the new key first and keep the old ones
after it, restart every process (so that new texts are written under the new
key), run this, then remove the old keys. It works in batches, each its own
transaction, and skips texts already under the newest key, so it can be
stopped and started again at any time while the helpline serves.
"""

from django.core.management.base import BaseCommand, CommandError

from helpline.crypto import (
    ContentKeyMissing,
    ContentUnreadable,
    column_rewrite,
    content_keys_check,
    content_reencrypt,
    encrypted_fields,
)


class Command(BaseCommand):
    help = "Re-encrypt every stored content text under the newest CONTENT_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        try:
            content_keys_check()
        except ContentKeyMissing as problem:
            raise CommandError(str(problem)) from None
        unreadable = 0

        def reencrypt(stored: str) -> str | None:
            nonlocal unreadable
            try:
                return content_reencrypt(stored)
            except ContentUnreadable:
                unreadable += 1
                return None

        for model, field in encrypted_fields():
            rewritten = column_rewrite(model, field.name, reencrypt, batch_size=batch_size)
            self.stdout.write(f"{model._meta.label}.{field.name}: {rewritten} re-encrypted")
        if unreadable:
            # Counts only: the rows themselves are content.
            raise CommandError(
                f"{unreadable} texts could not be decrypted with the configured keys; "
                "keep the key they were written with in CONTENT_ENCRYPTION_KEY"
            )
