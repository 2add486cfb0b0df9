"""Pages and actions of online harm: items and files on a case, takedowns, central's radar.

Views parse input, call one service or selector, and render. Access is the
selectors' business: anything the user may not see answers 404.
"""

import base64

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.selectors import case_get_for_user
from harms import matches, selectors, services, stats, takedowns
from harms.forms import (
    AttachForm,
    EvidenceUploadForm,
    OnlineItemCreateForm,
    OnlineItemEditForm,
    TakedownActForm,
    TakedownCheckForm,
    TakedownForm,
)
from harms.models import HarmMatch
from harms.storage import THUMBNAIL, EvidenceUnreadable, evidence_read
from harms.uploads import memory_only_uploads
from helpline.access import hotline_staff_required, role_required
from helpline.provinces import all_provinces

staff_or_liaison_required = role_required("is_hotline_staff", "is_liaison")
central_supervisor_required = role_required("is_central_supervisor")
# The full image is put in the page itself, never behind an address the browser could keep.
SHOW_CSP = {"img-src": ["data:"]}
# Where incidents are opened (reports, built beside this app). The match's id is the only
# thing handed over; the incident's page asks harms.selectors.match_case_ids for the cases.
INCIDENT_NEW_PATH = "/reports/incidents/new/"


def _case_anchor(case_id: int) -> str:
    return reverse("cases:detail", args=[case_id]) + "#harms"


def _ocsea_message(request, result) -> None:
    if result.ocsea_erased:
        messages.warning(
            request,
            _("Ảnh đã bị xoá ngay và không được lưu; chỉ giữ lại mã băm.")
            + " "
            + services.ocsea_explanation(),
        )


# --- items --------------------------------------------------------------------------


