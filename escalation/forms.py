from django import forms
from django.utils.translation import gettext_lazy as _

from escalation.models import (
    AGENCY_TRANSITIONS,
    HOTLINE_TRANSITIONS,
    OPEN_STATES,
    Agency,
    EscalationState,
    EscalationType,
    LegalBasis,
    SharedItem,
    Urgency,
    YouthInformed,
)
from helpline.provinces import province_choices

TEXT_MAX = 4000


class AgencySelect(forms.Select):
    """Each option names the types the agency accepts, so the page can offer only those."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-types"] = " ".join(instance.accepted_types)
        return option


class AgencyChoiceField(forms.ModelChoiceField):
    widget = AgencySelect

    def label_from_instance(self, agency: Agency) -> str:
        types = ", ".join(
            str(EscalationType(code).label)
            for code in agency.accepted_types
            if code in EscalationType.values
        )
        return f"{agency.name} ({types})"


class EscalationForm(forms.Form):
    """What the operator decides when sending a case to an agency."""

    escalation_type = forms.ChoiceField(
        label=_("Loại chuyển tuyến"), choices=EscalationType.choices
    )
    agency = AgencyChoiceField(
        label=_("Cơ quan tiếp nhận"),
        queryset=Agency.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Cơ quan này không phụ trách tỉnh/thành của hồ sơ.")},
    )
    urgency = forms.ChoiceField(
        label=_("Mức khẩn cấp"), choices=Urgency.choices, widget=forms.RadioSelect
    )
    legal_basis = forms.ChoiceField(
        label=_("Căn cứ pháp lý để chia sẻ thông tin"),
        choices=LegalBasis.choices,
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label=_("Nội dung gửi cơ quan"),
        help_text=_(
            "Cơ quan chỉ thấy nội dung này và các thông tin được chọn bên dưới, "
            "không thấy ghi chú hay tóm tắt nội bộ của hồ sơ."
        ),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    shared_items = forms.MultipleChoiceField(
        label=_("Thông tin chia sẻ thêm"),
        help_text=_("Nội dung trao đổi chỉ được gửi khi bạn chọn đính kèm."),
        choices=SharedItem.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    youth_informed = forms.ChoiceField(
        label=_("Người liên hệ đã được thông báo trước khi chuyển tuyến?"),
        choices=YouthInformed.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, agencies: list[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(
            pk__in=[agency.pk for agency in agencies]
        )


class TransitionForm(forms.Form):
    transition = forms.ChoiceField(
        choices=[*AGENCY_TRANSITIONS.items(), *HOTLINE_TRANSITIONS.items()]
    )
    text = forms.CharField(max_length=TEXT_MAX, required=False, widget=forms.Textarea)
    # The state the user saw, so that a change made meanwhile by someone else is caught.
    state = forms.ChoiceField(choices=EscalationState.choices)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Tin nhắn"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class DisclosureForm(forms.Form):
    """The items hotline staff choose to share again, with the values their page showed."""

    items = forms.MultipleChoiceField(
        label=_("Chia sẻ thêm"),
        choices=SharedItem.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Hãy chọn thông tin cần chia sẻ.")},
    )
    # The codes the page showed as current (no content: category, risk, age,
    # gender and province codes, conversation ids and message counts).
    seen = forms.JSONField(widget=forms.HiddenInput)

    def clean_seen(self) -> dict:
        seen = self.cleaned_data["seen"]
        if not isinstance(seen, dict):
            raise forms.ValidationError(_("Trang này đã cũ. Hãy tải lại rồi chia sẻ."))
        return seen


def _any_of(choices) -> list:
    return [("", _("Tất cả")), *choices]


class QueueFilterForm(forms.Form):
    """What the liaison's queue can be narrowed to: the open states, urgency and type."""

    state = forms.ChoiceField(
        label=_("Trạng thái"),
        choices=_any_of((state.value, state.label) for state in OPEN_STATES),
        required=False,
    )
    urgency = forms.ChoiceField(
        label=_("Mức khẩn cấp"), choices=_any_of(Urgency.choices), required=False
    )
    type = forms.ChoiceField(
        label=_("Loại"), choices=_any_of(EscalationType.choices), required=False
    )


class AgencyAdminForm(forms.ModelForm):
    """Agencies are data: choose types and provinces from lists, not as raw JSON."""

    accepted_types = forms.MultipleChoiceField(
        label=_("Loại chuyển tuyến tiếp nhận"),
        choices=EscalationType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    province_codes = forms.MultipleChoiceField(
        label=_("Tỉnh/thành phụ trách"),
        choices=province_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Agency
        fields = [
            "code",
            "name_vi",
            "name_en",
            "scope",
            "province_codes",
            "accepted_types",
            "notification_email",
            "is_active",
            "immediate_acknowledge_within",
            "immediate_resolve_within",
            "within_24h_acknowledge_within",
            "within_24h_resolve_within",
            "within_72h_acknowledge_within",
            "within_72h_resolve_within",
        ]
