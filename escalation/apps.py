from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.signals import case_transitioned
        from escalation import receivers

        case_transitioned.connect(
            receivers.revoke_agency_access_on_case_close,
            dispatch_uid="escalation.revoke_agency_access_on_case_close",
        )
