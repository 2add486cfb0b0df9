"""Where central supervisors write the help pages: /help/manage/.

Everyone else who is signed in gets 403; someone not signed in is sent to the
login. Views parse the form and call one service; the services check the role
again and record who changed what and when.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from handbook.forms import HelpPageCreateForm, HelpPageEditForm, HelpPagePublishForm
from handbook.markup import render_help_text
from handbook.models import HelpPage
from handbook.selectors import help_page_changes, help_page_get_for_editor, help_pages_editable_by
from handbook.services import (
    help_page_create,
    help_page_publish,
    help_page_unpublish,
    help_page_update,
)
from handbook.views import help_url
from helpline.access import role_required

central_supervisor_required = role_required("is_central_supervisor")


def _field_labels(names: list[str]) -> list[str]:
    return [str(HelpPage._meta.get_field(name).verbose_name) for name in names]


@central_supervisor_required
@never_cache
@require_http_methods(["GET"])
def manage_list(request):
    """Every page, drafts included, with who saved it last and when."""
    pages = [
        {"page": page, "public_url": help_url("page", "vi", page.slug)}
        for page in help_pages_editable_by(user=request.user)
    ]
    return render(request, "handbook/manage_list.html", {"pages": pages})


@central_supervisor_required
@never_cache
@require_http_methods(["GET", "POST"])
def manage_create(request):
    """A new page, saved as a draft."""
    form = HelpPageCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        page = help_page_create(by=request.user, **form.cleaned_data)
        messages.success(request, _("Đã tạo bản nháp. Trang chỉ hiện công khai khi được đăng."))
        return redirect("handbook:manage_edit", page_id=page.pk)
    return render(request, "handbook/manage_form.html", {"form": form, "page": None})


@central_supervisor_required
@never_cache
@require_http_methods(["GET", "POST"])
def manage_edit(request, page_id: int):
    """Edit a page's text and place; the preview shows the page as last saved."""
    page = help_page_get_for_editor(user=request.user, page_id=page_id)
    # Read before the form is bound: binding copies what was typed onto the page object.
    saved = {
        "preview_vi": render_help_text(page.body_vi),
        "preview_en": render_help_text(page.body_en),
        "public_url": help_url("page", "vi", page.slug),
        "public_url_en": help_url("page", "en", page.slug),
        "changes": [
            {"change": change, "fields": _field_labels(change.fields)}
            for change in help_page_changes(user=request.user, page=page)
        ],
        "is_published": page.is_published,
        "slug": page.slug,
    }
    form = HelpPageEditForm(request.POST or None, instance=page, initial={"version": page.version})
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        version = changes.pop("version")
        try:
            help_page_update(by=request.user, page_id=page_id, version=version, **changes)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Đã lưu trang."))
            return redirect("handbook:manage_edit", page_id=page_id)
    return render(
        request, "handbook/manage_form.html", {"form": form, "page": page, "saved": saved}
    )


@central_supervisor_required
@require_POST
def manage_publish(request, page_id: int):
    """Publish a page, or take it down."""
    form = HelpPagePublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect("handbook:manage")
    if form.cleaned_data["publish"]:
        page = help_page_publish(by=request.user, page_id=page_id)
        messages.success(request, _("Đã đăng trang “%(slug)s”.") % {"slug": page.slug})
    else:
        page = help_page_unpublish(by=request.user, page_id=page_id)
        messages.success(request, _("Đã gỡ trang “%(slug)s” xuống.") % {"slug": page.slug})
    return redirect("handbook:manage")
