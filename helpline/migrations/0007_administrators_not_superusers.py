"""Administrators stop being superusers and get the administrators' group instead.

A superuser could edit any account in /admin/, their own included, and so make
themselves a reader of cases. The group's permissions are set after every
migrate (helpline.apps), so this only moves the accounts.
"""

from django.db import migrations


def administrators_into_group(apps, schema_editor):
    User = apps.get_model("helpline", "User")
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name="administrators")
    for user in User.objects.filter(role="administrator"):
        user.is_superuser = False
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
        user.groups.add(group)


class Migration(migrations.Migration):
    dependencies = [
        ("helpline", "0006_youth_returning_danger_survey"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Going back leaves the accounts as they are: nobody should be made a superuser again.
    operations = [migrations.RunPython(administrators_into_group, migrations.RunPython.noop)]
