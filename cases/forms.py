from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseState, Category, Gender
from helpline.models import AgeGroup, Hotline, Risk
from helpline.provinces import province_choices


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """Categories shown as a tree: each child indented under its parent."""

    def label_from_instance(self, category: Category) -> str:
        prefix = "— " if category.parent_id else ""
        return f"{prefix}{category.name}"


def _province_field(required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Tỉnh/thành của người liên hệ"),
        choices=[("", _("Không rõ")), *province_choices()],
        required=required,
        error_messages={"invalid_choice": _("Mã tỉnh/thành không hợp lệ.")},
    )


class CaseForm(forms.Form):
    """The fields an operator fills in on a case."""

    categories = CategoryChoiceField(
        label=_("Phân loại"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        error_messages={"invalid_choice": _("Phân loại “%(value)s” không tồn tại.")},
    )
    risk = forms.ChoiceField(label=_("Mức độ rủi ro"), choices=Risk.choices, initial=Risk.LOW)
    age_group = forms.ChoiceField(
        label=_("Nhóm tuổi"), choices=[("", _("Không rõ")), *AgeGroup.choices], required=False
    )
    gender = forms.ChoiceField(label=_("Giới tính"), choices=Gender.choices, initial=Gender.UNKNOWN)
    province_code = _province_field()
    summary = forms.CharField(
        label=_("Tóm tắt"),
        max_length=Case._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class CaseEditForm(CaseForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Ghi chú mới"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )


class TransitionForm(forms.Form):
    transition = forms.CharField(max_length=20)
    version = forms.IntegerField()


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Trạng thái"), choices=[("", _("Tất cả")), *CaseState.choices], required=False
    )
    risk = forms.ChoiceField(
        label=_("Rủi ro"), choices=[("", _("Tất cả")), *Risk.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Phân loại"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả"),
    )
    hotline = forms.ModelChoiceField(
        label=_("Tổng đài"),
        queryset=Hotline.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả"),
    )
