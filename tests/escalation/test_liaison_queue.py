"""The liaison's queue: what is new to this liaison, which deadline counts and how long is left,
the "closed / withdrawn" tab, and the whole of it in English for those who chose English.

The clock is driven by the tests (django.utils.timezone.now is replaced), so the
time left is exact and moving the clock, with no write in between, is enough to
make an escalation overdue.
"""

import datetime
import importlib
import re

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.services import case_transition
from escalation.models import EscalationLastOpened, RevokeReason
from escalation.selectors import liaison_finished_items
from escalation.services import escalation_disclose, escalation_message_send, escalation_transition
from tests.logins import staff_login
from tests.test_translations import VIETNAMESE

HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
SUMMARY = "NỘI-DUNG-GỬI-CƠ-QUAN"


class Clock:
    def __init__(self, now: datetime.datetime):
        self.now = now

    def advance(self, delta: datetime.timedelta) -> datetime.datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The time every view, selector and service reads, moved only by the test."""
    fixed = Clock(timezone.now().replace(second=0, microsecond=0))
    monkeypatch.setattr(timezone, "now", lambda: fixed.now)
    return fixed


@pytest.fixture
def send(op_hanoi, make_case, clock):
    """Escalate a new Hanoi case to an agency, sent `ago` before the clock's now."""
    from tests.escalation.helpers import escalate

    def factory(*, ago=datetime.timedelta(0), **options):
        options.setdefault("summary", SUMMARY)
        return escalate(make_case(by=op_hanoi), by=op_hanoi, at=clock.now - ago, **options)

    return factory


def page(client, user, name="queue", *, language=None) -> str:
    staff_login(client, user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse(f"liaison:{name}"))
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> dict[int, str]:
    """Each row of the page's table, by escalation number, in page order."""
    return {
        int(found.group(1)): found.group(0)
        for found in re.finditer(r'<tr data-id="(\d+)".*?</tr>', html, re.DOTALL)
    }


