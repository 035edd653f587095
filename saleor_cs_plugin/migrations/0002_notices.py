import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import saleor_cs_plugin.models
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        # Present in Saleor 3.21.0 and every later release.
        (
            "channel",
            "0021_rename_use_legacy_line_voucher_propagation_for_order_channel_use_legacy_line_discount_propagation_fo",
        ),
        ("saleor_cs_plugin", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoticePreference",
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
                ("email", models.EmailField(max_length=254, unique=True)),
                ("is_opted_out_of_non_essential", models.BooleanField(default=False)),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("email",),
            },
        ),
        migrations.CreateModel(
            name="Notice",
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
                ("idempotency_key", models.CharField(max_length=128, unique=True)),
                (
                    "notice_type",
                    models.CharField(
                        choices=[
                            ("order_delay", "ORDER_DELAY"),
                            ("order_delay_follow_up", "ORDER_DELAY_FOLLOW_UP"),
                            ("order_on_the_way", "ORDER_ON_THE_WAY"),
                            ("stock_shortage", "STOCK_SHORTAGE"),
                            ("stock_restored", "STOCK_RESTORED"),
                            ("coupon_honored", "COUPON_HONORED"),
                            ("survey", "SURVEY"),
                            ("staff_alert", "STAFF_ALERT"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "recipient_email",
                    models.EmailField(blank=True, default="", max_length=254),
                ),
                (
                    "transport",
                    models.CharField(
                        choices=[
                            ("saleor_notify", "SALEOR_NOTIFY"),
                            ("email", "EMAIL"),
                            ("webhook", "WEBHOOK"),
                            ("off", "OFF"),
                        ],
                        max_length=16,
                    ),
                ),
                ("is_essential", models.BooleanField(default=False)),
                (
                    "context",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "PENDING"),
                            ("sending", "SENDING"),
                            ("sent", "SENT"),
                            ("failed", "FAILED"),
                            ("skipped", "SKIPPED"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                (
                    "next_attempt_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                ("claimed_until", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True, default="")),
                (
                    "channel",
                    models.ForeignKey(
                        blank=True,
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
                        on_delete=saleor_cs_plugin.models.forget_recipient,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        condition=models.Q(("status__in", ["pending", "sending"])),
                        fields=["next_attempt_at"],
                        name="cs_notice_due",
                    ),
                    models.Index(
                        condition=models.Q(("status", "sent")),
                        fields=["recipient_email", "sent_at"],
                        name="cs_notice_recent_sent",
                    ),
                    models.Index(
                        fields=["status", "notice_type", "-created_at"],
                        name="cs_notice_status_type",
                    ),
                ],
            },
        ),
    ]
