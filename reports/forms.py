"""The choice of a report: kind, period and, for central supervisors, scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.figures import KIND_LABELS, PERIOD_KINDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ReportForm(forms.Form):
    """Which report to count. The scope is checked against the user by the selectors
    (a scope they may not read is a 404), not here: a form error would tell that it exists."""

    kind = forms.ChoiceField(
        label=_("Loại báo cáo"), choices=[(kind, KIND_LABELS[kind]) for kind in PERIOD_KINDS]
    )
    start = forms.DateField(label=_("Từ ngày"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(
        label=_("Đến ngày"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        required=False,
        help_text=_("Báo cáo tuần luôn từ thứ Hai đến Chủ nhật của tuần có ngày bắt đầu."),
    )
    scope = forms.CharField(label=_("Phạm vi"), max_length=4, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != "weekly" and "start" in cleaned and not cleaned.get("end"):
            self.add_error("end", _("Hãy chọn ngày kết thúc."))
        return cleaned
