"""Central supervisors write the help pages at /help/manage/; nobody else may."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from handbook.models import HelpPage, HelpPageChange
from handbook.services import (
    help_page_create,
    help_page_publish,
    help_page_unpublish,
    help_page_update,
)
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

OTHER_ROLES = [
    "op_hanoi",
    "op_hue",
    "op_central",
    "sup_hanoi",
    "administrator",
    "liaison_a05",
    "liaison_111",
]
NEW_PAGE = {
    "slug": "hoi-dap",
    "title_vi": "Hỏi đáp",
    "summary_vi": "Những câu hỏi hay gặp.",
    "body_vi": "Đoạn một.\n\n- Ý một\n- Ý hai",
    "title_en": "",
    "summary_en": "",
    "body_en": "",
    "position": "70",
}


def editor_urls(page_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/help/manage/"),
        ("get", "/help/manage/new/"),
        ("post", "/help/manage/new/"),
        ("get", f"/help/manage/{page_id}/"),
        ("post", f"/help/manage/{page_id}/"),
        ("post", f"/help/manage/{page_id}/publish/"),
    ]


def edit_form(page: HelpPage, **changes) -> dict:
    data = {
        name: getattr(page, name)
        for name in ("title_vi", "summary_vi", "body_vi", "title_en", "summary_en", "body_en")
    }
    return {**data, "position": page.position, "version": page.version, **changes}


@pytest.fixture
def seeded_page() -> HelpPage:
    return HelpPage.objects.get(slug="tin-gia")


def test_it_sends_anonymous_visitors_of_the_editor_to_the_login(client, seeded_page):
    for method, url in editor_urls(seeded_page.pk):
        response = getattr(client, method)(url, NEW_PAGE if method == "post" else None)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert not HelpPage.objects.filter(slug="hoi-dap").exists()


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_it_refuses_the_editor_to_every_other_role(client, seeded_page, role, request):
    staff_login(client, request.getfixturevalue(role))

    for method, url in editor_urls(seeded_page.pk):
        data = {"publish": "0"} if url.endswith("/publish/") else NEW_PAGE
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 403, (role, url)
    seeded_page.refresh_from_db()
    assert seeded_page.is_published
    assert not HelpPage.objects.filter(slug="hoi-dap").exists()
    assert not HelpPageChange.objects.exists()


@pytest.mark.parametrize("role", ["sup_hanoi", "op_central", "administrator", "liaison_111"])
def test_it_refuses_every_change_to_anyone_but_a_central_supervisor(seeded_page, role, request):
    user = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        help_page_create(by=user, slug="x", title_vi="x", summary_vi="x", body_vi="x")
    with pytest.raises(PermissionDenied):
        help_page_update(by=user, page_id=seeded_page.pk, version=1, title_vi="x")
    with pytest.raises(PermissionDenied):
        help_page_unpublish(by=user, page_id=seeded_page.pk)
    seeded_page.refresh_from_db()
    assert seeded_page.is_published and seeded_page.title_vi != "x"


def test_it_lists_every_page_drafts_included_for_a_central_supervisor(client, sup_central):
    help_page_create(
        by=sup_central, slug="ban-nhap", title_vi="Bản nháp", summary_vi="x", body_vi="x"
    )
    staff_login(client, sup_central)

    response = client.get("/help/manage/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Bản nháp" in page and "Tin giả: kiểm tra trước khi chia sẻ" in page
    assert page.count('name="publish" value="1"') == 1
    assert page.count('name="publish" value="0"') == 6
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_it_creates_a_draft_that_the_public_cannot_see_until_published(client, sup_central):
    staff_login(client, sup_central)

    response = client.post("/help/manage/new/", NEW_PAGE)

    page = HelpPage.objects.get(slug="hoi-dap")
    assert response.status_code == 302
    assert response["Location"] == f"/help/manage/{page.pk}/"
    assert not page.is_published
    assert (page.updated_by, page.position, page.body_vi) == (
        sup_central,
        70,
        "Đoạn một.\n\n- Ý một\n- Ý hai",
    )
    assert Client().get("/help/hoi-dap/").status_code == 404

    client.post(f"/help/manage/{page.pk}/publish/", {"publish": "1"})

    public = Client().get("/help/hoi-dap/")
    assert public.status_code == 200
    assert "<ul><li>Ý một</li><li>Ý hai</li></ul>" in public.content.decode()
    actions = list(page.changes.order_by("at", "pk").values_list("action", "actor__username"))
    assert actions == [("created", "sup_central"), ("published", "sup_central")]


def test_it_takes_a_page_down_and_puts_it_back(client, sup_central, seeded_page):
    staff_login(client, sup_central)

    client.post(f"/help/manage/{seeded_page.pk}/publish/", {"publish": "0"})
    assert Client().get("/help/tin-gia/").status_code == 404
    client.post(f"/help/manage/{seeded_page.pk}/publish/", {"publish": "1"})

    assert Client().get("/help/tin-gia/").status_code == 200
    assert list(seeded_page.changes.order_by("at", "pk").values_list("action", flat=True)) == [
        "unpublished",
        "published",
    ]


def test_it_saves_an_edit_recording_who_when_and_which_fields(client, sup_central, seeded_page):
    before = seeded_page.updated_at
    staff_login(client, sup_central)

    response = client.post(
        f"/help/manage/{seeded_page.pk}/",
        edit_form(seeded_page, title_en="Fake news: stop, check, then share", position="5"),
    )

    assert response.status_code == 302
    seeded_page.refresh_from_db()
    assert seeded_page.title_en == "Fake news: stop, check, then share"
    assert seeded_page.position == 5
    assert seeded_page.updated_by == sup_central
    assert seeded_page.updated_at > before
    change = seeded_page.changes.get()
    assert (change.action, change.actor, change.fields) == (
        "edited",
        sup_central,
        ["position", "title_en"],
    )
    # The list puts the page first now.
    assert Client().get("/help/en/").content.decode().index("Fake news: stop") < (
        Client().get("/help/en/").content.decode().index("Someone posted my private photos")
    )


def test_it_escapes_the_html_an_editor_types(client, sup_central, seeded_page):
    staff_login(client, sup_central)
    body = "Cẩn thận.\n\n<script>alert('bị lộ')</script>"

    client.post(f"/help/manage/{seeded_page.pk}/", edit_form(seeded_page, body_vi=body))

    public = Client().get("/help/tin-gia/").content.decode()
    preview = client.get(f"/help/manage/{seeded_page.pk}/").content.decode()
    for html in (public, preview):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;bị lộ&#x27;)&lt;/script&gt;" in html


def test_it_refuses_an_edit_made_on_a_page_someone_saved_since(client, sup_central, seeded_page):
    staff_login(client, sup_central)
    stale = edit_form(seeded_page, title_vi="Bản sửa thứ hai")
    client.post(f"/help/manage/{seeded_page.pk}/", edit_form(seeded_page, title_vi="Bản sửa đầu"))

    response = client.post(f"/help/manage/{seeded_page.pk}/", stale)

    assert response.status_code == 200
    assert "Người khác vừa sửa trang này" in response.content.decode()
    seeded_page.refresh_from_db()
    assert seeded_page.title_vi == "Bản sửa đầu"
    assert seeded_page.changes.count() == 1


def test_it_keeps_the_address_of_a_page_once_created(client, sup_central, seeded_page):
    staff_login(client, sup_central)

    client.post(
        f"/help/manage/{seeded_page.pk}/", edit_form(seeded_page, slug="doi-dia-chi", title_vi="Y")
    )

    seeded_page.refresh_from_db()
    assert (seeded_page.slug, seeded_page.title_vi) == ("tin-gia", "Y")


@pytest.mark.parametrize("slug", ["en", "manage", "offline", "tin-gia", "có dấu"])
def test_it_refuses_an_address_that_is_taken_reserved_or_not_a_slug(client, sup_central, slug):
    staff_login(client, sup_central)

    response = client.post("/help/manage/new/", {**NEW_PAGE, "slug": slug})

    assert response.status_code == 200
    assert HelpPage.objects.filter(title_vi="Hỏi đáp").count() == 0


def test_it_asks_for_all_of_the_english_or_none_of_it(client, sup_central):
    staff_login(client, sup_central)

    response = client.post("/help/manage/new/", {**NEW_PAGE, "title_en": "Questions"})

    assert response.status_code == 200
    assert "Bản tiếng Anh cần đủ tiêu đề, tóm tắt và nội dung" in response.content.decode()
    assert not HelpPage.objects.filter(slug="hoi-dap").exists()


def test_it_refuses_a_change_without_the_csrf_token(sup_central, seeded_page):
    browser = Client(enforce_csrf_checks=True)
    staff_login(browser, sup_central)

    response = browser.post(f"/help/manage/{seeded_page.pk}/publish/", {"publish": "0"})

    assert response.status_code == 403
    seeded_page.refresh_from_db()
    assert seeded_page.is_published


def test_it_answers_404_for_a_page_that_does_not_exist(client, sup_central):
    staff_login(client, sup_central)

    assert client.get("/help/manage/999999/").status_code == 404
    assert client.post("/help/manage/999999/publish/", {"publish": "1"}).status_code == 404


def test_it_writes_nothing_when_an_edit_changes_nothing(sup_central, seeded_page):
    page = help_page_update(
        by=sup_central,
        page_id=seeded_page.pk,
        version=seeded_page.version,
        title_vi=seeded_page.title_vi,
    )

    assert page.version == seeded_page.version
    assert not HelpPageChange.objects.exists()


def test_it_refuses_a_stale_version_in_the_service_too(sup_central, seeded_page):
    help_page_publish(by=sup_central, page_id=seeded_page.pk)  # already published: no change
    help_page_unpublish(by=sup_central, page_id=seeded_page.pk)

    with pytest.raises(ValidationError):
        help_page_update(by=sup_central, page_id=seeded_page.pk, version=1, title_vi="Cũ")


def test_it_opens_only_the_public_help_routes_without_a_login():
    from django.urls import get_resolver

    from tests.helpline.test_settings import all_routes

    help_routes = {
        route: getattr(view, "login_required", True)
        for route, view in all_routes(get_resolver().url_patterns)
        if route.startswith("help/")
    }

    assert {route for route, needs_login in help_routes.items() if needs_login} == {
        "help/manage/",
        "help/manage/new/",
        "help/manage/<int:page_id>/",
        "help/manage/<int:page_id>/publish/",
    }
