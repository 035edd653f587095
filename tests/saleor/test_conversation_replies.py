"""The store's side of conversations through Saleor's /graphql/ endpoint: staff list
and read them, reply (delivered once to a real local webhook receiver or SMTP
server, on the customer's own channel), resolve them, and link an unknown sender
to a customer by hand; who may do which."""

import email
from email import policy

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content

from saleor_cs_plugin import staff_alerts, tasks
from saleor_cs_plugin.conversations import record
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.conversations import (
    ConversationStatus,
    Direction,
    InboundMessage,
)
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    Notice,
    ServiceHistoryEntry,
    StaffAlert,
)

WEBHOOK_SECRET = "a-test-secret-of-32-characters!!"
PHONE = "+48601000001"

CONVERSATIONS = """
query ($filter: ServiceConversationFilterInput) {
  serviceConversations(first: 10, filter: $filter) {
    totalCount
    edges { node {
      id contactChannel sender isLinked customerEmail status storeReplies
      messages { direction text bridgeMessageId }
    } }
  }
}
"""

CONVERSATION = """
query ($id: ID!) {
  serviceConversation(id: $id) {
    id status sender firstAnsweredAt resolvedAt waitingSince storeReplies
    isResolvedAtFirstContact
    messages {
      direction text
      actingUser { email }
      notice { status transport type }
    }
  }
}
"""

REPLY = """
mutation ($id: ID!, $text: String!, $resolve: Boolean, $replyKey: String) {
  serviceConversationReply(
    id: $id, text: $text, resolve: $resolve, replyKey: $replyKey
  ) {
    conversation { status storeReplies }
    message { id direction text notice { status transport } }
    errors { field code message }
  }
}
"""

RESOLVE = """
mutation ($id: ID!) {
  serviceConversationResolve(id: $id) {
    conversation { status }
    errors { field code message }
  }
}
"""

LINK = """
mutation ($id: ID!, $customer: ID, $email: String, $order: ID) {
  serviceConversationLink(id: $id, customer: $customer, email: $email, order: $order) {
    conversation { isLinked customerEmail }
    errors { field code message }
  }
}
"""

MY_HISTORY = """
{ me { serviceHistory(first: 10) { edges { node { type message } } } } }
"""


def _id(conversation) -> str:
    return graphene.Node.to_global_id("ServiceConversation", conversation.pk)


def _file(channel, *, sender=PHONE, contact_channel=ContactChannel.SMS, **values):
    message = InboundMessage(
        contact_channel=contact_channel,
        sender=sender,
        text=values.pop("text", "Where is my parcel?"),
        message_id=values.pop("message_id", "bridge-1"),
        sent_at=values.pop("sent_at", timezone.now()),
    )
    filed = record.file_message(
        channel=channel, sender=sender, message=message, customer=None, **values
    )
    return Conversation.objects.get(pk=filed.conversation_id)


@pytest.fixture
def webhook_store(plugin_configuration, webhook_receiver):
    # Quiet hours now, in the store's zone (UTC): notices wait, answers do not.
    hour = timezone.now().hour
    return plugin_configuration(
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        notice_transports="*=webhook",
        quiet_hours=f"{(hour - 1) % 24}-{(hour + 2) % 24}",
    )


@pytest.fixture
def orders_staff(staff_in_group, permission_manage_orders):
    return staff_in_group(permission_manage_orders)


