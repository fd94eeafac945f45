from __future__ import annotations

from django.db import migrations


def create_defaults(apps, schema_editor):
    Queue = apps.get_model("inbox", "Queue")
    Group = apps.get_model("auth", "Group")
    Queue.objects.get_or_create(slug="general", defaults={"name": "General"})
    Group.objects.get_or_create(name="supervisors")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
