"""Administrators manage the platforms and the takedown channels: data, not case content.

Items, files, takedowns and matches are not registered: they hold or point at
what happened to a child, which administrators do not read.
"""

from django.contrib import admin

from harms.models import Platform, TakedownChannel


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name_vi", "name_en", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "name_vi", "name_en"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Items point at their platform: retire one with "is_active" instead.
        return False


@admin.register(TakedownChannel)
class TakedownChannelAdmin(admin.ModelAdmin):
    list_display = ["name_vi", "kind", "platform", "agency", "response_hours", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_vi", "name_en"]
    fields = [
        "code",
        "name_vi",
        "name_en",
        "kind",
        "platform",
        "agency",
        "response_hours",
        "how_to",
        "position",
        "is_active",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