def test_a_reply_goes_back_once_to_the_bridge_the_customer_wrote_from(
    webhook_store, webhook_receiver, channel_USD, orders_staff
):
    # given an SMS waiting on the store, with its waiting alert raised
    conversation = _file(channel_USD)
    staff_alerts.raise_alert(
        kind=AlertKind.CONVERSATION_WAITING,
        cause_key=(
            f"conversation_waiting:{conversation.pk}:"
            f"{conversation.waiting_since.isoformat()}"
        ),
        title="Customer waiting",
        message="",
        now=timezone.now(),
        channel_id=channel_USD.pk,
    )

    # when staff reply in the store's quiet hours
    content = get_graphql_content(
        orders_staff.post_graphql(
            REPLY,
            {"id": _id(conversation), "text": "It left today.\nTracking: 77"},
        )
    )["data"]["serviceConversationReply"]
    # (Saleor's test settings run the delivery task at once, after commit.)
    (notice,) = Notice.objects.all()
    again = tasks.deliver_notice(notice.pk)

    # then it is posted to the bridge once, at once, signed, for the same sender
    assert content["errors"] == []
    assert content["conversation"] == {
        "status": "WAITING_ON_CUSTOMER",
        "storeReplies": 1,
    }
    assert content["message"]["direction"] == "STORE"
    assert content["message"]["notice"] == {"status": "PENDING", "transport": "WEBHOOK"}
    assert again == "not due"
    (post,) = webhook_receiver.requests
    assert post.is_signature_valid
    body = post.json
    message = ConversationMessage.objects.get(direction=Direction.STORE)
    assert (body["type"], body["text"], body["channel"]) == (
        "conversation_reply",
        "It left today.\nTracking: 77",
        channel_USD.slug,
    )
    assert body["data"] == {
        "conversationId": str(conversation.pk),
        "messageId": str(message.pk),
        "contactChannel": "sms",
        "to": PHONE,
        "inReplyTo": "bridge-1",
    }
    assert post.headers["Idempotency-Key"] == f"conversation_reply:{message.pk}"
    conversation.refresh_from_db()
    assert (
        conversation.status,
        conversation.waiting_since,
        conversation.store_replies,
    ) == (ConversationStatus.WAITING_ON_CUSTOMER, None, 1)
    assert conversation.first_answered_at == message.sent_at
    # the wait's alert is done; the reply is in the history, its delivery for staff
    (alert,) = StaffAlert.objects.all()
    assert alert.resolved_at is not None
    assert alert.resolved_by_user_id == orders_staff.user.pk
    entries = ServiceHistoryEntry.objects.order_by("created_at", "type")
    assert [(e.type, e.actor, e.is_customer_visible) for e in entries] == [
        (EntryType.MESSAGE, Actor.CUSTOMER, False),
        (EntryType.MESSAGE, Actor.STAFF, False),
        (EntryType.NOTICE_SENT, Actor.PLUGIN, False),
    ]
    assert Notice.objects.get().status == NoticeStatus.SENT


def test_the_same_reply_key_twice_sends_one_reply(
    webhook_store, webhook_receiver, channel_USD, orders_staff
):
    conversation = _file(channel_USD)
    variables = {"id": _id(conversation), "text": "On its way.", "replyKey": "box-1"}

    first = get_graphql_content(orders_staff.post_graphql(REPLY, variables))
    second = get_graphql_content(
        orders_staff.post_graphql(REPLY, {**variables, "text": "Typed again."})
    )
    first = first["data"]["serviceConversationReply"]
    second = second["data"]["serviceConversationReply"]
    assert second["errors"] == []
    assert second["message"]["id"] == first["message"]["id"]
    assert second["message"]["text"] == "On its way."
    assert ConversationMessage.objects.filter(direction=Direction.STORE).count() == 1
    assert Notice.objects.count() == 1
    assert len(webhook_receiver.requests) == 1
    assert Conversation.objects.get().store_replies == 1


def test_a_reply_to_an_email_conversation_goes_by_email_and_can_resolve(
    plugin_configuration, smtp_receiver, channel_USD, orders_staff
):
    plugin_configuration(
        notice_transports="*=saleor_notify",
        smtp_host="127.0.0.1",
        smtp_port=str(smtp_receiver.port),
        smtp_security="none",
        sender_address="care@example.com",
    )
    conversation = _file(
        channel_USD,
        sender="ann@example.com",
        contact_channel=ContactChannel.EMAIL,
        message_id="mail-1",
    )

    content = get_graphql_content(
        orders_staff.post_graphql(
            REPLY,
            {"id": _id(conversation), "text": "Refunded today.", "resolve": True},
        )
    )["data"]["serviceConversationReply"]
    assert Notice.objects.get().status == NoticeStatus.SENT

    assert content["conversation"] == {"status": "RESOLVED", "storeReplies": 1}
    assert content["message"]["notice"]["transport"] == "EMAIL"
    (received,) = smtp_receiver.messages
    assert received["to"] == ["ann@example.com"]
    mail = email.message_from_bytes(received["data"], policy=policy.default)
    assert mail["Subject"] == "Re: your message"
    assert mail.get_body(("plain",)).get_content().strip() == "Refunded today."
    read = get_graphql_content(
        orders_staff.post_graphql(CONVERSATION, {"id": _id(conversation)})
    )["data"]["serviceConversation"]
    assert read["status"] == "RESOLVED"
    assert read["isResolvedAtFirstContact"] is True
    assert read["waitingSince"] is None
    assert [m["direction"] for m in read["messages"]] == ["CUSTOMER", "STORE"]
    assert read["messages"][1]["notice"] == {
        "status": "SENT",
        "transport": "EMAIL",
        "type": "CONVERSATION_REPLY",
    }
    assert read["messages"][1]["actingUser"] == {"email": orders_staff.user.email}


