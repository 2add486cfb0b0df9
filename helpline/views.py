from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.models import CaseEvent
from cases.selectors import case_get_for_user, case_read_audit
from helpline import health
from helpline.access import hotline_staff_required, supervisor_required
from helpline.models import CannedResponse, Conversation, Message
from helpline.selectors import canned_responses_editable_by
from helpline.staff import hotline_wrap_up_grace_set


class CannedResponseForm(forms.ModelForm):
    shared = forms.BooleanField(label=gettext_lazy("Dùng chung cho mọi tổng đài"), required=False)

    class Meta:
        model = CannedResponse
        fields = ["title", "body", "position", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.is_central_supervisor:
            del self.fields["shared"]
        else:
            self.fields["shared"].initial = self.instance.pk is not None and (
                self.instance.hotline_id is None
            )

    def save(self, commit=True):
        canned = super().save(commit=False)
        if "shared" in self.cleaned_data:
            canned.hotline = None if self.cleaned_data["shared"] else self.user.hotline
        if commit:
            canned.save()
        return canned


@login_not_required
@never_cache
def healthz(request):
    """200 when the database answers, and Redis too when configured; 503 naming what failed."""
    return _health_response(health.health_problems(), ok="ok")


@login_not_required
@never_cache
def readyz(request):
    """200 when this process should get new work: healthy, migrated, not shutting down."""
    health.shutdown_watch()
    return _health_response(health.readiness_problems(), ok="ready")


def _health_response(problems: list[str], *, ok: str) -> HttpResponse:
    if problems:
        body = "".join(f"{problem}\n" for problem in problems)
        return HttpResponse(body, status=503, content_type="text/plain")
    return HttpResponse(f"{ok}\n", content_type="text/plain")


def home(request):
    """Send each member of staff to the place where their work is."""
    user = request.user
    if user.is_hotline_staff:
        return redirect("console")
    if user.is_liaison:
        return redirect("liaison:queue")
    if user.is_inspector:
        return redirect("inspection:index")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("logout_page")


@hotline_staff_required
@never_cache
def case_transcript(request, case_id: int):
    """The messages of every conversation linked to a case, read under the case's rules.

    Each reading is written to the case's timeline in the same transaction.
    """
    with transaction.atomic():
        case = case_get_for_user(user=request.user, case_id=case_id)
        case_read_audit(case=case, user=request.user, action=CaseEvent.Action.TRANSCRIPT_VIEWED)
        conversations = list(
            Conversation.objects.filter(case=case)
            .order_by("created_at")
            .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("seq")))
        )
    return render(
        request, "helpline/transcript.html", {"case": case, "conversations": conversations}
    )


# The largest primary key a BigAutoField holds; a larger number overflows the database driver.
LARGEST_ROW_ID = 2**63 - 1


def _canned_or_404(editable, raw_id: str) -> CannedResponse:
    """The canned response with this id among those the user may edit, else 404.

    An id that is not a number is a 404 like any other unknown id: handed to the
    database it would raise, answer 500 and log the value that was typed.
    """
    if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) > LARGEST_ROW_ID:
        raise Http404
    return get_object_or_404(editable, pk=int(raw_id))


@supervisor_required
@require_http_methods(["GET", "POST"])
def canned_list(request):
    """Supervisors keep their hotline's canned responses; central ones also the shared set."""
    editable = canned_responses_editable_by(user=request.user)
    editing = None
    if request.GET.get("edit"):
        editing = _canned_or_404(editable, request.GET["edit"])
    if request.method == "POST":
        instance = None
        if request.POST.get("id"):
            instance = _canned_or_404(editable, request.POST["id"])
        form = CannedResponseForm(request.POST, instance=instance, user=request.user)
        if form.is_valid():
            canned = form.save(commit=False)
            canned.updated_by = request.user
            if instance is None and not request.user.is_central_supervisor:
                canned.hotline = request.user.hotline
            canned.save()
            messages.success(request, _("Đã lưu câu trả lời mẫu."))
            return redirect("canned_list")
    else:
        form = CannedResponseForm(instance=editing, user=request.user)
    return render(
        request,
        "helpline/canned.html",
        {
            "responses": editable.order_by("hotline", "position", "id"),
            "form": form,
            "editing": editing,
        },
    )


class HotlineSettingsForm(forms.Form):
    wrap_up_grace_seconds = forms.IntegerField(
        label=gettext_lazy("Thời gian cho phép chưa ghi kết quả trước khi nhận cuộc mới (giây)"),
        min_value=0,
        max_value=3600,
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def hotline_settings(request):
    """A hotline's supervisors set how its console works: the wrap-up grace."""
    hotline = request.user.hotline
    form = HotlineSettingsForm(
        request.POST or None, initial={"wrap_up_grace_seconds": hotline.wrap_up_grace_seconds}
    )
    if request.method == "POST" and form.is_valid():
        hotline_wrap_up_grace_set(
            user=request.user, seconds=form.cleaned_data["wrap_up_grace_seconds"]
        )
        messages.success(request, _("Đã lưu."))
        return redirect("hotline_settings")
    return render(request, "helpline/hotline_settings.html", {"form": form, "hotline": hotline})
