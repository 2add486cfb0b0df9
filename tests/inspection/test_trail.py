"""The inspectors' audit trail: who did what, when, with filters and CSV, and never any content."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent
from escalation.models import Agency
from helpline.models import ConversationRead, MonitoringSession
from inspection.trail import SOURCES
from reports.models import ReportEvent
from retention.models import PurgeRecord
from retention.services import legal_hold_place
from telephony.models import PhoneReveal
from tests.logins import staff_login
from tests.retention.helpers import CONTENT, T0, case_from_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(op_hanoi, op_hue, sup_central, sup_hanoi, hotline_hanoi):
    """A case of each of two hotlines with everything the trail records happening to them."""
    hanoi, conversation, _token = case_from_chat(operator=op_hanoi, escalate=True, close=False)
    hue, _c, _t = case_from_chat(operator=op_hue, close=False)
    legal_hold_place(
        user=sup_central, case_id=hanoi.pk, reason="police_investigation", reference="8/PC02"
    )
    PhoneReveal.objects.create(conversation_uuid=conversation.pk, actor=sup_hanoi)
    ConversationRead.objects.create(
        conversation_uuid=conversation.pk, actor=op_hanoi, kind="accepted", first_seq=1, last_seq=2
    )
    MonitoringSession.objects.create(
        supervisor=sup_hanoi, conversation_uuid=conversation.pk, hotline=hotline_hanoi
    )
    ReportEvent.objects.create(
        actor=sup_hanoi,
        action="exported",
        kind="monthly",
        scope="01",
        start=T0.date(),
        end=T0.date(),
        format="csv",
    )
    PurgeRecord.objects.create(
        kind="contact", count=3, run_at=timezone.now(), oldest=T0.date(), newest=T0.date()
    )
    return {"hanoi": hanoi, "hue": hue}


def trail(client, key: str, **query):
    return client.get(reverse("inspection:trail", args=[key]), query)


def exported(client, key: str, **query) -> list[list[str]]:
    response = trail(client, key, format="csv", **query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_it_shows_every_source_and_its_export_without_any_content(client, inspector, story):
    staff_login(client, inspector)
    index = client.get(reverse("inspection:index")).content.decode()
    for source in SOURCES:
        assert reverse("inspection:trail", args=[source.key]) in index
        page = trail(client, source.key)
        assert page.status_code == 200
        text = page.content.decode() + repr(exported(client, source.key))
        for words in CONTENT:
            assert words not in text, (source.key, words)
    assert story["hanoi"].summary not in index


def test_it_tells_who_read_or_changed_which_case_and_when(client, inspector, op_hanoi, story):
    staff_login(client, inspector)
    rows = exported(client, "case_events")
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Thời điểm", "Người thực hiện", "Hồ sơ", "Tổng đài", "Hành động"]
    hanoi = story["hanoi"]
    created = [row for row in body if row[2] == hanoi.reference and row[4].startswith("created")]
    assert len(created) == 1
    assert created[0][1] == "op_hanoi"
    assert created[0][3] == "01"
    held = [row for row in body if row[4].startswith("legal_hold_placed")]
    assert held[0][1:3] == ["sup_central", hanoi.reference]


def test_it_lists_what_was_disclosed_to_whom_and_on_which_legal_basis(client, inspector, story):
    staff_login(client, inspector)
    rows = exported(client, "disclosures")[1:]
    assert len(rows) == 2  # the escalation and the message the hotline sent with it
    first = rows[-1]
    assert first[1:4] == ["op_hanoi", story["hanoi"].reference, "01"]
    assert first[5] == Agency.objects.get(code="a05-police").name_vi
    assert "Nội dung trao đổi" in first[6]
    assert first[7].startswith("emergency")


@pytest.mark.parametrize(
    ("key", "who"),
    [
        ("phone_reveals", "sup_hanoi"),
        ("conversation_reads", "op_hanoi"),
        ("monitoring", "sup_hanoi"),
        ("report_events", "sup_hanoi"),
        ("holds", "sup_central"),
    ],
)
def test_it_names_who_revealed_read_watched_exported_or_held(client, inspector, story, key, who):
    staff_login(client, inspector)
    rows = exported(client, key)[1:]
    assert len(rows) == 1
    assert who in rows[0]


def test_it_counts_purges_without_naming_what_went(client, inspector, story):
    staff_login(client, inspector)
    rows = exported(client, "purges")[1:]
    assert rows[0][1].startswith("contact") and rows[0][2] == "3"


def test_it_filters_by_hotline_actor_action_and_dates(client, inspector, op_hanoi, op_hue, story):
    staff_login(client, inspector)
    hue = story["hue"].reference
    only_hue = exported(client, "case_events", hotline="46")[1:]
    assert only_hue and {row[2] for row in only_hue} == {hue}
    by_op_hue = exported(client, "case_events", actor=op_hue.pk)[1:]
    assert by_op_hue and {row[1] for row in by_op_hue} == {"op_hue"}
    notes = exported(client, "case_events", action="note_added")[1:]
    assert len(notes) == 2 and all(row[4].startswith("note_added") for row in notes)
    today = timezone.localdate()
    assert len(exported(client, "case_events", start=today, end=today)) > 1
    assert len(exported(client, "case_events", end=today - datetime.timedelta(days=400))) == 1
    page = trail(client, "case_events", hotline="46").content.decode()
    assert hue in page and story["hanoi"].reference not in page


def test_it_keeps_a_spreadsheet_from_running_what_a_cell_holds(client, inspector, story):
    from helpline.models import User

    User.objects.filter(username="sup_hanoi").update(username="=HYPERLINK(1)")
    staff_login(client, inspector)
    rows = exported(client, "phone_reveals")[1:]
    assert rows[0][1] == "'=HYPERLINK(1)"


def test_it_answers_404_for_a_source_that_does_not_exist(client, inspector):
    staff_login(client, inspector)
    assert trail(client, "messages").status_code == 404


@pytest.mark.parametrize(
    "who", ["op_hanoi", "sup_hanoi", "sup_central", "administrator", "liaison_a05"]
)
def test_it_refuses_the_inspection_pages_to_everyone_else(request, client, who):
    staff_login(client, request.getfixturevalue(who))
    for url in (
        reverse("inspection:index"),
        reverse("inspection:trail", args=["case_events"]),
        reverse("inspection:breaches"),
        reverse("inspection:breach_detail", args=[1]),
        reverse("inspection:break_glass_detail", args=[1]),
    ):
        assert client.get(url).status_code == 403, url


def test_it_counts_the_inspectors_own_view_of_a_case_as_nothing_on_its_timeline(
    client, inspector, story
):
    before = CaseEvent.objects.count()
    staff_login(client, inspector)
    trail(client, "case_events")
    exported(client, "case_events")
    assert CaseEvent.objects.count() == before