def with_memory_uploads(view):
    """Read this view's uploads in memory only, then check the CSRF token as usual.

    The upload handlers must be set before the CSRF check reads the form, so the
    check runs inside (Django's documented pattern).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            limit = max(settings.EVIDENCE_IMAGE_MAX_BYTES, settings.EVIDENCE_PDF_MAX_BYTES)
            request.upload_handler_state = memory_only_uploads(request, limit=limit)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _uploaded(request, form) -> bytes | None:
    handler = getattr(request, "upload_handler_state", None)
    if handler is not None and handler.too_large:
        form.add_error(
            "file",
            _("Tệp quá lớn: ảnh tối đa %(image)s MB, PDF tối đa %(pdf)s MB.")
            % {
                "image": f"{settings.EVIDENCE_IMAGE_MAX_BYTES / (1024 * 1024):g}",
                "pdf": f"{settings.EVIDENCE_PDF_MAX_BYTES / (1024 * 1024):g}",
            },
        )
        return None
    upload = form.cleaned_data.get("file") if form.is_valid() else None
    return upload.read() if upload else None


@hotline_staff_required
@with_memory_uploads
@require_http_methods(["GET", "POST"])
def item_create(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id)
    form = OnlineItemCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = _uploaded(request, form)
        if not form.errors:
            try:
                result = services.online_item_create(
                    user=request.user, case_id=case.pk, upload=upload, **form.service_values()
                )
            except services.HarmsError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Đã ghi nhận dấu vết trên mạng."))
                _ocsea_message(request, result)
                return redirect(_case_anchor(case.pk))
    return render(
        request,
        "harms/item_form.html",
        {"case": case, "form": form, "ocsea_explanation": services.ocsea_explanation()},
    )


@hotline_staff_required
@require_http_methods(["GET", "POST"])
def item_edit(request, item_id: int):
    item = selectors.online_item_get_for_user(user=request.user, item_id=item_id)
    initial = {
        "platform": item.platform_id,
        "kind": item.kind,
        "url": item.url,
        "handle": item.handle,
        "category": item.category_id,
        "seen_at": timezone.localtime(item.seen_at) if item.seen_at else None,
        "description": item.description,
        "version": item.version,
    }
    form = OnlineItemEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.online_item_update(
                user=request.user,
                item_id=item.pk,
                expected_version=form.cleaned_data["version"],
                **form.service_values(),
            )
        except services.HarmsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Đã lưu thay đổi."))
            _ocsea_message(request, result)
            return redirect(_case_anchor(item.case_id))
    return render(
        request,
        "harms/item_form.html",
        {
            "case": item.case,
            "item": item,
            "form": form,
            "ocsea_explanation": services.ocsea_explanation(),
        },
    )


# --- files --------------------------------------------------------------------------


@hotline_staff_required
@with_memory_uploads
@require_http_methods(["GET", "POST"])
def file_upload(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id)
    items = list(case.online_items.select_related("platform"))
    form = EvidenceUploadForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST":
        upload = _uploaded(request, form)
        if upload is not None and not form.errors:
            try:
                file = services.evidence_upload(
                    user=request.user,
                    case_id=case.pk,
                    data=upload,
                    item_id=form.cleaned_data["item"],
                )
            except services.HarmsError as error:
                form.add_error("file", str(error))
            else:
                if file.deleted_at is not None:
                    messages.warning(
                        request,
                        _("Ảnh đã bị xoá ngay và không được lưu; chỉ giữ lại mã băm.")
                        + " "
                        + services.ocsea_explanation(),
                    )
                else:
                    messages.success(request, _("Đã lưu tệp bằng chứng (đã mã hoá)."))
                return redirect(_case_anchor(case.pk))
    return render(request, "harms/file_form.html", {"case": case, "form": form})


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_or_liaison_required
@require_GET
def file_thumbnail(request, file_id):
    """The blurred thumbnail: nothing in it can be recognised, so it needs no click."""
    file = selectors.evidence_file_get_for_user(user=request.user, file_id=file_id)
    if file.deleted_at is not None or file.kind != "image":
        raise Http404
    try:
        data = evidence_read(file.pk, THUMBNAIL)
    except EvidenceUnreadable:
        raise Http404 from None
    return _private(HttpResponse(data, content_type="image/jpeg"))


def _back(request, file) -> str:
    escalation = getattr(file, "via_escalation", None)
    if escalation is not None:
        return reverse("liaison:detail", args=[escalation.pk])
    case_id = file.case_id_now
    return _case_anchor(case_id) if case_id else reverse("console")


@staff_or_liaison_required
@csp_update(SHOW_CSP)
@never_cache
@require_POST
def file_show(request, file_id):
    """The file itself, after its reading is recorded: an image in the page, a PDF to save."""
    file = selectors.evidence_file_get_for_user(user=request.user, file_id=file_id)
    try:
        file, data = services.evidence_show(user=request.user, file_id=file.pk)
    except services.HarmsError as error:
        messages.error(request, str(error))
        return redirect(_back(request, file))
    if file.kind != "image":
        response = HttpResponse(data, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="evidence-{file.pk}.pdf"'
        return _private(response)
    source = f"data:{file.content_type};base64,{base64.b64encode(data).decode()}"
    response = render(
        request,
        "harms/file_show.html",
        {"file": file, "source": source, "back": _back(request, file)},
    )
    return _private(response)


@staff_or_liaison_required
@never_cache
@require_POST
def file_content(request, file_id):
    """The file's bytes for a script (the console), after its reading is recorded."""
    try:
        file, data = services.evidence_show(user=request.user, file_id=file_id)
    except services.HarmsError:
        raise Http404 from None
    return _private(HttpResponse(data, content_type=file.content_type))


@hotline_staff_required
@require_POST
def file_attach(request, file_id):
    file = selectors.evidence_file_get_for_user(user=request.user, file_id=file_id)
    form = AttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy chọn dấu vết."))
        return redirect(_back(request, file))
    try:
        file = services.evidence_attach(
            user=request.user, file_id=file.pk, item_id=form.cleaned_data["item"]
        )
    except services.HarmsError as error:
        messages.error(request, str(error))
    else:
        if file.deleted_at is not None:
            messages.warning(
                request,
                _("Ảnh đã bị xoá ngay và không được lưu; chỉ giữ lại mã băm.")
                + " "
                + services.ocsea_explanation(),
            )
        else:
            messages.success(request, _("Đã gắn tệp vào dấu vết."))
    return redirect(_back(request, file))


@hotline_staff_required
@require_POST
def file_delete_ocsea(request, file_id):
    file = services.evidence_delete_ocsea(user=request.user, file_id=file_id)
    messages.warning(
        request,
        _("Đã xoá nội dung tệp; chỉ giữ lại mã băm.") + " " + services.ocsea_explanation(),
    )
    return redirect(_back(request, file))


