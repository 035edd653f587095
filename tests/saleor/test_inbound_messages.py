"""Customers' messages posted by the store's bridges to the channel's inbound address,
over HTTP to a live Saleor (pytest-django's ``live_server``, Saleor's own URLs and
plugin view): signatures, the replay window, size, duplicates, the format, and who a
message is linked to.

The address stores a post and answers; the filing task runs in Celery's eager mode
here (Saleor's test settings), so a post is filed before its answer is read. The
worker's own behaviour (a real worker, lost tasks, the sweep) is in
``test_inbound_worker.py``.
"""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import browser
import pytest
import requests
from django.utils import timezone
from kombu.exceptions import OperationalError
from saleor.account.models import Address, User
from saleor.graphql.tests.fixtures import ApiClient

from saleor_cs_plugin import tasks
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.conversations import (
    MAX_BODY_BYTES,
    ConversationStatus,
    Direction,
    inbound_signature,
)
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    InboundPost,
    ServiceHistoryEntry,
)

live_saleor = browser.live_saleor
replica_as_mirror = browser.replica_as_mirror

SECRET = "inbound-secret-0123456789"
ANN_EMAIL = "ann@example.com"
ANN_PHONE = "+48601000001"
GUEST_EMAIL = "guest@example.com"
GUEST_PHONE = "+48601000002"
SHARED_PHONE = "+48601000003"


@pytest.fixture
def inbound_url(live_saleor, plugin_configuration, channel_USD):
    plugin_configuration(inbound_secret=SECRET)
    return f"{live_saleor}/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/inbound/"


@pytest.fixture
def ann(db):
    user = User.objects.create(email=ANN_EMAIL)
    user.addresses.add(
        Address.objects.create(
            first_name="Ann", last_name="Lee", country="PL", phone=ANN_PHONE
        )
    )
    return user


@pytest.fixture
def guest_order(order_with_lines):
    order_with_lines.user = None
    order_with_lines.user_email = GUEST_EMAIL
    order_with_lines.billing_address = Address.objects.create(
        first_name="Gus", last_name="Guest", country="PL", phone=GUEST_PHONE
    )
    order_with_lines.save(update_fields=["user", "user_email", "billing_address"])
    return order_with_lines


def _payload(**values):
    return {
        "channel": "sms",
        "sender": ANN_PHONE,
        "text": "Where is my parcel?",
        "messageId": "bridge-1",
        "sentAt": datetime.now(UTC).isoformat(),
        **values,
    }


def _post(url, payload=None, *, body=None, secret=SECRET, timestamp=None, **headers):
    body = body if body is not None else json.dumps(payload).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signed = {
        "Content-Type": "application/json",
        "X-Saleor-CS-Timestamp": timestamp,
        "X-Saleor-CS-Signature": inbound_signature(secret, timestamp, body),
    }
    return requests.post(url, data=body, headers={**signed, **headers}, timeout=30)


def _conversation(message_id):
    return ConversationMessage.objects.get(bridge_message_id=message_id).conversation


def test_a_signed_message_opens_a_conversation_the_customer_sees(
    inbound_url, ann, channel_USD
):
    # when Ann's e-mail bridge posts her message
    response = _post(
        inbound_url,
        _payload(channel="email", sender="Ann@Example.com", messageId="mail-1"),
    )

    # then it is taken and filed into a new conversation linked to her account
    assert response.status_code == 202
    assert response.json() == {
        "accepted": True,
        "duplicate": False,
        "messageId": "mail-1",
    }
    conversation = Conversation.objects.get()
    assert (
        conversation.channel_id,
        conversation.contact_channel,
        conversation.sender,
        conversation.user_id,
        conversation.customer_email,
        conversation.status,
        conversation.reopened,
    ) == (
        channel_USD.pk,
        ContactChannel.EMAIL,
        ANN_EMAIL,
        ann.pk,
        ANN_EMAIL,
        ConversationStatus.WAITING_ON_STORE,
        0,
    )
    (message,) = conversation.messages.all()
    assert (message.direction, message.text) == (
        Direction.CUSTOMER,
        "Where is my parcel?",
    )
    assert conversation.waiting_since == message.sent_at
    entry = ServiceHistoryEntry.objects.get(type=EntryType.MESSAGE)
    assert message.entry_id == entry.pk
    assert (
        entry.user_id,
        entry.contact_channel,
        entry.actor,
        entry.is_customer_visible,
        entry.message,
        entry.details,
    ) == (
        ann.pk,
        ContactChannel.EMAIL,
        Actor.CUSTOMER,
        True,
        "Where is my parcel?",
        {"conversationId": str(conversation.pk), "direction": "customer"},
    )

    # and the post that took it is marked filed, without her address or words
    post = InboundPost.objects.get()
    assert (
        post.channel_id,
        post.bridge_message_id,
        post.contact_channel,
        post.sender,
        post.text,
        post.filed_at is not None,
    ) == (channel_USD.pk, "mail-1", ContactChannel.EMAIL, "", "", True)

    # and Ann reads it in her own service history
    history = ApiClient(user=ann).post_graphql(
        "{ me { serviceHistory(first: 5) { edges { node { type message "
        "contactChannel actor } } } } }"
    )
    assert history.json()["data"]["me"]["serviceHistory"]["edges"] == [
        {
            "node": {
                "type": "MESSAGE",
                "message": "Where is my parcel?",
                "contactChannel": "EMAIL",
                "actor": "CUSTOMER",
            }
        }
    ]


