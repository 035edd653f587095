"""Notices delivered per second by one Celery worker (solo pool: one task at a time)
to a local webhook receiver, end to end: broker, claim, settings, signed POST, mark
sent with the history entry. Goal: at least 500 per second in tasks of 50 (the
batch's marks are written together at its end).

The clock starts when the tasks are queued and stops when the last of the notices is
marked sent; then every notice has exactly one NOTICE_SENT entry, and the receiver
has had exactly one signed request per notice. The receiver runs in a process of its
own (webhook_receiver.py), the worker in another, and this process only queues tasks
and watches the database. Beside the rate, the worker's own CPU time per notice is
printed (from /proc): on a busy machine it varies much less than the rate.

Two paths are measured, each BENCH_ROUNDS times (default 3) with BENCH_NOTICES
notices (default 2000, the first 50 to warm up): one task per notice (what a single
decision queues after commit) and tasks of 50 notices (the sweep, and any
transaction deciding several notices)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import mkdtemp

import bench_support  # noqa: F401 (sets Django up)
import requests
from celery import Celery
from django.conf import settings
from django.db import connection
from peers import CeleryWorker, wait_for

from saleor_cs_plugin import fetch, outbox
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry

NOTICES = int(os.environ.get("BENCH_NOTICES", "2000"))
QUEUE = f"saleor-cs-bench-{uuid.uuid4().hex[:8]}"
WARM_UP = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


class ReceiverProcess:
    """benchmarks/webhook_receiver.py in its own process."""

    def __init__(self, secret: str):
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("webhook_receiver.py")),
                secret,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/notices"

    def summary(self) -> dict:
        return requests.get(self.url.replace("/notices", "/summary"), timeout=10).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def enqueue(channel, label, count):
    settings = fetch.channel_settings(channel.pk).notices
    ids = []
    for number in range(count):
        notice, _ = outbox.enqueue_notice(
            notice_type=NoticeType.ORDER_DELAY,
            idempotency_key=idempotency_key(
                NoticeType.ORDER_DELAY, channel.slug, label, number
            ),
            notice_settings=settings,
            recipient_email=f"shopper{number % 500}@example.com",
            context={"subject": "Your order is running late", "message": "Sorry."},
            channel=channel,
        )
        ids.append(str(notice.pk))
    return ids


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(channel, label, send, worker_pid) -> float:
    ids = enqueue(channel, label, NOTICES)
    sent = Notice.objects.filter(channel=channel, status=NoticeStatus.SENT)
    before = sent.count()
    send(ids[:WARM_UP])
    wait_for(lambda: sent.count() == before + WARM_UP, timeout=120)
    started, worker_cpu = time.perf_counter(), cpu_seconds(worker_pid)
    send(ids[WARM_UP:])
    wait_for(lambda: sent.count() == before + NOTICES, timeout=600, interval=0.05)
    elapsed = time.perf_counter() - started
    worker_cpu = cpu_seconds(worker_pid) - worker_cpu
    entries = ServiceHistoryEntry.objects.filter(
        type=EntryType.NOTICE_SENT, details__noticeId__in=ids
    )
    assert entries.count() == NOTICES, "a sent notice lacks its history entry"
    assert Notice.objects.filter(pk__in=ids, attempts=1).count() == NOTICES
    measured = NOTICES - WARM_UP
    rate = measured / elapsed
    print(
        f"  {measured} notices in {elapsed:.2f} s = {rate:.0f} notices/s; "
        f"worker CPU {1000 * worker_cpu / measured:.2f} ms per notice; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return rate


def main():
    receiver = ReceiverProcess(bench_support.WEBHOOK_SECRET)
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

    print(
        f"One worker (solo pool), DB_CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}, "
        f"{NOTICES - WARM_UP} notices per round after {WARM_UP} to warm up; "
        "goal >= 500/s in tasks of 50"
    )
    rounds = 0
    try:
        for label, send in [
            ("one task per notice", one_task_each),
            ("tasks of 50 notices (sweep)", tasks_of_fifty),
        ]:
            print(f"{label}:", flush=True)
            rates = [
                measure(channel, f"{label}-{n}", send, worker.process.pid)
                for n in range(ROUNDS)
            ]
            rounds += ROUNDS
            print(
                f"{label}: {min(rates):.0f}-{max(rates):.0f} notices/s over {ROUNDS} rounds"
            )
        summary = receiver.summary()
    finally:
        worker.stop()
        receiver.stop()
    assert summary == {
        "requests": rounds * NOTICES,
        "keys": rounds * NOTICES,
        "badSignatures": 0,
    }, summary
    bench_support.drop_channel(channel)


if __name__ == "__main__":
    main()
