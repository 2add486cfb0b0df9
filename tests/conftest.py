"""Fixed named users for each role, and factories for the data they work on."""

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.utils import translation

from cases.models import Category
from cases.services import case_create
from harms.models import Platform, TakedownChannel
from harms.reference import channels_sync, platforms_sync
from helpline.management.commands.seed_demo import agencies_seed, demo_staff_seed
from helpline.models import Hotline, User
from helpline.reference_data import categories_sync, hotlines_sync


@pytest.fixture(autouse=True)
def default_language():
    """Start and end each test in the default language (Vietnamese).

    A request that switched to English leaves English active on the thread, and
    the next test's services and commands would then answer in English.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def channel_layer_of_this_test():
    """Give each test a channel layer of its own, as each server process has one.

    pytest-asyncio runs every test on an event loop of its own, while Channels
    keeps one layer per process. channels-redis holds asyncio locks in it that a
    wait cancelled on one test's loop can leave bound to that loop (its
    ChannelLock does not count back an acquire that was cancelled), and the next
    test's waits then fail on them. A server has one loop for its whole life.
    """
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)


@pytest.fixture
def reference_data(request):
    """Hotlines, categories, online platforms and takedown channels, demo agencies, the named staff.

    Data migrations load hotlines and categories, but a transactional test empties
    every table when it ends, so they are loaded again when missing.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    if not Hotline.objects.exists():
        hotlines_sync(Hotline)
        categories_sync(Category)
    if not Platform.objects.exists():
        platforms_sync(Platform)
        channels_sync(TakedownChannel, Platform)
    agencies_seed()
    demo_staff_seed(password=None)


def _user(username: str) -> User:
    return User.objects.select_related("hotline", "agency").get(username=username)


@pytest.fixture
def op_hanoi(reference_data) -> User:
    """An operator of the Hanoi hotline (01)."""
    return _user("op_hanoi")


@pytest.fixture
def op_hue(reference_data) -> User:
    """An operator of the Hue hotline (46)."""
    return _user("op_hue")


@pytest.fixture
def op_central(reference_data) -> User:
    """An operator of the central hotline."""
    return _user("op_central")


@pytest.fixture
def sup_hanoi(reference_data) -> User:
    """A supervisor of the Hanoi hotline."""
    return _user("sup_hanoi")


@pytest.fixture
def sup_central(reference_data) -> User:
    """A supervisor of the central hotline, who sees every province."""
    return _user("sup_central")


@pytest.fixture
def administrator(reference_data) -> User:
    """An administrator: manages configuration, reads no case."""
    return _user("admin")


@pytest.fixture
def liaison_a05(reference_data) -> User:
    """A liaison of the national police cyber unit (A05)."""
    return _user("liaison_a05")


@pytest.fixture
def liaison_111(reference_data) -> User:
    """A liaison of the national child protection hotline 111."""
    return _user("liaison_111")


@pytest.fixture
def hotline_hanoi(reference_data) -> Hotline:
    return Hotline.objects.get(code="01")


@pytest.fixture
def make_case():
    """Create a case as the given member of staff, with sensible defaults."""

    def factory(*, by: User, risk: str = "low", categories=("online.cyberbullying",), **fields):
        chosen = list(Category.objects.filter(code__in=categories))
        return case_create(user=by, risk=risk, categories=chosen, **fields)

    return factory


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread for as
    long as the session-scoped browser lives, and a plain async test collected
    after it cannot start its own loop. They are also the slowest tests, so
    running them last gives the quick answers first.
    """
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
