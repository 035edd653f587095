"""Claims, due times and claim expiry go by PostgreSQL's clock: real Celery workers
whose clocks are an hour fast or slow neither take a notice early, nor take back a
live claim, nor fail to take back an expired one, nor write claims of another
length.

A worker's clock is made wrong in its own process: a ``sitecustomize`` module,
written by these tests into a folder put first on the worker's path, shifts
``time.time`` and ``datetime.now`` before Celery, Django or the plugin are imported.
The history entry a worker writes carries its own clock's time, which shows the
shift is real."""

import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from peers import CeleryWorker, wait_for
from saleor_cs_plugin import fetch, outbox
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry
from test_notice_worker import (  # noqa: F401 - fixtures
    broker,
    db_access,
    default_customer_type,
    default_tax_class,
    queue,
    receiver,
    site_settings,
    store_channel,
)

BROKER_URL = os.environ.get("SALEOR_CS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
HOUR = 3600
# worker_settings.SALEOR_CS_NOTICE_CLAIM_SECONDS
CLAIM = timedelta(seconds=2)

pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)

SKEWED_CLOCK = '''
"""Shifts this process's wall clock by SKEW seconds (test support)."""
import datetime as _datetime
import time as _time

SKEW = {skew}
_real_time, _real_time_ns = _time.time, _time.time_ns
_time.time = lambda: _real_time() + SKEW
_time.time_ns = lambda: _real_time_ns() + int(SKEW * 1_000_000_000)


class _SkewedDatetime(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return super().now(tz) + _datetime.timedelta(seconds=SKEW)

    @classmethod
    def utcnow(cls):
        return super().utcnow() + _datetime.timedelta(seconds=SKEW)

    @classmethod
    def today(cls):
        return cls.now()


_datetime.datetime = _SkewedDatetime
'''


def _clock_path(folder: Path, skew: int) -> str:
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(SKEWED_CLOCK.format(skew=skew))
    return os.pathsep.join([str(folder), str(Path(__file__).parent)])


@pytest.fixture
def skewed_worker(db_access, tmp_path, queue):
    """Start a worker on the test's queue whose clock is ``skew`` seconds off."""
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    workers = []

    def start(skew: int):
        worker = CeleryWorker(
            broker_url=BROKER_URL,
            database_url=database_url,
            log_path=tmp_path / f"worker-{len(workers)}.log",
            queue=queue,
            python_path=_clock_path(tmp_path / f"clock-{skew}", skew),
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


def _database_now() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def _notice(channel, decision):
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, channel.slug, decision),
        notice_settings=fetch.channel_settings(channel.pk).notices,
        recipient_email="shopper@example.com",
        context={"subject": "Your order is running late", "message": "Sorry."},
        channel=channel,
    )
    assert created is True
    return notice


def _set_by_database_clock(notice, **seconds_from_now) -> None:
    """Set time columns of ``notice`` to the database's now plus so many seconds."""
    assignments = ", ".join(
        f"{column} = statement_timestamp() + make_interval(secs => %s)"
        for column in seconds_from_now
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Notice._meta.db_table} SET {assignments} WHERE id = %s",
            [*seconds_from_now.values(), notice.pk],
        )


def _run(broker, worker, name, *args):
    """Send a task to the worker and wait until it finished; returns what it
    returned, as its log shows it."""
    task_id = str(uuid.uuid4())
    broker.send_task(f"saleor_cs_plugin.{name}", args=list(args), task_id=task_id)
    # Saleor's log format ends each line with the process and thread.
    pattern = re.compile(
        rf"\[{task_id}\] succeeded in [0-9.]+s: (.*?)(?: \[PID:[^\]]*\])?$",
        re.MULTILINE,
    )

    def finished():
        return pattern.search(worker.log_path.read_text())

    return wait_for(finished, timeout=60).group(1)


def _state(notice):
    return (
        Notice.objects.filter(pk=notice.pk)
        .values_list("status", "attempts", "claimed_until", "next_attempt_at")
        .get()
    )


def test_the_skewed_clock_is_the_workers_own(tmp_path):
    # given the support module's clock an hour fast in a process of its own
    path = _clock_path(tmp_path / "clock", HOUR)

    # when that process and this one read their clocks
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time, datetime; "
            "print(time.time(), datetime.datetime.now(datetime.UTC).timestamp())",
        ],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    here = time.time()

    # then both of its clocks are an hour ahead of this one
    assert [round(float(value) - here) for value in shown] == [HOUR, HOUR]


def test_notices_recorded_by_a_process_an_hour_fast_are_due_by_the_database_clock(
    store_channel,
):
    # given a process whose clock is an hour fast
    settings = fetch.channel_settings(store_channel.pk).notices
    with freeze_time(timezone.now() + timedelta(hours=1), tick=True):
        assert timezone.now() - _database_now() > timedelta(minutes=59)

        # when it records a notice on its own and two together
        alone = _notice(store_channel, "alone")
        together = outbox.add_notices(
            [
                outbox.new_notice(
                    notice_type=NoticeType.ORDER_DELAY,
                    idempotency_key=f"together-{n}",
                    notice_settings=settings,
                    recipient_email="shopper@example.com",
                    context={"subject": "Late", "message": "Sorry."},
                    channel_id=store_channel.pk,
                )
                for n in range(2)
            ]
        )

    # then each is due now by the database's clock, not in an hour
    database_now = _database_now()
    due_times = Notice.objects.filter(pk__in=[alone.pk, *together]).values_list(
        "next_attempt_at", flat=True
    )
    assert len(due_times) == 3
    assert all(
        timedelta(0) <= database_now - due < timedelta(seconds=10) for due in due_times
    )
    assert alone.next_attempt_at in due_times
    assert sorted(outbox.due_notice_ids(10)) == sorted([alone.pk, *together])


