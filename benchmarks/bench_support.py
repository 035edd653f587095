"""What the benchmarks share: Django set-up and a channel configured for webhooks."""

import uuid

import django

django.setup()

from saleor.channel.models import Channel  # noqa: E402
from saleor.plugins.models import PluginConfiguration  # noqa: E402

from saleor_cs_plugin.config import PLUGIN_ID  # noqa: E402
from saleor_cs_plugin.plugin import CustomerServicePlugin  # noqa: E402

WEBHOOK_SECRET = "benchmark-secret-of-enough-length"


def webhook_channel(webhook_url: str) -> Channel:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    channel = Channel.objects.create(
        name=slug, slug=slug, currency_code="USD", default_country="US"
    )
    values = {
        "notice_transports": "*=webhook",
        "webhook_url": webhook_url,
        "webhook_secret": WEBHOOK_SECRET,
        "quiet_hours": "",
        "max_notices_per_day": "0",
    }
    PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        channel=channel,
        active=True,
        configuration=[
            {"name": item["name"], "value": values.get(item["name"], item["value"])}
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ],
    )
    return channel


def drop_channel(channel: Channel) -> None:
    from saleor_cs_plugin.models import Notice, ServiceHistoryEntry

    notice_ids = [str(pk) for pk in Notice.objects.filter(channel=channel).values_list("pk", flat=True)]
    ServiceHistoryEntry.objects.filter(details__noticeId__in=notice_ids).delete()
    Notice.objects.filter(channel=channel).delete()
    PluginConfiguration.objects.filter(channel=channel).delete()
    channel.delete()
