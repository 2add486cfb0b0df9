from django.apps import AppConfig
from django.db.models import signals


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.models import Category
        from helpline.models import ContactRecord
        from reports import receivers

        contact = {"sender": ContactRecord}
        signals.post_init.connect(
            receivers.contact_loaded, **contact, dispatch_uid="reports.contact_loaded"
        )
        signals.post_save.connect(
            receivers.contact_written, **contact, dispatch_uid="reports.contact_saved"
        )
        signals.post_delete.connect(
            receivers.contact_written, **contact, dispatch_uid="reports.contact_deleted"
        )
        signals.m2m_changed.connect(
            receivers.contact_categories_changed,
            sender=ContactRecord.categories.through,
            dispatch_uid="reports.contact_categories_changed",
        )
        signals.pre_save.connect(
            receivers.category_moved, sender=Category, dispatch_uid="reports.category_moved"
        )
