"""The one door to staff change requests outside the admin.

Central supervisors decide on them and see them all; anyone else sees none
here (administrators read them, without deciding, in /admin/).
"""

from django.db.models import QuerySet
from django.http import Http404

from helpline.models import StaffChangeRequest


def staff_change_requests_visible_to(*, user) -> QuerySet:
    """Return the staff change requests this user may decide on or read."""
    if not getattr(user, "is_authenticated", False) or not user.is_central_supervisor:
        return StaffChangeRequest.objects.none()
    return StaffChangeRequest.objects.select_related("target", "proposed_by", "decided_by")


def staff_change_request_get_for_user(
    *, user, request_id, for_update: bool = False
) -> StaffChangeRequest:
    """Fetch one staff change request the user may see, or raise Http404."""
    queryset = staff_change_requests_visible_to(user=user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=request_id)
    except (StaffChangeRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
