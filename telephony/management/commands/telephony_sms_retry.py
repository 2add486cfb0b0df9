"""Send again the operators' SMS that Twilio could not take. Run it every minute."""

from django.core.management.base import BaseCommand

from telephony.sms import sms_retry_pending


class Command(BaseCommand):
    help = "Retry outgoing SMS left pending after a Twilio or network failure."

    def handle(self, *args, **options):
        sent = sms_retry_pending()
        self.stdout.write(f"sent {sent}")
