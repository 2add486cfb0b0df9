from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Category
from harms.models import (
    OCSEA_CATEGORY_CODES,
    TAKEDOWN_TRANSITIONS,
    ItemKind,
    Platform,
    TakedownState,
)
from harms.services import DESCRIPTION_MAX, HANDLE_MAX, URL_MAX

FILE_HELP = _(
    "Ảnh JPEG, PNG, WebP (tối đa 5 MB) hoặc PDF (tối đa 10 MB). Ảnh được mã hoá, xoá thông tin "
    "ẩn (vị trí GPS, thiết bị) và chỉ hiện mờ cho tới khi có người bấm xem; mỗi lần xem được "
    "ghi lại. Tệp PDF được giữ nguyên, kể cả thông tin ẩn của tệp."
)


def category_choices() -> list:
    """The category tree as grouped choices, online harms first (the tree's own order)."""
    groups = []
    for parent in Category.objects.filter(parent__isnull=True, is_active=True):
        children = [(child.pk, child.name) for child in parent.children.filter(is_active=True)]
        if children:
            groups.append((parent.name, children))
    return [("", "—"), *groups]


def ocsea_category_ids() -> list[int]:
    return list(Category.objects.filter(code__in=OCSEA_CATEGORY_CODES).values_list("pk", flat=True))


class OnlineItemForm(forms.Form):
    """An online item; the optional file comes last, so a file too large loses no typed field."""

    platform = forms.ModelChoiceField(
        label=_("Nền tảng"), queryset=Platform.objects.filter(is_active=True), empty_label="—"
    )
    kind = forms.ChoiceField(label=_("Loại"), choices=ItemKind.choices)
    url = forms.CharField(
        label=_("Đường dẫn (URL)"),
        max_length=URL_MAX,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    handle = forms.CharField(
        label=_("Tài khoản / ID"),
        max_length=HANDLE_MAX,
        required=False,
        help_text=_("Tên tài khoản, @tên hoặc số ID trên nền tảng."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    category = forms.TypedChoiceField(label=_("Loại tác hại"), coerce=int)
    seen_at = forms.DateTimeField(
        label=_("Người liên hệ thấy lúc"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    description = forms.CharField(
        label=_("Mô tả"),
        max_length=DESCRIPTION_MAX,
        required=False,
        help_text=_(
            "Điều em đã thấy, ngắn gọn. Không mô tả chi tiết hình ảnh xâm hại tình dục trẻ em."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    def clean(self):
        data = super().clean()
        if not (data.get("url") or "").strip() and not (data.get("handle") or "").strip():
            raise forms.ValidationError(_("Hãy ghi đường dẫn hoặc tài khoản."))
        return data

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "platform": data["platform"].pk,
            "kind": data["kind"],
            "url": data["url"],
            "handle": data["handle"],
            "category": data["category"],
            "seen_at": data["seen_at"],
            "description": data["description"],
        }


class OnlineItemCreateForm(OnlineItemForm):
    file = forms.FileField(
        label=_("Ảnh chụp màn hình hoặc PDF (không bắt buộc)"), required=False, help_text=FILE_HELP
    )


class OnlineItemEditForm(OnlineItemForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class EvidenceUploadForm(forms.Form):
    item = forms.TypedChoiceField(
        label=_("Gắn vào dấu vết"), coerce=int, required=False, empty_value=None
    )
    file = forms.FileField(label=_("Tệp"), help_text=FILE_HELP)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—"), *((item.pk, item_label(item)) for item in items)]


def item_label(item) -> str:
    return f"#{item.pk} · {item.platform.name} · {item.handle or item.url}"[:120]


class AttachForm(forms.Form):
    item = forms.IntegerField()


class TakedownForm(forms.Form):
    channel = forms.TypedChoiceField(label=_("Gửi tới"), coerce=int)
    escalation = forms.TypedChoiceField(
        label=_("Qua yêu cầu chuyển tuyến"), coerce=int, required=False, empty_value=None
    )
    external_reference = forms.CharField(
        label=_("Số tiếp nhận (nếu có)"), max_length=100, required=False
    )

    def __init__(self, *args, channels=(), escalations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (channel.pk, f"{channel.name} ({channel.get_kind_display()})") for channel in channels
        ]
        self.fields["escalation"].choices = [
            ("", "—"),
            *((e.pk, f"#{e.pk} · {e.agency.name}") for e in escalations),
        ]


class TakedownActForm(forms.Form):
    transition = forms.ChoiceField(choices=list(TAKEDOWN_TRANSITIONS.items()))
    # The state the person saw, so that a change made meanwhile by someone else is caught.
    state = forms.ChoiceField(choices=TakedownState.choices)
    note = forms.CharField(max_length=1000, required=False)
    external_reference = forms.CharField(max_length=100, required=False)


class TakedownCheckForm(forms.Form):
    still_online = forms.TypedChoiceField(
        choices=[("yes", _("Vẫn còn")), ("no", _("Không còn"))],
        coerce=lambda value: value == "yes",
    )
