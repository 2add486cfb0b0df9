"""Hypothesis profiles for the property tests and the socket fuzz test.

"ci" (the default) is derandomized: every run tries the same examples, so CI is
repeatable and a failure reproduces on any machine. "explore" draws new random
examples on every run, ten times as many, and keeps the failing ones in
.hypothesis/ to try first next time; run it by hand when changing a state
machine or an access rule:

    HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/property tests/test_socket_fuzz.py

Importing this module registers the profiles and loads the one chosen.
"""

import os

from hypothesis import HealthCheck, settings

# The tests share one database fixture across examples (each state machine rolls its
# example back itself), and a step runs real services: neither is a mistake here.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("explore", derandomize=False, **_COMMON)
settings.load_profile(PROFILE)


def examples(count: int) -> int:
    """count examples on CI, ten times as many when exploring."""
    return count * 10 if PROFILE == "explore" else count
