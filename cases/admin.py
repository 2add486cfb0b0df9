"""Only the category tree is managed here: case content is never shown to administrators."""

from django.contrib import admin

from cases.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "parent", "escalation_hint", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["code", "name_vi", "name_en"]
    readonly_fields = ["code"]

    def has_delete_permission(self, request, obj=None):
        return False
