from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0012_conversations"),
    ]

    operations = [
        migrations.AlterField(
            model_name="staffalert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("promoted_code", "PROMOTED_CODE"),
                    ("shortage_choice", "SHORTAGE_CHOICE"),
                    ("notice_delivery", "NOTICE_DELIVERY"),
                    ("survey_call_back", "SURVEY_CALL_BACK"),
                    ("conversation_waiting", "CONVERSATION_WAITING"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="waiting_alerted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(
                    ("status", "waiting_on_store"), ("waiting_alerted_at__isnull", True)
                ),
                fields=["channel", "contact_channel", "waiting_since"],
                name="cs_conversation_unalerted",
            ),
        ),
    ]
