from django.apps import AppConfig
from django.core import checks


class HarmsConfig(AppConfig):
    name = "harms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalation import extensions
        from harms import selectors
        from harms.checks import evidence_key_check

        # escalation cannot import harms (harms builds on it), so harms tells it what a
        # disclosure of the case's online items and evidence files would hold.
        extensions.disclosable_register("online_items", selectors.case_items_disclosable)
        extensions.disclosable_register("evidence_files", selectors.case_files_disclosable)
        checks.register(evidence_key_check, checks.Tags.security, deploy=True)
