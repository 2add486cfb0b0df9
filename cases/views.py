from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import services
from cases.forms import CaseEditForm, CaseFilterForm, CaseForm, NoteForm, TransitionForm
from cases.models import CASE_TRANSITIONS, Case, CaseState, Category, can_set_risk
from cases.selectors import case_get_for_user, case_read_audit, cases_visible_to
from escalation.selectors import escalations_for_case
from helpline.access import hotline_staff_required
from helpline.models import Risk
from helpline.provinces import province_name

CASES_PER_PAGE = 25


@dataclass
class CasePage:
    """One page of the case list, newest first, and the cases its links continue from.

    The list pages by keyset, not by number: "older" continues after the last
    case shown, "newer" before the first. Nothing counts the cases (a COUNT(*)
    over a province's hundred thousand cases on every view), every page costs
    the same however deep, and cases opened meanwhile never shift a page.
    """

    cases: list
    newer_than: int | None  # the first case shown, when newer ones exist
    older_than: int | None  # the last case shown, when older ones exist

    @property
    def is_first(self) -> bool:
        return self.newer_than is None


def _cursor(cases, value: str | None):
    """The (created_at, id) of the case a page link continues from, if the user may see it."""
    if not value or not value.isdigit():
        return None
    return cases.filter(pk=int(value)).values_list("created_at", "pk").first()


def case_page(cases, *, older_than: str | None, newer_than: str | None) -> CasePage:
    """A page of these cases: the newest, or the ones just older or just newer than a case."""
    newest_first = ("-created_at", "-pk")
    after = _cursor(cases, older_than)
    before = None if after else _cursor(cases, newer_than)
    if after is not None:
        created_at, pk = after
        # (created_at, id) < the cursor's, written so that the index range starts at it.
        rows = cases.filter(created_at__lte=created_at).exclude(created_at=created_at, pk__gte=pk)
        shown = list(rows.order_by(*newest_first)[: CASES_PER_PAGE + 1])
        more_older, more_newer = len(shown) > CASES_PER_PAGE, True
        shown = shown[:CASES_PER_PAGE]
    elif before is not None:
        created_at, pk = before
        rows = cases.filter(created_at__gte=created_at).exclude(created_at=created_at, pk__lte=pk)
        shown = list(rows.order_by("created_at", "pk")[: CASES_PER_PAGE + 1])
        more_newer, more_older = len(shown) > CASES_PER_PAGE, True
        shown = shown[:CASES_PER_PAGE][::-1]
    else:
        shown = list(cases.order_by(*newest_first)[: CASES_PER_PAGE + 1])
        more_older, more_newer = len(shown) > CASES_PER_PAGE, False
        shown = shown[:CASES_PER_PAGE]
    return CasePage(
        cases=shown,
        newer_than=shown[0].pk if shown and more_newer else None,
        older_than=shown[-1].pk if shown and more_older else None,
    )


@hotline_staff_required
def case_list(request):
    cases = cases_visible_to(user=request.user)
    filters = CaseFilterForm(request.GET or None)
    if not request.user.is_central_supervisor:
        # Everyone else sees one hotline, so the filter would only mislead.
        filters.fields.pop("hotline")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["state"]:
            cases = cases.filter(state=data["state"])
        if data["risk"]:
            cases = cases.filter(risk=data["risk"])
        if data["category"]:
            # A parent category stands for its whole branch. A semi-join, not a join:
            # a case in two categories of the branch is still one row, with no DISTINCT.
            branch = Category.objects.filter(
                Q(pk=data["category"].pk) | Q(parent=data["category"])
            ).values("pk")
            in_branch = Case.categories.through.objects.filter(
                case_id=OuterRef("pk"), category_id__in=branch
            )
            cases = cases.filter(Exists(in_branch))
        if data.get("hotline"):
            cases = cases.filter(hotline=data["hotline"])
    page = case_page(
        cases.select_related("hotline").prefetch_related("categories"),
        older_than=request.GET.get("older_than"),
        newer_than=request.GET.get("newer_than"),
    )
    query = request.GET.copy()
    query.pop("older_than", None)
    query.pop("newer_than", None)
    return render(
        request,
        "cases/case_list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@hotline_staff_required
@require_http_methods(["GET", "POST"])
def case_create(request):
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(user=request.user, **form.cleaned_data)
        except services.CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Đã tạo hồ sơ %(ref)s.") % {"ref": case.reference})
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "case": None})


@hotline_staff_required
def case_detail(request, case_id: int):
    with transaction.atomic():
        case = case_get_for_user(user=request.user, case_id=case_id, audit=True)
    events = case.events.select_related("actor")
    context = {
        "case": case,
        "categories": case.categories.select_related("parent"),
        "notes": case.notes.select_related("author"),
        "timeline": events,
        "note_form": NoteForm(),
        "transitions": [
            (name, CASE_TRANSITIONS[name])
            for name in services.case_available_transitions(case=case, user=request.user)
        ],
        "province_name": province_name(case.province_code),
        "case_escalations": escalations_for_case(
            user=request.user, case_id=case.pk, now=timezone.now()
        ),
    }
    return render(request, "cases/case_detail.html", context)


@hotline_staff_required
@require_http_methods(["GET", "POST"])
def case_edit(request, case_id: int):
    # The form shows the case's content, so opening it is a read for the timeline.
    with transaction.atomic():
        case = case_get_for_user(user=request.user, case_id=case_id)
        if request.method == "GET" and case.state != CaseState.CLOSED:
            case_read_audit(case=case, user=request.user)
    if case.state == CaseState.CLOSED:
        messages.error(request, _("Hồ sơ đã đóng. Hãy mở lại hồ sơ trước khi sửa."))
        return redirect("cases:detail", case_id=case.pk)
    initial = {
        "categories": list(case.categories.all()),
        "risk": case.risk,
        "age_group": case.age_group,
        "gender": case.gender,
        "province_code": case.province_code,
        "summary": case.summary,
        "version": case.version,
    }
    form = CaseEditForm(request.POST or None, initial=initial)
    if not can_set_risk(case, request.user, Risk.LOW):
        form.fields["risk"].help_text = _("Chỉ giám sát viên được hạ mức rủi ro này.")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.case_update(
                user=request.user,
                case_id=case.pk,
                expected_version=data.pop("version"),
                categories=list(data.pop("categories")),
                **data,
            )
        except services.RiskLoweringRefused as error:
            # Shown beside the risk, with everything else the person typed still in the form.
            form.add_error("risk", str(error))
        except services.CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Đã lưu thay đổi."))
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@hotline_staff_required
@require_POST
def case_note_add(request, case_id: int):
    # Resolve access first, so a hidden case answers 404 whatever the form holds.
    case = case_get_for_user(user=request.user, case_id=case_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("body", []):
            messages.error(request, error)
        return redirect("cases:detail", case_id=case.pk)
    try:
        services.case_note_add(user=request.user, case_id=case.pk, body=form.cleaned_data["body"])
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Đã thêm ghi chú."))
    return redirect("cases:detail", case_id=case.pk)


@hotline_staff_required
def case_transition(request, case_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case = case_get_for_user(user=request.user, case_id=case_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect("cases:detail", case_id=case.pk)
    try:
        case = services.case_transition(
            user=request.user,
            case_id=case.pk,
            transition=form.cleaned_data["transition"],
            expected_version=form.cleaned_data["version"],
        )
    except services.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Hồ sơ đã chuyển sang “%(state)s”.") % {"state": case.get_state_display()}
        )
    return redirect("cases:detail", case_id=case.pk)
