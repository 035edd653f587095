import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("order", "0202_alter_order_undiscounted_base_shipping_price_amount"),
        ("saleor_cs_plugin", "0013_conversation_waiting_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversation",
            name="opened_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversationmessage",
            name="notice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="saleor_cs_plugin.notice",
            ),
        ),
        migrations.AddField(
            model_name="conversationmessage",
            name="order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="order.order",
            ),
        ),
        migrations.AddField(
            model_name="conversationmessage",
            name="problem",
            field=models.CharField(
                blank=True,
                choices=[
                    ("late", "LATE"),
                    ("damaged", "DAMAGED"),
                    ("wrong_item", "WRONG_ITEM"),
                    ("missing_item", "MISSING_ITEM"),
                    ("coupon_or_price", "COUPON_OR_PRICE"),
                    ("other", "OTHER"),
                ],
                default="",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="conversationmessage",
            name="reply_key",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AlterField(
            model_name="notice",
            name="notice_type",
            field=models.CharField(
                choices=[
                    ("order_delay", "ORDER_DELAY"),
                    ("order_delay_follow_up", "ORDER_DELAY_FOLLOW_UP"),
                    ("order_on_the_way", "ORDER_ON_THE_WAY"),
                    ("stock_shortage", "STOCK_SHORTAGE"),
                    ("stock_restored", "STOCK_RESTORED"),
                    ("coupon_honored", "COUPON_HONORED"),
                    ("survey", "SURVEY"),
                    ("staff_alert", "STAFF_ALERT"),
                    ("conversation_reply", "CONVERSATION_REPLY"),
                    ("conversation_acknowledgement", "CONVERSATION_ACKNOWLEDGEMENT"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="staffalert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("promoted_code", "PROMOTED_CODE"),
                    ("shortage_choice", "SHORTAGE_CHOICE"),
                    ("notice_delivery", "NOTICE_DELIVERY"),
                    ("survey_call_back", "SURVEY_CALL_BACK"),
                    ("conversation_waiting", "CONVERSATION_WAITING"),
                    ("problem_reported", "PROBLEM_REPORTED"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="conversationmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reply_key", ""), _negated=True),
                fields=("conversation", "reply_key"),
                name="cs_conversation_reply_once",
            ),
        ),
    ]
