"""Admin for telephony: where calls go per member of staff, and the log of number reveals.

Call and voicemail records are contact data, like cases: administrators manage
the service and do not read them, so they are not registered here.

Numbers are never shown here, only masked; revealing one is a supervisor's
audited action in the console.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from telephony.models import OperatorEndpoint, PhoneReveal
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


@admin.register(PhoneReveal)
class PhoneRevealAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "conversation_uuid"]
