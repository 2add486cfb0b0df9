"""Pages of the liaison workspace (/liaison/) and of the hotline side (/escalations/).

Views parse input, call one service or selector, and render. Access is the
selectors' business: anything the user may not see answers 404.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.reauth import reauth_required
from cases.models import Gender
from cases.selectors import case_get_for_user
from escalation import selectors, services
from escalation.forms import (
    DisclosureForm,
    EscalationForm,
    MessageForm,
    QueueFilterForm,
    TransitionForm,
)
from escalation.models import (
    FACT_ITEMS,
    TALKING_STATES,
    EscalationState,
    SharedItem,
    disclosure_adds,
)
from helpline.access import hotline_staff_required, liaison_required
from helpline.models import AgeGroup, Risk
from helpline.provinces import province_name

# The liaison's side.


def liaison_page(view):
    """A page for liaisons only, which the browser never keeps.

    Not cached, so that going back after a grant was revoked asks the server
    again (and gets 404) instead of showing what the agency may no longer see.
    Like every page, it runs under the site's strict Content-Security-Policy.
    """
    return liaison_required(never_cache(view))


def _duration_text(seconds: int) -> str:
    """A duration to the minute, its two largest units: "2 ngày 3 giờ", "3 giờ 12 phút"."""
    days, rest = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [
        (days, _("%(n)d ngày")),
        (hours, _("%(n)d giờ")),
        (minutes, _("%(n)d phút")),
    ]
    while units and units[0][0] == 0:
        units.pop(0)
    if not units:
        return _("dưới 1 phút")
    return " ".join(text % {"n": n} for n, text in units[:2] if n)


def time_left_text(deadline: datetime.datetime, now: datetime.datetime) -> str:
    """How long until the deadline, or how long past it; static/liaison/queue.js says the same."""
    remaining = (deadline - now).total_seconds()
    if remaining < 0:
        return _("Quá hạn %(time)s") % {"time": _duration_text(int(-remaining))}
    return _("Còn %(time)s") % {"time": _duration_text(int(remaining))}


@liaison_page
@require_GET
def liaison_queue(request):
    now = timezone.now()
    filters = QueueFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = selectors.liaison_queue_page(
        user=request.user,
        now=now,
        filters=chosen,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    for item in page.items:
        # The page shows the deadline and the time left even before its script runs.
        if item["deadline"]:
            item["deadline_at"] = datetime.datetime.fromisoformat(item["deadline"])
            item["time_left"] = time_left_text(item["deadline_at"], now)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {
        "page": page,
        "filters": filters,
        "chosen": {field: chosen.get(field) or "" for field in selectors.QUEUE_FILTERS},
        "filtered": any(chosen.get(field) for field in selectors.QUEUE_FILTERS),
        "query": query.urlencode(),
        # The server's clock, which the script counts down on.
        "server_now": now.isoformat(timespec="seconds"),
        "tab": "open",
    }
    return render(request, "escalation/queue.html", context)


@liaison_page
@require_GET
def liaison_closed(request):
    items = selectors.liaison_finished_items(user=request.user, now=timezone.now())
    return render(request, "escalation/queue_closed.html", {"items": items, "tab": "closed"})


# Items that only some cases have (harms/): offered only when the case has them.
OPTIONAL_ITEMS = (SharedItem.ONLINE_ITEMS, SharedItem.EVIDENCE_FILES)
# Labels of the disclosure items that are not shared facts.
OTHER_ITEM_LABELS = {"summary": _lazy("Nội dung gửi cơ quan"), "message": _lazy("Tin nhắn")}


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else (code or "—")


def _value_text(item: str, value, categories: dict) -> str:
    """A disclosed or current value, from its codes, in the reader's language."""
    if item == SharedItem.CATEGORIES:
        names = [category.name for code, category in categories.items() if code in value]
        return "; ".join([*names, *(code for code in value if code not in categories)]) or "—"
    if item == SharedItem.RISK:
        return _label(Risk, value)
    if item == SharedItem.AGE_GROUP:
        return _label(AgeGroup, value)
    if item == SharedItem.GENDER:
        return _label(Gender, value)
    if item == SharedItem.PROVINCE:
        return province_name(value) or value or "—"
    if item == SharedItem.ONLINE_ITEMS:
        return _("%(n)d mục") % {"n": len(value)}
    if item == SharedItem.EVIDENCE_FILES:
        return _("%(n)d tệp") % {"n": len(value)}
    return _("Tin nhắn: %(messages)s · cuộc trao đổi: %(conversations)s") % {
        # seq runs 1, 2, 3... without gaps, so the last seq is the number of messages.
        "messages": sum(value.values()),
        "conversations": len(value),
    }


def _categories_in(*value_sets) -> dict:
    codes = set()
    for values in value_sets:
        codes.update(values.get(SharedItem.CATEGORIES) or [])
    return selectors.categories_by_code(codes=codes)


def _facts(disclosed: dict, categories: dict) -> list[tuple[str, str]]:
    """The facts the agency was shown, as its records disclosed them, and nothing else."""
    return [
        (SharedItem(item).label, _value_text(item, disclosed[item], categories))
        for item in FACT_ITEMS
        if item in disclosed
    ]


