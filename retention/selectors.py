"""Who sees which legal holds and deletion requests. Codes, references and times only.

- legal holds: central supervisors, who place and lift them (inspectors read
  them in their trail, inspection.trail);
- deletion requests: supervisors, those of their own hotline (central: every
  hotline's), with the case's reference when they may see that case;
- anyone else sees none.
"""

from django.db.models import QuerySet

from cases.selectors import cases_visible_to
from retention.models import DeletionRequest, LegalHold


def legal_holds_visible_to(*, user) -> QuerySet[LegalHold]:
    """The holds this user may see and manage, newest first."""
    if not getattr(user, "is_central_supervisor", False):
        return LegalHold.objects.none()
    return LegalHold.objects.select_related("case", "case__hotline", "placed_by", "lifted_by")


def deletion_requests_visible_to(*, user) -> QuerySet[DeletionRequest]:
    """The young people's deletion requests this supervisor follows, newest first."""
    if not getattr(user, "is_supervisor", False):
        return DeletionRequest.objects.none()
    requests = DeletionRequest.objects.select_related("hotline")
    if not user.is_central_supervisor:
        requests = requests.filter(hotline_id=user.hotline_id)
    return requests


def deletion_case_references(*, user, requests) -> dict[int, str]:
    """The references of the requests' cases that this user may see, by case id."""
    case_ids = {request.case_id for request in requests if request.case_id}
    return dict(cases_visible_to(user=user).filter(pk__in=case_ids).values_list("pk", "reference"))
