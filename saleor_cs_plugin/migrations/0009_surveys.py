import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
import saleor_cs_plugin.models
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    # Earlier migrations of this app already depend on the Saleor migrations the
    # tables below refer to, all of which exist in Saleor 3.21.
    dependencies = [
        ("saleor_cs_plugin", "0008_staff_alerts_from_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="SweepMark",
            fields=[
                (
                    "name",
                    models.CharField(max_length=64, primary_key=True, serialize=False),
                ),
                ("swept_until", models.DateTimeField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ("name",),
            },
        ),
        migrations.CreateModel(
            name="Survey",
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
                ("survey_key", models.CharField(max_length=128, unique=True)),
                (
                    "moment",
                    models.CharField(
                        choices=[
                            ("completed", "COMPLETED"),
                            ("abandoned", "ABANDONED"),
                            ("after_problem", "AFTER_PROBLEM"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "problem_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("delay", "DELAY"),
                            ("stock_shortage", "STOCK_SHORTAGE"),
                            ("coupon", "COUPON"),
                            ("contact", "CONTACT"),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                (
                    "problem_ref",
                    models.CharField(blank=True, default="", max_length=64),
                ),
                ("checkout_token", models.UUIDField(blank=True, null=True)),
                ("email", models.EmailField(blank=True, default="", max_length=254)),
                ("language", models.CharField(blank=True, default="", max_length=35)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "SCHEDULED"),
                            ("sent", "SENT"),
                            ("skipped", "SKIPPED"),
                        ],
                        default="scheduled",
                        max_length=16,
                    ),
                ),
                (
                    "skip_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("moment_off", "MOMENT_OFF"),
                            ("not_sampled", "NOT_SAMPLED"),
                            ("recently_asked", "RECENTLY_ASKED"),
                            ("no_email", "NO_EMAIL"),
                            ("order_cancelled", "ORDER_CANCELLED"),
                            ("order_gone", "ORDER_GONE"),
                            ("ordered_since", "ORDERED_SINCE"),
                            ("already_asked", "ALREADY_ASKED"),
                        ],
                        default="",
                        max_length=32,
                    ),
                ),
                ("due_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("closes_at", models.DateTimeField(blank=True, null=True)),
                ("link_nonce", models.CharField(blank=True, default="", max_length=64)),
                ("satisfied", models.BooleanField(blank=True, null=True)),
                ("handled_as_wanted", models.BooleanField(blank=True, null=True)),
                (
                    "what_went_wrong",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(
                            choices=[
                                ("late", "LATE"),
                                ("damaged", "DAMAGED"),
                                ("wrong_item", "WRONG_ITEM"),
                                ("missing_or_out_of_stock", "MISSING_OR_OUT_OF_STOCK"),
                                ("coupon_or_price", "COUPON_OR_PRICE"),
                                ("hard_to_reach", "HARD_TO_REACH"),
                                ("slow_answer", "SLOW_ANSWER"),
                                ("other", "OTHER"),
                            ],
                            max_length=32,
                        ),
                        blank=True,
                        default=list,
                        size=None,
                    ),
                ),
                (
                    "why_not_completed",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("price", "PRICE"),
                            ("shipping_cost", "SHIPPING_COST"),
                            ("delivery_too_slow", "DELIVERY_TOO_SLOW"),
                            ("coupon_failed", "COUPON_FAILED"),
                            ("payment_problem", "PAYMENT_PROBLEM"),
                            ("just_looking", "JUST_LOOKING"),
                            ("bought_elsewhere", "BOUGHT_ELSEWHERE"),
                            ("site_problem", "SITE_PROBLEM"),
                            ("other", "OTHER"),
                        ],
                        default="",
                        max_length=32,
                    ),
                ),
                ("comment", models.TextField(blank=True, default="")),
                ("first_answered_at", models.DateTimeField(blank=True, null=True)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("call_back_alerted_at", models.DateTimeField(blank=True, null=True)),
                ("comment_erased_at", models.DateTimeField(blank=True, null=True)),
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
                        on_delete=saleor_cs_plugin.models.anonymize_respondent,
                        related_name="+",
                        to="account.user",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "scheduled")),
                        fields=["due_at"],
                        name="cs_survey_due",
                    ),
                    models.Index(
                        condition=models.Q(("status", "sent")),
                        fields=["email", "-sent_at"],
                        name="cs_survey_email_sent",
                    ),
                    models.Index(
                        fields=["channel", "sent_at"], name="cs_survey_channel_sent"
                    ),
                    models.Index(
                        fields=["user", "-sent_at"], name="cs_survey_user_sent"
                    ),
                    models.Index(fields=["order"], name="cs_survey_order"),
                ],
            },
        ),
    ]
