"""Error pages speak Vietnamese and give away nothing about hidden objects."""

import re

import pytest
from django.urls import reverse

from tests.logins import staff_login


@pytest.mark.django_db
def test_it_answers_a_hidden_case_with_the_same_vietnamese_page_as_a_missing_one(
    client, op_hue, op_hanoi, make_case
):
    hidden = make_case(by=op_hanoi)
    staff_login(client, op_hue)
    hidden_path = reverse("cases:detail", args=[hidden.pk])
    missing_path = reverse("cases:detail", args=[hidden.pk + 1000])
    hidden_page = client.get(hidden_path)
    missing_page = client.get(missing_path)
    assert hidden_page.status_code == missing_page.status_code == 404
    assert "Không tìm thấy trang này" in hidden_page.content.decode()
    # The pages differ only in the path the language switch returns to and the
    # per-response CSRF token.
    assert _comparable(hidden_page, hidden_path) == _comparable(missing_page, missing_path)


def _comparable(response, path: str) -> str:
    page = response.content.decode().replace(path, "PATH")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)


@pytest.mark.django_db
def test_it_answers_a_page_of_another_role_with_a_vietnamese_403(client, liaison_a05):
    staff_login(client, liaison_a05)
    response = client.get(reverse("cases:list"))
    assert response.status_code == 403
    assert "Bạn không có quyền mở trang này" in response.content.decode()