def test_the_same_message_posted_twice_is_filed_once(inbound_url, ann):
    first = _post(inbound_url, _payload(messageId="twice"))
    second = _post(inbound_url, _payload(messageId="twice", text="changed"))

    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json(), second.json()) == (
        {"accepted": True, "duplicate": False, "messageId": "twice"},
        {"accepted": True, "duplicate": True, "messageId": "twice"},
    )
    assert InboundPost.objects.count() == 1
    assert list(ConversationMessage.objects.values_list("text", flat=True)) == [
        "Where is my parcel?"
    ]
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 1


def test_messages_of_one_sender_share_a_conversation_and_reopen_it(inbound_url, ann):
    _post(inbound_url, _payload(messageId="m-1"))
    _post(inbound_url, _payload(messageId="m-2", text="Hello?"))
    conversation = _conversation("m-1")
    assert _conversation("m-2").pk == conversation.pk
    Conversation.objects.filter(pk=conversation.pk).update(
        status=ConversationStatus.RESOLVED, resolved_at=datetime.now(UTC)
    )

    _post(inbound_url, _payload(messageId="m-3", text="It came broken."))

    conversation.refresh_from_db()
    assert _conversation("m-3").pk == conversation.pk
    assert (conversation.status, conversation.reopened) == (
        ConversationStatus.WAITING_ON_STORE,
        1,
    )
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 3


@pytest.mark.parametrize(
    ("sender", "contact_channel", "linked"),
    [
        ("+48 601 000 001", "sms", "ann"),
        ("ann@example.com", "chat", "ann"),
        ("+48601000002", "phone", "guest"),
        ("GUEST@example.com", "email", "guest"),
        (SHARED_PHONE, "sms", None),
        ("@ann_lee", "social", None),
        ("+15550001234", "sms", None),
        ("nobody@example.com", "email", None),
    ],
)
def test_a_sender_is_linked_only_through_an_identity_the_store_holds(
    inbound_url, ann, guest_order, sender, contact_channel, linked
):
    # given two accounts that share a phone number
    for number in (1, 2):
        User.objects.create(email=f"shared{number}@example.com").addresses.add(
            Address.objects.create(country="PL", phone=SHARED_PHONE)
        )

    response = _post(
        inbound_url,
        _payload(channel=contact_channel, sender=sender, messageId="who"),
    )

    assert response.status_code == 202
    conversation = _conversation("who")
    assert (conversation.user_id, conversation.customer_email) == {
        "ann": (ann.pk, ANN_EMAIL),
        "guest": (None, GUEST_EMAIL),
        None: (None, ""),
    }[linked]
    entry = ServiceHistoryEntry.objects.get(type=EntryType.MESSAGE)
    assert entry.is_customer_visible is (linked is not None)


