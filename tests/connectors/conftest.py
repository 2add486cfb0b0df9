"""Connector fixtures: secrets configured, the platforms' APIs on loopback, accounts connected."""

import datetime

import pytest
from cryptography.fernet import Fernet
from django.test import Client, TestCase
from django.utils import timezone

from connectors.crypto import secret_encrypt
from connectors.models import Platform, PlatformAccount
from helpline.models import Hotline
from helpline.presence import presence_heartbeat
from tests.connectors import messenger_edge, zalo_edge
from tests.connectors.messenger_edge import MessengerEdge
from tests.connectors.tls import trusted_ca_file
from tests.connectors.zalo_edge import ZaloEdge

CONNECTOR_KEY = Fernet.generate_key().decode()
EVIDENCE_KEY = Fernet.generate_key().decode()


class CommittingClient(Client):
    """A test client whose requests run what they left for after the commit, as in production.

    Each test runs inside a transaction that never commits, so without this a
    webhook's replies (sent after the commit) would never leave.
    """

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client():
    return CommittingClient()


@pytest.fixture
def zalo_api():
    with ZaloEdge() as edge:
        yield edge


@pytest.fixture
def graph_api():
    with MessengerEdge() as edge:
        yield edge


@pytest.fixture
def connector_settings(settings, zalo_api, graph_api, monkeypatch, tmp_path):
    """Both platforms configured, their APIs on loopback, replies sent in the calling thread.

    Images come from the platforms' CDNs on loopback, trusted through the tests'
    own CA only, and are kept encrypted in a folder of the test's own.
    """
    monkeypatch.setenv("SSL_CERT_FILE", trusted_ca_file())
    settings.CONNECTOR_MEDIA_HOSTS = [zalo_api.cdn.host, graph_api.cdn.host]
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EVIDENCE_ENCRYPTION_KEY = EVIDENCE_KEY
    settings.CONNECTOR_ENCRYPTION_KEY = CONNECTOR_KEY
    settings.ZALO_APP_ID = zalo_edge.APP_ID
    settings.ZALO_APP_SECRET_KEY = zalo_edge.APP_SECRET_KEY
    settings.ZALO_OA_SECRET_KEY = zalo_edge.OA_SECRET_KEY
    settings.ZALO_API_BASE_URL = zalo_api.url
    settings.ZALO_OAUTH_BASE_URL = zalo_api.url
    settings.MESSENGER_APP_SECRET = messenger_edge.APP_SECRET
    settings.MESSENGER_VERIFY_TOKEN = messenger_edge.VERIFY_TOKEN
    settings.MESSENGER_GRAPH_BASE_URL = graph_api.url
    settings.MESSENGER_GRAPH_VERSION = messenger_edge.VERSION
    settings.CONNECTOR_SEND_IN_BACKGROUND = False
    settings.PUBLIC_BASE_URL = "https://hotline.example.vn"
    return settings


def zalo_account(external_id: str, hotline: Hotline | None, *, expires_in_hours=20):
    return PlatformAccount.objects.create(
        platform=Platform.ZALO,
        external_id=external_id,
        name="OA " + (hotline.code if hotline else "quốc gia"),
        hotline=hotline,
        access_token_encrypted=secret_encrypt(zalo_edge.FIRST_ACCESS_TOKEN),
        refresh_token_encrypted=secret_encrypt(zalo_edge.FIRST_REFRESH_TOKEN),
        access_expires_at=timezone.now() + datetime.timedelta(hours=expires_in_hours),
        tokens_updated_at=timezone.now(),
    )


def messenger_account(external_id: str, hotline: Hotline | None):
    return PlatformAccount.objects.create(
        platform=Platform.MESSENGER,
        external_id=external_id,
        name="Page " + (hotline.code if hotline else "quốc gia"),
        hotline=hotline,
        access_token_encrypted=secret_encrypt(messenger_edge.PAGE_TOKEN),
        tokens_updated_at=timezone.now(),
    )


@pytest.fixture
def hanoi_open(reference_data):
    hanoi = Hotline.objects.get(code="01")
    hanoi.always_open = True
    hanoi.save()
    return hanoi


@pytest.fixture
def zalo_oa(connector_settings, hanoi_open):
    """The Hanoi hotline's own OA."""
    return zalo_account(zalo_edge.OA_ID, hanoi_open)


@pytest.fixture
def zalo_national_oa(connector_settings, reference_data):
    """One national OA: the young person picks a province first."""
    return zalo_account(zalo_edge.NATIONAL_OA_ID, None)


@pytest.fixture
def messenger_page(connector_settings, hanoi_open):
    return messenger_account(messenger_edge.PAGE_ID, hanoi_open)


@pytest.fixture
def messenger_national_page(connector_settings, reference_data):
    return messenger_account(messenger_edge.NATIONAL_PAGE_ID, None)


@pytest.fixture
def at_console(op_hanoi, op_central):
    presence_heartbeat(user=op_hanoi, status="available")
    presence_heartbeat(user=op_central, status="available")
