"""Administrators manage hotlines and staff here. No case content is registered.

Nothing here can give anyone access to cases. The staff pages edit names, can
deactivate an account and end all its sessions, never reactivate it, change a
role, scope or e-mail address, set a password or add an account. Those are proposed
here as staff change requests and applied only when a central supervisor
approves them on /staff/requests/ (the two-person rule, helpline/staff.py).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.services import staff_sessions_end_all
from escalation.models import Agency
from helpline.models import Hotline, StaffChangeKind, StaffChangeRequest, User
from helpline.staff import staff_change_request_build, staff_change_request_propose

# Group membership follows from role and scope (helpline/staff.py); editing
# groups by hand would be a way around the two-person rule.
admin.site.unregister(Group)


@admin.register(Hotline)
class HotlineAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "is_central", "always_open", "opens_at", "closes_at"]
    list_filter = ["is_central", "always_open"]
    search_fields = ["code", "name_vi", "name_en"]
    # The wrap-up grace is the hotline supervisors' call, set on their own page.
    readonly_fields = ["code", "ref_prefix", "is_central", "wrap_up_grace_seconds"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class StaffAdmin(admin.ModelAdmin):
    """Names, e-mail and deactivation; everything that grants access is read-only."""

    list_display = ["username", "get_full_name", "role", "hotline", "agency", "is_active"]
    list_filter = ["role", "is_active", "hotline"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    actions = ["end_all_sessions"]
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
        # The e-mail address receives password-reset links: changing it is proposed
        # as a staff change request, like a role, so one administrator cannot
        # point another person's reset link at themselves.
        readonly = ["username", "email", "role", "hotline", "agency", "last_login", "date_joined"]
        # Deactivating only removes access, so it needs no second person; turning
        # an account back on, or touching one's own, goes through a request.
        if obj is None or obj.pk == request.user.pk or not obj.is_active:
            readonly.append("is_active")
        return readonly

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Kết thúc mọi phiên đăng nhập"), permissions=["change"])
    def end_all_sessions(self, request, queryset):
        """End every session of the chosen accounts; their open sockets close at once."""
        ended = 0
        for account in queryset:
            ended += staff_sessions_end_all(by=request.user, user_id=account.pk)
        self.message_user(request, _("Đã kết thúc %(count)d phiên đăng nhập.") % {"count": ended})

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


class StaffChangeRequestForm(forms.ModelForm):
    hotline = forms.ModelChoiceField(
        Hotline.objects.all(),
        to_field_name="code",
        required=False,
        label=_("tổng đài"),
        help_text=_("Cho tư vấn viên và giám sát viên."),
    )
    agency = forms.ModelChoiceField(
        Agency.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        label=_("cơ quan"),
        help_text=_("Cho cán bộ liên lạc."),
    )

    class Meta:
        model = StaffChangeRequest
        fields = ["kind", "target", "username", "full_name", "email", "role", "reason"]
        help_texts = {
            "target": _("Tài khoản cần đổi vai trò, phạm vi, hoặc mở lại."),
            "username": _("Chỉ khi tạo tài khoản mới, cùng với họ tên và email."),
            "email": _("Email của tài khoản mới, hoặc email mới khi đổi email."),
        }

    # Set per request by StaffChangeRequestAdmin.get_form.
    proposer: User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "target" in self.fields:  # Absent on the read-only page of a saved proposal.
            # Nobody proposes a change to their own account.
            self.fields["target"].queryset = User.objects.exclude(pk=self.proposer.pk).order_by(
                "username"
            )

    def clean(self):
        data = super().clean()
        if not self.errors:
            # The same checks the service runs, shown beside the form.
            staff_change_request_build(by=self.proposer, **self.proposal_fields())
        return data

    def proposal_fields(self) -> dict:
        data = self.cleaned_data
        kind = data.get("kind")
        fields = {"kind": kind, "reason": data.get("reason", "")}
        if kind == StaffChangeKind.CREATE:
            fields.update(
                username=data.get("username", ""),
                full_name=data.get("full_name", ""),
                email=data.get("email", ""),
            )
        elif kind == StaffChangeKind.CHANGE_EMAIL:
            target = data.get("target")
            fields.update(target_id=target.pk if target else None, email=data.get("email", ""))
            return fields
        else:
            target = data.get("target")
            fields["target_id"] = target.pk if target else None
        if kind != StaffChangeKind.REACTIVATE:
            hotline, agency = data.get("hotline"), data.get("agency")
            fields.update(
                role=data.get("role", ""),
                hotline_code=hotline.code if hotline else "",
                agency_code=agency.code if agency else "",
            )
        return fields


@admin.register(StaffChangeRequest)
class StaffChangeRequestAdmin(admin.ModelAdmin):
    """Administrators propose staff changes here; proposals are never edited or deleted."""

    form = StaffChangeRequestForm
    list_display = [
        "id",
        "kind",
        "account",
        "before",
        "after",
        "proposed_by",
        "proposed_at",
        "state",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state", "kind"]
    add_fields = [
        "kind",
        "target",
        "username",
        "full_name",
        "email",
        "role",
        "hotline",
        "agency",
        "reason",
    ]
    record_fields = [
        "kind",
        "target",
        "username",
        "full_name",
        "email",
        "before_role",
        "before_hotline_code",
        "before_agency_code",
        "before_email",
        "role",
        "hotline_code",
        "agency_code",
        "reason",
        "proposed_by",
        "proposed_at",
        "state",
        "decided_by",
        "decided_at",
    ]

    @admin.display(description=_("tài khoản"))
    def account(self, proposal: StaffChangeRequest) -> str:
        return proposal.account_name

    @admin.display(description=_("Trước thay đổi"))
    def before(self, proposal: StaffChangeRequest) -> str:
        return proposal.before_summary

    @admin.display(description=_("Sau thay đổi"))
    def after(self, proposal: StaffChangeRequest) -> str:
        return proposal.after_summary

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.record_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.record_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.proposer = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        proposal = staff_change_request_propose(by=request.user, **form.proposal_fields())
        # The admin's confirmation message and log entry point at the saved row.
        obj.pk = proposal.pk
        obj.proposed_by = proposal.proposed_by