def test_an_order_number_alone_links_nothing_and_says_nothing(
    inbound_url, ann, guest_order
):
    # when a stranger, then Ann, name the guest's order
    stranger = _post(
        inbound_url,
        _payload(
            sender="+15550001234",
            orderReference=str(guest_order.number),
            messageId="stranger",
        ),
    )
    other = _post(
        inbound_url,
        _payload(orderReference=f"#{guest_order.number}", messageId="ann"),
    )

    # then neither conversation is linked to the order or to the guest, and the
    # answers are alike
    assert (stranger.status_code, other.status_code) == (202, 202)
    assert set(stranger.json()) == set(other.json())
    assert (_conversation("stranger").order_id, _conversation("stranger").user_id) == (
        None,
        None,
    )
    assert _conversation("stranger").customer_email == ""
    assert _conversation("ann").order_id is None
    assert not ServiceHistoryEntry.objects.filter(order=guest_order).exists()


def test_the_customers_own_order_is_attached(inbound_url, guest_order):
    _post(
        inbound_url,
        _payload(
            sender=GUEST_PHONE, orderReference=str(guest_order.number), messageId="g"
        ),
    )

    conversation = _conversation("g")
    assert (conversation.order_id, conversation.customer_email) == (
        guest_order.pk,
        GUEST_EMAIL,
    )
    assert ServiceHistoryEntry.objects.get(type=EntryType.MESSAGE).order_id == (
        guest_order.pk
    )


def _refusals(url):
    now = int(time.time())
    body = json.dumps(_payload()).encode()
    return {
        "bad signature": (
            _post(url, _payload(), secret="another-secret-0123456789"),
            401,
            "X-Saleor-CS-Signature: does not match; it is the hexadecimal "
            "HMAC-SHA256 of '<X-Saleor-CS-Timestamp>.<body>' under the channel's "
            "inbound secret.",
        ),
        "signed six minutes ago": (
            _post(url, _payload(), timestamp=str(now - 360)),
            401,
            f"X-Saleor-CS-Timestamp: {now - 360} is more than five minutes from the "
            f"store's time ({now}); sign the post when sending it.",
        ),
        "no timestamp": (
            requests.post(
                url,
                data=body,
                headers={"X-Saleor-CS-Signature": "0" * 64},
                timeout=30,
            ),
            400,
            "X-Saleor-CS-Timestamp: required, the Unix time in seconds at which "
            "the body was signed.",
        ),
        "too large": (
            _post(url, body=b" " * (MAX_BODY_BYTES + 1)),
            413,
            "The body is over 65,536 bytes, or its length is unsaid.",
        ),
        "not a post": (
            requests.get(url, timeout=30),
            405,
            "Post the message (POST), as JSON.",
        ),
    }


def test_posts_that_are_not_the_bridges_are_refused_with_the_reason(inbound_url):
    refusals = _refusals(inbound_url)

    assert {
        name: (response.status_code, response.json())
        for name, (response, _, _) in refusals.items()
    } == {
        name: (status, {"error": reason})
        for name, (_, status, reason) in refusals.items()
    }
    assert refusals["not a post"][0].headers["Allow"] == "POST"
    # the answers never name the secret
    assert not [name for name, (r, _, _) in refusals.items() if SECRET in r.text]
    assert not InboundPost.objects.exists()
    assert not Conversation.objects.exists()
    assert not ServiceHistoryEntry.objects.exists()


def test_a_message_with_wrong_fields_is_refused_field_by_field(inbound_url):
    response = _post(
        inbound_url,
        {
            "channel": "pigeon",
            "sender": "",
            "text": "a\x00b",
            "messageId": "x" * 256,
            "sentAt": "yesterday",
            "colour": "red",
        },
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "The message has wrong fields.",
        "fields": {
            "body": "unknown field colour; the fields are: channel, sender, text, "
            "messageId, sentAt, orderReference.",
            "channel": "'pigeon' is not a contact channel; use one of: sms, chat, "
            "social, email, phone.",
            "sender": "required, a non-empty string.",
            "text": "character 2 (U+0000) is a control character; remove it.",
            "messageId": "has 256 characters; at most 255.",
            "sentAt": "'yesterday' is not a time in ISO 8601 with its offset, e.g. "
            "2026-12-01T09:30:00Z.",
        },
    }
    assert not InboundPost.objects.exists()
    assert not Conversation.objects.exists()


def test_a_channel_without_an_inbound_secret_takes_no_messages(
    live_saleor, plugin_configuration, channel_USD
):
    plugin_configuration(inbound_secret="")
    url = f"{live_saleor}/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/inbound/"

    response = _post(url, _payload(), secret="")

    assert (response.status_code, response.json()) == (
        403,
        {
            "error": "Inbound messages are off in this channel: set its inbound "
            "secret in the plugin's settings."
        },
    )
    assert not Conversation.objects.exists()


