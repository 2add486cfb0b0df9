"""Upgrading a database made before the two-person rule: administrators stop being superusers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("helpline", "0006_youth_returning_danger_survey")]
AFTER = [("helpline", "0007_administrators_not_superusers")]


def migrate(targets=None):
    """Migrate to targets (every app's latest when None); return the models as they were there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest_afterwards():
    yield
    migrate()


@pytest.mark.django_db(transaction=True)
def test_it_moves_superuser_administrators_into_the_administrators_group(
    back_to_latest_afterwards,
):
    old = migrate(BEFORE)
    User = old.get_model("helpline", "User")
    User.objects.create(username="admin_cu", role="administrator", is_staff=True, is_superuser=True)
    User.objects.create(username="admin_khac", role="administrator", is_staff=True)
    new = migrate(AFTER)
    User = new.get_model("helpline", "User")
    for username in ("admin_cu", "admin_khac"):
        user = User.objects.get(username=username)
        assert (user.is_superuser, user.is_staff) == (False, True)
        assert list(user.groups.values_list("name", flat=True)) == ["administrators"]
