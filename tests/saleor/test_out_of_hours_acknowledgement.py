"""The automatic acknowledgement: a message that arrives outside the answering hours
gets, on the same channel and in the customer's language, when the store will
answer; at most once per conversation per day of the store's calendar. Posted to a
real local webhook receiver (Saleor's test settings run the delivery task at once,
after commit)."""

from datetime import UTC, datetime

import pytest
from django.test import TestCase
from freezegun import freeze_time
from saleor.account.models import User

from saleor_cs_plugin import fetch, tasks
from saleor_cs_plugin.conversations import identity, record
from saleor_cs_plugin.domain.conversations import InboundMessage
from saleor_cs_plugin.domain.history import ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import Conversation, Notice, ServiceHistoryEntry

WEBHOOK_SECRET = "a-test-secret-of-32-characters!!"
PHONE = "+48601000001"


@pytest.fixture
def store(plugin_configuration, webhook_receiver, channel_USD):
    plugin_configuration(
        time_zone="Europe/Warsaw",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        answer_hours="9-17",
        answer_targets="sms 1 hour, chat 5 minutes",
        acknowledge_out_of_hours="yes",
    )
    return channel_USD


def _file(channel, at: str, message_id: str, *, sender=PHONE, customer=None):
    with freeze_time(at), TestCase.captureOnCommitCallbacks(execute=True):
        filed = record.file_message(
            channel=channel,
            sender=sender,
            message=InboundMessage(
                contact_channel=ContactChannel.SMS,
                sender=sender,
                text="Hello?",
                message_id=message_id,
                sent_at=datetime.now(UTC),
            ),
            customer=customer,
            channel_settings=fetch.channel_settings(channel.pk),
        )
        tasks.schedule_delivery(filed.notice_ids)
    return filed


def _acknowledgements():
    return list(
        Notice.objects.filter(
            notice_type=NoticeType.CONVERSATION_ACKNOWLEDGEMENT
        ).order_by("created_at")
    )


def test_a_message_at_night_is_acknowledged_once_with_the_answer_time(
    store, webhook_receiver
):
    # Tuesday 1 December 2026, 22:30 in Warsaw (21:30 UTC), and again at 23:50
    _file(store, "2026-12-01 21:30:00", "sms-1")
    _file(store, "2026-12-01 22:50:00", "sms-2")

    (notice,) = _acknowledgements()
    (post,) = webhook_receiver.requests
    body = post.json
    assert post.is_signature_valid
    assert body["type"] == "conversation_acknowledgement"
    assert body["subject"] == "We have your message"
    # due an hour after Wednesday's opening at 9:00
    assert body["text"] == (
        "Thank you for your message. Nobody is answering at the moment; we will "
        "answer you by December 2, 2026, 10:00\u202fAM CET."
    )
    conversation = Conversation.objects.get()
    assert body["data"] == {
        "conversationId": str(conversation.pk),
        "contactChannel": "sms",
        "to": PHONE,
        "answerBy": "2026-12-02T09:00:00+00:00",
    }
    assert notice.idempotency_key == (
        f"conversation_acknowledgement:{conversation.pk}:2026-12-01"
    )
    # the acknowledgement is the plugin's, in the staff's view of the history
    assert ServiceHistoryEntry.objects.filter(type=EntryType.NOTICE_SENT).count() == 1


def test_the_next_day_brings_another_acknowledgement_and_open_hours_none(
    store, webhook_receiver
):
    _file(store, "2026-12-01 21:30:00", "sms-1")
    # after midnight in Warsaw (23:30 UTC is 00:30 on Wednesday)
    _file(store, "2026-12-01 23:30:00", "sms-2")
    # Wednesday 10:00 in Warsaw: open
    _file(store, "2026-12-02 09:00:00", "sms-3")

    keys = [notice.idempotency_key.rsplit(":", 1)[1] for notice in _acknowledgements()]
    assert keys == ["2026-12-01", "2026-12-02"]
    assert len(webhook_receiver.requests) == 2


def test_acknowledgements_are_off_unless_the_merchant_says_yes(
    plugin_configuration, webhook_receiver, channel_USD
):
    plugin_configuration(
        time_zone="Europe/Warsaw",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
    )

    _file(channel_USD, "2026-12-01 21:30:00", "sms-1")

    assert _acknowledgements() == []
    assert webhook_receiver.requests == []


def test_the_acknowledgement_speaks_the_customers_language(store, webhook_receiver):
    user = User.objects.create(email="ola@example.com", language_code="pl")

    _file(
        store,
        "2026-12-05 11:00:00",  # Saturday
        "sms-1",
        customer=identity.Customer(user_id=user.pk, email=user.email),
    )

    (post,) = webhook_receiver.requests
    assert post.json["subject"] == "Mamy Twoją wiadomość"
    assert post.json["language"] == "pl"
    assert post.json["text"].startswith(
        "Dziękujemy za wiadomość. W tej chwili nikt nie odpowiada; odpowiemy Ci do "
        "7 grudnia 2026"
    )
