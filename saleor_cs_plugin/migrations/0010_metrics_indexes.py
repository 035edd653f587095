"""Indexes the service metrics read a period through: the rows of one channel
between two moments, so a period costs what its own rows cost, not the history's.

Plain SQL, so the models (and their migrations' state) stay as they are; on the
plugin's tables only."""

from django.db import migrations

PREFIX = "saleor_cs_plugin_"

INDEXES = [
    # Contacts of a period (first-contact resolution).
    (
        "cs_history_contact_created",
        f"{PREFIX}servicehistoryentry (created_at) WHERE type = 'contact'",
    ),
    # Orders shipped and delivered in a period (on-time shipping and delivery),
    # counted from the index alone.
    (
        "cs_promise_channel_shipped",
        f"{PREFIX}deliverypromise (channel_id, shipped_at) "
        "INCLUDE (ship_by_deadline, status) WHERE shipped_at IS NOT NULL",
    ),
    (
        "cs_promise_channel_delivered",
        f"{PREFIX}deliverypromise (channel_id, delivered_at) "
        "INCLUDE (is_delivered_on_time) WHERE delivered_at IS NOT NULL",
    ),
    # The channel of a contact's order, without reading Saleor's wide order rows.
    (
        "cs_promise_order_channel",
        f"{PREFIX}deliverypromise (order_id) INCLUDE (channel_id)",
    ),
    # Notices and coupon failures of a period.
    ("cs_notice_channel_created", f"{PREFIX}notice (channel_id, created_at)"),
    (
        "cs_coupon_fail_channel_created",
        f"{PREFIX}couponfailure (channel_id, created_at)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0009_surveys"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {definition}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]
