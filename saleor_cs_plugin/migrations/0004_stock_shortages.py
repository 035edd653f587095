import uuid

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

# The sweep reads only stocks that orders have allocated beyond what is there;
# Saleor has no index for that, so this partial one on Saleor's table makes the
# sweep's cost follow the short stocks, not the whole catalogue.
CREATE_STOCK_INDEX = (
    "CREATE INDEX IF NOT EXISTS cs_stock_overallocated ON warehouse_stock (id) "
    "WHERE quantity < quantity_allocated"
)
DROP_STOCK_INDEX = "DROP INDEX IF EXISTS cs_stock_overallocated"


class Migration(migrations.Migration):
    dependencies = [
        # Present in Saleor 3.21.0 and every later release.
        ("product", "0194_auto_20240620_1404"),
        ("warehouse", "0033_warehouse_external_reference"),
        ("saleor_cs_plugin", "0003_delivery_promises"),
    ]

    operations = [
        migrations.CreateModel(
            name="StockShortage",
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
                ("episode", models.PositiveIntegerField(default=1)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "OPEN"),
                            ("restored", "RESTORED"),
                            ("closed", "CLOSED"),
                        ],
                        default="open",
                        max_length=16,
                    ),
                ),
                ("quantity_short", models.PositiveIntegerField()),
                (
                    "short_by_warehouse",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                ("restock_estimate", models.DateField(blank=True, null=True)),
                (
                    "offered_alternatives",
                    models.JSONField(
                        blank=True,
                        default=list,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                ("link_nonce", models.CharField(max_length=64)),
                ("link_expires_at", models.DateTimeField()),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "choice",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("wait", "WAIT"),
                            ("switch", "SWITCH"),
                            ("cancel", "CANCEL"),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                ("chosen_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "chosen_variant",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="product.productvariant",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="order.order",
                    ),
                ),
                (
                    "order_line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="order.orderline",
                    ),
                ),
                (
                    "variant",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="product.productvariant",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "open")),
                        fields=["created_at"],
                        name="cs_shortage_open",
                    ),
                    models.Index(
                        fields=["order", "-created_at"], name="cs_shortage_order"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("order_line", "episode"),
                        name="cs_shortage_line_episode",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")),
                        fields=("order_line",),
                        name="cs_shortage_one_open_per_line",
                    ),
                ],
            },
        ),
        migrations.RunSQL(CREATE_STOCK_INDEX, DROP_STOCK_INDEX),
    ]
