"""Central's radar: the same handle or URL in two hotlines' cases, told as counts only."""

import pytest
from django.http import Http404
from django.urls import reverse

from harms.matches import refresh_harm_matches
from harms.models import HarmMatch, HarmMatchAction, OnlineItem
from harms.selectors import match_case_ids
from helpline.groups import staff_group
from tests.escalation.helpers import GroupListener
from tests.harms.helpers import record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi_case(op_hanoi, make_case, harms_data):
    return make_case(by=op_hanoi, summary="Em bị tống tiền bằng ảnh ở Hà Nội")


@pytest.fixture
def hue_case(op_hue, make_case, harms_data):
    return make_case(by=op_hue, summary="Em bị tống tiền bằng ảnh ở Huế")


@pytest.fixture
def listener(sup_central, sup_hanoi):
    return GroupListener(staff_group(sup_central.pk), staff_group(sup_hanoi.pk))


def test_it_finds_the_same_handle_written_differently_in_two_hotlines_and_tells_central(
    op_hanoi,
    op_hue,
    sup_central,
    hanoi_case,
    hue_case,
    listener,
    django_capture_on_commit_callbacks,
):
    record_item(hanoi_case, by=op_hanoi, handle="@KeXau_99", category="online.sextortion")

    with django_capture_on_commit_callbacks(execute=True):
        record_item(
            hue_case,
            by=op_hue,
            url="https://www.tiktok.com/@kexau_99/video/7?is_from_webapp=1",
            category="online.sextortion",
        )

    match = HarmMatch.objects.get()
    assert (match.kind, match.hotline_count, match.case_count, match.item_count) == (
        "handle",
        2,
        2,
        2,
    )
    frames = [event["frame"] for event in listener.drain()]
    assert len(frames) == 1  # central only: the Hanoi supervisor hears nothing
    frame = frames[0]
    assert (frame["type"], frame["match"], frame["hotlines"], frame["cases"]) == (
        "harm_match",
        match.pk,
        2,
        2,
    )
    assert frame["url"] == reverse("harms:matches")
    assert "TikTok" in frame["notice"] and "2 tổng đài" in frame["notice"]
    told = str(frame)
    for secret in ("kexau", "KeXau", hanoi_case.reference, hue_case.reference, "tiktok.com"):
        assert secret not in told


@pytest.mark.parametrize(
    ("hanoi", "hue"),
    [
        ({"handle": "kexau_99"}, {"handle": "kexau_98"}),
        ({"handle": "kexau_99"}, {"handle": "kexau_99", "platform_code": "instagram"}),
        ({"url": "https://example.com/p/1"}, {"url": "https://example.com/p/2"}),
    ],
)
def test_it_does_not_match_a_near_miss(op_hanoi, op_hue, hanoi_case, hue_case, hanoi, hue):
    record_item(hanoi_case, by=op_hanoi, **hanoi)
    record_item(hue_case, by=op_hue, **hue)

    assert not HarmMatch.objects.exists()
    assert refresh_harm_matches(now=hue_case.created_at) == 0


def test_it_does_not_match_two_cases_of_the_same_hotline(
    op_hanoi, sup_hanoi, make_case, hanoi_case
):
    other = make_case(by=sup_hanoi)
    record_item(hanoi_case, by=op_hanoi, handle="kexau_99")
    record_item(other, by=sup_hanoi, handle="KEXAU_99")

    assert not HarmMatch.objects.exists()


def test_it_matches_a_url_without_its_tracking_parameters(op_hanoi, op_hue, hanoi_case, hue_case):
    record_item(
        hanoi_case, by=op_hanoi, platform_code="facebook", url="https://facebook.com/groups/123"
    )
    record_item(
        hue_case,
        by=op_hue,
        platform_code="facebook",
        url="http://m.facebook.com/groups/123/?fbclid=IwAR0xyz&utm_source=zalo",
    )

    assert HarmMatch.objects.get().kind == "url"


