from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from helpline.models import User


class Command(BaseCommand):
    """E-mail an existing account the link to set its password (and then enrol the second factor).

    For an account approved through a staff change request, which starts with
    no usable password, or one whose owner lost theirs before ever logging in.
    """

    help = "E-mail a member of staff the link to set their password."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        from accounts.services import enrolment_link_send

        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError("No active account with that username.")
        try:
            enrolment_link_send(user=user)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write("Enrolment link sent to the account's e-mail address.")
