import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    # Earlier migrations of this app already depend on the Saleor migrations the
    # tables below refer to, all of which exist in Saleor 3.21.
    dependencies = [
        ("saleor_cs_plugin", "0006_history_staff_alert"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffAlert",
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
                    "kind",
                    models.CharField(
                        choices=[
                            ("promoted_code", "PROMOTED_CODE"),
                            ("shortage_choice", "SHORTAGE_CHOICE"),
                            ("notice_delivery", "NOTICE_DELIVERY"),
                        ],
                        max_length=32,
                    ),
                ),
                ("cause_key", models.CharField(max_length=255)),
                ("title", models.CharField(max_length=255)),
                ("message", models.TextField(blank=True, default="")),
                (
                    "details",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                ("occurrences", models.PositiveIntegerField(default=1)),
                (
                    "last_seen_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
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
                    "resolved_by_app",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="app.app",
                    ),
                ),
                (
                    "resolved_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        fields=["kind", "channel", "-created_at"],
                        name="cs_alert_kind_channel",
                    ),
                    models.Index(
                        condition=models.Q(("resolved_at__isnull", True)),
                        fields=["channel", "-created_at"],
                        name="cs_alert_open",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("resolved_at__isnull", True)),
                        fields=("cause_key",),
                        name="cs_staff_alert_open_cause",
                    )
                ],
            },
        ),
    ]
