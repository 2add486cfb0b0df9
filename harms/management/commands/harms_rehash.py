"""Compute every online item's keyed hashes again (after HARMS_MATCH_KEY or the rules changed).

Items keep their URL and handle, so the hashes can always be made again; the
matches are then counted again from them.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from harms.matches import refresh_harm_matches
from harms.models import OnlineItem
from harms.normalize import item_hashes


class Command(BaseCommand):
    help = "Recompute the keyed hashes of every online item, then refresh the matches."

    def handle(self, *args, **options):
        changed = 0
        with transaction.atomic():
            for item in OnlineItem.objects.select_related("platform").select_for_update():
                hashes = item_hashes(
                    platform_code=item.platform.code, url=item.url, handle=item.handle
                )
                if hashes != (item.handle_hash, item.url_hash):
                    item.handle_hash, item.url_hash = hashes
                    item.save(update_fields=["handle_hash", "url_hash"])
                    changed += 1
        grown = refresh_harm_matches(now=timezone.now())
        self.stdout.write(f"{changed} items rehashed, {grown} matches grew")
