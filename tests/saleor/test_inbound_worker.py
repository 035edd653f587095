"""Inbound posts filed by a real Celery worker on the local Redis: a post filed once
however often its task runs, a post whose task was lost filed by the sweep, and the
same message id taken once when two posts of it race. Eager mode cannot show these.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone
from saleor.account.models import Address, User
from saleor.celeryconf import app as celery_app

from peers import CeleryWorker, drop_channel, race, wait_for, webhook_channel
from saleor_cs_plugin import tasks
from saleor_cs_plugin.apps import SWEEP_INBOUND_POSTS_BEAT_ENTRY
from saleor_cs_plugin.conversations import posts
from saleor_cs_plugin.domain.conversations import InboundMessage
from saleor_cs_plugin.domain.history import ContactChannel, EntryType
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    InboundPost,
    ServiceHistoryEntry,
)
from test_notice_worker import (  # noqa: F401 - the worker tier's fixtures
    db_access,
    default_customer_type,
    default_tax_class,
    site_settings,
)

BROKER_URL = os.environ.get("SALEOR_CS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
# A number of its own in each run: rows a crashed run left behind share no number.
PHONE = f"+4860{uuid.uuid4().int % 10**7:07d}"

# Committed data, so the worker process sees it; the flush after each test empties
# only the plugin's tables (the fixtures below remove the Saleor rows they add).
pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)


def _drop_conversations():
    """Remove the rows these tests file. Outside ``available_apps`` Django does not
    follow the plugin's foreign keys when a channel or a user is deleted."""
    ConversationMessage.objects.all().delete()
    ServiceHistoryEntry.objects.all().delete()
    Conversation.objects.all().delete()
    InboundPost.objects.all().delete()


@pytest.fixture
def store_channel(db_access):
    channel = webhook_channel("http://127.0.0.1:9/unused", "w" * 32)
    yield channel
    _drop_conversations()
    drop_channel(channel)


@pytest.fixture
def customer(db_access):
    user = User.objects.create(email=f"{uuid.uuid4().hex[:8]}@example.com")
    address = Address.objects.create(country="PL", phone=PHONE)
    user.addresses.add(address)
    yield user
    _drop_conversations()
    user.addresses.clear()
    address.delete()
    user.delete()


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
def worker(db_access, tmp_path, queue):
    settings = connection.settings_dict
    started = CeleryWorker(
        broker_url=BROKER_URL,
        database_url=(
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        ),
        log_path=tmp_path / "worker.log",
        queue=queue,
    ).start()
    yield started
    started.stop()


def _message(message_id, text="Where is my parcel?"):
    return InboundMessage(
        contact_channel=ContactChannel.SMS,
        sender=f"{PHONE[:3]} {PHONE[3:6]} {PHONE[6:9]} {PHONE[9:]}",
        text=text,
        message_id=message_id,
        sent_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    )


def _filed(post_id) -> bool:
    return InboundPost.objects.filter(pk=post_id, filed_at__isnull=False).exists()


def test_a_post_is_filed_by_the_worker_once_however_often_its_task_runs(
    store_channel, customer, broker, worker
):
    # given a post the inbound address took
    post_id = posts.take(store_channel.pk, _message("sms-1"))

    # when its task reaches the worker three times (a retried publish, a redelivery)
    for _ in range(3):
        broker.send_task("saleor_cs_plugin.file_inbound_post", args=[str(post_id)])

    # then the message is filed once into the customer's conversation
    wait_for(lambda: _filed(post_id))
    wait_for(lambda: redis.Redis.from_url(BROKER_URL).llen(worker.queue) == 0)
    message = ConversationMessage.objects.get()
    conversation = Conversation.objects.get()
    assert (
        message.bridge_message_id,
        message.text,
        message.sent_at,
        conversation.sender,
        conversation.user_id,
    ) == (
        "sms-1",
        "Where is my parcel?",
        datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        PHONE,
        customer.pk,
    )
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 1
    # and the post keeps only the id it took, not who wrote or what
    post = InboundPost.objects.get()
    assert (post.bridge_message_id, post.sender, post.text) == ("sms-1", "", "")


def test_posts_whose_tasks_were_lost_are_filed_by_the_sweep(
    store_channel, customer, broker, worker
):
    # given two posts whose tasks never reached the broker, taken past the grace
    # period, and one taken just now (its task may still be on its way)
    lost = [posts.take(store_channel.pk, _message(f"lost-{n}")) for n in range(2)]
    InboundPost.objects.filter(pk__in=lost).update(
        created_at=timezone.now() - tasks.UNFILED_POST_GRACE - timedelta(seconds=1)
    )
    recent = posts.take(store_channel.pk, _message("recent"))

    # when beat's sweep runs on the worker
    result = broker.send_task("saleor_cs_plugin.sweep_inbound_posts")

    # then the lost ones are filed, once each, and the recent one is left to its task
    wait_for(lambda: all(_filed(post_id) for post_id in lost))
    wait_for(lambda: redis.Redis.from_url(BROKER_URL).llen(worker.queue) == 0)
    assert result.id
    assert sorted(
        ConversationMessage.objects.values_list("bridge_message_id", flat=True)
    ) == ["lost-0", "lost-1"]
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 2
    assert _filed(recent) is False


def test_two_posts_of_one_message_id_racing_take_it_once(store_channel):
    # when the same message id is taken by two requests at the same moment
    taken = race(
        lambda: posts.take(store_channel.pk, _message("raced", text="first")),
        lambda: posts.take(store_channel.pk, _message("raced", text="second")),
    )

    # then one of them stores it and the other is answered as a duplicate
    assert sorted(post_id is None for post_id in taken) == [False, True]
    assert InboundPost.objects.filter(bridge_message_id="raced").count() == 1


def test_a_post_filed_by_two_workers_at_once_is_filed_once(store_channel, customer):
    post_id = posts.take(store_channel.pk, _message("twice"))

    filed = race(lambda: posts.file_post(post_id), lambda: posts.file_post(post_id))

    assert sorted(result is None for result in filed) == [False, True]
    assert ConversationMessage.objects.count() == 1
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 1


def test_the_inbound_sweep_is_registered_with_celery_beat():
    entry = celery_app.conf.beat_schedule[SWEEP_INBOUND_POSTS_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.sweep_inbound_posts"
    assert entry["schedule"].total_seconds() == 60
    assert {
        "saleor_cs_plugin.sweep_inbound_posts",
        "saleor_cs_plugin.file_inbound_post",
    } <= set(celery_app.tasks)
