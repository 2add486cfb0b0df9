"""What escalation does when something happens elsewhere."""

from django.utils import timezone


def revoke_agency_access_on_case_close(sender, *, case, transition, user, **kwargs) -> None:
    """A closed case is no longer any agency's business: revoke every grant on its escalations.

    case_transitioned is sent inside the close transaction, so the revocation
    commits or rolls back with the close itself.
    """
    if transition != "close":
        return
    from escalation.services import escalations_close_with_case

    escalations_close_with_case(case=case, user=user, at=case.closed_at or timezone.now())
