"""Administrators manage hotlines and staff here. No case content is registered."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from helpline.models import Hotline, User


@admin.register(Hotline)
class HotlineAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "is_central", "always_open", "opens_at", "closes_at"]
    list_filter = ["is_central", "always_open"]
    search_fields = ["code", "name_vi", "name_en"]
    readonly_fields = ["code", "ref_prefix", "is_central"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "get_full_name", "role", "hotline", "agency", "is_active"]
    list_filter = ["role", "is_active", "hotline"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Vai trò và phạm vi"), {"fields": ["role", "hotline", "agency"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("Vai trò và phạm vi"), {"fields": ["role", "hotline", "agency"]}),
    ]
