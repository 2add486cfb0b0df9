"""Delete voicemail audio at Twilio once VOICEMAIL_RETENTION_DAYS have passed. Run it daily."""

from django.core.management.base import BaseCommand

from telephony.calls import voicemails_purge


class Command(BaseCommand):
    help = "Delete voicemail recordings at Twilio past their retention; keep the metadata."

    def handle(self, *args, **options):
        deleted = voicemails_purge()
        self.stdout.write(f"deleted {deleted}")
