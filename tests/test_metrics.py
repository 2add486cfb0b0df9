"""The Prometheus endpoint: off by default, never public, cheap, and free of personal data."""

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from helpline import broadcast, conversations, metrics
from helpline.conversations import conversation_start
from helpline.management.commands.run_worker import job_name, run_jobs_once
from helpline.models import Channel
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat
from tests.live_server import ROOT, free_port

TOKEN = "a-metrics-token-long-enough-0123456789"
ALLOWED_LABELS = {"hotline", "kind", "where", "job", "le", "pid"}


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN


# --- who may read them ---------------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_404_while_metrics_are_off(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **auth).status_code == 404


@pytest.mark.django_db
@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1"])
def test_it_serves_loopback_without_a_token(client, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("metrics_on")
def test_it_serves_other_addresses_only_the_bearer_token(client):
    outside = {"REMOTE_ADDR": "203.0.113.7"}

    assert client.get("/metrics", **outside).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN, **outside).status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **outside)
    assert response.status_code == 200


@pytest.mark.django_db
def test_it_serves_only_loopback_when_no_token_is_configured(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    assert (
        client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer ").status_code
        == 404
    )
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_it_needs_no_login_but_is_never_cached(client, settings, db):
    settings.METRICS_ENABLED = True

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# --- what they say ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("metrics_on")
def test_it_counts_each_hotlines_queue_by_code_with_its_oldest_wait(client, reference_data):
    for _ in range(2):
        conversation_start(channel=Channel.WEBCHAT, hotline=None, province_code="01")
    conversation_start(channel=Channel.WEBCHAT, hotline=None, province_code="46")

    values = scrape(client, REMOTE_ADDR="127.0.0.1")

    assert values[("helpline_queue_length", (("hotline", "01"),))] == 2
    assert values[("helpline_queue_length", (("hotline", "46"),))] == 1
    assert values[("helpline_queue_length", (("hotline", "00"),))] == 0
    assert values[("helpline_queue_oldest_wait_seconds", (("hotline", "01"),))] >= 0
    assert values[("helpline_queue_oldest_wait_seconds", (("hotline", "00"),))] == 0
    # One series per hotline, 34 provinces and the central one.
    assert len([key for key in values if key[0] == "helpline_queue_length"]) == 35


@pytest.mark.django_db
@pytest.mark.usefixtures("metrics_on")
def test_it_reads_the_queue_in_two_queries_however_long_it_is(
    client, reference_data, django_assert_max_num_queries
):
    for _ in range(5):
        conversation_start(channel=Channel.WEBCHAT, hotline=None, province_code="01")

    with django_assert_max_num_queries(2):
        client.get("/metrics", REMOTE_ADDR="127.0.0.1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("metrics_on", "reference_data")
async def test_it_counts_open_sockets_by_kind_and_a_relayed_message_once(client, op_hanoi):
    youths_before = sample("helpline_open_sockets", kind="youth")
    consoles_before = sample("helpline_open_sockets", kind="console")
    relayed_before = sample("helpline_message_relay_seconds_count")

    youth = await start_chat(province="01")
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    assert sample("helpline_open_sockets", kind="youth") == youths_before + 1
    assert sample("helpline_open_sockets", kind="console") == consoles_before + 1

    body = "Em tên là Lan, em học lớp 9"
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": body})
    await receive_type(youth, "ack")
    relayed = await receive_type(console, "message")
    assert relayed["body"] == body
    assert sample("helpline_message_relay_seconds_count") == relayed_before + 1
    assert 0 <= sample("helpline_message_relay_seconds_sum") < 3600

    # Nothing personal in any label or value name: no text, no id, no user.
    text = (await database_sync_to_async(client.get)("/metrics", REMOTE_ADDR="127.0.0.1")).content
    page = text.decode()
    for secret in (body, "Lan", conversation_id, op_hanoi.username, "10.0.0.1"):
        assert secret not in page
    helpline_families = [
        family
        for family in text_string_to_metric_families(page)
        if family.name.startswith("helpline_")
    ]
    assert len(helpline_families) >= 8
    for family in helpline_families:
        for found in family.samples:
            assert set(found.labels) <= ALLOWED_LABELS, (found.name, found.labels)

    await youth.disconnect()
    await console.disconnect()
    assert sample("helpline_open_sockets", kind="youth") == youths_before
    assert sample("helpline_open_sockets", kind="console") == consoles_before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
async def test_it_counts_a_database_error_a_socket_frame_caught(monkeypatch):
    def refuse(**kwargs):
        raise OperationalError("connection refused")

    youth = await start_chat(province="01")
    monkeypatch.setattr(conversations, "message_post", refuse)
    before = sample("helpline_database_errors_total", where="socket_frame")

    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "a"})
    error = await receive_type(youth, "error")

    assert error["code"] == "server_error"
    assert sample("helpline_database_errors_total", where="socket_frame") == before + 1
    await youth.disconnect()


