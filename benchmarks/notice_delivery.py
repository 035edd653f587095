"""Notices delivered per second by one Celery worker (solo pool) to a local webhook
receiver, end to end: broker, claim, settings, signed POST, mark sent, history entry.
Goal: at least 200 per second.

Two paths are measured: one task per notice (what a decision queues after commit)
and the sweep's tasks of 50 notices each."""

import os
import time
import uuid
from pathlib import Path
from tempfile import mkdtemp

import bench_support  # noqa: F401 (sets Django up)
from celery import Celery
from django.db import connection
from peers import CeleryWorker, WebhookReceiver, wait_for

from saleor_cs_plugin import fetch, outbox
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice

NOTICES = 2000
QUEUE = f"saleor-cs-bench-{uuid.uuid4().hex[:8]}"
WARM_UP = 50


def enqueue(channel, label, count):
    settings = fetch.channel_settings(channel.pk).notices
    ids = []
    for number in range(count):
        notice, _ = outbox.enqueue_notice(
            notice_type=NoticeType.ORDER_DELAY,
            idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, channel.slug, label, number),
            notice_settings=settings,
            recipient_email=f"shopper{number % 500}@example.com",
            context={"subject": "Your order is running late", "message": "Sorry."},
            channel=channel,
        )
        ids.append(str(notice.pk))
    return ids


def measure(broker, channel, label, send):
    ids = enqueue(channel, label, NOTICES)
    sent = Notice.objects.filter(channel=channel, status=NoticeStatus.SENT)
    before = sent.count()
    send(ids[:WARM_UP])
    wait_for(lambda: sent.count() == before + WARM_UP, timeout=120)
    started = time.perf_counter()
    send(ids[WARM_UP:])
    wait_for(lambda: sent.count() == before + NOTICES, timeout=600, interval=0.05)
    elapsed = time.perf_counter() - started
    measured = NOTICES - WARM_UP
    print(
        f"{label}: {measured} notices in {elapsed:.2f} s = {measured / elapsed:.0f} "
        "notices/s (one worker, solo pool; goal >= 200/s)"
    )


def main():
    receiver = WebhookReceiver(secret=bench_support.WEBHOOK_SECRET).start()
    channel = bench_support.webhook_channel(
        receiver.url, bench_support.WEBHOOK_SECRET, max_notices_per_day="0"
    )
    db = connection.settings_dict
    worker = CeleryWorker(
        broker_url=os.environ["CELERY_BROKER_URL"],
        database_url=(
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        log_path=Path(mkdtemp()) / "worker.log",
        queue=QUEUE,
        settings_module="bench_settings",
        python_path=os.environ["PYTHONPATH"],
    ).start()
    broker = Celery("bench", broker=worker.broker_url)
    broker.conf.task_default_queue = QUEUE

    def one_task_each(ids):
        with broker.connection_for_write() as conn:
            for notice_id in ids:
                broker.send_task(
                    "saleor_cs_plugin.deliver_notice", args=[notice_id], connection=conn
                )

    def tasks_of_fifty(ids):
        with broker.connection_for_write() as conn:
            for start in range(0, len(ids), 50):
                broker.send_task(
                    "saleor_cs_plugin.deliver_notices",
                    args=[ids[start : start + 50]],
                    connection=conn,
                )

    try:
        measure(broker, channel, "one task per notice", one_task_each)
        measure(broker, channel, "tasks of 50 notices (sweep)", tasks_of_fifty)
    finally:
        worker.stop()
        receiver.stop()
    assert len(receiver.requests) == 2 * NOTICES
    assert all(r.is_signature_valid for r in receiver.requests)
    bench_support.drop_channel(channel)


if __name__ == "__main__":
    main()