def _disclosure_choices(current: dict, disclosed: dict, categories: dict) -> list[dict]:
    """For each item: what the agency has, what the case holds now, and whether that is news."""
    rows = []
    for item in SharedItem:
        if item in OPTIONAL_ITEMS and not current[item] and item not in disclosed:
            continue  # a case without online items or files has nothing of them to share
        shared = item in disclosed
        if not shared:
            status = "new"
        elif disclosure_adds(item, current[item], disclosed[item]):
            status = "changed"
        else:
            status = "same"
        rows.append(
            {
                "item": item.value,
                "label": item.label,
                "disclosed": _value_text(item, disclosed[item], categories) if shared else "",
                "current": _value_text(item, current[item], categories),
                "status": status,
            }
        )
    return rows


def _disclosure_history(records, categories: dict) -> list[dict]:
    """Each record as what was shared, when and by whom, with the values shared."""
    history = []
    for record in records:
        shared = []
        for item in record.items:
            label = OTHER_ITEM_LABELS.get(item) or (
                SharedItem(item).label if item in SharedItem.values else item
            )
            if item in record.snapshot:
                shared.append(f"{label}: {_value_text(item, record.snapshot[item], categories)}")
            else:
                shared.append(str(label))
        history.append({"record": record, "shared": shared})
    return history


def _liaison_escalation(request, escalation_id: int) -> dict:
    """What the liaison's page shows of one escalation, read and audited in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        # The version (state, last change) is read before the content: a change
        # committed in between makes the page look older than it is, so it is
        # fetched once more, and never newer than what it shows.
        item = selectors.liaison_queue_item(user=request.user, escalation_id=escalation_id, now=now)
        if item is None:
            raise Http404
        escalation = selectors.escalation_get_for_user(
            user=request.user, escalation_id=escalation_id
        )
        disclosed = selectors.escalation_disclosed(escalation=escalation)
        transcript_shared = SharedItem.TRANSCRIPT in disclosed
        transcript = selectors.escalation_transcript(escalation=escalation, disclosed=disclosed)
        thread = list(escalation.messages.select_related("author"))
        selectors.escalation_read_audit(
            escalation=escalation, user=request.user, transcript=transcript_shared, at=now
        )
    return {
        "escalation": escalation,
        "item": item,
        "facts": _facts(disclosed, _categories_in(disclosed)),
        "transcript_shared": transcript_shared,
        "transcript": transcript,
        "thread": thread,
        "transitions": selectors.available_transitions(escalation=escalation, user=request.user),
        "message_form": MessageForm(),
        "overdue": escalation.is_overdue(now=now),
        "can_message": escalation.state in TALKING_STATES,
    }


@liaison_page
@require_GET
def liaison_escalation_detail(request, escalation_id: int):
    context = _liaison_escalation(request, escalation_id)
    return render(request, "escalation/liaison_detail.html", context)


@liaison_page
@require_GET
def liaison_escalation_live(request, escalation_id: int):
    """The changing part of the liaison's page, fetched again when the socket says it changed.

    The same door and the same audit as the page: a refresh is a read.
    """
    context = _liaison_escalation(request, escalation_id)
    return render(request, "escalation/_liaison_live.html", context)


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


def _attaches_transcript(request) -> bool:
    return request.method == "POST" and SharedItem.TRANSCRIPT in request.POST.getlist(
        "shared_items"
    )


@hotline_staff_required
@require_http_methods(["GET", "POST"])
# Sending a child's own words to an agency asks for the password or a code again
# (accounts.reauth); the form comes back with everything the operator wrote.
@reauth_required(when=_attaches_transcript)
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


def _can_talk(escalation) -> bool:
    return escalation.state in TALKING_STATES and escalation.access_revoked_at is None


@hotline_staff_required
def hotline_escalation_detail(request, escalation_id: int):
    with transaction.atomic():
        escalation = selectors.escalation_get_for_user(
            user=request.user, escalation_id=escalation_id, audit=True
        )
        disclosed = selectors.escalation_disclosed(escalation=escalation)
        current = selectors.case_disclosable_values(case=escalation.case, items=SharedItem.values)
        records = list(escalation.disclosures.select_related("sent_by"))
    categories = _categories_in(disclosed, current, *(record.snapshot for record in records))
    context = {
        "escalation": escalation,
        "case": escalation.case,
        "facts": _facts(disclosed, categories),
        "thread": escalation.messages.select_related("author"),
        "disclosures": _disclosure_history(records, categories),
        "disclosure_choices": _disclosure_choices(current, disclosed, categories),
        "disclosure_form": DisclosureForm(initial={"seen": current}),
        "transitions": selectors.available_transitions(escalation=escalation, user=request.user),
        "message_form": MessageForm(),
        "overdue": escalation.is_overdue(now=timezone.now()),
        "can_message": _can_talk(escalation),
        "can_disclose": _can_talk(escalation),
    }
    return render(request, "escalation/hotline_detail.html", context)


@hotline_staff_required
@require_POST
def hotline_escalation_disclose(request, escalation_id: int):
    selectors.escalation_get_for_user(user=request.user, escalation_id=escalation_id)
    form = DisclosureForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("escalations:detail", escalation_id=escalation_id)
    try:
        services.escalation_disclose(
            user=request.user,
            escalation_id=escalation_id,
            items=form.cleaned_data["items"],
            seen=form.cleaned_data["seen"],
        )
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã chia sẻ thêm thông tin với cơ quan."))
    return redirect("escalations:detail", escalation_id=escalation_id)


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
