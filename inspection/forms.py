from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import BreakGlassReason
from helpline.models import Hotline, User
from inspection.models import BreachDataKind
from inspection.services import NOTE_MAX


class TrailFilterForm(forms.Form):
    """Filters of the audit trail: codes, dates and a staff id, nothing typed about anyone."""

    start = forms.DateField(
        label=_("Từ ngày"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput({"type": "date"})
    )
    hotline = forms.ChoiceField(label=_("Tổng đài"), required=False)
    actor = forms.TypedChoiceField(
        label=_("Người thực hiện"), required=False, coerce=int, empty_value=None
    )
    action = forms.ChoiceField(label=_("Hành động"), required=False)

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        if source.hotline_field:
            self.fields["hotline"].choices = [("", _("Tất cả"))] + [
                (code, f"{code} · {name}")
                for code, name in Hotline.objects.order_by("code").values_list("code", "name_vi")
            ]
        else:
            del self.fields["hotline"]
        if source.actor_fields:
            staff = User.objects.exclude(role="").order_by("username")
            self.fields["actor"].choices = [("", _("Tất cả"))] + [
                (str(pk), username) for pk, username in staff.values_list("pk", "username")
            ]
        else:
            del self.fields["actor"]
        if source.action_field:
            self.fields["action"].choices = [("", _("Tất cả")), *source.actions]
        else:
            del self.fields["action"]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "start": data.get("start"),
            "end": data.get("end"),
            "hotline": data.get("hotline") or "",
            "actor_id": data.get("actor"),
            "action": data.get("action") or "",
        }


class BreakGlassForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Mã hồ sơ"), max_length=24, help_text=_("Ví dụ: HUE-2026-000123")
    )
    reason = forms.ChoiceField(label=_("Lý do"), choices=BreakGlassReason.choices)
    note = forms.CharField(
        label=_("Giải thích cho Ban kiểm tra"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea({"rows": 3}),
        help_text=_(
            "Vì sao cần xem ngay, và vì sao không chờ được tổng đài phụ trách. "
            "Không ghi thông tin của trẻ."
        ),
    )


class BreachForm(forms.Form):
    description = forms.CharField(
        label=_("Mô tả ngắn"),
        max_length=500,
        widget=forms.Textarea({"rows": 4}),
        help_text=_(
            "Chuyện gì đã xảy ra, phát hiện thế nào. "
            "Không ghi tên, tuổi, địa chỉ hay nội dung trao đổi của trẻ."
        ),
    )
    discovered_at = forms.DateTimeField(
        label=_("Phát hiện lúc"),
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    data_kinds = forms.MultipleChoiceField(
        label=_("Loại dữ liệu liên quan"),
        choices=BreachDataKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    people_affected = forms.IntegerField(
        label=_("Số người trẻ có thể bị ảnh hưởng"),
        min_value=0,
        required=False,
        help_text=_("Để trống nếu chưa ước tính được."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial", {"discovered_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)


class BreachNotificationForm(forms.Form):
    notified_at = forms.DateTimeField(
        label=_("Đã thông báo lúc"),
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    authority = forms.CharField(label=_("Cơ quan nhận thông báo"), max_length=200)
    reference = forms.CharField(label=_("Số hiệu thông báo"), max_length=60)