@pytest.mark.parametrize(
    ("contact_channel", "sender", "message"),
    [
        (
            ContactChannel.SMS,
            PHONE,
            "Replies to this conversation go back through your bridge, and the "
            "channel's webhook URL is empty; set it (and its secret) first.",
        ),
        (
            ContactChannel.EMAIL,
            "ann@example.com",
            "Replies to this conversation go by e-mail, and the channel's e-mail "
            "settings (SMTP host, sender address) are empty; fill them in first.",
        ),
    ],
)
def test_a_reply_that_cannot_be_delivered_is_refused_and_changes_nothing(
    plugin_configuration, channel_USD, orders_staff, contact_channel, sender, message
):
    # given a channel with neither a webhook nor an SMTP server
    plugin_configuration()
    conversation = _file(channel_USD, contact_channel=contact_channel, sender=sender)

    content = get_graphql_content(
        orders_staff.post_graphql(REPLY, {"id": _id(conversation), "text": "Hi"})
    )["data"]["serviceConversationReply"]

    assert content["errors"] == [
        {"field": "id", "code": "NOT_DELIVERABLE", "message": message}
    ]
    assert Notice.objects.count() == 0
    assert ConversationMessage.objects.filter(direction=Direction.STORE).count() == 0
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.WAITING_ON_STORE


@pytest.mark.parametrize(
    ("variables", "field", "message"),
    [
        ({"text": "  "}, "text", "required, a non-empty text."),
        ({"text": "x" * 5001}, "text", "has 5,001 characters; at most 5,000."),
        (
            {"text": "ok", "replyKey": "k" * 101},
            "replyKey",
            "has 101 characters; at most 100.",
        ),
    ],
)
def test_a_wrong_reply_names_its_field(
    webhook_store, channel_USD, orders_staff, variables, field, message
):
    conversation = _file(channel_USD)

    content = get_graphql_content(
        orders_staff.post_graphql(REPLY, {"id": _id(conversation), **variables})
    )["data"]["serviceConversationReply"]

    assert content["errors"] == [
        {"field": field, "code": "INVALID", "message": message}
    ]
    assert Notice.objects.count() == 0


def test_staff_resolve_a_conversation_and_a_new_message_reopens_it(
    webhook_store, channel_USD, orders_staff
):
    conversation = _file(channel_USD)

    first = get_graphql_content(
        orders_staff.post_graphql(RESOLVE, {"id": _id(conversation)})
    )["data"]["serviceConversationResolve"]
    again = get_graphql_content(
        orders_staff.post_graphql(RESOLVE, {"id": _id(conversation)})
    )["data"]["serviceConversationResolve"]
    _file(channel_USD, message_id="bridge-2", text="Still nothing.")

    assert first == {"conversation": {"status": "RESOLVED"}, "errors": []}
    conversation.refresh_from_db()
    (error,) = again["errors"]
    assert (error["field"], error["code"]) == ("id", "ALREADY_RESOLVED")
    assert (conversation.status, conversation.reopened, conversation.resolved_at) == (
        ConversationStatus.WAITING_ON_STORE,
        1,
        None,
    )
    # resolved without a reply: not a first-contact resolution
    assert conversation.store_replies == 0


def test_staff_list_and_filter_conversations(
    webhook_store, channel_USD, channel_PLN, orders_staff
):
    sms = _file(channel_USD)
    _file(
        channel_USD,
        sender="@ann",
        contact_channel=ContactChannel.SOCIAL,
        message_id="dm-1",
    )
    _file(channel_PLN, message_id="pln-1")

    def senders(filter_input):
        content = get_graphql_content(
            orders_staff.post_graphql(CONVERSATIONS, {"filter": filter_input})
        )["data"]["serviceConversations"]
        return sorted(
            (edge["node"]["sender"], edge["node"]["contactChannel"])
            for edge in content["edges"]
        )

    assert senders({"channels": [channel_USD.slug]}) == [
        ("+48601000001", "SMS"),
        ("@ann", "SOCIAL"),
    ]
    assert senders({"contactChannels": ["SOCIAL"]}) == [("@ann", "SOCIAL")]
    assert senders({"statuses": ["RESOLVED"]}) == []
    assert senders({"isLinked": True}) == []
    assert senders({"sender": PHONE}) == [(PHONE, "SMS"), (PHONE, "SMS")]
    content = get_graphql_content(
        orders_staff.post_graphql(CONVERSATIONS, {"filter": {"sender": "@ann"}})
    )["data"]["serviceConversations"]
    assert content["edges"][0]["node"]["messages"] == [
        {
            "direction": "CUSTOMER",
            "text": "Where is my parcel?",
            "bridgeMessageId": "dm-1",
        }
    ]
    assert sms.pk