def test_a_bridge_clock_ahead_of_the_store_does_not_date_a_message_later(
    inbound_url, ann
):
    ahead = datetime.now(UTC) + timedelta(hours=3)

    _post(inbound_url, _payload(sentAt=ahead.isoformat(), messageId="ahead"))

    message = ConversationMessage.objects.get(bridge_message_id="ahead")
    assert message.sent_at <= datetime.now(UTC)
    assert message.conversation.waiting_since == message.sent_at


def test_a_deleted_customer_leaves_the_conversations_times_but_not_who_or_what(
    inbound_url, ann
):
    # given Ann's conversation
    _post(inbound_url, _payload(messageId="before"))
    conversation = _conversation("before")

    # when her account is deleted
    ann.delete()

    # then the conversation keeps its channel, status and times, and forgets her
    conversation.refresh_from_db()
    assert (
        conversation.user_id,
        conversation.customer_email,
        conversation.sender,
        conversation.contact_channel,
        conversation.status,
    ) == (None, "", "", ContactChannel.SMS, ConversationStatus.WAITING_ON_STORE)
    assert conversation.waiting_since is not None
    assert list(conversation.messages.values_list("text", flat=True)) == [""]
    assert ServiceHistoryEntry.objects.get(type=EntryType.MESSAGE).message == ""

    # and her number writing again opens a new, unlinked conversation
    _post(inbound_url, _payload(messageId="after"))
    again = _conversation("after")
    assert again.pk != conversation.pk
    assert (again.sender, again.user_id) == (ANN_PHONE, None)


def _at_once(calls):
    """Run each call in a thread of its own, released together; their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=30)
        results[index] = call()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_messages_racing_from_one_new_sender_open_one_conversation(inbound_url):
    responses = _at_once(
        [
            lambda n=n: _post(
                inbound_url, _payload(sender="+15550009999", messageId=f"race-{n}")
            )
            for n in range(8)
        ]
    )

    assert [r.status_code for r in responses] == [202] * 8
    assert Conversation.objects.count() == 1
    assert set(
        ConversationMessage.objects.values_list("conversation_id", flat=True)
    ) == {Conversation.objects.get().pk}
    assert ConversationMessage.objects.count() == 8
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 8


def test_the_same_message_racing_with_itself_is_filed_once(inbound_url):
    responses = _at_once(
        [lambda: _post(inbound_url, _payload(messageId="retried")) for _ in range(6)]
    )

    assert [r.status_code for r in responses] == [202] * 6
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 5
    assert InboundPost.objects.count() == 1
    assert ConversationMessage.objects.count() == 1
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 1


def test_a_post_whose_broker_is_down_is_taken_and_filed_by_the_sweep(
    inbound_url, ann, monkeypatch
):
    # given a broker that refuses the filing task
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker.")

    monkeypatch.setattr(tasks.file_inbound_post_task, "delay", broker_down)

    # when Ann's message is posted
    response = _post(inbound_url, _payload(messageId="no-broker"))

    # then it is taken, stored and not filed yet
    assert (response.status_code, response.json()) == (
        202,
        {"accepted": True, "duplicate": False, "messageId": "no-broker"},
    )
    post = InboundPost.objects.get()
    assert (post.bridge_message_id, post.sender, post.filed_at) == (
        "no-broker",
        ANN_PHONE,
        None,
    )
    assert not ConversationMessage.objects.exists()

    # and a repeat of it is a duplicate even before it is filed
    again = _post(inbound_url, _payload(messageId="no-broker"))
    assert again.json()["duplicate"] is True
    assert InboundPost.objects.count() == 1

    # when the sweep runs after the grace period
    assert tasks.sweep_inbound_posts_task() == 0
    InboundPost.objects.update(
        created_at=timezone.now() - tasks.UNFILED_POST_GRACE - timedelta(seconds=1)
    )
    assert tasks.sweep_inbound_posts_task() == 1

    # then the message is filed once, linked to Ann, and the sweep is done with it
    message = ConversationMessage.objects.get()
    assert (message.bridge_message_id, message.conversation.user_id) == (
        "no-broker",
        ann.pk,
    )
    assert ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).count() == 1
    assert tasks.sweep_inbound_posts_task() == 0