# --- takedowns -----------------------------------------------------------------------


@hotline_staff_required
@require_http_methods(["GET", "POST"])
def takedown_create(request, item_id: int):
    item = selectors.online_item_get_for_user(user=request.user, item_id=item_id)
    channels = selectors.takedown_channels_for_item(item=item)
    escalations = selectors.escalations_for_takedown(user=request.user, item=item)
    form = TakedownForm(request.POST or None, channels=channels, escalations=escalations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            takedowns.takedown_create(
                user=request.user,
                item_id=item.pk,
                channel_id=data["channel"],
                escalation_id=data["escalation"],
                external_reference=data["external_reference"],
            )
        except services.HarmsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Đã tạo yêu cầu gỡ bỏ. Gửi yêu cầu rồi bấm “Đánh dấu đã gửi”.")
            )
            return redirect(_case_anchor(item.case_id))
    return render(
        request,
        "harms/takedown_form.html",
        {"item": item, "case": item.case, "form": form, "channels": channels},
    )


def _takedown_back(request, takedown) -> str:
    if request.user.is_liaison:
        return reverse("liaison:detail", args=[takedown.escalation_id])
    return _case_anchor(takedown.item.case_id)


@staff_or_liaison_required
@require_POST
def takedown_act(request, takedown_id: int):
    # Resolve access first, so a hidden request answers 404 whatever the form holds.
    takedown = selectors.takedown_get_for_user(
        user=request.user, takedown_id=takedown_id, perm="change"
    )
    form = TakedownActForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect(_takedown_back(request, takedown))
    data = form.cleaned_data
    try:
        takedown = takedowns.takedown_transition(
            user=request.user,
            takedown_id=takedown.pk,
            transition=data["transition"],
            note=data["note"],
            external_reference=data["external_reference"] or None,
            expected_state=data["state"],
        )
    except services.HarmsError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Yêu cầu gỡ bỏ đã chuyển sang “%(state)s”.")
            % {"state": takedown.get_state_display()},
        )
    return redirect(_takedown_back(request, takedown))


@hotline_staff_required
@require_POST
def takedown_check(request, takedown_id: int):
    takedown = selectors.takedown_get_for_user(user=request.user, takedown_id=takedown_id)
    form = TakedownCheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect(_takedown_back(request, takedown))
    try:
        takedowns.takedown_check(
            user=request.user,
            takedown_id=takedown.pk,
            still_online=form.cleaned_data["still_online"],
        )
    except services.HarmsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã ghi lại kết quả kiểm tra."))
    return redirect(_takedown_back(request, takedown))


# --- the evidence sheet ---------------------------------------------------------------


@hotline_staff_required
@never_cache
@require_GET
def evidence_sheet(request, case_id: int):
    context = selectors.evidence_sheet(user=request.user, case_id=case_id, at=timezone.now())
    return render(request, "harms/evidence_sheet.html", context)


# --- central's radar ----------------------------------------------------------------------


@central_supervisor_required
@require_GET
def match_list(request):
    rows = [
        row for row in selectors.matches_for_user(user=request.user) if row["hotline_count"] > 1
    ]
    return render(request, "harms/matches.html", {"rows": rows})


@central_supervisor_required
@require_POST
def match_incident(request, match_id: int):
    """Open an incident on a match: recorded here, then handed to the incidents' page (reports)."""
    try:
        matches.match_incident_open(user=request.user, match_id=match_id, at=timezone.now())
    except HarmMatch.DoesNotExist:
        raise Http404 from None
    except matches.MatchNotAllowed:
        raise PermissionDenied from None
    return redirect(f"{INCIDENT_NEW_PATH}?match={int(match_id)}")


@central_supervisor_required
@require_GET
def rising(request):
    provinces = {province.code: province.name for province in all_provinces()}
    province = request.GET.get("province", "")
    if province not in provinces:
        province = ""
    context = stats.rising_harms(now=timezone.now(), province_code=province or None)
    for row in context["by_province"]:
        row["name"] = provinces.get(row["province"], "")
    context.update({"provinces": sorted(provinces.items()), "province": province})
    return render(request, "harms/rising.html", context)
