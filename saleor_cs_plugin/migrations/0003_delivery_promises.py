import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        # Present in Saleor 3.21.0 and every later release; the channel and order
        # tables come through the earlier migrations of this app.
        ("discount", "0085_alter_checkoutdiscount_amount_value_and_more"),
        ("saleor_cs_plugin", "0002_notices"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeliveryPromise",
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
                ("ordered_at", models.DateTimeField()),
                (
                    "shipping_method_name",
                    models.CharField(blank=True, default="", max_length=255),
                ),
                ("minimum_delivery_days", models.PositiveIntegerField()),
                ("maximum_delivery_days", models.PositiveIntegerField()),
                ("handling_days", models.PositiveIntegerField()),
                ("ship_by", models.DateField()),
                ("ship_by_deadline", models.DateTimeField()),
                ("deliver_from", models.DateField()),
                ("deliver_by", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("on_track", "ON_TRACK"),
                            ("at_risk", "AT_RISK"),
                            ("late", "LATE"),
                            ("shipped_on_time", "SHIPPED_ON_TIME"),
                            ("shipped_late", "SHIPPED_LATE"),
                            ("delivered", "DELIVERED"),
                            ("cancelled", "CANCELLED"),
                        ],
                        default="on_track",
                        max_length=32,
                    ),
                ),
                (
                    "notified_stage",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "NONE"),
                            ("at_risk", "AT_RISK"),
                            ("late", "LATE"),
                            ("follow_up", "FOLLOW_UP"),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                ("estimated_ship_by", models.DateField(blank=True, null=True)),
                ("estimated_deliver_by", models.DateField(blank=True, null=True)),
                ("review_at", models.DateTimeField(blank=True, null=True)),
                ("shipped_at", models.DateTimeField(blank=True, null=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("is_delivered_on_time", models.BooleanField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="channel.channel",
                    ),
                ),
                (
                    "order",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cs_delivery_promise",
                        to="order.order",
                    ),
                ),
            ],
            options={
                "ordering": ("-ordered_at", "-id"),
            },
        ),
        migrations.CreateModel(
            name="ApologyVoucher",
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
                ("code", models.CharField(max_length=255, unique=True)),
                ("recipient_email", models.EmailField(max_length=254)),
                ("issued_on", models.DateField()),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="channel.channel",
                    ),
                ),
                (
                    "voucher",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="discount.voucher",
                    ),
                ),
                (
                    "promise",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="apology_voucher",
                        to="saleor_cs_plugin.deliverypromise",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at",),
            },
        ),
        migrations.CreateModel(
            name="DeliveryPromiseLine",
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
                ("product_name", models.CharField(max_length=386)),
                (
                    "variant_name",
                    models.CharField(blank=True, default="", max_length=255),
                ),
                ("quantity", models.PositiveIntegerField()),
                ("shipped_at", models.DateTimeField(blank=True, null=True)),
                ("is_shipped_on_time", models.BooleanField(blank=True, null=True)),
                (
                    "order_line",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="order.orderline",
                    ),
                ),
                (
                    "promise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="saleor_cs_plugin.deliverypromise",
                    ),
                ),
            ],
            options={
                "ordering": ("promise", "product_name", "id"),
            },
        ),
        migrations.AddIndex(
            model_name="deliverypromise",
            index=models.Index(
                condition=models.Q(("review_at__isnull", False)),
                fields=["review_at"],
                name="cs_promise_review",
            ),
        ),
        migrations.AddIndex(
            model_name="deliverypromise",
            index=models.Index(
                fields=["channel", "status"], name="cs_promise_channel_status"
            ),
        ),
        migrations.AddIndex(
            model_name="apologyvoucher",
            index=models.Index(
                fields=["channel", "issued_on"], name="cs_apology_daily"
            ),
        ),
    ]