def test_staff_of_another_channel_do_not_find_the_conversation(
    webhook_store, channel_USD, channel_PLN, staff_in_group, permission_manage_orders
):
    conversation = _file(channel_USD)
    restricted = staff_in_group(permission_manage_orders, channels=[channel_PLN])

    listed = get_graphql_content(restricted.post_graphql(CONVERSATIONS, {}))
    read = get_graphql_content(
        restricted.post_graphql(CONVERSATION, {"id": _id(conversation)})
    )
    replied = get_graphql_content(
        restricted.post_graphql(REPLY, {"id": _id(conversation), "text": "Hi"})
    )["data"]["serviceConversationReply"]

    assert listed["data"]["serviceConversations"]["totalCount"] == 0
    assert read["data"]["serviceConversation"] is None
    assert replied["errors"] == [
        {
            "field": "id",
            "code": "NOT_FOUND",
            "message": f"No conversation you may see has the ID '{_id(conversation)}'.",
        }
    ]
    assert Notice.objects.count() == 0


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("api_client", None),
        ("user_api_client", None),
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_users"),
        ("app_api_client", None),
    ],
)
def test_conversations_need_manage_orders(
    webhook_store, channel_USD, caller, client_name, permission_name
):
    conversation = _file(channel_USD)
    client = caller(client_name, permission_name)

    assert_no_permission(client.post_graphql(CONVERSATIONS, {}))
    assert_no_permission(client.post_graphql(CONVERSATION, {"id": _id(conversation)}))
    assert_no_permission(
        client.post_graphql(REPLY, {"id": _id(conversation), "text": "Hi"})
    )
    assert_no_permission(client.post_graphql(RESOLVE, {"id": _id(conversation)}))
    assert_no_permission(
        client.post_graphql(LINK, {"id": _id(conversation), "email": "a@b.c"})
    )
    assert Notice.objects.count() == 0
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.WAITING_ON_STORE


def test_an_app_with_manage_orders_replies_as_the_app(
    webhook_store, channel_USD, app_api_client, permission_manage_orders
):
    app_api_client.app.permissions.add(permission_manage_orders)
    conversation = _file(channel_USD)

    content = get_graphql_content(
        app_api_client.post_graphql(REPLY, {"id": _id(conversation), "text": "Hi"})
    )["data"]["serviceConversationReply"]

    assert content["errors"] == []
    message = ConversationMessage.objects.get(direction=Direction.STORE)
    assert (message.acting_app_id, message.acting_user_id) == (
        app_api_client.app.pk,
        None,
    )
    assert message.entry.actor == Actor.APP


def test_staff_link_an_unknown_sender_and_the_customer_then_sees_the_messages(
    webhook_store, channel_USD, orders_staff, customer_user, user_api_client, order
):
    # given a handle the plugin cannot link, and a reply already sent
    conversation = _file(
        channel_USD,
        sender="@ann",
        contact_channel=ContactChannel.SOCIAL,
        message_id="dm-1",
    )
    get_graphql_content(
        orders_staff.post_graphql(REPLY, {"id": _id(conversation), "text": "Hello"})
    )
    order.user = customer_user
    order.channel = channel_USD
    order.save(update_fields=["user", "channel"])
    assert (
        get_graphql_content(user_api_client.post_graphql(MY_HISTORY))["data"]["me"][
            "serviceHistory"
        ]["edges"]
        == []
    )

    # when staff link it to the customer's account and order
    content = get_graphql_content(
        orders_staff.post_graphql(
            LINK,
            {
                "id": _id(conversation),
                "customer": graphene.Node.to_global_id("User", customer_user.pk),
                "order": graphene.Node.to_global_id("Order", order.pk),
            },
        )
    )["data"]["serviceConversationLink"]

    # then the customer sees both messages
    assert content == {
        "conversation": {"isLinked": True, "customerEmail": customer_user.email},
        "errors": [],
    }
    history = get_graphql_content(user_api_client.post_graphql(MY_HISTORY))["data"][
        "me"
    ]["serviceHistory"]["edges"]
    assert sorted(edge["node"]["message"] for edge in history) == [
        "Hello",
        "Where is my parcel?",
    ]
    conversation.refresh_from_db()
    assert (conversation.user_id, conversation.order_id) == (customer_user.pk, order.pk)
    assert set(
        ServiceHistoryEntry.objects.filter(type=EntryType.MESSAGE).values_list(
            "order_id", flat=True
        )
    ) == {order.pk}


