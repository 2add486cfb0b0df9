# The inspector and a supervisor of Hue, shared with the retention tests.
from tests.retention.conftest import inspector, sup_hue  # noqa: F401
