"""Re-encrypt every stored phone number under the newest PHONE_ENCRYPTION_KEY.

Put the new key first in PHONE_ENCRYPTION_KEY and keep the old ones after it,
run this, then drop the old keys. Lookup hashes are derived from the newest
key, so they are computed again too.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from telephony.models import OperatorEndpoint, PhoneNumber
from telephony.phone import phone_decrypt, phone_lookup_hash, phone_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt stored phone numbers with the newest key and recompute lookup hashes."

    @transaction.atomic
    def handle(self, *args, **options):
        count = 0
        for phone in PhoneNumber.objects.select_for_update():
            phone.number_encrypted = phone_reencrypt(phone.number_encrypted)
            phone.number_hash = phone_lookup_hash(phone_decrypt(phone.number_encrypted))
            phone.save(update_fields=["number_encrypted", "number_hash"])
            count += 1
        for endpoint in OperatorEndpoint.objects.select_for_update().exclude(phone_encrypted=""):
            endpoint.phone_encrypted = phone_reencrypt(endpoint.phone_encrypted)
            endpoint.save(update_fields=["phone_encrypted"])
        self.stdout.write(f"re-encrypted {count}")
