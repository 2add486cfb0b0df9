from django.db import migrations


def load_hotlines(apps, schema_editor):
    from helpline.reference_data import hotlines_sync

    hotlines_sync(apps.get_model("helpline", "Hotline"))


class Migration(migrations.Migration):
    dependencies = [("helpline", "0001_initial")]

    operations = [migrations.RunPython(load_hotlines, migrations.RunPython.noop)]
