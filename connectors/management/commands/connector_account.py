"""Connect a Zalo Official Account or a Facebook Page, on the server, with its token.

    manage.py connector_account zalo --id <OA id> --name "..." (--hotline 01 | --national)
    manage.py connector_account messenger --id <Page id> --name "..." (--hotline 01 | --national)

The token is read from standard input, never from the command line (which
shell histories and process lists keep): for Zalo the refresh token the OA's
authorisation gave, which is used at once to get a fresh pair (so it is proven
to work); for Messenger the Page access token. Run again with --keep-token to
change only the name or the routing.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from connectors.crypto import connector_keys_check, secret_encrypt
from connectors.models import Platform, PlatformAccount
from connectors.zalo_tokens import ZaloTokenError, zalo_tokens_refresh
from helpline.models import Hotline


class Command(BaseCommand):
    help = "Connect a Zalo OA or a Facebook Page; the token comes from standard input."

    def add_arguments(self, parser):
        parser.add_argument("platform", choices=Platform.values)
        parser.add_argument("--id", required=True, help="the OA id or the Page id")
        parser.add_argument("--name", required=True)
        routing = parser.add_mutually_exclusive_group(required=True)
        routing.add_argument("--hotline", help="the code of the hotline whose queue it feeds")
        routing.add_argument(
            "--national", action="store_true", help="ask the province, then route to its hotline"
        )
        parser.add_argument("--keep-token", action="store_true")
        parser.add_argument("--inactive", action="store_true", help="stop answering on it")

    def handle(self, *args, **options):
        connector_keys_check()
        hotline = None
        if options["hotline"]:
            hotline = Hotline.objects.filter(code=options["hotline"]).first()
            if hotline is None:
                raise CommandError(f"no hotline with code {options['hotline']}")
        token = "" if options["keep_token"] else sys.stdin.readline().strip()
        if not options["keep_token"] and not token:
            raise CommandError("give the token on standard input, or --keep-token")
        with transaction.atomic():
            account, created = PlatformAccount.objects.select_for_update().get_or_create(
                platform=options["platform"],
                external_id=options["id"],
                defaults={"name": options["name"], "hotline": hotline},
            )
            account.name = options["name"]
            account.hotline = hotline
            account.is_active = not options["inactive"]
            if token and account.platform == Platform.MESSENGER:
                account.access_token_encrypted = secret_encrypt(token)
                account.tokens_updated_at = timezone.now()
            elif token:
                # Expired on purpose: the refresh below replaces both at once.
                account.refresh_token_encrypted = secret_encrypt(token)
                account.access_token_encrypted = ""
                account.access_expires_at = None
            account.save()
        if token and account.platform == Platform.ZALO:
            try:
                account = zalo_tokens_refresh(account_id=account.pk)
            except ZaloTokenError as error:
                raise CommandError(f"Zalo refused the refresh token ({error.code})") from None
        routing = account.hotline.code if account.hotline else "national"
        self.stdout.write(
            f"{'created' if created else 'updated'} {account.platform} account {account.pk} "
            f"({routing}, {'active' if account.is_active else 'inactive'})"
        )
