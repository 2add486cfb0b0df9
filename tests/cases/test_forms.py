"""Bad input on the case pages: a clear message, nothing saved, nothing typed lost."""

import pytest
from django import forms
from django.urls import reverse

from cases.forms import CaseFilterForm, CaseForm, PlainSelect
from cases.models import Case, CaseNote
from tests.logins import staff_login

VALID = {"risk": "medium", "gender": "female", "summary": "Em bị bắt nạt"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("province_code", "99", "Mã tỉnh/thành không hợp lệ."),
        ("categories", ["online.nonexistent"], "Phân loại “online.nonexistent” không tồn tại."),
        ("categories", ["online"], "Phân loại “online” không tồn tại."),
        ("risk", "catastrophic", None),
        ("gender", "robot", None),
        ("age_group", "100-120", None),
    ],
)
def test_it_refuses_unknown_codes_with_a_message_and_creates_nothing(
    client, op_hanoi, field, value, message
):
    staff_login(client, op_hanoi)
    response = client.post(reverse("cases:create"), {**VALID, field: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert message in form.errors[field]
        assert message in response.content.decode()
    # What the operator typed stays on the page.
    assert "Em bị bắt nạt" in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_an_oversized_summary_with_a_message(client, op_hanoi):
    staff_login(client, op_hanoi)
    response = client.post(reverse("cases:create"), {**VALID, "summary": "x" * 4001})
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    assert "4000" in response.context["form"].errors["summary"][0]
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_an_oversized_summary_on_edit_and_keeps_the_case(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi, summary="kept")
    staff_login(client, op_hanoi)
    response = client.post(
        reverse("cases:edit", args=[case.pk]),
        {**VALID, "summary": "x" * 4001, "version": case.version},
    )
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    case.refresh_from_db()
    assert (case.summary, case.version) == ("kept", 1)


@pytest.mark.django_db
def test_it_shows_a_missing_version_as_an_error_on_the_page(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi, summary="kept")
    staff_login(client, op_hanoi)
    response = client.post(reverse("cases:edit", args=[case.pk]), {**VALID, "summary": "new"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    case.refresh_from_db()
    assert case.summary == "kept"


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["", "   ", "x" * 8001])
def test_it_refuses_an_empty_or_oversized_note_with_a_message(client, make_case, op_hanoi, body):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    response = client.post(reverse("cases:note_add", args=[case.pk]), {"body": body}, follow=True)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert CaseNote.objects.count() == 0


@pytest.mark.django_db
def test_it_accepts_categories_by_code_and_a_known_province(op_hanoi):
    form = CaseForm(
        {**VALID, "province_code": "46", "categories": ["online.privacy", "violence.physical"]}
    )
    assert form.is_valid(), form.errors
    codes = sorted(category.code for category in form.cleaned_data["categories"])
    assert codes == ["online.privacy", "violence.physical"]


@pytest.mark.django_db
def test_it_groups_the_category_choices_under_their_vietnamese_parent(reference_data):
    groups = dict(CaseForm().fields["categories"].choices)
    assert "Tác hại trên không gian mạng" in groups
    labels = [label for _value, label in groups["Tác hại trên không gian mạng"]]
    assert labels[0] == "Bắt nạt trực tuyến"
    assert labels[1] == "Xâm phạm quyền riêng tư / lộ lọt thông tin cá nhân"
    values = [str(value) for options in groups.values() for value, _label in options]
    assert "online.cyberbullying" in values
    assert "online" not in values


def django_select_html(bound_field) -> str:
    """The field as Django's own Select widget, with its templates, would write it."""
    select = forms.Select(attrs=bound_field.field.widget.attrs)
    select.choices = bound_field.field.widget.choices
    return bound_field.as_widget(widget=select)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [{}, {"state": "closed", "risk": "high", "category": "violence", "hotline": "79"}]
)
def test_it_writes_the_case_filters_as_djangos_select_would(reference_data, data):
    form = CaseFilterForm(data)
    assert form.is_valid(), form.errors

    for name in ("state", "risk", "category", "hotline"):
        assert isinstance(form.fields[name].widget, PlainSelect)
        html = str(form[name])
        assert html == django_select_html(form[name])
        assert html.count("<option") == len(list(form.fields[name].choices))
    if data:
        assert '<option value="violence" selected>' in str(form["category"])


def test_it_escapes_and_groups_options_as_djangos_select_would():
    choices = [("", "Tất cả"), ('Nhóm "<a>"', [("x&y", "A <b> & 'c'"), ("z", "Z")])]
    attrs = {"id": "id_f", "required": True, "disabled": False, "data-note": '"<>"'}
    plain = PlainSelect(choices=choices).render("f", "x&y", attrs=attrs)

    assert plain == forms.Select(choices=choices).render("f", "x&y", attrs=attrs)
    assert "<b>" not in plain and 'required data-note="&quot;&lt;&gt;&quot;"' in plain
