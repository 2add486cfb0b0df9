from django.db import migrations


def load(apps, schema_editor):
    from harms.reference import channels_sync, platforms_sync

    Platform = apps.get_model("harms", "Platform")
    platforms_sync(Platform)
    channels_sync(apps.get_model("harms", "TakedownChannel"), Platform)


class Migration(migrations.Migration):
    dependencies = [("harms", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
