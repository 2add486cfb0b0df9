"""Counts for central and the reports: platform x harm this week against the four before."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from harms.models import OnlineItem, TakedownChannel
from harms.stats import (
    items_by_platform_and_category,
    rising_harms,
    takedown_median_hours_to_removal,
    takedowns_by_channel_and_outcome,
)
from harms.takedowns import takedown_create, takedown_transition
from tests.escalation.helpers import T0
from tests.harms.helpers import record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def cases(op_hanoi, op_hue, make_case, harms_data):
    return {"01": make_case(by=op_hanoi), "46": make_case(by=op_hue)}


def items_on(case, by, *, days_ago, count=1, **fields):
    for n in range(count):
        record_item(case, by=by, handle=f"h{days_ago}_{n}", at=T0 - days_ago * DAY, **fields)


def test_it_marks_what_rises_this_week_against_the_four_before(op_hanoi, op_hue, cases):
    items_on(cases["01"], op_hanoi, days_ago=1, count=3, category="online.scam")
    items_on(cases["01"], op_hanoi, days_ago=10, count=1, category="online.scam")
    items_on(cases["46"], op_hue, days_ago=2, count=1, category="online.scam")
    items_on(
        cases["46"], op_hue, days_ago=20, count=4, platform_code="roblox", category="online.gaming"
    )
    items_on(cases["46"], op_hue, days_ago=40, count=9, category="online.scam")  # beyond five weeks

    view = rising_harms(now=T0)

    rows = {(r["platform__name_en"], r["category__name_en"]): r for r in view["rows"]}
    scams = rows[("TikTok", "Online scams and fraud")]
    assert (scams["this_week"], scams["weeks_before"], scams["average"], scams["rising"]) == (
        4,
        [1, 0, 0, 0],
        0.2,
        True,
    )
    games = rows[("Roblox", "Harmful online games / gaming addiction")]
    assert (games["this_week"], games["weeks_before"], games["rising"]) == (0, [0, 4, 0, 0], False)
    provinces = {row["province"]: row["this_week"] for row in view["by_province"]}
    assert provinces == {"01": 3, "46": 1}

    hue = rising_harms(now=T0, province_code="46")
    assert {(r["platform__name_en"], r["this_week"]) for r in hue["rows"]} == {
        ("TikTok", 1),
        ("Roblox", 0),
    }


def test_it_shows_central_the_weekly_counts_and_nothing_else(client, op_hanoi, sup_central, cases):
    record_item(cases["01"], by=op_hanoi, handle="kexau_secret", category="online.scam")
    staff_login(client, sup_central)

    page = client.get(reverse("harms:rising")).content.decode()
    one = client.get(reverse("harms:rising"), {"province": "01"})

    assert "Lừa đảo trực tuyến" in page and 'class="this-week">1<' in page
    assert "kexau_secret" not in page and cases["01"].reference not in page
    assert one.status_code == 200


def test_it_counts_items_and_takedowns_for_the_reports(op_hanoi, op_hue, cases):
    hanoi_item = record_item(
        cases["01"], by=op_hanoi, handle="a", category="online.scam", at=T0
    ).item
    record_item(cases["46"], by=op_hue, handle="b", category="online.scam", at=T0)
    record_item(cases["46"], by=op_hue, handle="c", platform_code="zalo", at=T0)
    tiktok = TakedownChannel.objects.get(code="tiktok-report")
    police = TakedownChannel.objects.get(code="cyber-police")
    for channel, hours in ((tiktok, 30), (police, 10)):
        takedown = takedown_create(
            user=op_hanoi, item_id=hanoi_item.pk, channel_id=channel.pk, at=T0
        )
        takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="send", at=T0)
        takedown_transition(
            user=op_hanoi,
            takedown_id=takedown.pk,
            transition="removed",
            at=T0 + datetime.timedelta(hours=hours),
        )
    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="close")
    period = {"start": T0 - DAY, "end": T0 + 3 * DAY}

    assert items_by_platform_and_category(**period) == [
        {"platform": "tiktok", "category": "online.scam", "count": 2},
        {"platform": "zalo", "category": "online.cyberbullying", "count": 1},
    ]
    hue_only = items_by_platform_and_category(**period, hotline_ids=[cases["46"].hotline_id])
    assert sum(row["count"] for row in hue_only) == 2
    assert takedowns_by_channel_and_outcome(**period) == [
        {"channel": "cyber-police", "outcome": "removed", "count": 1},
        {"channel": "tiktok-report", "outcome": "removed", "count": 1},
    ]
    assert takedown_median_hours_to_removal(**period) == 20.0
    assert takedown_median_hours_to_removal(start=T0 + 5 * DAY, end=T0 + 6 * DAY) is None
    assert OnlineItem.objects.count() == 3


def test_it_lets_administrators_manage_platforms_and_channels_but_never_items(
    client, administrator, harms_data
):
    registered = {f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry}
    assert {"harms.Platform", "harms.TakedownChannel"} <= registered
    content = {
        "harms.OnlineItem",
        "harms.OnlineItemRevision",
        "harms.EvidenceFile",
        "harms.EvidenceEvent",
        "harms.TakedownRequest",
        "harms.TakedownCheck",
        "harms.HarmMatch",
        "harms.HarmMatchAction",
        "harms.UploadAttempt",
    }
    assert not registered & content
    staff_login(client, administrator)
    for name in ("harms_platform", "harms_takedownchannel"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200
    assert client.get("/admin/harms/onlineitem/").status_code == 404
    assert client.get("/admin/harms/evidencefile/").status_code == 404
