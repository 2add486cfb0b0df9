"""The central supervisors' page for deciding on staff changes that administrators proposed."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from helpline.access import role_required
from helpline.models import StaffChangeState
from helpline.staff import staff_change_request_approve, staff_change_request_reject
from helpline.staff_selectors import staff_change_requests_visible_to

DECIDED_SHOWN = 50


class StaffDecisionForm(forms.Form):
    request_id = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])


@role_required("is_central_supervisor")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_requests(request):
    """Pending staff changes to approve or reject, and the latest decisions."""
    if request.method == "POST":
        return _decide(request)
    visible = staff_change_requests_visible_to(user=request.user)
    return render(
        request,
        "helpline/staff_requests.html",
        {
            "pending": visible.filter(state=StaffChangeState.PENDING).order_by("proposed_at"),
            "decided": visible.exclude(state=StaffChangeState.PENDING).order_by("-decided_at")[
                :DECIDED_SHOWN
            ],
        },
    )


def _decide(request):
    form = StaffDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect("staff_requests")
    approve = form.cleaned_data["decision"] == "approve"
    decide = staff_change_request_approve if approve else staff_change_request_reject
    try:
        proposal = decide(by=request.user, request_id=form.cleaned_data["request_id"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = _("Đã duyệt yêu cầu #%(id)s.") if approve else _("Đã từ chối yêu cầu #%(id)s.")
        messages.success(request, done % {"id": proposal.pk})
    return redirect("staff_requests")
