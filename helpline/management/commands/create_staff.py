import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpline.models import Role
from helpline.staff import staff_create


class Command(BaseCommand):
    """The bootstrap path, for whoever operates the server.

    Later access changes go through the two-person rule (helpline/staff.py); this
    command records no staff change request. Administrators it creates get the
    administrators' group, never superuser status.

    With --send-enrolment-link the account gets no password here: the person
    receives an e-mail link to set one, and enrols the second factor at their
    first login. Without it (the first accounts, before mail works), the
    password comes from STAFF_PASSWORD or the prompt, never the command line.
    """

    help = (
        "Create a member of staff. With --send-enrolment-link (needs --email) the person sets "
        "their own password from an e-mailed link; otherwise the password is read from "
        "STAFF_PASSWORD if set, or asked for at the prompt. Administrators are not made "
        "superusers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--hotline", help="hotline code: 00 for central, or a province code")
        scope.add_argument("--agency", help="agency code, for liaisons")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--send-enrolment-link",
            action="store_true",
            help="e-mail a link to set the password instead of asking for one",
        )

    def handle(self, *args, **options):
        from accounts.services import enrolment_link_send

        by_link = options["send_enrolment_link"]
        if by_link and not options["email"]:
            raise CommandError("--send-enrolment-link needs --email.")
        password = None if by_link else os.environ.get("STAFF_PASSWORD") or self._ask_password()
        try:
            with transaction.atomic():
                user = staff_create(
                    username=options["username"],
                    role=options["role"],
                    password=password,
                    hotline_code=options["hotline"],
                    agency_code=options["agency"],
                    full_name=options["full_name"],
                    email=options["email"],
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({user.role})."))
        if by_link:
            enrolment_link_send(user=user)
            self.stdout.write("Enrolment link sent to the account's e-mail address.")

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        if not first:
            raise CommandError("A password is required.")
        return first
