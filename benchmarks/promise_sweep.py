"""Cost of one delivery-promise sweep with 1,000,000 open promises of which 1,000 are due.

Goal: proportional to the due promises (read through the partial index on
review_at), under 1 s including the notices, the order notes and queueing the
notices' delivery on Redis, and flat memory.

The store (channel ``bench-promise-sweep``) stays in the benchmark database for the
next run: filling it takes about two minutes, and deleting a million Saleor orders
(every table that refers to orders is checked for each) far longer.

The sweeps run as in a Celery worker process that has just started: Celery's
``worker_process_init`` is sent first, so that whatever Saleor and the plugin do
there (loading what the first sweep needs, freezing what the process keeps out of
the garbage collector's way) is done, and nothing more. Every one of the five runs
counts, the first included.
"""

import os
import statistics
import time
import tracemalloc
from datetime import timedelta

import bench_support  # noqa: F401 (sets Django up)
import redis
from celery.signals import worker_process_init
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.channel.models import Channel
from saleor.order.models import Order

from order_rows import open_orders
from saleor_cs_plugin import tasks
from saleor_cs_plugin.models import DeliveryPromise, Notice

OPEN = 1_000_000
DUE = 1_000
RUNS = 5
SLUG = "bench-promise-sweep"


def fill(channel) -> None:
    """1,000 due promises with their lines (made as the tests make them), and
    999,000 more orders under promises due next month, copied in SQL."""
    now = timezone.now()
    open_orders(channel, DUE, ship_by_deadline=now - timedelta(hours=1), review_at=now)
    template = Order.objects.filter(channel=channel).first()
    columns = [field.column for field in Order._meta.concrete_fields]
    copied = {
        "id": "gen_random_uuid()",
        "number": "nextval('order_order_number_seq')",
        "user_email": "'bench-' || n || '@example.com'",
    }
    select = ", ".join(copied.get(column, f't."{column}"') for column in columns)
    promise_columns = [
        field.column
        for field in DeliveryPromise._meta.concrete_fields
        if field.column
        not in {"id", "order_id", "review_at", "ship_by", "ship_by_deadline"}
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO order_order ({", ".join(f'"{c}"' for c in columns)})
            SELECT {select} FROM order_order t, generate_series(1, %s) AS n
            WHERE t.id = %s
            """,
            [OPEN - DUE, template.pk],
        )
        cursor.execute(
            f"""
            INSERT INTO saleor_cs_plugin_deliverypromise (
                id, order_id, review_at, ship_by, ship_by_deadline,
                {", ".join(promise_columns)}
            )
            SELECT gen_random_uuid(), o.id, %s, %s, %s,
                   {", ".join(f"p.{c}" for c in promise_columns)}
            FROM order_order o, saleor_cs_plugin_deliverypromise p
            WHERE o.channel_id = %s AND p.order_id = %s AND o.user_email LIKE 'bench-%%'
            """,
            [
                now + timedelta(days=30),
                (now + timedelta(days=31)).date(),
                now + timedelta(days=31),
                channel.pk,
                template.pk,
            ],
        )
        # As a live store's tables would be: vacuumed, analysed, written to disk.
        cursor.execute("VACUUM ANALYZE order_order")
        cursor.execute("VACUUM ANALYZE saleor_cs_plugin_deliverypromise")
        cursor.execute("CHECKPOINT")


def reset_due(channel) -> None:
    """Put the due promises back as they were before a sweep."""
    now = timezone.now()
    due = DeliveryPromise.objects.filter(
        channel=channel, order__user_email__startswith="shopper-"
    )
    Notice.objects.filter(channel=channel).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM order_orderevent WHERE order_id IN ("
            "SELECT order_id FROM saleor_cs_plugin_deliverypromise "
            "WHERE channel_id = %s AND notified_stage <> '')",
            [channel.pk],
        )
    due.update(status="on_track", notified_stage="", review_at=now)


def store_channel():
    """The benchmark's channel with its promises, made on the first run."""
    channel = Channel.objects.filter(slug=SLUG).first()
    if (
        channel is not None
        and DeliveryPromise.objects.filter(channel=channel).count() == OPEN
    ):
        print(f"reusing {OPEN:,} open promises ({DUE:,} due) of the last run")
        return channel
    if channel is not None:
        raise SystemExit(
            f"The channel '{SLUG}' of an interrupted run is incomplete; drop the "
            "benchmark database and run again."
        )
    channel = bench_support.webhook_channel(
        "http://127.0.0.1:9/unused", bench_support.WEBHOOK_SECRET
    )
    channel.slug = channel.name = SLUG
    channel.save(update_fields=["slug", "name"])
    started = time.perf_counter()
    fill(channel)
    print(
        f"filled {OPEN:,} open promises ({DUE:,} due) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return channel


def timed_sweep(channel, broker) -> tuple[float, float]:
    """One sweep's wall-clock and Python CPU time."""
    reset_due(channel)
    broker.flushdb()
    begin, cpu = time.perf_counter(), time.process_time()
    told = tasks.sweep_promises_task()
    elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu
    assert told == DUE, told
    # The notices travel to the workers in tasks of SWEEP_TASK_SIZE.
    assert (
        broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == DUE // tasks.SWEEP_TASK_SIZE
    )
    return elapsed, cpu


def main():
    channel = store_channel()
    worker_process_init.send(sender=None)
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    try:
        plan = (
            DeliveryPromise.objects.filter(review_at__lte=timezone.now())
            .order_by("review_at", "pk")
            .values_list("pk", flat=True)[:1000]
            .explain()
        )
        print("plan:", " / ".join(line.strip() for line in plan.splitlines()[:3]))
        assert "cs_promise_review" in plan
        timings, cpu = [], []
        for _ in range(RUNS):
            elapsed, used = timed_sweep(channel, broker)
            timings.append(elapsed)
            cpu.append(used)
        print("runs:", ", ".join(f"{t * 1000:.0f}" for t in timings), "ms")
        # Statements in a run of their own: capturing them slows the cursor down.
        reset_due(channel)
        broker.flushdb()
        with CaptureQueriesContext(connection) as queries:
            tasks.sweep_promises_task()
        # Memory in runs of their own: tracing allocations slows Python down.
        tracemalloc.start()
        for _ in range(2):
            timed_sweep(channel, broker)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert Notice.objects.filter(channel=channel).count() == DUE
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"one sweep (backfill check, {DUE} promises reviewed, {DUE} notices and "
            f"order notes written, delivery queued on Redis): median "
            f"{statistics.median(timings) * 1000:.0f} ms, worst "
            f"{max(timings) * 1000:.0f} ms of {RUNS}; Python CPU median "
            f"{statistics.median(cpu) * 1000:.0f} ms; "
            f"{len(queries.captured_queries)} SQL statements; peak Python memory "
            f"during 2 more sweeps {peak / 1024 / 1024:.1f} MiB; load average {load} "
            "(goal < 1 s, memory flat)"
        )
    finally:
        reset_due(channel)
        broker.flushdb()


if __name__ == "__main__":
    main()
