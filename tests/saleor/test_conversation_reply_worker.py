"""A staff reply delivered by a real Celery worker on the local Redis to a real
webhook receiver: once, also when its task was lost and the sweep finds it."""

import time

import pytest
from django.utils import timezone

from peers import wait_for
from saleor_cs_plugin import fetch
from saleor_cs_plugin.conversations import record, reply
from saleor_cs_plugin.domain.conversations import InboundMessage
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.notices import NoticeStatus
from saleor_cs_plugin.models import Conversation, ConversationMessage, Notice
from test_notice_worker import (  # noqa: F401 - the worker tier's fixtures
    broker,
    db_access,
    default_customer_type,
    default_tax_class,
    queue,
    receiver,
    site_settings,
    start_worker,
    store_channel,
)

pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)

PHONE = "+15550100001"


def _waiting_conversation(channel) -> Conversation:
    filed = record.file_message(
        channel=channel,
        sender=PHONE,
        message=InboundMessage(
            contact_channel=ContactChannel.SMS,
            sender=PHONE,
            text="Is my order on its way?",
            message_id="sms-worker-1",
            sent_at=timezone.now(),
        ),
        customer=None,
    )
    return Conversation.objects.get(pk=filed.conversation_id)


def test_a_reply_whose_task_was_lost_reaches_the_bridge_once(
    store_channel, receiver, broker, start_worker
):
    # given a reply recorded while its task never reached the broker
    conversation = _waiting_conversation(store_channel)
    replied = reply.reply(
        conversation,
        text="Yes: it left this morning.",
        is_resolving=False,
        reply_key="",
        channel_settings=fetch.channel_settings(store_channel.pk),
        now=timezone.now(),
    )
    start_worker()

    # when beat's sweep runs on the worker, twice
    broker.send_task("saleor_cs_plugin.sweep_notices")
    wait_for(
        lambda: Notice.objects.get(pk=replied.notice_id).status == NoticeStatus.SENT
    )
    broker.send_task("saleor_cs_plugin.sweep_notices")
    broker.send_task("saleor_cs_plugin.deliver_notice", args=[str(replied.notice_id)])

    # then, once the worker has had time for both, the bridge got it once, for the
    # sender, with the reply's key
    time.sleep(3)
    message = ConversationMessage.objects.get(pk=replied.message_id)
    (post,) = receiver.requests
    assert post.is_signature_valid is True
    assert post.headers["Idempotency-Key"] == f"conversation_reply:{message.pk}"
    assert (post.json["data"]["to"], post.json["text"]) == (
        PHONE,
        "Yes: it left this morning.",
    )
    assert Notice.objects.get(pk=replied.notice_id).attempts == 1
