"""The data-breach register: a 72-hour clock from discovery until the notification is recorded."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from inspection.models import BreachReport
from inspection.services import breach_notification_record, breach_record
from inspection.views import breach_clock
from tests.logins import staff_login
from tests.retention.helpers import T0

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def record(inspector, **fields) -> BreachReport:
    values = {
        "description": "Một máy tính của tổng đài bị mất khi đang đăng nhập",
        "discovered_at": T0,
        "data_kinds": ["chat_messages", "case_records"],
        "people_affected": 12,
        "at": T0 + HOUR,
    }
    return breach_record(user=inspector, **{**values, **fields})


def test_it_runs_the_clock_for_72_hours_from_discovery(inspector):
    breach = record(inspector)
    assert breach.notify_by == T0 + 72 * HOUR
    assert breach_clock(breach, now=T0 + 10 * HOUR) == {
        "state": "running",
        "text": "Còn 62 giờ 0 phút",
    }
    assert breach_clock(breach, now=T0 + 72 * HOUR)["state"] == "running"
    assert breach_clock(breach, now=T0 + 73 * HOUR + 5 * datetime.timedelta(minutes=1)) == {
        "state": "overdue",
        "text": "Quá hạn 1 giờ 5 phút",
    }


def test_it_stops_the_clock_when_the_notification_is_recorded(inspector):
    breach = record(inspector)
    breach_notification_record(
        user=inspector,
        breach_id=breach.pk,
        notified_at=T0 + 30 * HOUR,
        authority="Cục A05, Bộ Công an",
        reference="15/TB-TĐ",
        at=T0 + 31 * HOUR,
    )
    breach.refresh_from_db()
    assert (breach.notified_by, breach.notification_reference) == (inspector, "15/TB-TĐ")
    assert breach.time_left(now=T0 + 100 * HOUR) is None
    assert not breach.is_overdue(now=T0 + 100 * HOUR)
    assert breach_clock(breach, now=T0 + 100 * HOUR)["state"] == "in_time"


def test_it_says_when_the_notification_came_after_72_hours(inspector):
    breach = record(inspector)
    breach_notification_record(
        user=inspector,
        breach_id=breach.pk,
        notified_at=T0 + 80 * HOUR,
        authority="Cục A05",
        reference="16/TB",
        at=T0 + 80 * HOUR,
    )
    breach.refresh_from_db()
    assert breach_clock(breach, now=T0 + 90 * HOUR)["state"] == "late"


def test_it_records_the_notification_once(inspector):
    breach = record(inspector)
    fields = {"authority": "Cục A05", "reference": "1/TB", "at": T0 + 2 * HOUR}
    breach_notification_record(user=inspector, breach_id=breach.pk, notified_at=T0 + HOUR, **fields)
    with pytest.raises(ValidationError):
        breach_notification_record(
            user=inspector, breach_id=breach.pk, notified_at=T0 + HOUR, **fields
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"discovered_at": T0 + 2 * 3600 * datetime.timedelta(seconds=1)},
        {"data_kinds": []},
        {"data_kinds": ["diaries"]},
        {"description": "   "},
        {"description": "x" * 501},
    ],
    ids=["discovered-in-the-future", "no-kind", "unknown-kind", "blank", "too-long"],
)
def test_it_refuses_a_record_that_says_too_little_or_too_much(inspector, fields):
    with pytest.raises(ValidationError):
        record(inspector, **fields)
    assert not BreachReport.objects.exists()


def test_it_refuses_a_notification_before_the_discovery(inspector):
    breach = record(inspector)
    with pytest.raises(ValidationError):
        breach_notification_record(
            user=inspector,
            breach_id=breach.pk,
            notified_at=T0 - HOUR,
            authority="Cục A05",
            reference="1/TB",
            at=T0 + 2 * HOUR,
        )


@pytest.mark.parametrize(
    "who", ["op_hanoi", "sup_hanoi", "sup_central", "administrator", "liaison_a05"]
)
def test_it_lets_only_inspectors_keep_the_register(request, inspector, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        record(user)
    breach = record(inspector)
    with pytest.raises(PermissionDenied):
        breach_notification_record(
            user=user,
            breach_id=breach.pk,
            notified_at=T0 + HOUR,
            authority="Cục A05",
            reference="1/TB",
            at=T0 + 2 * HOUR,
        )


def test_it_records_a_breach_and_its_notification_from_the_pages(client, inspector):
    staff_login(client, inspector)
    discovered = timezone.localtime() - 2 * HOUR
    response = client.post(
        reverse("inspection:breaches"),
        {
            "description": "Tài khoản của một tư vấn viên bị đăng nhập từ nơi lạ",
            "discovered_at": discovered.strftime("%Y-%m-%dT%H:%M"),
            "data_kinds": ["chat_messages"],
            "people_affected": "",
        },
    )
    breach = BreachReport.objects.get()
    assert response.url == reverse("inspection:breach_detail", args=[breach.pk])
    assert breach.people_affected is None
    page = client.get(response.url).content.decode()
    assert 'data-state="running"' in page
    assert "Hạn thông báo" in page and "Còn " in page
    index = client.get(reverse("inspection:index")).content.decode()
    assert f"#{breach.pk}" in index
    client.post(
        response.url,
        {
            "notified_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "authority": "Cục A05, Bộ Công an",
            "reference": "20/TB",
        },
    )
    breach.refresh_from_db()
    assert breach.notified_at is not None
    assert 'data-state="in_time"' in client.get(response.url).content.decode()
    assert f"#{breach.pk}" not in client.get(reverse("inspection:index")).content.decode()
