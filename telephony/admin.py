"""Admin for telephony: where calls go per member of staff, and read-only call records.

Numbers are never shown here, only masked; revealing one is a supervisor's
audited action in the console.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from telephony.models import Call, OperatorEndpoint, PhoneReveal, Voicemail
from telephony.phone import phone_decrypt, phone_encrypt, phone_mask, phone_normalize


class OperatorEndpointForm(forms.ModelForm):
    phone_number = forms.CharField(
        label=_("số điện thoại nhận cuộc gọi"),
        required=False,
        help_text=_("Dạng quốc tế, ví dụ +84912345678. Chỉ dùng khi nhận qua số điện thoại."),
    )

    class Meta:
        model = OperatorEndpoint
        fields = ["user", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.phone_encrypted:
            self.fields["phone_number"].help_text = _(
                "Đang lưu: %(masked)s. Để trống để giữ nguyên."
            ) % {"masked": phone_mask(phone_decrypt(self.instance.phone_encrypted))}

    def clean(self):
        data = super().clean()
        number = phone_normalize(data.get("phone_number", ""))
        if number and (not number.startswith("+") or len(number) < 8):
            self.add_error("phone_number", _("Số điện thoại phải ở dạng quốc tế, bắt đầu bằng +."))
        if data.get("kind") == OperatorEndpoint.Kind.PHONE and not (
            number or self.instance.phone_encrypted
        ):
            self.add_error(
                "phone_number", _("Cần số điện thoại khi nhận cuộc gọi qua số điện thoại.")
            )
        return data

    def save(self, commit=True):
        number = phone_normalize(self.cleaned_data.get("phone_number", ""))
        if number:
            self.instance.phone_encrypted = phone_encrypt(number)
        return super().save(commit=commit)


@admin.register(OperatorEndpoint)
class OperatorEndpointAdmin(admin.ModelAdmin):
    form = OperatorEndpointForm
    list_display = ["user", "kind"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = [
        "call_sid",
        "hotline",
        "status",
        "pressed_danger",
        "received_at",
        "queue_seconds",
        "talk_seconds",
    ]
    list_filter = ["status", "hotline", "pressed_danger"]
    exclude = ["phone"]


@admin.register(Voicemail)
class VoicemailAdmin(ReadOnlyAdmin):
    list_display = [
        "recording_sid",
        "duration_seconds",
        "recorded_at",
        "delete_after",
        "deleted_at",
    ]
    exclude = ["recording_url"]


@admin.register(PhoneReveal)
class PhoneRevealAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "conversation_uuid"]
