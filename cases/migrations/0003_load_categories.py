from django.db import migrations


def load_categories(apps, schema_editor):
    from helpline.reference_data import categories_sync

    categories_sync(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]

    operations = [migrations.RunPython(load_categories, migrations.RunPython.noop)]
