"""Delivery through a real Celery worker on the local Redis: lost tasks, dead workers
and retries, which Celery's eager mode cannot show."""

import os
import time
import uuid

import psycopg
import pytest
import redis
from celery import Celery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.plugins.models import PluginConfiguration

from conftest import WEBHOOK_SECRET
from peers import CeleryWorker, WebhookReceiver, drop_channel, wait_for, webhook_channel
from saleor_cs_plugin import events, fetch, outbox, tasks
from saleor_cs_plugin.domain.history import ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry

BROKER_URL = os.environ.get("SALEOR_CS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")

# Committed data, so the worker process sees it; the flush after each test empties
# only the plugin's tables (the fixtures below remove the Saleor rows they add).
pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)


# Saleor's autouse fixtures of these names request ``db``, which would wrap each test
# in a transaction the worker process cannot see. These tests need none of them.
@pytest.fixture
def site_settings():
    return None


@pytest.fixture
def default_tax_class():
    return None


@pytest.fixture
def default_customer_type():
    return None


@pytest.fixture
def db_access(transactional_db):
    assert connection.in_atomic_block is False, (
        "A fixture opened a test transaction; the worker would see nothing."
    )
    assert connection.settings_dict["NAME"].startswith("test_")


@pytest.fixture
def receiver():
    webhook = WebhookReceiver(secret=WEBHOOK_SECRET).start()
    yield webhook
    webhook.stop()


@pytest.fixture
def store_channel(db_access, receiver):
    channel = webhook_channel(receiver.url, WEBHOOK_SECRET, retry_base_seconds="1")
    yield channel
    drop_channel(channel)


@pytest.fixture
def queue():
    name = f"saleor-cs-test-{uuid.uuid4().hex[:12]}"
    yield name
    redis.Redis.from_url(BROKER_URL).delete(name)


@pytest.fixture
def broker(queue):
    app = Celery("tests", broker=BROKER_URL)
    app.conf.task_default_queue = queue
    return app


@pytest.fixture
def start_worker(db_access, tmp_path, queue):
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    workers = []

    def start(own_queue=False):
        """A worker on the test's queue, or with ``own_queue`` on a queue of its own
        (``worker.queue``), so that a test decides which worker runs which task."""
        worker = CeleryWorker(
            broker_url=BROKER_URL,
            database_url=database_url,
            log_path=tmp_path / f"worker-{len(workers)}.log",
            queue=f"{queue}-{len(workers)}" if own_queue else queue,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
        if worker.queue != queue:
            redis.Redis.from_url(BROKER_URL).delete(worker.queue)


def _notice(channel, decision, recipient="shopper@example.com"):
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, channel.slug, decision),
        notice_settings=fetch.channel_settings(channel.pk).notices,
        recipient_email=recipient,
        context={"subject": "Your order is running late", "message": "Sorry."},
        channel=channel,
    )
    assert created is True
    return notice


def _status(notice):
    return Notice.objects.values_list("status", flat=True).get(pk=notice.pk)


def _sent_entries(notice):
    return ServiceHistoryEntry.objects.filter(
        type=EntryType.NOTICE_SENT, details__noticeId=str(notice.pk)
    ).count()


def test_sweep_delivers_a_notice_whose_task_was_lost(
    store_channel, receiver, broker, start_worker
):
    # given a notice recorded while its task never reached the broker
    notice = _notice(store_channel, "lost")
    start_worker()

    # when beat's sweep runs on the worker
    broker.send_task("saleor_cs_plugin.sweep_notices")

    # then the notice is delivered exactly once
    wait_for(lambda: _status(notice) == NoticeStatus.SENT)
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Idempotency-Key"] == notice.idempotency_key
    assert receiver.requests[0].is_signature_valid is True
    assert _sent_entries(notice) == 1


