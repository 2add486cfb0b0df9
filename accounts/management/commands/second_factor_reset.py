from django.core.management.base import BaseCommand, CommandError

from helpline.models import User


class Command(BaseCommand):
    """For a member of staff who lost their phone and every recovery code.

    Check who is asking by a way other than e-mail first: after this, the
    password alone reaches the enrolment of a new app.
    """

    help = "Forget a member of staff's authenticator app and recovery codes; end their sessions."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        from accounts.services import second_factor_reset

        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No account with that username.")
        second_factor_reset(user_id=user.pk)
        self.stdout.write("Second factor removed; the next login enrols a new app.")
