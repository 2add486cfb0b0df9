"""A Zalo Official Account's tokens: a short-lived access token and a single-use refresh token.

Zalo answers a refresh with a new access token *and* a new refresh token, and
the old refresh token stops working. Losing the new one disconnects the OA
until a person authorises the app again. So:

- one refresher at a time: the refresh runs inside a transaction that holds
  the account's row lock (PostgreSQL) or the database's write lock (SQLite,
  whose transactions here begin IMMEDIATE); a second refresher waits, then
  sees the new tokens and does not refresh again;
- the answer is read and both tokens are saved, encrypted, in that same
  transaction, and it commits right after: nothing runs between Zalo's answer
  and the commit but the encryption.

If the process dies after Zalo answered but before the commit, the database
still holds the spent refresh token; the next refresh is refused, the
account's `token_error` says so, and replies fail with a visible "not
delivered" once the old access token expires. Recovery is a new authorisation
(docs/operations.md, "Zalo Official Account").
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.crypto import secret_encrypt
from connectors.http import EdgeUnreachable, post_form
from connectors.models import Platform, PlatformAccount

logger = logging.getLogger(__name__)

REFRESH_PATH = "/v4/oa/access_token"
# Zalo's access tokens last 25 hours; when an answer has no expires_in, assume an hour.
DEFAULT_EXPIRES_IN = 3600


class ZaloTokenError(Exception):
    """The refresh was refused or never answered; `code` says which, never a token."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def zalo_tokens_store(
    *, account: PlatformAccount, access_token: str, refresh_token: str, expires_in, at
) -> None:
    """Keep a fresh pair, encrypted. The caller holds the account's lock."""
    try:
        seconds = max(60, int(expires_in))
    except (TypeError, ValueError):
        seconds = DEFAULT_EXPIRES_IN
    account.access_token_encrypted = secret_encrypt(access_token)
    account.refresh_token_encrypted = secret_encrypt(refresh_token)
    account.access_expires_at = at + datetime.timedelta(seconds=seconds)
    account.tokens_updated_at = at
    account.token_error = ""
    account.save(
        update_fields=[
            "access_token_encrypted",
            "refresh_token_encrypted",
            "access_expires_at",
            "tokens_updated_at",
            "token_error",
        ]
    )


def _needs_refresh(account: PlatformAccount, *, at, stale_since) -> bool:
    if stale_since is not None:
        # The caller's token was refused: refresh unless someone did since it was read.
        return account.tokens_updated_at is None or account.tokens_updated_at <= stale_since
    margin = datetime.timedelta(seconds=settings.ZALO_TOKEN_REFRESH_MARGIN_SECONDS)
    return account.access_expires_at is None or account.access_expires_at - at <= margin


def zalo_tokens_refresh(
    *, account_id: int, at: datetime.datetime | None = None, stale_since=None
) -> PlatformAccount:
    """Refresh the OA's tokens if they need it (near expiry, or `stale_since`: refused).

    Returns the account as it is after the refresh. Raises ZaloTokenError when
    Zalo refused (the error is recorded on the account) or could not be reached.
    """
    at = at or timezone.now()
    with transaction.atomic():
        account = PlatformAccount.objects.select_for_update().get(
            pk=account_id, platform=Platform.ZALO
        )
        if not _needs_refresh(account, at=at, stale_since=stale_since):
            return account
        if not account.refresh_token_encrypted:
            raise ZaloTokenError("no_refresh_token")
        try:
            answer = post_form(
                settings.ZALO_OAUTH_BASE_URL + REFRESH_PATH,
                {
                    "refresh_token": account.refresh_token,
                    "app_id": settings.ZALO_APP_ID,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": settings.ZALO_APP_SECRET_KEY},
            )
        except EdgeUnreachable:
            # Nothing to save: if Zalo did take the refresh token, see the module's docstring.
            raise ZaloTokenError("unreachable") from None
        data = answer.data
        if data.get("access_token") and data.get("refresh_token"):
            zalo_tokens_store(
                account=account,
                access_token=data["access_token"],
                refresh_token=data["refresh_token"],
                expires_in=data.get("expires_in"),
                at=at,
            )
            return account
        code = str(data.get("error") or answer.status)[:40]
        account.token_error = code
        account.save(update_fields=["token_error"])
    logger.warning("zalo token refresh refused: account=%s error=%s", account_id, code)
    raise ZaloTokenError(code)


def zalo_access_token(*, account_id: int, at: datetime.datetime) -> tuple[str, datetime.datetime]:
    """A usable access token, refreshed first when it is about to expire.

    Returns the token and the time its pair was stored, which a caller whose
    token is then refused hands back as `stale_since`.
    """
    account = PlatformAccount.objects.get(pk=account_id)
    fresh = account.access_expires_at is not None and account.access_expires_at > at
    if account.access_token_encrypted and fresh:
        return account.access_token, account.tokens_updated_at
    account = zalo_tokens_refresh(account_id=account_id, at=at)
    return account.access_token, account.tokens_updated_at


def zalo_tokens_refresh_due(*, at: datetime.datetime) -> int:
    """Refresh every active OA whose access token expires within the margin."""
    margin = datetime.timedelta(seconds=settings.ZALO_TOKEN_REFRESH_MARGIN_SECONDS)
    due = PlatformAccount.objects.filter(
        platform=Platform.ZALO, is_active=True, access_expires_at__lte=at + margin
    ).exclude(refresh_token_encrypted="")
    refreshed = 0
    for account_id in list(due.values_list("pk", flat=True)):
        try:
            zalo_tokens_refresh(account_id=account_id, at=at)
        except ZaloTokenError:
            continue
        refreshed += 1
    return refreshed
