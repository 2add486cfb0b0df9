from django.contrib import admin

from escalation.models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "scope", "is_active"]
    list_filter = ["scope", "is_active"]
    search_fields = ["code", "name_vi", "name_en"]
