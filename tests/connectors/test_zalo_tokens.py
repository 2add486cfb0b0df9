"""A Zalo OA's tokens: refreshed before they expire, one refresher at a time, the single-use
refresh token never lost; and the command that connects an account."""

import datetime
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from connectors import zalo_tokens
from connectors.jobs import refresh_zalo_tokens
from connectors.models import PlatformAccount
from connectors.zalo_tokens import ZaloTokenError, zalo_tokens_refresh
from tests.connectors import messenger_edge, zalo_edge
from tests.connectors.conftest import zalo_account
from tests.connectors.edge import DROP

pytestmark = pytest.mark.django_db


def expiring(account, minutes: int) -> None:
    PlatformAccount.objects.filter(pk=account.pk).update(
        access_expires_at=timezone.now() + datetime.timedelta(minutes=minutes)
    )


def test_it_refreshes_a_token_in_the_worker_an_hour_before_it_expires(zalo_oa, zalo_api):
    expiring(zalo_oa, 90)
    assert refresh_zalo_tokens(now=timezone.now()) == 0
    assert zalo_api.refreshes() == []

    expiring(zalo_oa, 59)
    now = timezone.now()
    assert refresh_zalo_tokens(now=now) == 1

    [request] = zalo_api.refreshes()
    assert request.headers["secret_key"] == zalo_edge.APP_SECRET_KEY
    assert request.body == {
        "refresh_token": zalo_edge.FIRST_REFRESH_TOKEN,
        "app_id": zalo_edge.APP_ID,
        "grant_type": "refresh_token",
    }
    account = PlatformAccount.objects.get()
    assert (account.access_token, account.refresh_token) == (
        zalo_api.access_token,
        zalo_api.refresh_token,
    )
    assert account.access_expires_at == now + datetime.timedelta(seconds=90000)
    # Stored encrypted: neither token appears in its column.
    assert zalo_api.access_token not in account.access_token_encrypted
    assert zalo_api.refresh_token not in account.refresh_token_encrypted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("why", ["expiring", "refused"])
def test_it_refreshes_once_under_two_refreshers_and_keeps_the_new_refresh_token(
    connector_settings, hanoi_open, zalo_api, why
):
    account = zalo_account(zalo_edge.OA_ID, hanoi_open)
    expiring(account, 5)
    seen = PlatformAccount.objects.get().tokens_updated_at
    # Zalo takes a while to answer, so the second refresher arrives while the first waits.
    zalo_api.refresh_delay = 0.3
    barrier = threading.Barrier(2)
    outcomes = []

    def refresh():
        try:
            barrier.wait()
            stale_since = seen if why == "refused" else None
            zalo_tokens_refresh(account_id=account.pk, stale_since=stale_since)
            outcomes.append("ok")
        except ZaloTokenError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == ["ok", "ok"]
    # Had both refreshed, the second would have spent a token Zalo already replaced.
    assert len(zalo_api.refreshes()) == 1
    stored = PlatformAccount.objects.get()
    assert (stored.access_token, stored.refresh_token) == (
        zalo_api.access_token,
        zalo_api.refresh_token,
    )
    assert stored.token_error == ""


def test_it_records_a_refused_refresh_and_keeps_the_tokens(zalo_oa, zalo_api):
    zalo_api.refresh_token = "issued-to-someone-else"
    before = PlatformAccount.objects.get()

    with pytest.raises(ZaloTokenError) as refused:
        zalo_tokens_refresh(account_id=zalo_oa.pk, stale_since=before.tokens_updated_at)

    assert refused.value.code == "-14014"
    after = PlatformAccount.objects.get()
    assert after.token_error == "-14014"
    assert after.refresh_token_encrypted == before.refresh_token_encrypted


def test_it_changes_nothing_when_zalo_is_unreachable(zalo_oa, zalo_api):
    before = PlatformAccount.objects.get()
    zalo_api.fail_next(DROP)

    with pytest.raises(ZaloTokenError) as unreachable:
        zalo_tokens_refresh(account_id=zalo_oa.pk, stale_since=before.tokens_updated_at)

    assert unreachable.value.code == "unreachable"
    after = PlatformAccount.objects.get()
    assert (after.refresh_token_encrypted, after.token_error) == (
        before.refresh_token_encrypted,
        "",
    )


def test_it_shows_a_crash_between_zalos_answer_and_the_commit_and_recovers_by_reauthorising(
    zalo_oa, zalo_api, monkeypatch
):
    """The documented failure: the new pair is lost with the transaction; the next refresh is
    refused and says so; a new authorisation through the command reconnects the OA."""
    original_store = zalo_tokens.zalo_tokens_store

    def crash(**kwargs):
        raise RuntimeError("the process died")

    monkeypatch.setattr(zalo_tokens, "zalo_tokens_store", crash)
    expiring(zalo_oa, 5)
    with pytest.raises(RuntimeError):
        zalo_tokens_refresh(account_id=zalo_oa.pk)
    assert PlatformAccount.objects.get().refresh_token == zalo_edge.FIRST_REFRESH_TOKEN

    monkeypatch.setattr(zalo_tokens, "zalo_tokens_store", original_store)
    with pytest.raises(ZaloTokenError):
        zalo_tokens_refresh(account_id=zalo_oa.pk)
    assert PlatformAccount.objects.get().token_error == "-14014"

    # The OA's admin authorises the app again; Zalo gives a new refresh token.
    zalo_api.refresh_token = "zalo-refresh-reauthorised"
    monkeypatch.setattr("sys.stdin", io.StringIO("zalo-refresh-reauthorised\n"))
    out = io.StringIO()
    call_command(
        "connector_account",
        "zalo",
        "--id",
        zalo_edge.OA_ID,
        "--name",
        "OA Hà Nội",
        "--hotline",
        "01",
        stdout=out,
    )
    account = PlatformAccount.objects.get()
    assert (account.refresh_token, account.token_error) == (zalo_api.refresh_token, "")
    assert "zalo-refresh" not in out.getvalue()


def test_it_connects_a_national_zalo_oa_from_a_refresh_token_on_stdin(
    connector_settings, reference_data, zalo_api, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO(zalo_edge.FIRST_REFRESH_TOKEN + "\n"))
    call_command(
        "connector_account",
        "zalo",
        "--id",
        zalo_edge.NATIONAL_OA_ID,
        "--name",
        "OA quốc gia",
        "--national",
        stdout=io.StringIO(),
    )

    account = PlatformAccount.objects.get()
    assert (account.platform, account.hotline, account.is_active) == ("zalo", None, True)
    assert account.access_token == zalo_api.access_token
    assert len(zalo_api.refreshes()) == 1


def test_it_keeps_a_page_token_encrypted_and_refuses_a_missing_one(
    connector_settings, reference_data, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError):
        call_command(
            "connector_account",
            "messenger",
            "--id",
            messenger_edge.PAGE_ID,
            "--name",
            "Page Hà Nội",
            "--hotline",
            "01",
        )
    monkeypatch.setattr("sys.stdin", io.StringIO(messenger_edge.PAGE_TOKEN + "\n"))
    call_command(
        "connector_account",
        "messenger",
        "--id",
        messenger_edge.PAGE_ID,
        "--name",
        "Page Hà Nội",
        "--hotline",
        "01",
        stdout=io.StringIO(),
    )

    account = PlatformAccount.objects.get()
    assert account.hotline.code == "01"
    assert account.access_token == messenger_edge.PAGE_TOKEN
    assert messenger_edge.PAGE_TOKEN not in account.access_token_encrypted