def test_it_tells_central_again_only_when_another_hotline_joins(
    op_hanoi,
    op_hue,
    op_central,
    hanoi_case,
    hue_case,
    make_case,
    listener,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        record_item(hanoi_case, by=op_hanoi, handle="kexau_99")
        record_item(hue_case, by=op_hue, handle="kexau_99")
        record_item(make_case(by=op_hue), by=op_hue, handle="kexau_99")
        record_item(make_case(by=op_central), by=op_central, handle="kexau_99")

    hotlines = [event["frame"]["hotlines"] for event in listener.drain()]
    assert hotlines == [2, 3]
    assert HarmMatch.objects.get().case_count == 4


def test_it_shows_central_counts_platforms_and_hotlines_but_no_case_or_content(
    client, op_hanoi, op_hue, sup_central, hanoi_case, hue_case
):
    record_item(hanoi_case, by=op_hanoi, handle="kexau_99", description="mô tả riêng")
    record_item(hue_case, by=op_hue, handle="kexau_99")
    staff_login(client, sup_central)

    page = client.get(reverse("harms:matches")).content.decode()

    assert 'class="count-hotlines">2<' in page and 'class="count-cases">2<' in page
    assert "TikTok" in page
    assert hanoi_case.hotline.name in page and hue_case.hotline.name in page
    for secret in ("kexau", "mô tả riêng", hanoi_case.reference, hue_case.reference):
        assert secret not in page
    assert f"/cases/{hanoi_case.pk}/" not in page


@pytest.mark.parametrize(
    "username", ["sup_hanoi", "op_central", "op_hanoi", "liaison_a05", "administrator"]
)
def test_it_keeps_the_radar_to_central_supervisors(request, client, username):
    staff_login(client, request.getfixturevalue(username))

    assert client.get(reverse("harms:matches")).status_code == 403
    assert client.get(reverse("harms:rising")).status_code == 403
    assert client.post(reverse("harms:match_incident", args=[1])).status_code == 403


def test_it_reveals_the_cases_only_after_an_audited_incident_is_opened(
    client, op_hanoi, op_hue, sup_central, hanoi_case, hue_case
):
    record_item(hanoi_case, by=op_hanoi, handle="kexau_99")
    record_item(hue_case, by=op_hue, handle="kexau_99")
    match = HarmMatch.objects.get()
    with pytest.raises(Http404):
        match_case_ids(user=sup_central, match_id=match.pk)
    staff_login(client, sup_central)

    response = client.post(reverse("harms:match_incident", args=[match.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/reports/incidents/new/?match={match.pk}"
    action = HarmMatchAction.objects.get()
    assert (action.match, action.actor, action.action) == (match, sup_central, "incident_opened")
    assert match_case_ids(user=sup_central, match_id=match.pk) == sorted(
        [hanoi_case.pk, hue_case.pk]
    )
    with pytest.raises(Http404):
        match_case_ids(user=op_hanoi, match_id=match.pk)


def test_the_incident_opened_from_a_match_links_its_cases_on_their_timelines(
    client, op_hanoi, op_hue, sup_central, hanoi_case, hue_case
):
    from cases.models import CaseEvent, Category
    from reports.models import IncidentCase

    record_item(hanoi_case, by=op_hanoi, handle="kexau_99")
    record_item(hue_case, by=op_hue, handle="kexau_99")
    match = HarmMatch.objects.get()
    staff_login(client, sup_central)
    form_url = client.post(reverse("harms:match_incident", args=[match.pk]))["Location"]
    assert f'name="match" value="{match.pk}"' in client.get(form_url).content.decode()

    category = Category.objects.get(code="online.sextortion")
    response = client.post(
        form_url,
        {
            "title": "Tài khoản tống tiền ở nhiều tỉnh",
            "category": category.code,
            "severity": "high",
            "provinces": ["01", "46"],
            "match": str(match.pk),
        },
    )

    assert response.status_code == 302
    linked = set(IncidentCase.objects.values_list("case_id", flat=True))
    assert linked == {hanoi_case.pk, hue_case.pk}
    for case in (hanoi_case, hue_case):
        event = case.events.get(action=CaseEvent.Action.INCIDENT_LINKED)
        assert event.detail["match"] == match.pk and event.actor == sup_central


def test_it_finds_a_match_the_saving_transactions_missed_on_the_workers_round(
    op_hanoi, op_hue, hanoi_case, hue_case
):
    first = record_item(hanoi_case, by=op_hanoi, handle="kexau_99").item
    second = record_item(hue_case, by=op_hue, handle="someone_else").item
    # As if two provinces saved at the same moment and neither saw the other's row.
    OnlineItem.objects.filter(pk=second.pk).update(handle_hash=first.handle_hash)
    assert not HarmMatch.objects.exists()

    assert refresh_harm_matches(now=hue_case.created_at) == 1
    assert HarmMatch.objects.get().hotline_count == 2
