"""The real worker process, stopped and started again on the same database."""

import os
import queue
import signal
import subprocess
import sys
import threading

from tests.live_server import ROOT, _drop_postgres_database, server_environment

CREATE_OVERDUE_IMMEDIATE_ESCALATION = """
from datetime import timedelta
from django.utils import timezone
from cases.services import case_create
from escalation.models import Agency
from escalation.services import escalation_create
from helpline.models import User
operator = User.objects.get(username="op_hanoi")
User.objects.filter(username="sup_hanoi").update(email="sup-hanoi@example.invalid")
at = timezone.now() - timedelta(days=10)
case = case_create(user=operator, risk="high", at=at)
escalation_create(
    user=operator, case_id=case.pk, agency_id=Agency.objects.get(code="a05-police").pk,
    escalation_type="scam", urgency="immediate", legal_basis="emergency",
    summary="NOI-DUNG-RIENG", youth_informed="informed", at=at,
)
"""


# The escalation jobs only: on a Monday morning the weekly reports' notices would be e-mailed
# too, whatever this test is about.
ESCALATION_JOBS = (
    "--job=escalation.jobs.notify_acknowledgement_overdue",
    "--job=escalation.jobs.email_agency_immediate",
)


class Worker:
    """One `manage.py run_worker` process whose output is read line by line."""

    def __init__(self, manage: list[str], env: dict):
        self.process = subprocess.Popen(
            [*manage, "run_worker", "--interval", "0.1", *ESCALATION_JOBS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, *, times: int = 1) -> None:
        while sum(text in line for line in self.seen) < times:
            try:
                self.seen.append(self.lines.get(timeout=60))
            except queue.Empty:
                raise AssertionError(
                    f"worker never printed {text!r}:\n{''.join(self.seen)}"
                ) from None

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def output(self) -> str:
        return "".join(self.seen)


def test_it_sends_each_notice_once_when_the_worker_is_stopped_and_started_again(tmp_path):
    env, created_database = server_environment(
        str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        LOG_LEVEL="DEBUG",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    try:
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["seed_demo"],
            ["shell", "-c", CREATE_OVERDUE_IMMEDIATE_ESCALATION],
        ):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)

        first = Worker(manage, env)
        # The agency's e-mail and the supervisors' reminder, then a quiet round.
        first.wait_for("To: ", times=2)
        first.wait_for("round finished", times=2)
        assert first.stop() == 0
        recipients = sorted(line.strip() for line in first.seen if line.startswith("To: "))
        assert recipients == ["To: a05-demo@example.invalid", "To: sup-hanoi@example.invalid"]
        assert "NOI-DUNG-RIENG" not in first.output()

        second = Worker(manage, env)
        second.wait_for("round finished", times=3)
        assert second.stop() == 0
        assert "To: " not in second.output()
    finally:
        if created_database:
            _drop_postgres_database(os.environ["DATABASE_URL"], created_database)
