"""The canned responses page answers 404 to an id that is no number, and logs nothing of it."""

import logging

import pytest
from django.test import Client

from helpline.models import CannedResponse
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

NOT_AN_ID = "abc-secret-typed-by-someone"
BAD_IDS = [NOT_AN_ID, "12abc", "１２", "-1", "99999999999999999999999"]


def supervisor_client(user) -> Client:
    # A 500 must come back as a response here, as it would to a browser, not as an exception.
    client = Client(raise_request_exception=False)
    staff_login(client, user)
    return client


@pytest.mark.parametrize("raw_id", BAD_IDS)
def test_it_answers_404_to_an_edit_id_that_is_no_number(sup_hanoi, caplog, raw_id):
    client = supervisor_client(sup_hanoi)

    with caplog.at_level(logging.DEBUG):
        response = client.get("/canned/", {"edit": raw_id})

    assert response.status_code == 404
    assert all(raw_id not in record.getMessage() for record in caplog.records)
    assert raw_id not in caplog.text


@pytest.mark.parametrize("raw_id", BAD_IDS)
def test_it_answers_404_to_a_posted_id_that_is_no_number(sup_hanoi, caplog, raw_id):
    client = supervisor_client(sup_hanoi)
    before = CannedResponse.objects.count()

    with caplog.at_level(logging.DEBUG):
        response = client.post(
            "/canned/", {"id": raw_id, "title": "Chào", "body": "Chào bạn", "position": 1}
        )

    assert response.status_code == 404
    assert raw_id not in caplog.text
    assert CannedResponse.objects.count() == before


def test_it_still_edits_a_response_by_its_id(sup_hanoi):
    canned = CannedResponse.objects.create(
        title="Chào", body="Chào bạn", hotline=sup_hanoi.hotline, position=1
    )
    client = supervisor_client(sup_hanoi)

    assert client.get("/canned/", {"edit": str(canned.pk)}).context["editing"] == canned
    response = client.post(
        "/canned/",
        {"id": str(canned.pk), "title": "Xin chào", "body": "Chào bạn", "position": 1},
    )

    assert response.status_code == 302
    canned.refresh_from_db()
    assert canned.title == "Xin chào"


def test_it_answers_404_to_another_hotlines_response(sup_hanoi):
    shared = CannedResponse.objects.create(title="Chung", body="Chào bạn", position=1)

    response = supervisor_client(sup_hanoi).get("/canned/", {"edit": str(shared.pk)})

    assert response.status_code == 404
