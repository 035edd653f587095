from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0010_metrics_indexes"),
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
                ],
                max_length=32,
            ),
        ),
    ]
