import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channel", "0022_merge_20250708_1220"),
        ("saleor_cs_plugin", "0015_conversation_opened_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="InboundPost",
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
                ("bridge_message_id", models.CharField(max_length=255)),
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
                ("sender", models.CharField(blank=True, default="", max_length=255)),
                ("text", models.TextField(blank=True, default="")),
                (
                    "order_reference",
                    models.CharField(blank=True, default="", max_length=64),
                ),
                ("sent_at", models.DateTimeField()),
                ("filed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="channel.channel",
                    ),
                ),
            ],
            options={
                "ordering": ("created_at", "id"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("channel", "bridge_message_id"),
                        name="cs_inbound_post_once",
                    )
                ],
                "indexes": [
                    models.Index(
                        condition=models.Q(("filed_at__isnull", True)),
                        fields=["created_at"],
                        name="cs_inbound_post_unfiled",
                    )
                ],
            },
        ),
    ]
