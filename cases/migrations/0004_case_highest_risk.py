"""Remember the highest risk each case ever had, so that closing can look at it.

Existing cases start from their current risk. The timeline of the cases written
before this migration names the fields an update changed but not the risk
levels, so a case that was lowered from high or imminent before this migration
cannot be told apart: for those, the current risk is the best that is known.
"""

from django.db import migrations, models


def highest_risk_from_current(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.update(highest_risk=models.F("risk"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_load_categories"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="highest_risk",
            field=models.CharField(
                choices=[
                    ("low", "Thấp"),
                    ("medium", "Trung bình"),
                    ("high", "Cao"),
                    ("imminent", "Nguy hiểm tức thời"),
                ],
                default="low",
                max_length=10,
                verbose_name="mức độ rủi ro cao nhất",
            ),
        ),
        migrations.RunPython(highest_risk_from_current, migrations.RunPython.noop),
    ]
