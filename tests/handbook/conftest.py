"""The help pages a data migration loads, loaded again after a transactional test emptied them."""

import importlib

import pytest
from django.apps import apps

pages_migration = importlib.import_module("handbook.migrations.0002_seed_pages")


@pytest.fixture(autouse=True)
def seeded_help_pages(db):
    """Every test here starts from the six pages a fresh database has (the seed adds them
    only to an empty table, so a test that made its own pages keeps them)."""
    pages_migration.seed(apps, None)
