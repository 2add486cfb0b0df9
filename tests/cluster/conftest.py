"""One local cluster for every cluster test, healed before each test that breaks a part."""

import pytest

from tests.cluster.cluster import TEST_SETTINGS, Cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """The national topology on loopback, started once for the session (deploy/local_cluster.py)."""
    started = Cluster(tmp_path_factory.mktemp("cluster-state"))
    started.start(settings=TEST_SETTINGS, worker_interval=2.0)
    yield started
    started.stop()


@pytest.fixture
def whole_cluster(cluster):
    """The cluster with every part running: a part an earlier test killed is started again."""
    cluster.heal()
    return cluster


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    cluster = item.funcargs.get("whole_cluster") if hasattr(item, "funcargs") else None
    if report.failed and cluster is not None and cluster.state:
        logs = cluster.runtime / "logs"
        for log in sorted(logs.glob("*.log")):
            report.sections.append((f"cluster {log.name}", log.read_text(errors="replace")[-4000:]))
    return report