class RefusingLayer:
    async def group_send(self, group, event):
        raise ConnectionError("redis went away")


class SlowLayer:
    def __init__(self):
        self.sent = []

    async def group_send(self, group, event):
        await asyncio.sleep(0)
        self.sent.append(group)


async def test_it_counts_broadcasts_waiting_in_the_outbox_until_they_are_sent():
    loop = asyncio.get_running_loop()
    layer = SlowLayer()
    before = sample("helpline_broadcasts_pending")

    broadcast._outbox_put(loop, layer, "one", {"type": "x"})
    broadcast._outbox_put(loop, layer, "two", {"type": "x"})
    assert sample("helpline_broadcasts_pending") == before + 2

    await broadcast._outboxes[loop]["sender"]
    assert layer.sent == ["one", "two"]
    assert sample("helpline_broadcasts_pending") == before


async def test_it_counts_a_broadcast_the_channel_layer_refused():
    loop = asyncio.get_running_loop()
    before = sample("helpline_channel_layer_errors_total", where="broadcast")

    broadcast._outbox_put(loop, RefusingLayer(), "one", {"type": "x"})
    await broadcast._outboxes[loop]["sender"]

    assert sample("helpline_channel_layer_errors_total", where="broadcast") == before + 1


def test_it_records_when_each_job_last_succeeded_and_shows_its_lag(db, settings):
    def tidy(*, now):
        return 1

    def broken(*, now):
        raise OperationalError("connection refused")

    failing_before = sample("helpline_database_errors_total", where="worker_job")
    run_jobs_once([tidy, broken], now=None)

    assert sample(
        "helpline_worker_job_last_success_timestamp_seconds", job=job_name(tidy)
    ) == pytest.approx(time.time(), abs=60)
    assert sample("helpline_worker_job_last_success_timestamp_seconds", job=job_name(broken)) == 0
    assert sample("helpline_database_errors_total", where="worker_job") == failing_before + 1
    values = parse(metrics.render(with_queues=False).decode())
    lag = values[("helpline_worker_job_lag_seconds", (("job", job_name(tidy)),))]
    assert 0 <= lag < 60
    assert ("helpline_worker_job_lag_seconds", (("job", job_name(broken)),)) not in values


def fetch(url: str, **headers) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_it_serves_run_workers_metrics_on_its_own_loopback_port(settings, capfd):
    settings.METRICS_TOKEN = ""
    server = metrics.worker_listener_start(address="127.0.0.1", port=free_port())
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, body = fetch(f"{base}/metrics")
        assert status == 200
        assert b"helpline_worker_job_lag_seconds" in body
        assert fetch(f"{base}/")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
    # No request line, and so no client address, was written anywhere.
    captured = capfd.readouterr()
    assert "GET /metrics" not in captured.out + captured.err


# --- several processes, one scrape -----------------------------------------------------

RECORD = """
import django, os, sys
django.setup()
from helpline import metrics
metrics.SOCKETS_OPEN.labels("youth").inc(int(sys.argv[1]))
metrics.database_error("socket_frame")
metrics.job_succeeded("helpline.jobs.abandon_stale_queued_chats")
if sys.argv[2] == "stay":
    print("ready", flush=True)
    sys.stdin.read()
"""

SCRAPE = """
import django
django.setup()
from helpline import metrics
print(metrics.render(with_queues=False).decode())
"""


def test_it_adds_up_the_processes_of_a_host_and_forgets_the_sockets_of_a_dead_one(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()

    def python(code: str, *args: str, **kwargs):
        return [sys.executable, "-c", code, *args], {"cwd": ROOT, "env": env, **kwargs}

    command, options = python(RECORD, "3", "stay", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    living = subprocess.Popen(command, **options)
    try:
        assert living.stdout.readline().strip() == b"ready"
        command, options = python(RECORD, "5", "exit")
        subprocess.run(command, check=True, **options)
        command, options = python(SCRAPE, capture_output=True, text=True)
        values = parse(subprocess.run(command, check=True, **options).stdout)
    finally:
        living.stdin.close()
        living.wait(timeout=10)

    sockets = {key: value for key, value in values.items() if key[0] == "helpline_open_sockets"}
    # The process that exited took its open sockets with it; the living one's remain.
    assert sockets == {
        ("helpline_open_sockets", (("kind", "youth"), ("pid", str(living.pid)))): 3.0
    }
    # Counters add up over every process, the dead one's included.
    assert values[("helpline_database_errors_total", (("where", "socket_frame"),))] == 2
    job = "helpline.jobs.abandon_stale_queued_chats"
    assert values[("helpline_worker_job_lag_seconds", (("job", job),))] >= 0
