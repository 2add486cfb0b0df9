"""Admin for telephony: where calls go per member of staff (read-only), and number reveals.

Call and voicemail records are contact data, like cases: administrators manage
the service and do not read them, so they are not registered here.

Call routing is shown here but not edited: pointing an operator's endpoint at
another phone would send a child's call to that phone, so nobody who can log in
to /admin/ may change it. Whoever operates the server sets it with
`manage.py set_call_routing`.

Numbers are never shown here, only masked; revealing one is a supervisor's
audited action in the console.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from telephony.models import OperatorEndpoint, PhoneReveal
from telephony.phone import PhoneKeyMissing, phone_decrypt, phone_mask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OperatorEndpoint)
class OperatorEndpointAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "masked_number"]
    fields = ["user", "kind", "masked_number"]

    @admin.display(description=_("số điện thoại nhận cuộc gọi"))
    def masked_number(self, endpoint: OperatorEndpoint) -> str:
        if not endpoint.phone_encrypted:
            return "—"
        try:
            return phone_mask(phone_decrypt(endpoint.phone_encrypted))
        except PhoneKeyMissing:
            return _("(không giải mã được)")


@admin.register(PhoneReveal)
class PhoneRevealAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "conversation_uuid"]
