"""Administrators manage agencies. They never read escalations: those hold case content."""

from django.contrib import admin
from django.contrib.auth.models import Group

from escalation.forms import AgencyAdminForm
from escalation.models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    form = AgencyAdminForm
    list_display = ["code", "name_vi", "scope", "notification_email", "is_active"]
    list_filter = ["scope", "is_active"]
    search_fields = ["code", "name_vi", "name_en"]
    fieldsets = [
        (None, {"fields": ["code", "name_vi", "name_en", "scope", "province_codes", "is_active"]}),
        (None, {"fields": ["accepted_types", "notification_email"]}),
        (
            None,
            {
                "fields": [
                    ("immediate_acknowledge_within", "immediate_resolve_within"),
                    ("within_24h_acknowledge_within", "within_24h_resolve_within"),
                    ("within_72h_acknowledge_within", "within_72h_resolve_within"),
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The code names the liaisons' group; it does not change once liaisons exist.
        return ["code"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.group, _created = Group.objects.get_or_create(name=f"agency:{obj.code}")
        super().save_model(request, obj, form, change)
