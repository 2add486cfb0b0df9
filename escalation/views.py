"""Pages of the liaison workspace (/liaison/) and of the hotline side (/escalations/).

Views parse input, call one service or selector, and render. Access is the
selectors' business: anything the user may not see answers 404.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.selectors import case_get_for_user
from escalation import selectors, services
from escalation.forms import EscalationForm, MessageForm, TransitionForm
from escalation.models import TALKING_STATES, EscalationState, SharedItem
from helpline.access import hotline_staff_required, liaison_required
from helpline.provinces import province_name

# The liaison's side.


@liaison_required
def liaison_queue(request):
    now = timezone.now()
    items = selectors.liaison_queue_items(user=request.user, now=now)
    for item in items:
        # The page shows the deadline even before its script runs.
        item["deadline_at"] = (
            datetime.datetime.fromisoformat(item["deadline"]) if item["deadline"] else None
        )
    return render(request, "escalation/queue.html", {"items": items, "now": now})


def _shared_facts(escalation) -> list[tuple[str, str]]:
    """The items of the case the operator chose to share, and nothing else."""
    case = escalation.case
    values = {
        SharedItem.CATEGORIES: lambda: "; ".join(c.name for c in case.categories.all()) or "—",
        SharedItem.RISK: case.get_risk_display,
        SharedItem.AGE_GROUP: lambda: case.get_age_group_display() or "—",
        SharedItem.GENDER: case.get_gender_display,
        SharedItem.PROVINCE: lambda: province_name(case.province_code) or "—",
    }
    return [
        (SharedItem(item).label, values[item]())
        for item in escalation.shared_items
        if item in values
    ]


@liaison_required
def liaison_escalation_detail(request, escalation_id: int):
    with transaction.atomic():
        escalation = selectors.escalation_get_for_user(
            user=request.user, escalation_id=escalation_id
        )
        transcript = selectors.escalation_transcript(escalation=escalation)
        selectors.escalation_read_audit(
            escalation=escalation, user=request.user, transcript=escalation.transcript_attached
        )
    context = {
        "escalation": escalation,
        "facts": _shared_facts(escalation),
        "transcript": transcript,
        "thread": escalation.messages.select_related("author"),
        "transitions": selectors.available_transitions(escalation=escalation, user=request.user),
        "message_form": MessageForm(),
        "overdue": escalation.is_overdue(now=timezone.now()),
        "can_message": escalation.state in TALKING_STATES,
    }
    return render(request, "escalation/liaison_detail.html", context)


def _act(request, escalation_id: int, *, redirect_to: str):
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect(redirect_to, escalation_id=escalation_id)
    data = form.cleaned_data
    try:
        escalation = services.escalation_transition(
            user=request.user,
            escalation_id=escalation_id,
            transition=data["transition"],
            text=data["text"],
            expected_state=data["state"],
        )
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Yêu cầu đã chuyển sang “%(state)s”.") % {"state": escalation.get_state_display()},
        )
        if escalation.state == EscalationState.WITHDRAWN and request.user.is_hotline_staff:
            return redirect("cases:detail", case_id=escalation.case_id)
    return redirect(redirect_to, escalation_id=escalation_id)


def _message(request, escalation_id: int, *, redirect_to: str):
    form = MessageForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("body", []):
            messages.error(request, error)
        return redirect(redirect_to, escalation_id=escalation_id)
    try:
        services.escalation_message_send(
            user=request.user, escalation_id=escalation_id, body=form.cleaned_data["body"]
        )
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã gửi tin nhắn."))
    return redirect(redirect_to, escalation_id=escalation_id)


@liaison_required
@require_POST
def liaison_escalation_act(request, escalation_id: int):
    # Resolve access first, so a hidden escalation answers 404 whatever the form holds.
    selectors.escalation_get_for_user(user=request.user, escalation_id=escalation_id, perm="change")
    return _act(request, escalation_id, redirect_to="liaison:detail")


@liaison_required
@require_POST
def liaison_escalation_message(request, escalation_id: int):
    selectors.escalation_get_for_user(user=request.user, escalation_id=escalation_id, perm="change")
    return _message(request, escalation_id, redirect_to="liaison:detail")


# The hotline's side.


@hotline_staff_required
@require_http_methods(["GET", "POST"])
def escalation_create(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id)
    agencies = selectors.agencies_for_case(case=case)
    form = EscalationForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.escalation_create(
                user=request.user,
                case_id=case.pk,
                agency_id=data["agency"].pk,
                escalation_type=data["escalation_type"],
                urgency=data["urgency"],
                legal_basis=data["legal_basis"],
                summary=data["summary"],
                shared_items=data["shared_items"],
                youth_informed=data["youth_informed"],
            )
        except services.EscalationError as error:
            # The form is shown again with everything the operator wrote.
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Đã gửi yêu cầu chuyển tuyến tới %(agency)s.") % {"agency": data["agency"].name},
            )
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "escalation/escalation_form.html",
        {"case": case, "form": form, "agencies": agencies},
    )


@hotline_staff_required
def hotline_escalation_detail(request, escalation_id: int):
    with transaction.atomic():
        escalation = selectors.escalation_get_for_user(
            user=request.user, escalation_id=escalation_id, audit=True
        )
    context = {
        "escalation": escalation,
        "case": escalation.case,
        "facts": _shared_facts(escalation),
        "thread": escalation.messages.select_related("author"),
        "disclosures": escalation.disclosures.select_related("sent_by"),
        "transitions": selectors.available_transitions(escalation=escalation, user=request.user),
        "message_form": MessageForm(),
        "overdue": escalation.is_overdue(now=timezone.now()),
        "can_message": escalation.state in TALKING_STATES and escalation.access_revoked_at is None,
    }
    return render(request, "escalation/hotline_detail.html", context)


@hotline_staff_required
@require_POST
def hotline_escalation_act(request, escalation_id: int):
    selectors.escalation_get_for_user(user=request.user, escalation_id=escalation_id)
    return _act(request, escalation_id, redirect_to="escalations:detail")


@hotline_staff_required
@require_POST
def hotline_escalation_message(request, escalation_id: int):
    selectors.escalation_get_for_user(user=request.user, escalation_id=escalation_id)
    return _message(request, escalation_id, redirect_to="escalations:detail")
