"""Give municipalities and offices a stable public ID for the catalogue feed (added, filled, then made unique)."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    for model_name in ("Municipality", "Office"):
        model = apps.get_model("tenants", model_name)
        for pk in model._base_manager.values_list("pk", flat=True):
            model._base_manager.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_municipality_kind")]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public ID"),
        ),
        migrations.AddField(
            model_name="office",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public ID"),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="municipality",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public ID"),
        ),
        migrations.AlterField(
            model_name="office",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public ID"),
        ),
    ]
