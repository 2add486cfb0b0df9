from django import forms
from django.utils.translation import gettext_lazy as _

from retention.models import HOLD_REFERENCE_PATTERN, HoldReason


class LegalHoldForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Mã hồ sơ"), max_length=24, help_text=_("Ví dụ: HN-2026-000123")
    )
    reason = forms.ChoiceField(label=_("Lý do"), choices=HoldReason.choices)
    reference = forms.RegexField(
        label=_("Số hiệu văn bản yêu cầu"),
        regex=HOLD_REFERENCE_PATTERN,
        max_length=40,
        help_text=_(
            "Chỉ ghi số hiệu văn bản (ví dụ 123/CV-PC02): chữ, số và các dấu / . _ : -, "
            "không dấu cách. Không ghi tên, tuổi, địa chỉ hay bất kỳ thông tin nào về trẻ."
        ),
        error_messages={
            "invalid": _("Chỉ ghi số hiệu văn bản: chữ, số và các dấu / . _ : -, không dấu cách.")
        },
    )


class LegalHoldLiftForm(forms.Form):
    hold_id = forms.IntegerField(min_value=1)
