import django.db.models.deletion
import django.utils.timezone
import saleor_cs_plugin.models
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        # The oldest supported Saleor (3.21) has these.
        ("account", "0086_auto_20240805_0851"),
        ("app", "0029_alter_app_identifier"),
        ("channel", "0022_merge_20250708_1220"),
        ("order", "0202_alter_order_undiscounted_base_shipping_price_amount"),
        ("saleor_cs_plugin", "0011_staff_alert_survey_call_back"),
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
                    ("message", "MESSAGE"),
                ],
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="Conversation",
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
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                ("sender", models.CharField(max_length=255)),
                (
                    "customer_email",
                    models.EmailField(blank=True, default="", max_length=254),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("waiting_on_store", "WAITING_ON_STORE"),
                            ("waiting_on_customer", "WAITING_ON_CUSTOMER"),
                            ("resolved", "RESOLVED"),
                        ],
                        max_length=32,
                    ),
                ),
                ("waiting_since", models.DateTimeField(blank=True, null=True)),
                ("first_answered_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("store_replies", models.PositiveIntegerField(default=0)),
                ("reopened", models.PositiveIntegerField(default=0)),
                (
                    "channel",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="channel.channel",
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
                        on_delete=saleor_cs_plugin.models.forget_conversation_customer,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("-updated_at", "-id"),
            },
        ),
        migrations.CreateModel(
            name="ConversationMessage",
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
                    "direction",
                    models.CharField(
                        choices=[("customer", "CUSTOMER"), ("store", "STORE")],
                        max_length=16,
                    ),
                ),
                ("text", models.TextField()),
                (
                    "bridge_message_id",
                    models.CharField(blank=True, default="", max_length=255),
                ),
                ("sent_at", models.DateTimeField()),
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
                    "channel",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="channel.channel",
                    ),
                ),
                (
                    "conversation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="saleor_cs_plugin.conversation",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="saleor_cs_plugin.servicehistoryentry",
                    ),
                ),
            ],
            options={
                "ordering": ("conversation", "sent_at", "id"),
            },
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("status", "waiting_on_store")),
                fields=["waiting_since"],
                name="cs_conversation_waiting",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["channel", "contact_channel", "sender", "-updated_at"],
                name="cs_conversation_sender",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["user", "-updated_at"], name="cs_conversation_user"
            ),
        ),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("status", "resolved"), _negated=True),
                    models.Q(("sender", ""), _negated=True),
                ),
                fields=("channel", "contact_channel", "sender"),
                name="cs_conversation_one_open",
            ),
        ),
        migrations.AddConstraint(
            model_name="conversationmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("bridge_message_id", ""), _negated=True),
                fields=("channel", "bridge_message_id"),
                name="cs_conversation_message_once",
            ),
        ),
    ]
