"""Say why an agency's grant ended, and remember when each liaison last read an escalation.

The liaison queue's "closed / withdrawn" tab tells a withdrawal by the hotline
from a withdrawal caused by the case closing. Both were told apart only by the
timeline until now, so existing revoked escalations are filled in from it: a
revocation event with reason "case_closed" makes it "case_closed", any other
revoked escalation was withdrawn by the hotline.

EscalationLastOpened starts empty: until a liaison opens an escalation again,
the queue shows it as new to them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def revoke_reasons_from_timeline(apps, schema_editor):
    Escalation = apps.get_model("escalation", "Escalation")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    revoked = Escalation.objects.filter(access_revoked_at__isnull=False)
    case_ids = set(revoked.values_list("case_id", flat=True))
    closed_with_case = {
        event.detail.get("escalation")
        for event in CaseEvent.objects.filter(case_id__in=case_ids, action="escalation")
        if event.detail.get("reason") == "case_closed"
    }
    revoked.filter(pk__in=closed_with_case).update(access_revoked_reason="case_closed")
    revoked.exclude(pk__in=closed_with_case).update(access_revoked_reason="withdrawn")


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0003_disclosure_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="access_revoked_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("withdrawn", "Tổng đài đã rút lại yêu cầu"),
                    ("case_closed", "Hồ sơ đã đóng"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(revoke_reasons_from_timeline, migrations.RunPython.noop),
        migrations.CreateModel(
            name="EscalationLastOpened",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                (
                    "escalation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="escalation.escalation",
                    ),
                ),
                (
                    "liaison",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("liaison", "escalation"), name="escalation_last_opened_once"
                    )
                ],
            },
        ),
    ]
