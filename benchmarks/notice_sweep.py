"""Cost of one sweep with 1,000,000 delivered and 1,000 pending notices.

Goal: proportional to the pending notices (read through the partial index on
next_attempt_at), under 1 s including queueing their 1,000 tasks on Redis, and flat
memory."""

import time
import tracemalloc

import bench_support  # noqa: F401 (sets Django up)
import redis
from django.db import connection

from saleor_cs_plugin import outbox, tasks
from saleor_cs_plugin.models import Notice

DELIVERED = 1_000_000
PENDING = 1_000


def fill(channel_id):
    with connection.cursor() as cursor:
        for status, count in [("sent", DELIVERED), ("pending", PENDING)]:
            cursor.execute(
                """
                INSERT INTO saleor_cs_plugin_notice (
                    id, created_at, updated_at, idempotency_key, notice_type,
                    channel_id, recipient_email, transport, is_essential, context,
                    status, attempts, next_attempt_at, sent_at, last_error
                )
                SELECT gen_random_uuid(), now(), now(),
                       %s || ':' || n, 'order_delay', %s,
                       'shopper' || (n %% 100000) || '@example.com', 'webhook', true,
                       '{}'::jsonb, %s, 1, now() - interval '1 minute',
                       CASE WHEN %s = 'sent' THEN now() END, ''
                FROM generate_series(1, %s) AS n
                """,
                [f"bench-{status}-{channel_id}", channel_id, status, status, count],
            )
        cursor.execute("ANALYZE saleor_cs_plugin_notice")


def main():
    channel = bench_support.webhook_channel(
        "http://127.0.0.1:9/unused", bench_support.WEBHOOK_SECRET
    )
    started = time.perf_counter()
    fill(channel.pk)
    print(
        f"filled {DELIVERED:,} sent + {PENDING:,} pending notices in {time.perf_counter() - started:.1f} s"
    )
    redis.Redis.from_url(__import__("os").environ["CELERY_BROKER_URL"]).flushdb()
    try:
        query = (
            Notice.objects.filter(outbox._due())
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[: tasks.SWEEP_BATCH]
        )
        plan = query.explain()
        print("plan:", " / ".join(line.strip() for line in plan.splitlines()[:3]))

        timings = []
        tracemalloc.start()
        for _ in range(5):
            begin = time.perf_counter()
            queued = tasks.sweep_notices_task()
            timings.append(time.perf_counter() - begin)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert queued == PENDING
        assert "cs_notice_due" in plan
        timings.sort()
        print(
            f"one sweep (query + queueing {queued} notices in tasks of "
            f"{tasks.SWEEP_TASK_SIZE} on Redis): median "
            f"{timings[2] * 1000:.0f} ms, worst {timings[-1] * 1000:.0f} ms; "
            f"peak Python memory during 5 sweeps {peak / 1024 / 1024:.1f} MiB "
            "(goal < 1 s, memory flat)"
        )
        begin = time.perf_counter()
        due = outbox.due_notice_ids(tasks.SWEEP_BATCH)
        print(
            f"due-notice query alone: {(time.perf_counter() - begin) * 1000:.1f} ms for {len(due)} ids"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM saleor_cs_plugin_notice WHERE channel_id = %s",
                [channel.pk],
            )
        bench_support.drop_channel(channel)
        redis.Redis.from_url(__import__("os").environ["CELERY_BROKER_URL"]).flushdb()


if __name__ == "__main__":
    main()
