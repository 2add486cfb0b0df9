"""Central supervisors' legal holds, and supervisors' list of young people's deletion requests."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases.selectors import cases_visible_to
from helpline.access import role_required, supervisor_required
from retention import services
from retention.forms import LegalHoldForm, LegalHoldLiftForm
from retention.models import DeletionStatus
from retention.selectors import (
    deletion_case_references,
    deletion_requests_visible_to,
    legal_holds_visible_to,
)

LIFTED_SHOWN = 50
DONE_SHOWN = 50


@role_required("is_central_supervisor")
@never_cache
@require_http_methods(["GET", "POST"])
def legal_holds(request):
    """Holds in force and lately lifted, and the form that places one."""
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = (
            cases_visible_to(user=request.user)
            .filter(reference__iexact=data["case_reference"].strip())
            .first()
        )
        if case is None:
            form.add_error("case_reference", _("Không có hồ sơ mang mã này."))
        else:
            try:
                services.legal_hold_place(
                    user=request.user,
                    case_id=case.pk,
                    reason=data["reason"],
                    reference=data["reference"],
                )
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                done = _("Đã đặt lệnh giữ dữ liệu cho hồ sơ %(ref)s.")
                messages.success(request, done % {"ref": case.reference})
                return redirect("retention:holds")
    holds = legal_holds_visible_to(user=request.user)
    return render(
        request,
        "retention/holds.html",
        {
            "form": form,
            "in_force": holds.filter(lifted_at=None).order_by("-placed_at"),
            "lifted": holds.exclude(lifted_at=None).order_by("-lifted_at")[:LIFTED_SHOWN],
        },
    )


@role_required("is_central_supervisor")
@require_POST
def legal_hold_lift(request):
    form = LegalHoldLiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect("retention:holds")
    try:
        hold = services.legal_hold_lift(user=request.user, hold_id=form.cleaned_data["hold_id"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Đã gỡ lệnh giữ dữ liệu của hồ sơ %(ref)s.") % {"ref": hold.case.reference}
        )
    return redirect("retention:holds")


@supervisor_required
@never_cache
def deletion_requests(request):
    """Young people's requests to delete their conversation: those waiting, and why, then the
    latest honoured. Ids, codes and times only: what was said is not shown, nor kept."""
    visible = deletion_requests_visible_to(user=request.user)
    waiting = list(visible.exclude(status=DeletionStatus.DONE).order_by("requested_at"))
    done = list(visible.filter(status=DeletionStatus.DONE).order_by("-done_at")[:DONE_SHOWN])
    references = deletion_case_references(user=request.user, requests=waiting + done)
    for item in waiting + done:
        item.case_reference = references.get(item.case_id, "")
    return render(request, "retention/deletions.html", {"waiting": waiting, "done": done})
