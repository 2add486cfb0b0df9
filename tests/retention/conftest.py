import pytest

from helpline.staff import staff_create


@pytest.fixture
def inspector(reference_data):
    """A member of the union's inspection committee: reads the audit trail, no content."""
    return staff_create(
        username="inspector_ha", role="inspector", password=None, email="kt@example.invalid"
    )


@pytest.fixture
def sup_hue(reference_data):
    """A supervisor of the Hue hotline (46)."""
    return staff_create(
        username="sup_hue",
        role="supervisor",
        hotline_code="46",
        password=None,
        email="hue@example.invalid",
    )
