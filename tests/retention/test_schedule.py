"""The retention schedule: one period per kind of data, checked when the helpline starts."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from retention.schedule import KEYS, retention_schedule_check

SETTINGS_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "settings.py"
DEFAULTS = {
    "contact_days": 90,
    "closed_case_days": 5 * 365,
    "callback_days": 90,
    "identity_days": 180,
    "voicemail_days": 30,
    "audit_days": 10 * 365,
}


@pytest.fixture
def environment(monkeypatch):
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for key in KEYS:
        monkeypatch.delenv(f"RETENTION_{key.upper()}", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    return monkeypatch


def test_it_has_one_period_per_kind_of_data_by_default(environment):
    schedule = runpy.run_path(str(SETTINGS_FILE))["RETENTION"]
    assert schedule == DEFAULTS
    retention_schedule_check(schedule)


def test_it_reads_each_period_from_the_environment(environment):
    environment.setenv("RETENTION_CONTACT_DAYS", "30")
    environment.setenv("RETENTION_CLOSED_CASE_DAYS", "3650")
    environment.setenv("RETENTION_AUDIT_DAYS", "4000")
    schedule = runpy.run_path(str(SETTINGS_FILE))["RETENTION"]
    assert (schedule["contact_days"], schedule["closed_case_days"]) == (30, 3650)
    retention_schedule_check(schedule)


@pytest.mark.parametrize(
    ("variable", "raw", "words"),
    [
        ("RETENTION_CONTACT_DAYS", "ninety", "RETENTION_CONTACT_DAYS must be an integer"),
        ("RETENTION_CLOSED_CASE_DAYS", "0", "RETENTION_CLOSED_CASE_DAYS must be at least 1"),
        ("RETENTION_AUDIT_DAYS", "-5", "RETENTION_AUDIT_DAYS must be at least 1"),
    ],
)
def test_it_stops_the_start_on_a_period_that_is_not_a_number_of_days(
    environment, variable, raw, words
):
    environment.setenv(variable, raw)
    with pytest.raises(ImproperlyConfigured, match=words):
        runpy.run_path(str(SETTINGS_FILE))


def test_it_stops_the_start_when_the_audit_trail_would_go_before_the_data_it_describes(
    environment,
):
    environment.setenv("RETENTION_AUDIT_DAYS", str(5 * 365))
    schedule = runpy.run_path(str(SETTINGS_FILE))["RETENTION"]
    with pytest.raises(ImproperlyConfigured, match="audit_days"):
        retention_schedule_check(schedule)


@pytest.mark.parametrize(
    "schedule",
    [
        {key: value for key, value in DEFAULTS.items() if key != "contact_days"},
        {**DEFAULTS, "chat_days": 7},
        {**DEFAULTS, "identity_days": 0},
        {**DEFAULTS, "callback_days": True},
        {**DEFAULTS, "contact_days": 90.5},
        [("contact_days", 90)],
    ],
    ids=["missing", "unknown", "zero", "boolean", "fraction", "not-a-dict"],
)
def test_it_refuses_a_schedule_without_exactly_its_periods_in_whole_days(schedule):
    with pytest.raises(ImproperlyConfigured):
        retention_schedule_check(schedule)


def test_it_checks_the_schedule_when_the_apps_load(settings):
    from django.apps import apps

    settings.RETENTION = {**DEFAULTS, "audit_days": 30}
    with pytest.raises(ImproperlyConfigured, match="audit_days"):
        apps.get_app_config("retention").ready()
