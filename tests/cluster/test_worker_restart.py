"""run_worker killed with -9 and started again: every deadline notice still goes out exactly once.

Escalations fall due in three batches: while the first worker runs, while no
worker runs, and after the second one started. Each must have exactly one
record of each notice (EscalationNotice), one "overdue" line on its case's
timeline, one e-mail to the agency and one to the case's supervisor. The mails
are read from the worker's output (the console mail backend), which both
workers appended to.

The worker is killed between two rounds: killed while sending, it may send that
one mail again (escalation/jobs.py says why a duplicate beats a loss), which is
not what this test is about.
"""

import email
import email.header
import re
import time
import urllib.request
from collections import Counter

import pytest

from tests.cluster.cluster import database
from tests.cluster.cluster import local_cluster as cluster_module

pytestmark = pytest.mark.cluster

CREATE_OVERDUE_ESCALATIONS = """
from datetime import timedelta
from django.utils import timezone
from cases.services import case_create
from escalation.models import Agency
from escalation.services import escalation_create
from helpline.models import User
operator = User.objects.get(username="op_hanoi")
User.objects.filter(username="sup_hanoi").update(email="sup-hanoi@example.invalid")
at = timezone.now() - timedelta(days=1)
ids = []
for _ in range({count}):
    case = case_create(user=operator, risk="high", at=at)
    ids.append(escalation_create(
        user=operator, case_id=case.pk, agency_id=Agency.objects.get(code="a05-police").pk,
        escalation_type="scam", urgency="immediate", legal_basis="emergency",
        summary="NOI-DUNG-RIENG", youth_informed="informed", at=at,
    ).pk)
print("IDS=" + ",".join(map(str, ids)))
"""
MAIL_SEPARATOR = "-" * 79


def overdue_escalations(cluster, count: int) -> list[int]:
    """Immediate escalations past their acknowledgement deadline, made as an operator would."""
    output = cluster.manage("shell", "-c", CREATE_OVERDUE_ESCALATIONS.format(count=count)).stdout
    return [int(pk) for pk in output.split("IDS=", 1)[1].strip().split(",")]


def last_successes(cluster) -> dict[str, float]:
    """Each job's last success, from run_worker's own metrics listener."""
    port = cluster.state["ports"]["worker_metrics"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    pattern = r'^helpline_worker_job_last_success_timestamp_seconds\{job="([^"]+)"\} (\S+)$'
    return {job: float(value) for job, value in re.findall(pattern, text, re.M)}


def wait_for_round(cluster, *, after: float, timeout: float = 60.0) -> None:
    """Wait until every job has finished once since `after`: a whole round, then its sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done = last_successes(cluster)
        except OSError:
            done = {}
        if done and min(done.values()) > after:
            return
        time.sleep(0.02)
    raise AssertionError("the worker finished no round")


def whole_rounds(cluster, rounds: int = 2) -> None:
    """Wait for `rounds` rounds that started after now, so anything due now was handled."""
    for _round in range(rounds):
        wait_for_round(cluster, after=time.time())


def mails_sent(cluster) -> Counter:
    """(escalation id, recipient) of every mail the workers printed."""
    output = (cluster.runtime / "logs" / "worker.log").read_text(errors="replace")
    sent = Counter()
    for chunk in output.split(MAIL_SEPARATOR):
        start = chunk.find("Content-Type:")
        if start < 0 or "\nTo: " not in chunk:
            continue
        message = email.message_from_string(chunk[start:].lstrip())
        body = message.get_payload()  # 8bit text, already a str
        found = re.search(r"#(\d+)", body)
        if found:
            sent[(int(found.group(1)), message["To"])] += 1
    return sent


def notices_recorded(cluster, escalation_ids: list[int]) -> tuple[Counter, Counter]:
    with database(cluster) as connection:
        notices = connection.execute(
            "SELECT escalation_id, kind FROM escalation_escalationnotice"
            " WHERE escalation_id = ANY(%s)",
            (escalation_ids,),
        ).fetchall()
        timeline = connection.execute(
            "SELECT (detail->>'escalation')::int FROM cases_caseevent"
            " WHERE detail->>'notice' = 'ack_overdue' AND (detail->>'escalation')::int = ANY(%s)",
            (escalation_ids,),
        ).fetchall()
    return Counter(notices), Counter(row[0] for row in timeline)


def test_it_sends_every_deadline_notice_once_across_a_killed_and_restarted_worker(whole_cluster):
    first = overdue_escalations(whole_cluster, 3)
    whole_rounds(whole_cluster)
    # Killed between rounds, right after the last job of one finished.
    wait_for_round(whole_cluster, after=time.time())
    whole_cluster.kill("worker")

    while_down = overdue_escalations(whole_cluster, 3)
    time.sleep(2)
    assert not cluster_module.is_running(whole_cluster.processes()["worker"])
    whole_cluster.start_worker()
    whole_rounds(whole_cluster)
    after = overdue_escalations(whole_cluster, 2)
    whole_rounds(whole_cluster)

    escalations = first + while_down + after
    notices, timeline = notices_recorded(whole_cluster, escalations)
    assert notices == Counter(
        {(pk, kind): 1 for pk in escalations for kind in ("ack_overdue", "agency_immediate")}
    )
    assert timeline == Counter(dict.fromkeys(escalations, 1))
    mails = mails_sent(whole_cluster)
    expected = {
        (pk, recipient): 1
        for pk in escalations
        for recipient in ("a05-demo@example.invalid", "sup-hanoi@example.invalid")
    }
    assert {key: count for key, count in mails.items() if key[0] in escalations} == expected
    assert "NOI-DUNG-RIENG" not in (whole_cluster.runtime / "logs" / "worker.log").read_text()
