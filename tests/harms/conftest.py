"""Evidence files go to a temporary folder under a test key; platforms and channels exist."""

import pytest
from cryptography.fernet import Fernet

from harms.models import Platform, TakedownChannel
from harms.reference import channels_sync, platforms_sync

TEST_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def evidence_storage(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EVIDENCE_ENCRYPTION_KEY = TEST_KEY
    return settings.EVIDENCE_ROOT


@pytest.fixture
def harms_data(reference_data):
    """The platforms and channels of the data migration (a transactional test empties them)."""
    platforms_sync(Platform)
    channels_sync(TakedownChannel, Platform)
