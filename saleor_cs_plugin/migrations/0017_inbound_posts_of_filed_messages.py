"""The bridge message ids filed before inbound posts existed become filed posts, so
that a repeated id is still answered as a duplicate."""

from django.db import migrations

FILED_MESSAGES_AS_POSTS = """
INSERT INTO saleor_cs_plugin_inboundpost
    (id, created_at, channel_id, bridge_message_id, contact_channel, sender, text,
     order_reference, sent_at, filed_at)
SELECT gen_random_uuid(), m.created_at, m.channel_id, m.bridge_message_id,
       c.contact_channel, '', '', '', m.sent_at, m.created_at
FROM saleor_cs_plugin_conversationmessage m
JOIN saleor_cs_plugin_conversation c ON c.id = m.conversation_id
WHERE m.bridge_message_id <> '' AND m.channel_id IS NOT NULL
ON CONFLICT (channel_id, bridge_message_id) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0016_inbound_posts"),
    ]

    operations = [
        migrations.RunSQL(FILED_MESSAGES_AS_POSTS, reverse_sql=migrations.RunSQL.noop),
    ]