def test_a_worker_an_hour_fast_does_not_take_a_notice_due_in_half_an_hour(
    store_channel, receiver, broker, skewed_worker
):
    # given a notice due in 30 minutes by the database's clock, and one due now
    later = _notice(store_channel, "later")
    _set_by_database_clock(later, next_attempt_at=30 * 60)
    due = _notice(store_channel, "due")
    worker = skewed_worker(HOUR)

    # when the worker, whose clock is an hour fast, sweeps and is given both
    assert _run(broker, worker, "sweep_notices") == "1"
    wait_for(lambda: _state(due)[0] == NoticeStatus.SENT)
    outcome = _run(broker, worker, "deliver_notice", str(later.pk))

    # then it sent only the notice due now, and left the other untouched
    assert outcome == "'not due'"
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
        due.idempotency_key
    ]
    status, attempts, claimed_until, next_attempt_at = _state(later)
    assert (status, attempts, claimed_until) == (NoticeStatus.PENDING, 0, None)
    assert (
        timedelta(minutes=29)
        < next_attempt_at - _database_now()
        <= timedelta(minutes=30)
    )
    # and its own clock was an hour fast: the entry it wrote says so
    entry = ServiceHistoryEntry.objects.get(
        type=EntryType.NOTICE_SENT, details__noticeId=str(due.pk)
    )
    assert round((entry.created_at - _database_now()).total_seconds() / 60) == 60


def test_a_worker_an_hour_fast_does_not_take_back_a_claim_live_by_the_database(
    store_channel, receiver, broker, skewed_worker
):
    # given a notice another worker claimed, its claim live for 10 more minutes
    notice = _notice(store_channel, "held")
    assert outbox.claim(notice.pk) is not None
    _set_by_database_clock(notice, claimed_until=10 * 60)
    held = _state(notice)
    worker = skewed_worker(HOUR)

    # when the worker an hour fast sweeps, and is given the notice in a batch
    swept = _run(broker, worker, "sweep_notices")
    outcome = _run(broker, worker, "deliver_notices", [str(notice.pk)])

    # then it found nothing due and did not take the notice
    assert (swept, outcome) == ("0", "{'not due': 1}")
    assert _state(notice) == held
    assert held[:2] == (NoticeStatus.SENDING, 1)
    assert receiver.requests == []


def test_a_worker_an_hour_slow_takes_back_a_claim_expired_by_the_database(
    store_channel, receiver, broker, skewed_worker
):
    # given a notice whose worker died; its claim ran out a second ago
    notice = _notice(store_channel, "abandoned")
    assert outbox.claim(notice.pk) is not None
    _set_by_database_clock(notice, claimed_until=-1)
    worker = skewed_worker(-HOUR)

    # when the worker an hour slow sweeps
    assert _run(broker, worker, "sweep_notices") == "1"

    # then it took the notice back and sent it once
    wait_for(lambda: _state(notice)[0] == NoticeStatus.SENT)
    assert _state(notice)[1] == 2
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
        notice.idempotency_key
    ]


@pytest.mark.parametrize("skew", [HOUR, -HOUR])
def test_a_skewed_worker_claims_for_the_claim_duration_by_the_database_clock(
    store_channel, receiver, broker, skewed_worker, skew
):
    # given a worker whose clock is an hour off, and a receiver that keeps it
    # waiting on its post
    receiver.hang_seconds_first = 4
    notice = _notice(store_channel, "claimed")
    skewed_worker(skew)

    # when the worker claims the notice and posts it
    broker.send_task("saleor_cs_plugin.deliver_notice", args=[str(notice.pk)])
    assert receiver.first_request_arrived.wait(timeout=60) is True
    status, attempts, claimed_until, _ = _state(notice)
    database_now = _database_now()

    # then its claim ends a claim's duration after the database's time of the
    # claim, not its own
    assert (status, attempts) == (NoticeStatus.SENDING, 1)
    assert timedelta(0) < claimed_until - database_now <= CLAIM
    wait_for(lambda: _state(notice)[0] == NoticeStatus.SENT)


def test_a_worker_an_hour_slow_does_not_post_a_notice_of_its_batch_whose_claim_ran_out(
    store_channel, receiver, broker, skewed_worker
):
    # given a worker an hour slow with a batch of two, whose first post outlasts
    # the claim; meanwhile another delivery takes the second, its claim run out by
    # the database's clock
    receiver.hang_seconds_first = 4
    first, second = _notice(store_channel, "first"), _notice(store_channel, "second")
    worker = skewed_worker(-HOUR)
    task_id = str(uuid.uuid4())
    broker.send_task(
        "saleor_cs_plugin.deliver_notices",
        args=[[str(first.pk), str(second.pk)]],
        task_id=task_id,
    )
    assert receiver.first_request_arrived.wait(timeout=60) is True
    time.sleep(CLAIM.total_seconds() + 0.3)
    taken_over = outbox.claim(second.pk)
    assert taken_over is not None

    # when the worker's first post returns
    wait_for(lambda: f"[{task_id}] succeeded" in worker.log_path.read_text())

    # then it did not post the second: the claim the database wrote had run out,
    # whatever the worker's own clock said
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
        first.idempotency_key
    ]
    assert _state(first)[0] == NoticeStatus.SENT
    assert _state(second)[:3] == (NoticeStatus.SENDING, 2, taken_over.claimed_until)
    assert "{'sent': 1, 'not due': 1}" in worker.log_path.read_text()