def text(html: str) -> str:
    """The words of some HTML, on one line."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def open_page(client, liaison, escalation):
    staff_login(client, liaison)
    assert client.get(reverse("liaison:detail", args=[escalation.pk])).status_code == 200


# --- new to this liaison ---


@pytest.mark.django_db
def test_it_marks_what_is_new_since_the_liaison_last_opened_it(
    client, op_hanoi, liaison_a05, send, clock
):
    escalation = send()
    assert "unread-mark" in rows(page(client, liaison_a05))[escalation.pk]

    clock.advance(MINUTE)
    open_page(client, liaison_a05, escalation)
    assert "unread-mark" not in rows(page(client, liaison_a05))[escalation.pk]
    assert EscalationLastOpened.objects.get(liaison=liaison_a05).at == clock.now

    clock.advance(MINUTE)
    escalation_message_send(user=op_hanoi, escalation_id=escalation.pk, body="Em 15 tuổi")
    assert "unread-mark" in rows(page(client, liaison_a05))[escalation.pk]

    clock.advance(MINUTE)
    open_page(client, liaison_a05, escalation)
    clock.advance(MINUTE)
    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["risk"])
    assert "unread-mark" in rows(page(client, liaison_a05))[escalation.pk]


@pytest.mark.django_db
def test_it_does_not_mark_the_liaisons_own_message_as_new_but_marks_it_for_a_colleague(
    client, liaison_a05, second_a05_liaison, send, clock
):
    escalation = send()
    for liaison in (liaison_a05, second_a05_liaison):
        open_page(client, liaison, escalation)

    clock.advance(MINUTE)
    escalation_message_send(user=liaison_a05, escalation_id=escalation.pk, body="Đã nhận")

    assert "unread-mark" not in rows(page(client, liaison_a05))[escalation.pk]
    assert "unread-mark" in rows(page(client, second_a05_liaison))[escalation.pk]


@pytest.fixture
def second_a05_liaison(reference_data):
    from helpline.staff import staff_create

    return staff_create(
        username="liaison_a05_b", role="liaison", agency_code="a05-police", password=None
    )


# --- which deadline, and how long is left ---


@pytest.mark.django_db
def test_it_shows_which_deadline_counts_and_the_time_left_from_the_clock(
    client, liaison_a05, send, clock
):
    # A05 (the demo data) acknowledges "24h" ones within 12 h and resolves them within
    # 7 days; "immediate" ones it acknowledges within 1 h.
    waiting = send(urgency="24h", ago=2 * HOUR)
    late = send(urgency="immediate", ago=90 * MINUTE)
    working = send(urgency="24h", ago=datetime.timedelta(days=1, hours=2, minutes=30))
    escalation_transition(user=liaison_a05, escalation_id=working.pk, transition="acknowledge")

    shown = rows(page(client, liaison_a05))

    assert list(shown) == [late.pk, waiting.pk, working.pk]
    assert "Hạn tiếp nhận" in shown[waiting.pk]
    assert text(shown[waiting.pk]).endswith("Còn 10 giờ")
    assert "overdue" not in shown[waiting.pk]
    assert 'class="urgency-immediate overdue' in shown[late.pk]
    assert '<strong class="overdue-mark">Quá hạn 30 phút</strong>' in shown[late.pk]
    # Acknowledged: the resolution deadline (7 days from sending) is the one counted now.
    assert "Hạn giải quyết" in shown[working.pk]
    assert text(shown[working.pk]).endswith("Còn 5 ngày 21 giờ")


@pytest.mark.django_db
def test_it_counts_overdue_from_the_deadline_without_anything_stored(
    client, liaison_a05, send, clock
):
    escalation = send(urgency="24h", ago=2 * HOUR)  # to acknowledge within 12 h
    assert text(rows(page(client, liaison_a05))[escalation.pk]).endswith("Còn 10 giờ")

    clock.advance(10 * HOUR + 5 * MINUTE)

    row = rows(page(client, liaison_a05))[escalation.pk]
    assert "overdue" in row
    assert text(row).endswith("Quá hạn 5 phút")


@pytest.mark.django_db
def test_it_says_a_returned_escalation_waits_on_no_deadline(client, liaison_a05, send):
    escalation = send()
    escalation_transition(
        user=liaison_a05, escalation_id=escalation.pk, transition="return", text="Thiếu tuổi"
    )

    row = rows(page(client, liaison_a05))[escalation.pk]

    assert "Cần bổ sung thông tin" in row
    assert "Hạn tiếp nhận" not in row
    assert text(row).endswith("— —")


# --- pages and filters ---


def page_of(client, user, **query) -> str:
    staff_login(client, user)
    response = client.get(reverse("liaison:queue"), query)
    assert response.status_code == 200
    return response.content.decode()


def link_cursor(html: str, name: str) -> str | None:
    """The escalation a pager link ("after" or "before") continues from, if there is one."""
    found = re.search(rf'href="\?[^"]*\b{name}=(\d+)"', html)
    return found.group(1) if found else None


@pytest.fixture
def backlog(liaison_a05, send):
    """Seven open A05 escalations: three sent, acknowledged ones, a returned one (no deadline)."""
    immediate = [send(urgency="immediate", ago=n * MINUTE) for n in range(3)]
    day = [send(urgency="24h", ago=n * MINUTE) for n in range(2)]
    escalation_transition(user=liaison_a05, escalation_id=day[1].pk, transition="acknowledge")
    slow = send(urgency="72h")
    returned = send(urgency="immediate")
    escalation_transition(
        user=liaison_a05, escalation_id=returned.pk, transition="return", text="Thiếu tuổi"
    )
    # The most urgent first: the nearest deadline (the immediate ones sent earliest), then
    # the later deadlines, then the one waiting on the hotline.
    return [immediate[2], immediate[1], immediate[0], day[0], slow, day[1], returned]


@pytest.mark.django_db
def test_it_pages_the_queue_most_urgent_first_and_back_without_counting_it(
    client, liaison_a05, backlog, monkeypatch
):
    monkeypatch.setattr("escalation.selectors.QUEUE_PAGE_SIZE", 3)
    expected = [escalation.pk for escalation in backlog]

    with CaptureQueriesContext(connection) as queries:
        first = page_of(client, liaison_a05)
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    second = page_of(client, liaison_a05, after=link_cursor(first, "after"))
    third = page_of(client, liaison_a05, after=link_cursor(second, "after"))

    assert list(rows(first)) == expected[:3]
    assert list(rows(second)) == expected[3:6]
    assert list(rows(third)) == expected[6:]
    assert link_cursor(first, "before") is None
    assert link_cursor(third, "after") is None
    # Back from the last page, and "the most urgent" from anywhere.
    back = page_of(client, liaison_a05, before=link_cursor(third, "before"))
    assert list(rows(back)) == expected[3:6]
    assert (
        list(rows(page_of(client, liaison_a05, before=link_cursor(back, "before"))))
        == (expected[:3])
    )
    assert "Gấp nhất" in third and "Gấp nhất" not in first


@pytest.mark.django_db
def test_it_reads_a_page_in_the_same_queries_however_long_the_queue(
    client, liaison_a05, send, monkeypatch
):
    monkeypatch.setattr("escalation.selectors.QUEUE_PAGE_SIZE", 2)

    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("liaison:queue")).status_code == 200
        return len(queries)

    for _n in range(3):
        send()
    page_of(client, liaison_a05)  # logged in, the session's first writes done
    short = queries_for_a_page()
    for _n in range(6):
        send()
    assert queries_for_a_page() == short
    assert len(rows(page_of(client, liaison_a05))) == 2


@pytest.mark.django_db
def test_it_filters_the_queue_by_state_urgency_and_type(client, liaison_a05, backlog):
    immediate_sent = [backlog[0].pk, backlog[1].pk, backlog[2].pk]

    assert list(rows(page_of(client, liaison_a05, urgency="immediate", state="sent"))) == (
        immediate_sent
    )
    assert list(rows(page_of(client, liaison_a05, state="acknowledged"))) == [backlog[5].pk]
    assert list(rows(page_of(client, liaison_a05, state="returned"))) == [backlog[6].pk]
    nothing = page_of(client, liaison_a05, type="child_abuse")
    assert rows(nothing) == {}
    assert "Không có yêu cầu nào khớp bộ lọc." in nothing
    # A value that is no filter is not applied: the whole queue, and the form says why.
    assert len(rows(page_of(client, liaison_a05, state="resolved"))) == len(backlog)


@pytest.mark.django_db
def test_it_keeps_the_filters_on_the_pager_links(client, liaison_a05, backlog, monkeypatch):
    monkeypatch.setattr("escalation.selectors.QUEUE_PAGE_SIZE", 2)

    first = page_of(client, liaison_a05, urgency="immediate")
    link = re.search(r'href="\?([^"]*\bafter=\d+)"', first).group(1).replace("&amp;", "&")
    assert link == f"urgency=immediate&after={backlog[1].pk}"
    second = page_of(client, liaison_a05, urgency="immediate", after=str(backlog[1].pk))
    assert list(rows(second)) == [backlog[2].pk, backlog[6].pk]


@pytest.mark.django_db
def test_it_starts_from_the_top_for_a_cursor_the_liaison_may_not_see(
    client, op_hanoi, liaison_a05, backlog, send, monkeypatch
):
    monkeypatch.setattr("escalation.selectors.QUEUE_PAGE_SIZE", 3)
    foreign = send(agency_code="hotline-111", escalation_type="child_abuse")
    first = list(rows(page_of(client, liaison_a05)))

    for cursor in (str(foreign.pk), "999999", "-1", "x", str(2**70)):
        assert list(rows(page_of(client, liaison_a05, after=cursor))) == first
        assert list(rows(page_of(client, liaison_a05, before=cursor))) == first
    assert foreign.pk not in rows(page_of(client, liaison_a05, after=str(backlog[2].pk)))


# --- the "closed / withdrawn" tab ---


def close_case(case, *, by):
    for name in ("open", "resolve", "close"):
        case_transition(user=by, case_id=case.pk, transition=name)


@pytest.fixture
def finished(op_hanoi, sup_hanoi, liaison_a05, send, clock):
    """One A05 escalation ended each way, one still open, and one of another agency."""
    resolved = send()
    escalation_transition(user=liaison_a05, escalation_id=resolved.pk, transition="acknowledge")
    clock.advance(MINUTE)
    escalation_transition(
        user=liaison_a05, escalation_id=resolved.pk, transition="resolve", text="Đã xác minh"
    )
    declined = send()
    clock.advance(MINUTE)
    escalation_transition(
        user=liaison_a05, escalation_id=declined.pk, transition="decline", text="Ngoài thẩm quyền"
    )
    withdrawn = send()
    clock.advance(MINUTE)
    escalation_transition(
        user=op_hanoi, escalation_id=withdrawn.pk, transition="withdraw", text="Nhầm cơ quan"
    )
    closed_open = send()
    clock.advance(MINUTE)
    close_case(closed_open.case, by=sup_hanoi)
    resolved_then_closed = send()
    escalation_transition(
        user=liaison_a05, escalation_id=resolved_then_closed.pk, transition="acknowledge"
    )
    clock.advance(MINUTE)
    escalation_transition(
        user=liaison_a05,
        escalation_id=resolved_then_closed.pk,
        transition="resolve",
        text="Đã xử lý",
    )
    clock.advance(MINUTE)
    close_case(resolved_then_closed.case, by=sup_hanoi)
    other_agency = send(agency_code="hotline-111", escalation_type="child_abuse")
    clock.advance(MINUTE)
    escalation_transition(
        user=op_hanoi, escalation_id=other_agency.pk, transition="withdraw", text="Nhầm"
    )
    return {
        "resolved": resolved,
        "declined": declined,
        "withdrawn": withdrawn,
        "closed_open": closed_open,
        "resolved_then_closed": resolved_then_closed,
        "still_open": send(),
        "other_agency": other_agency,
    }


@pytest.mark.django_db
def test_it_lists_the_finished_ones_with_why_they_ended_the_latest_first(
    client, liaison_a05, finished
):
    shown = rows(page(client, liaison_a05, "closed"))

    assert list(shown) == [
        finished[name].pk
        for name in ("resolved_then_closed", "closed_open", "withdrawn", "declined", "resolved")
    ]
    reasons = {pk: re.search(r'data-reason="(\w+)"', row).group(1) for pk, row in shown.items()}
    assert reasons == {
        finished["resolved"].pk: "resolved",
        finished["declined"].pk: "declined",
        finished["withdrawn"].pk: "withdrawn",
        finished["closed_open"].pk: "case_closed",
        finished["resolved_then_closed"].pk: "resolved",
    }
    assert "Cơ quan đã giải quyết" in shown[finished["resolved"].pk]
    assert "Cơ quan đã từ chối" in shown[finished["declined"].pk]
    assert "Tổng đài đã rút lại yêu cầu" in shown[finished["withdrawn"].pk]
    assert "Hồ sơ đã đóng" in shown[finished["closed_open"].pk]
    open_rows = rows(page(client, liaison_a05))
    assert list(open_rows) == [finished["still_open"].pk]


@pytest.mark.django_db
def test_it_keeps_of_a_revoked_escalation_only_its_number_reference_dates_and_reason(
    client, liaison_a05, finished
):
    html = page(client, liaison_a05, "closed")
    shown = rows(html)

    # Still granted: the whole row and a link to the page.
    for name in ("resolved", "declined"):
        escalation = finished[name]
        assert f'href="/liaison/{escalation.pk}/"' in shown[escalation.pk]
        assert "Xâm phạm quyền riêng tư" in shown[escalation.pk]
    # Revoked: no link, no type, and the page holds nothing of the content.
    for name in ("withdrawn", "closed_open", "resolved_then_closed"):
        escalation = finished[name]
        row = shown[escalation.pk]
        assert "href" not in row
        assert "Xâm phạm quyền riêng tư" not in row
        assert f"#{escalation.pk} · {escalation.case.reference}" in row
        escalation.refresh_from_db()
        access_ended = timezone.localtime(escalation.access_revoked_at)
        assert f"(không còn quyền xem từ {access_ended:%d/%m/%Y %H:%M})" in row
        for moment in (escalation.sent_at, escalation.finished_at):
            assert timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") in text(row)
    for words in (SUMMARY, "Nhầm cơ quan", "Đã xử lý"):
        assert words not in html


@pytest.mark.django_db
def test_it_reads_no_content_of_a_revoked_escalation_for_the_tab(sup_hanoi, liaison_a05, finished):
    # Only revoked ones in this agency's tab: their summaries are never even loaded.
    for name in ("resolved", "declined"):
        close_case(finished[name].case, by=sup_hanoi)

    with CaptureQueriesContext(connection) as queries:
        items = liaison_finished_items(user=liaison_a05, now=timezone.now())

    assert all(item["access_ended"] for item in items)
    assert set(items[0]) == {
        "id",
        "reference",
        "sent_at",
        "finished_at",
        "end_reason",
        "end_reason_label",
        "access_ended",
        "access_ended_at",
    }
    assert not [query for query in queries.captured_queries if '"summary"' in query["sql"]]


@pytest.mark.django_db
def test_it_shows_no_agency_another_agencys_finished_escalations(client, liaison_111, finished):
    shown = rows(page(client, liaison_111, "closed"))
    assert list(shown) == [finished["other_agency"].pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["op_hanoi", "sup_central", "administrator"])
def test_it_keeps_everyone_but_liaisons_out_of_the_closed_tab(request, client, finished, who):
    staff_login(client, request.getfixturevalue(who))
    assert client.get(reverse("liaison:closed")).status_code == 403


@pytest.mark.django_db
def test_it_fills_in_why_existing_grants_were_revoked_from_the_timeline(finished):
    historical = MigrationLoader(connection).project_state(("escalation", "0004_liaison_workspace"))
    historical.apps.get_model("escalation", "Escalation").objects.update(access_revoked_reason="")
    migration = importlib.import_module("escalation.migrations.0004_liaison_workspace")

    migration.revoke_reasons_from_timeline(historical.apps, None)

    for name, reason in (
        ("withdrawn", RevokeReason.WITHDRAWN),
        ("closed_open", RevokeReason.CASE_CLOSED),
        ("resolved_then_closed", RevokeReason.CASE_CLOSED),
        ("other_agency", RevokeReason.WITHDRAWN),
        ("resolved", ""),
        ("still_open", ""),
    ):
        finished[name].refresh_from_db()
        assert finished[name].access_revoked_reason == reason, name


# --- in English ---


def labels_only(html: str, user) -> str:
    """The page minus what is Vietnamese in any language: the liaison's own name, and the
    language switch, which offers Vietnamese in Vietnamese."""
    html = html.replace(user.get_full_name(), "")
    return re.sub(r'<button[^>]*lang="vi"[^>]*>.*?</button>', "", html)


@pytest.mark.django_db
@pytest.mark.parametrize("tab", ["queue", "closed"])
def test_it_shows_the_english_queue_all_in_english(client, liaison_a05, finished, send, tab):
    send(urgency="immediate", ago=2 * HOUR)  # an overdue one, for its mark
    escalation_message_send(
        user=finished["still_open"].created_by,
        escalation_id=finished["still_open"].pk,
        body="Tin mới",
    )

    html = page(client, liaison_a05, tab, language="en")

    assert '<html lang="en">' in html
    assert VIETNAMESE.findall(labels_only(html, liaison_a05)) == []
    if tab == "queue":
        assert "Acknowledge by" in html
        assert "Overdue by 1 h" in html
        assert "12 h left" in html
        assert ">New</span>" in html
    else:
        assert "Resolved by the agency" in html
        assert "Withdrawn by the hotline" in html
        assert "Case closed" in html
