"""Administrators manage the sites allowed to embed the chat, and see the connected accounts.

An account's routing (its hotline) and its tokens are set on the server with
`manage.py connector_account`: routing decides which hotline's staff read a
young person's messages, and tokens are secrets. In the admin, an account can
only be renamed or switched off. Contacts, threads and messages are not
registered: they are young people's data, which administrators do not read.
"""

from django.contrib import admin

from connectors.models import EmbedOrigin, PlatformAccount


@admin.register(EmbedOrigin)
class EmbedOriginAdmin(admin.ModelAdmin):
    list_display = ["origin", "label", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["origin", "label"]
    fields = ["origin", "label", "is_active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Switch one off with "is_active": the row keeps who was allowed until when.
        return False


@admin.register(PlatformAccount)
class PlatformAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "external_id", "hotline", "is_active", "access_expires_at"]
    list_filter = ["platform", "is_active"]
    fields = [
        "name",
        "platform",
        "external_id",
        "hotline",
        "is_active",
        "access_expires_at",
        "tokens_updated_at",
        "token_error",
    ]
    readonly_fields = [
        "platform",
        "external_id",
        "hotline",
        "access_expires_at",
        "tokens_updated_at",
        "token_error",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
