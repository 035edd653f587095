import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import saleor_cs_plugin.models
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The oldest migrations, present in Saleor 3.21.0 and every later release,
        # after which the referenced tables have their current primary keys.
        ("account", "0086_auto_20240805_0851"),
        ("app", "0029_alter_app_identifier"),
        ("order", "0202_alter_order_undiscounted_base_shipping_price_amount"),
    ]

    operations = [
        migrations.CreateModel(
            name="ServiceHistoryEntry",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("contact", "CONTACT"),
                            ("notice_sent", "NOTICE_SENT"),
                            ("notice_failed", "NOTICE_FAILED"),
                            ("coupon_rejected", "COUPON_REJECTED"),
                            ("coupon_honored", "COUPON_HONORED"),
                            ("customer_choice", "CUSTOMER_CHOICE"),
                            ("survey_sent", "SURVEY_SENT"),
                            ("survey_answered", "SURVEY_ANSWERED"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "customer_email",
                    models.EmailField(blank=True, default="", max_length=254),
                ),
                ("checkout_token", models.UUIDField(blank=True, null=True)),
                (
                    "contact_channel",
                    models.CharField(
                        choices=[
                            ("email", "EMAIL"),
                            ("sms", "SMS"),
                            ("phone", "PHONE"),
                            ("chat", "CHAT"),
                            ("social", "SOCIAL"),
                            ("web", "WEB"),
                            ("system", "SYSTEM"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "actor",
                    models.CharField(
                        choices=[
                            ("staff", "STAFF"),
                            ("app", "APP"),
                            ("plugin", "PLUGIN"),
                            ("customer", "CUSTOMER"),
                        ],
                        max_length=16,
                    ),
                ),
                ("is_customer_visible", models.BooleanField(default=False)),
                ("message", models.TextField(blank=True, default="")),
                (
                    "details",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                (
                    "is_resolved_at_first_contact",
                    models.BooleanField(blank=True, null=True),
                ),
                (
                    "acting_app",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="app.app",
                    ),
                ),
                (
                    "acting_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="account.user",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="order.order",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=saleor_cs_plugin.models.anonymize_customer,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        fields=["user", "-created_at"], name="cs_history_user_created"
                    ),
                    models.Index(
                        fields=["order", "-created_at"], name="cs_history_order_created"
                    ),
                    models.Index(
                        fields=["customer_email", "-created_at"],
                        name="cs_history_email_created",
                    ),
                ],
            },
        ),
    ]
