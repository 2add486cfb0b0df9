"""Fixtures of the property tests: the named staff, and a logged-in client for each."""

import pytest
from django.test import Client

from helpline.models import User
from tests.logins import staff_login
from tests.property import profiles  # noqa: F401 - registers and loads the Hypothesis profile
from tests.property.machines import STAFF


@pytest.fixture
def staff(reference_data) -> dict[str, User]:
    """Every named user of tests/conftest.py, by username."""
    users = User.objects.select_related("hotline", "agency").filter(username__in=STAFF)
    found = {user.username: user for user in users}
    assert set(found) == set(STAFF)
    return found


@pytest.fixture
def staff_clients(staff) -> dict[str, Client]:
    """A test client per named user, logged in with the second factor, as a person would be."""
    clients = {}
    for username, user in staff.items():
        client = Client()
        staff_login(client, user)
        clients[username] = client
    return clients
