import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from helpline.models import Role
from helpline.staff import staff_create


class Command(BaseCommand):
    """The bootstrap path, for whoever operates the server.

    Later access changes go through the two-person rule (helpline/staff.py); this
    command records no staff change request. Administrators it creates get the
    administrators' group, never superuser status.
    """

    help = (
        "Create a member of staff. The password is read from STAFF_PASSWORD if set, "
        "otherwise asked for at the prompt. Administrators are not made superusers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--hotline", help="hotline code: 00 for central, or a province code")
        scope.add_argument("--agency", help="agency code, for liaisons")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        password = os.environ.get("STAFF_PASSWORD") or self._ask_password()
        try:
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

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        if not first:
            raise CommandError("A password is required.")
        return first