def test_notice_of_a_worker_killed_mid_send_is_delivered_by_the_sweep(
    store_channel, receiver, broker, start_worker
):
    # given a worker that dies while the receiver is still answering
    receiver.hang_seconds_first = 20
    notice = _notice(store_channel, "killed")
    worker = start_worker()
    broker.send_task("saleor_cs_plugin.deliver_notice", args=[str(notice.pk)])
    assert receiver.first_request_arrived.wait(timeout=60) is True
    worker.kill()
    assert _status(notice) == NoticeStatus.SENDING

    # when another worker sweeps after the dead worker's claim ran out
    start_worker()
    time.sleep(2.5)
    broker.send_task("saleor_cs_plugin.sweep_notices")

    # then the notice is sent, with the same idempotency key both times
    wait_for(lambda: _status(notice) == NoticeStatus.SENT)
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
        notice.idempotency_key,
        notice.idempotency_key,
    ]
    assert Notice.objects.get(pk=notice.pk).attempts == 2
    assert _sent_entries(notice) == 1


def test_notices_of_a_worker_killed_mid_batch_are_each_sent_and_recorded_once_more(
    store_channel, receiver, broker, start_worker
):
    # given a worker that dies while posting the first notice of a batch of three
    receiver.hang_seconds_first = 20
    notices = [_notice(store_channel, f"mid-batch-{n}") for n in range(3)]
    worker = start_worker()
    broker.send_task(
        "saleor_cs_plugin.deliver_notices", args=[[str(n.pk) for n in notices]]
    )
    assert receiver.first_request_arrived.wait(timeout=60) is True
    worker.kill()
    assert [
        (n.status, n.attempts) for n in Notice.objects.filter(channel=store_channel)
    ] == [(NoticeStatus.SENDING, 1)] * 3

    # when another worker sweeps after the dead worker's claims ran out
    start_worker()
    time.sleep(2.5)
    broker.send_task("saleor_cs_plugin.sweep_notices")

    # then each is sent and recorded once by it; the batch had counted an attempt
    # for each, the two it never reached included
    wait_for(
        lambda: Notice.objects.filter(
            channel=store_channel, status=NoticeStatus.SENT
        ).count()
        == 3
    )
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert keys[0] == notices[0].idempotency_key
    assert sorted(keys[1:]) == sorted(n.idempotency_key for n in notices)
    assert list(
        Notice.objects.filter(channel=store_channel).values_list("attempts", flat=True)
    ) == [2, 2, 2]
    assert [_sent_entries(n) for n in notices] == [1, 1, 1]


def test_5xx_is_retried_by_the_worker_after_a_backoff(
    store_channel, receiver, broker, start_worker
):
    receiver.planned_statuses = [500]
    notice = _notice(store_channel, "retried")
    start_worker()

    broker.send_task("saleor_cs_plugin.deliver_notice", args=[str(notice.pk)])

    wait_for(lambda: _status(notice) == NoticeStatus.SENT)
    delivered = Notice.objects.get(pk=notice.pk)
    assert delivered.attempts == 2
    assert len(receiver.requests) == 2
    assert _sent_entries(notice) == 1


def test_two_workers_sweeping_at_once_send_each_notice_once(
    store_channel, receiver, broker, start_worker
):
    # given twenty notices nobody delivered, and two workers
    notices = [_notice(store_channel, f"race-{n}") for n in range(20)]
    start_worker()
    start_worker()

    # when both workers sweep at the same moment
    broker.send_task("saleor_cs_plugin.sweep_notices")
    broker.send_task("saleor_cs_plugin.sweep_notices")

    # then every notice went out exactly once
    wait_for(
        lambda: Notice.objects.filter(
            channel=store_channel, status=NoticeStatus.SENT
        ).count()
        == len(notices),
        timeout=60,
    )
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert sorted(keys) == sorted(n.idempotency_key for n in notices)
    assert set(
        Notice.objects.filter(channel=store_channel).values_list("attempts", flat=True)
    ) == {1}


