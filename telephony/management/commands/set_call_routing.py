"""Set where a member of staff answers the calls they accept: browser softphone or a phone.

This is not editable in /admin/: the endpoint decides which phone rings when a
child's call is accepted, so only whoever operates the server sets it. The
number is read from CALL_ROUTING_NUMBER or asked at the prompt, never taken from
the command line, where it would stay in the shell history.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpline.models import Role, User
from telephony.models import OperatorEndpoint
from telephony.phone import PhoneKeyMissing, phone_encrypt, phone_mask, phone_normalize


class Command(BaseCommand):
    help = (
        "Send the calls a member of staff accepts to the browser softphone (--kind client) or "
        "to a phone (--kind phone, number from CALL_ROUTING_NUMBER or the prompt)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--kind", required=True, choices=OperatorEndpoint.Kind.values)

    def handle(self, *args, **options):
        user = User.objects.filter(
            username=options["username"], role__in=[Role.OPERATOR, Role.SUPERVISOR]
        ).first()
        if user is None:
            raise CommandError("No operator or supervisor has this username.")
        encrypted = masked = ""
        if options["kind"] == OperatorEndpoint.Kind.PHONE:
            number = phone_normalize(os.environ.get("CALL_ROUTING_NUMBER") or input("Number: "))
            if not number.startswith("+") or len(number) < 8:
                raise CommandError("The number must be in international form, starting with +.")
            try:
                encrypted = phone_encrypt(number)
            except PhoneKeyMissing as error:
                raise CommandError(str(error)) from None
            masked = " " + phone_mask(number)
        with transaction.atomic():
            OperatorEndpoint.objects.update_or_create(
                user=user, defaults={"kind": options["kind"], "phone_encrypted": encrypted}
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Calls accepted by {user.username} go to {options['kind']}{masked}."
            )
        )
