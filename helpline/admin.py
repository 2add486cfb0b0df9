"""Administrators manage hotlines and staff here. No case content is registered.

Nothing here can give anyone access to cases. The staff pages edit names and
e-mail addresses and can deactivate an account, never reactivate it, change a
role or scope, set a password or add an account: those are for whoever
operates the server (`manage.py create_staff`).
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import path

from helpline.models import Hotline, User

# Group membership follows from role and scope (helpline/staff.py); editing
# groups by hand would be a way around the two-person rule.
admin.site.unregister(Group)


@admin.register(Hotline)
class HotlineAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "is_central", "always_open", "opens_at", "closes_at"]
    list_filter = ["is_central", "always_open"]
    search_fields = ["code", "name_vi", "name_en"]
    readonly_fields = ["code", "ref_prefix", "is_central"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class StaffAdmin(admin.ModelAdmin):
    """Names, e-mail and deactivation; everything that grants access is read-only."""

    list_display = ["username", "get_full_name", "role", "hotline", "agency", "is_active"]
    list_filter = ["role", "is_active", "hotline"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "role",
        "hotline",
        "agency",
        "last_login",
        "date_joined",
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["username", "role", "hotline", "agency", "last_login", "date_joined"]
        # Deactivating only removes access; turning an account back on, or
        # touching one's own, is not done from here.
        if obj is None or obj.pk == request.user.pk or not obj.is_active:
            readonly.append("is_active")
        return readonly

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only what the form changed: a full save would write back a role or scope
        # read before a concurrent approval changed it.
        obj.save(update_fields=form.changed_data)

    def get_urls(self):
        # A password is set by its owner or by whoever runs the server, never from
        # here: answer 404 where Django's user admin had its password form.
        no_password_form = path(
            "<path:object_id>/password/", self.admin_site.admin_view(self._no_password_form)
        )
        return [no_password_form, *super().get_urls()]

    def _no_password_form(self, request, object_id):
        raise Http404