def test_two_workers_given_the_same_batch_at_once_send_each_notice_once(
    store_channel, receiver, broker, start_worker
):
    # given forty notices, and two workers that each get all of them in one batch,
    # one in the order given and one in reverse
    notices = [_notice(store_channel, f"batch-{n}") for n in range(40)]
    ids = [str(n.pk) for n in notices]
    first, second = start_worker(own_queue=True), start_worker(own_queue=True)

    # when both batches are queued at the same moment
    broker.send_task("saleor_cs_plugin.deliver_notices", args=[ids], queue=first.queue)
    broker.send_task(
        "saleor_cs_plugin.deliver_notices", args=[ids[::-1]], queue=second.queue
    )

    # then each notice was claimed by one of them, sent once and recorded once
    wait_for(
        lambda: Notice.objects.filter(
            channel=store_channel, status=NoticeStatus.SENT
        ).count()
        == len(notices),
        timeout=60,
    )
    time.sleep(1)  # a second send would have arrived by now
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert sorted(keys) == sorted(n.idempotency_key for n in notices)
    assert all(r.is_signature_valid for r in receiver.requests)
    assert set(
        Notice.objects.filter(channel=store_channel).values_list("attempts", flat=True)
    ) == {1}
    assert sorted(
        ServiceHistoryEntry.objects.filter(type=EntryType.NOTICE_SENT).values_list(
            "details__noticeId", flat=True
        )
    ) == sorted(ids)


# Run here, not by a worker, because only committed data shows when a commit is
# made without waiting for the disk.
def test_webhook_notices_of_a_batch_are_recorded_together_without_waiting_for_the_disk(
    store_channel, receiver
):
    # given three webhook notices
    notices = [_notice(store_channel, f"async-{n}") for n in range(3)]

    # when a batch delivers them
    with CaptureQueriesContext(connection) as queries:
        outcomes = tasks.deliver_notices_task([str(n.pk) for n in notices])

    # then the claim, then three posts, then one statement marked all three with
    # their entries, in a transaction whose commit did not wait for the disk
    assert outcomes == {"sent": 3}
    statements = [q["sql"] for q in queries]
    assert statements.count("SET LOCAL synchronous_commit TO OFF") == 1
    assert statements[-3] == "SET LOCAL synchronous_commit TO OFF"
    assert statements[-2].lstrip().startswith("WITH sent AS")
    assert statements[-1] == "COMMIT"
    # the notices were changed twice: claimed, then marked
    assert sum(f"UPDATE {Notice._meta.db_table}" in sql for sql in statements) == 2
    assert [_status(n) for n in notices] == [NoticeStatus.SENT] * 3
    assert [_sent_entries(n) for n in notices] == [1, 1, 1]
    assert len(receiver.requests) == 3


def test_notices_a_killed_worker_posted_but_had_not_recorded_go_again_with_their_keys(
    store_channel, receiver, broker, start_worker
):
    # given a batch whose first two notices go to one receiver and were posted, and
    # whose third goes to another receiver that keeps the worker waiting; the
    # worker dies there, before the batch recorded the first two
    second_receiver = WebhookReceiver(secret=WEBHOOK_SECRET).start()
    second_receiver.hang_seconds_first = 20
    other_channel = webhook_channel(
        second_receiver.url, WEBHOOK_SECRET, retry_base_seconds="1"
    )
    try:
        posted = [_notice(store_channel, f"posted-{n}") for n in range(2)]
        waiting = _notice(other_channel, "waiting")
        worker = start_worker()
        broker.send_task(
            "saleor_cs_plugin.deliver_notices",
            args=[[str(n.pk) for n in [*posted, waiting]]],
        )
        assert second_receiver.first_request_arrived.wait(timeout=60) is True
        worker.kill()
        assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
            n.idempotency_key for n in posted
        ]
        assert [_status(n) for n in posted] == [NoticeStatus.SENDING] * 2
        assert [_sent_entries(n) for n in posted] == [0, 0]

        # when another worker sweeps after the dead worker's claims ran out
        start_worker()
        time.sleep(2.5)
        broker.send_task("saleor_cs_plugin.sweep_notices")

        # then each was posted once more with its own key, and recorded once
        wait_for(
            lambda: [_status(n) for n in [*posted, waiting]] == [NoticeStatus.SENT] * 3
        )
        keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
        assert keys[:2] == [n.idempotency_key for n in posted]
        assert sorted(keys[2:]) == sorted(n.idempotency_key for n in posted)
        assert [r.headers["Idempotency-Key"] for r in second_receiver.requests] == [
            waiting.idempotency_key
        ] * 2
        assert [_sent_entries(n) for n in [*posted, waiting]] == [1, 1, 1]
        assert {Notice.objects.get(pk=n.pk).attempts for n in [*posted, waiting]} == {2}
    finally:
        drop_channel(other_channel)
        second_receiver.stop()


