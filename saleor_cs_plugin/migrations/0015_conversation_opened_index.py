import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0014_conversation_replies"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                models.F("channel"),
                django.db.models.functions.comparison.Coalesce(
                    "opened_at", "created_at"
                ),
                name="cs_conversation_opened",
            ),
        ),
    ]
