from django import forms
from django.utils.translation import gettext_lazy as _

from handbook.models import HelpPage

MARKUP_HELP = _(
    "Viết chữ thường, không dùng HTML. Để một dòng trống giữa các đoạn. "
    "Dòng bắt đầu bằng “- ” là một ý trong danh sách, “1. ” là một bước được đánh số, "
    "“## ” là tiêu đề nhỏ. Số khẩn cấp 113 và 111 luôn hiện ở cuối trang."
)
TEXT_FIELDS = ("title_vi", "summary_vi", "body_vi", "title_en", "summary_en", "body_en")


class HelpPageEditForm(forms.ModelForm):
    """The text and place of a page; Vietnamese first, English optional."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = HelpPage
        fields = [*TEXT_FIELDS, "position"]
        widgets = {
            "summary_vi": forms.Textarea(attrs={"rows": 2}),
            "summary_en": forms.Textarea(attrs={"rows": 2}),
            "body_vi": forms.Textarea(attrs={"rows": 16}),
            "body_en": forms.Textarea(attrs={"rows": 16}),
        }
        help_texts = {"body_vi": MARKUP_HELP, "body_en": MARKUP_HELP}

    def clean(self):
        cleaned = super().clean()
        english = [cleaned.get(name) for name in ("title_en", "summary_en", "body_en")]
        if any(english) and not all(english):
            raise forms.ValidationError(
                _(
                    "Bản tiếng Anh cần đủ tiêu đề, tóm tắt và nội dung, hoặc để trống cả ba "
                    "(khi đó người đọc tiếng Anh thấy bản tiếng Việt)."
                )
            )
        return cleaned


class HelpPageCreateForm(HelpPageEditForm):
    """A new page: its address is chosen once, here."""

    version = None

    class Meta(HelpPageEditForm.Meta):
        fields = ["slug", *TEXT_FIELDS, "position"]


class HelpPagePublishForm(forms.Form):
    publish = forms.TypedChoiceField(
        choices=[("1", "publish"), ("0", "unpublish")], coerce=lambda value: value == "1"
    )