def test_a_mark_that_waits_for_the_disk_is_one_statement(store_channel):
    # given a claimed notice
    notice = outbox.claim(_notice(store_channel, "sync").pk)
    entry = events.notice_entry(notice, contact_channel=ContactChannel.EMAIL)

    # when it is marked sent as an e-mail would be
    with CaptureQueriesContext(connection) as queries:
        is_marked = outbox.mark_sent(notice, timezone.now(), entry)

    # then one statement marked it and wrote its entry
    assert is_marked is True
    assert len(queries) == 1
    assert _status(notice) == NoticeStatus.SENT
    assert _sent_entries(notice) == 1


def _drop_connections_on_first_post(receiver):
    """While the receiver takes its first post, the database terminates every
    other connection to the test database (the delivery's)."""
    database = connection.settings_dict

    def drop_connections(post_number):
        if post_number != 1:
            return
        with psycopg.connect(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"],
            dbname=database["NAME"],
            autocommit=True,
        ) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database["NAME"]],
            )

    receiver.before_answer = drop_connections


def test_a_batch_records_its_posts_after_the_database_drops_its_connections(
    store_channel, receiver
):
    # given three webhook notices of an essential type (nothing is read between
    # posts), and a database that drops the delivery's connections during the first
    notices = [_notice(store_channel, f"dropped-{n}") for n in range(3)]
    _drop_connections_on_first_post(receiver)

    # when a batch delivers them
    outcomes = tasks.deliver_notices_task([str(n.pk) for n in notices])

    # then the batch's one mark statement, on a new connection, records all three
    assert outcomes == {"sent": 3}
    assert [_status(n) for n in notices] == [NoticeStatus.SENT] * 3
    assert [_sent_entries(n) for n in notices] == [1, 1, 1]
    assert len(receiver.requests) == 3


def test_a_batch_goes_on_after_the_database_drops_its_connections(
    store_channel, receiver, settings
):
    # given three webhook notices that are not essential (the customer's recent
    # notices are read before each), to three customers, and a database that drops
    # the delivery's connections while the first is being posted
    settings.SALEOR_CS_NOTICE_CLAIM_SECONDS = 1
    PluginConfiguration.objects.filter(channel=store_channel).update(
        configuration=[
            {**item, "value": ""} if item["name"] == "essential_notice_types" else item
            for item in PluginConfiguration.objects.get(
                channel=store_channel
            ).configuration
        ]
    )
    notices = [
        _notice(store_channel, f"dropped-{n}", recipient=f"shopper{n}@example.com")
        for n in range(3)
    ]
    _drop_connections_on_first_post(receiver)

    # when a batch delivers them
    outcomes = tasks.deliver_notices_task([str(n.pk) for n in notices])

    # then the notice whose statement met the dropped connection is left claimed;
    # the connections are replaced, and the batch sends the third and records it
    # with the first
    assert outcomes == {"sent": 2, "error": 1}
    assert [_status(n) for n in notices] == [
        NoticeStatus.SENT,
        NoticeStatus.SENDING,
        NoticeStatus.SENT,
    ]
    assert [_sent_entries(n) for n in notices] == [1, 0, 1]
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [
        notices[0].idempotency_key,
        notices[2].idempotency_key,
    ]

    # and once its claim runs out, the sweep's delivery sends it, once
    time.sleep(1.2)
    assert tasks.deliver_notices_task([str(notices[1].pk)]) == {"sent": 1}
    assert [_status(n) for n in notices] == [NoticeStatus.SENT] * 3
    assert [_sent_entries(n) for n in notices] == [1, 1, 1]
    assert len(receiver.requests) == 3
