from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0005_coupon_help"),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicehistoryentry",
            name="type",
            field=models.CharField(
                choices=[
                    ("contact", "CONTACT"),
                    ("notice_sent", "NOTICE_SENT"),
                    ("notice_failed", "NOTICE_FAILED"),
                    ("coupon_rejected", "COUPON_REJECTED"),
                    ("coupon_honored", "COUPON_HONORED"),
                    ("customer_choice", "CUSTOMER_CHOICE"),
                    ("survey_sent", "SURVEY_SENT"),
                    ("survey_answered", "SURVEY_ANSWERED"),
                    ("staff_alert", "STAFF_ALERT"),
                ],
                max_length=32,
            ),
        ),
    ]
