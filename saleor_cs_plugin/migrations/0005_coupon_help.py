import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        # Present in Saleor 3.21.0 and every later release.
        ("channel", "0022_merge_20250708_1220"),
        ("discount", "0085_alter_checkoutdiscount_amount_value_and_more"),
        ("saleor_cs_plugin", "0004_stock_shortages"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckoutCouponWatch",
            fields=[
                ("checkout_token", models.UUIDField(primary_key=True, serialize=False)),
                ("code", models.CharField(blank=True, default="", max_length=255)),
                (
                    "removed_code",
                    models.CharField(blank=True, default="", max_length=255),
                ),
                (
                    "removed_reason",
                    models.CharField(blank=True, default="", max_length=32),
                ),
                ("removed_message", models.TextField(blank=True, default="")),
                ("removed_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ("checkout_token",),
            },
        ),
        migrations.CreateModel(
            name="PromotedCode",
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
                ("code", models.CharField(max_length=255)),
                (
                    "placements",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(
                            choices=[
                                ("popup", "POPUP"),
                                ("email", "EMAIL"),
                                ("affiliate", "AFFILIATE"),
                                ("social", "SOCIAL"),
                                ("banner", "BANNER"),
                                ("other", "OTHER"),
                            ],
                            max_length=16,
                        ),
                        default=list,
                        size=None,
                    ),
                ),
                ("promoted_until", models.DateTimeField(blank=True, null=True)),
                ("note", models.CharField(blank=True, default="", max_length=500)),
                ("health", models.CharField(blank=True, default="", max_length=32)),
                ("health_checked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "alerted_health",
                    models.CharField(blank=True, default="", max_length=32),
                ),
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
                "ordering": ("code", "channel_id"),
            },
        ),
        migrations.CreateModel(
            name="CouponHonor",
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
                ("customer_email", models.EmailField(max_length=254)),
                ("replacement_code", models.CharField(max_length=255, unique=True)),
                ("valid_until", models.DateTimeField()),
                ("issued_on", models.DateField()),
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
                    "promoted_code",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="honors",
                        to="saleor_cs_plugin.promotedcode",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at",),
            },
        ),
        migrations.CreateModel(
            name="CouponFailure",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
                ("code", models.CharField(max_length=255)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("unknown_code", "UNKNOWN_CODE"),
                            ("inactive", "INACTIVE"),
                            ("single_use_used", "SINGLE_USE_USED"),
                            ("not_in_channel", "NOT_IN_CHANNEL"),
                            ("not_started", "NOT_STARTED"),
                            ("expired", "EXPIRED"),
                            ("usage_limit_reached", "USAGE_LIMIT_REACHED"),
                            ("minimum_spend_not_met", "MINIMUM_SPEND_NOT_MET"),
                            ("minimum_quantity_not_met", "MINIMUM_QUANTITY_NOT_MET"),
                            ("already_used_by_customer", "ALREADY_USED_BY_CUSTOMER"),
                            ("staff_only", "STAFF_ONLY"),
                            ("no_eligible_items", "NO_ELIGIBLE_ITEMS"),
                            ("shipping_not_applicable", "SHIPPING_NOT_APPLICABLE"),
                            ("issued_to_another_shopper", "ISSUED_TO_ANOTHER_SHOPPER"),
                        ],
                        max_length=32,
                    ),
                ),
                ("checkout_token", models.UUIDField(blank=True, null=True)),
                ("client_ip", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "channel",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="channel.channel",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        fields=["checkout_token", "created_at"],
                        name="cs_coupon_fail_checkout",
                    ),
                    models.Index(
                        fields=["client_ip", "created_at"], name="cs_coupon_fail_ip"
                    ),
                    models.Index(fields=["created_at"], name="cs_coupon_fail_created"),
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="promotedcode",
            constraint=models.UniqueConstraint(
                fields=("code", "channel"), name="cs_promoted_code_channel"
            ),
        ),
        migrations.AddIndex(
            model_name="couponhonor",
            index=models.Index(fields=["channel", "issued_on"], name="cs_honor_daily"),
        ),
        migrations.AddConstraint(
            model_name="couponhonor",
            constraint=models.UniqueConstraint(
                fields=("promoted_code", "customer_email"), name="cs_honor_once"
            ),
        ),
    ]