def test_a_link_names_what_is_wrong(
    webhook_store, channel_USD, orders_staff, customer_user, customer_user2, order
):
    conversation = _file(channel_USD)
    customer = graphene.Node.to_global_id("User", customer_user.pk)

    def errors(variables):
        return get_graphql_content(
            orders_staff.post_graphql(LINK, {"id": _id(conversation), **variables})
        )["data"]["serviceConversationLink"]["errors"]

    assert errors({}) == [
        {
            "field": "customer",
            "code": "REQUIRED",
            "message": "Give either customer (an account's ID) or email, not both.",
        }
    ]
    assert errors({"email": "nobody@example.com"}) == [
        {
            "field": "email",
            "code": "INVALID",
            "message": "No account, and no order of a guest, has this e-mail; give "
            "an e-mail the store knows, or the customer's account.",
        }
    ]
    # someone else's order
    order.user = customer_user2
    order.user_email = customer_user2.email
    order.save(update_fields=["user", "user_email"])
    assert errors(
        {"customer": customer, "order": graphene.Node.to_global_id("Order", order.pk)}
    ) == [
        {
            "field": "order",
            "code": "INVALID",
            "message": "The order is not this customer's order in the "
            "conversation's channel.",
        }
    ]
    assert errors({"email": customer_user.email.upper()}) == []
    assert errors(
        {"customer": graphene.Node.to_global_id("User", customer_user2.pk)}
    ) == [
        {
            "field": "id",
            "code": "ALREADY_LINKED",
            "message": "The conversation is linked to another customer already.",
        }
    ]
    conversation.refresh_from_db()
    assert conversation.user_id == customer_user.pk
    # the same customer again changes nothing
    assert errors({"email": customer_user.email}) == []


def test_a_message_weeks_after_the_resolution_opens_a_new_conversation(
    webhook_store, channel_USD, orders_staff
):
    with freeze_time("2026-11-01 10:00:00"):
        old = _file(channel_USD)
        get_graphql_content(orders_staff.post_graphql(RESOLVE, {"id": _id(old)}))
    with freeze_time("2026-11-16 10:01:00"):
        new = _file(channel_USD, message_id="bridge-2", text="A new question.")

    assert new.pk != old.pk
    old.refresh_from_db()
    assert (old.status, old.reopened) == (ConversationStatus.RESOLVED, 0)
    assert (new.status, new.reopened) == (ConversationStatus.WAITING_ON_STORE, 0)
    assert [m.text for m in new.messages.all()] == ["A new question."]


def test_no_reply_where_the_plugin_is_off(
    plugin_configuration, channel_USD, orders_staff
):
    plugin_configuration(active=False)
    conversation = _file(channel_USD)

    content = get_graphql_content(
        orders_staff.post_graphql(REPLY, {"id": _id(conversation), "text": "Hi"})
    )["data"]["serviceConversationReply"]

    assert content["errors"] == [
        {
            "field": "id",
            "code": "NOT_ACTIVE",
            "message": "The plugin is not active in the conversation's channel, so "
            "no reply can be delivered there.",
        }
    ]
    assert Notice.objects.count() == 0


def test_the_list_reads_in_as_many_queries_for_two_conversations_as_for_ten(
    webhook_store, channel_USD, orders_staff
):
    def queries(count):
        for number in range(count):
            _file(
                channel_USD,
                sender=f"+4860100{number:04d}",
                message_id=f"bridge-{count}-{number}",
            )
        with CaptureQueriesContext(connection) as captured:
            content = get_graphql_content(orders_staff.post_graphql(CONVERSATIONS, {}))
        assert content["data"]["serviceConversations"]["totalCount"] >= count
        Conversation.objects.all().delete()
        return len(captured)

    queries(1)  # Saleor reads its caches once (permissions, channels)
    assert queries(2) == queries(10)
