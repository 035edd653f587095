"""Cost of one waiting sweep with 100,000 open conversations of which 1,000 have
waited past their answer target.

Goal: under 1 s, read through the partial index ``cs_conversation_unalerted``, with
the 1,000 staff alerts raised and their waits marked; and flat memory.

The channel answers chats within 5 minutes around the clock (answering hours 0-24
every day), so that which waits are due does not depend on the hour of the run:
1,000 chats have waited an hour, 99,000 a minute (not due; never read). Between runs
the alerts are deleted and the waits unmarked, untimed. The store (channel
``bench-conversation-sweep``) stays in the benchmark database for the next run.
"""

import statistics
import time
import tracemalloc

import bench_support  # noqa: F401 (sets Django up)
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.channel.models import Channel
from saleor.plugins.models import PluginConfiguration

from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.conversations import waiting
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.models import Conversation, StaffAlert
from saleor_cs_plugin.plugin import CustomerServicePlugin

OPEN = 100_000
DUE = 1_000
RUNS = 5
SLUG = "bench-conversation-sweep"
SETTINGS = {
    "answer_hours": "0-24",
    "promise_working_days": "mon,tue,wed,thu,fri,sat,sun",
    "answer_targets": "chat 5 minutes",
}


def _store() -> Channel:
    channel, created = Channel.objects.get_or_create(
        slug=SLUG,
        defaults={"name": SLUG, "currency_code": "USD", "default_country": "US"},
    )
    if created:
        PluginConfiguration.objects.create(
            identifier=PLUGIN_ID,
            channel=channel,
            active=True,
            configuration=[
                {
                    "name": item["name"],
                    "value": SETTINGS.get(item["name"], item["value"]),
                }
                for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
            ],
        )
    return channel


def _fill(channel) -> None:
    """The open conversations, written in SQL: DUE waiting an hour, the rest a
    minute; every wait unmarked."""
    Conversation.objects.filter(channel=channel).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Conversation._meta.db_table} (
                id, created_at, updated_at, channel_id, contact_channel, sender,
                customer_email, status, waiting_since, store_replies, reopened
            )
            SELECT gen_random_uuid(), now(), now(), %s, 'chat',
                   '+1555' || lpad(n::text, 7, '0'), '', 'waiting_on_store',
                   CASE WHEN n <= %s THEN now() - interval '1 hour'
                        ELSE now() - interval '1 minute' END,
                   0, 0
            FROM generate_series(1, %s) AS n
            """,
            [channel.pk, DUE, OPEN],
        )
        cursor.execute(f"ANALYZE {Conversation._meta.db_table}")


def _reset(channel) -> None:
    StaffAlert.objects.filter(
        channel=channel, kind=AlertKind.CONVERSATION_WAITING
    ).delete()
    Conversation.objects.filter(channel=channel).update(waiting_alerted_at=None)


def main():
    channel = _store()
    _fill(channel)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            EXPLAIN SELECT id, waiting_since FROM {Conversation._meta.db_table}
            WHERE channel_id = %s AND contact_channel = 'chat'
              AND status = 'waiting_on_store' AND waiting_alerted_at IS NULL
              AND waiting_since <= now() - interval '5 minutes'
            ORDER BY waiting_since LIMIT 1000
            """,
            [channel.pk],
        )
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
    timings, statements = [], []
    for _ in range(RUNS):
        _reset(channel)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            report = waiting.sweep_waiting(timezone.now())
            timings.append(time.perf_counter() - began)
        statements.append(len(queries))
        assert report.alerted == DUE, report
        assert (
            StaffAlert.objects.filter(
                channel=channel, kind=AlertKind.CONVERSATION_WAITING
            ).count()
            == DUE
        )
    _reset(channel)
    tracemalloc.start()
    waiting.sweep_waiting(timezone.now())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"plan: {plan}")
    print(
        f"one waiting sweep over {OPEN:,} open conversations, {DUE:,} past target "
        f"(alerted and marked): runs "
        f"{', '.join(f'{t * 1000:.0f}' for t in timings)} ms; median "
        f"{statistics.median(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} "
        f"ms; {statistics.median(statements):.0f} SQL statements; peak Python memory "
        f"{peak / 2**20:.1f} MiB (goal < 1 s)"
    )


if __name__ == "__main__":
    main()
