"""Answer-time targets: the waiting sweep alerts staff once per wait when a customer
has waited past the target of their contact channel, counted in the store's
answering hours (frozen time, Europe/Warsaw, 9-17 on weekdays)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from saleor.graphql.tests.utils import get_graphql_content

from saleor_cs_plugin import tasks
from saleor_cs_plugin.conversations import record, waiting
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.conversations import ConversationStatus, InboundMessage
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.models import Conversation, StaffAlert

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")


def _warsaw(*args):
    return datetime(*args, tzinfo=WARSAW)


@pytest.fixture
def store(plugin_configuration, channel_USD):
    plugin_configuration(
        time_zone="Europe/Warsaw",
        answer_hours="9-17",
        answer_targets="chat 5 minutes, email 24 hours",
        promise_holidays="2026-12-24",
    )
    return channel_USD


def _message(store, at, *, sender="+48601000009", channel=ContactChannel.CHAT, n=1):
    with freeze_time(at):
        return record.file_message(
            channel=store,
            sender=sender,
            message=InboundMessage(
                contact_channel=channel,
                sender=sender,
                text="Hello?",
                message_id=f"{sender}-{at.isoformat()}-{n}",
                sent_at=at,
            ),
            customer=None,
        )


def _sweep(at):
    with freeze_time(at):
        return waiting.sweep_waiting(at.astimezone(WARSAW))


def _alerts():
    return list(
        StaffAlert.objects.filter(kind=AlertKind.CONVERSATION_WAITING).values_list(
            "title", "occurrences"
        )
    )


def test_a_chat_waiting_past_five_minutes_is_alerted_once(store):
    # given a chat message on Tuesday at 10:00
    filed = _message(store, _warsaw(2026, 12, 1, 10, 0))

    # when the sweep runs a minute before its target, at it, and after
    before = _sweep(_warsaw(2026, 12, 1, 10, 4))
    at = _sweep(_warsaw(2026, 12, 1, 10, 5))
    after = _sweep(_warsaw(2026, 12, 1, 10, 30))

    # then one alert, raised at the target, for staff of the channel
    assert (before.alerted, at.alerted, after.alerted) == (0, 1, 0)
    alert = StaffAlert.objects.get(kind=AlertKind.CONVERSATION_WAITING)
    assert (alert.channel_id, alert.title, alert.message, alert.details) == (
        store.pk,
        "Customer waiting past the chat answer target",
        "The customer (+48601000009) has waited on chat since 1 Dec 2026, 10:00 "
        "Europe/Warsaw, longer than the target of 5 minutes in working hours. "
        "Answer them; marking this alert done does not answer them.",
        {
            "conversationId": str(filed.conversation_id),
            "contactChannel": "chat",
            "waitingSince": "2026-12-01T09:00:00+00:00",
        },
    )
    conversation = Conversation.objects.get(pk=filed.conversation_id)
    assert conversation.waiting_alerted_at == _warsaw(2026, 12, 1, 10, 5)


@pytest.mark.parametrize(
    ("sent", "channel", "not_yet", "due"),
    [
        # a chat at night counts from the opening
        (
            _warsaw(2026, 12, 1, 23, 0),
            ContactChannel.CHAT,
            _warsaw(2026, 12, 2, 9, 4),
            _warsaw(2026, 12, 2, 9, 5),
        ),
        # an e-mail on Friday at 12:00: 24 working hours end on Wednesday at 12:00
        (
            _warsaw(2026, 12, 4, 12, 0),
            ContactChannel.EMAIL,
            _warsaw(2026, 12, 9, 11, 59),
            _warsaw(2026, 12, 9, 12, 0),
        ),
        # a chat on 23 December at 16:58: Christmas Eve is a day off
        (
            _warsaw(2026, 12, 23, 16, 58),
            ContactChannel.CHAT,
            _warsaw(2026, 12, 25, 9, 2),
            _warsaw(2026, 12, 25, 9, 3),
        ),
    ],
)
def test_targets_count_only_the_answering_hours(store, sent, channel, not_yet, due):
    _message(store, sent, channel=channel, sender="care@example.com")

    assert _sweep(not_yet).alerted == 0
    assert _sweep(due).alerted == 1
    assert len(_alerts()) == 1


def test_a_channel_without_a_target_is_never_alerted(store):
    _message(store, _warsaw(2026, 12, 1, 10, 0), channel=ContactChannel.SMS)

    assert _sweep(_warsaw(2026, 12, 10, 10, 0)).alerted == 0
    assert _alerts() == []


def test_a_new_wait_after_an_answer_is_alerted_again(store):
    # given a wait that was alerted, then answered by the store
    filed = _message(store, _warsaw(2026, 12, 1, 10, 0))
    _sweep(_warsaw(2026, 12, 1, 10, 5))
    Conversation.objects.filter(pk=filed.conversation_id).update(
        status=ConversationStatus.WAITING_ON_CUSTOMER
    )

    # when the customer writes again and waits past the target
    _message(store, _warsaw(2026, 12, 1, 11, 0), n=2)
    report = _sweep(_warsaw(2026, 12, 1, 11, 5))

    # then a second alert, for the second wait
    assert report.alerted == 1
    assert StaffAlert.objects.filter(kind=AlertKind.CONVERSATION_WAITING).count() == 2


def test_only_the_waits_due_are_read_and_the_sweep_stops_at_the_first_not_due(
    store,
):
    # given three chats of one morning, from three senders
    for minute, sender in (
        (0, "+48601000001"),
        (3, "+48601000002"),
        (9, "+48601000003"),
    ):
        _message(store, _warsaw(2026, 12, 1, 10, minute), sender=sender)

    # when the sweep runs at 10:08
    report = _sweep(_warsaw(2026, 12, 1, 10, 8))

    # then the two older than five minutes were read and alerted; the third was not
    # read at all
    assert (report.alerted, report.looked_at) == (2, 2)


def test_two_sweeps_at_once_alert_a_wait_once(store):
    _message(store, _warsaw(2026, 12, 1, 10, 0))

    first = _sweep(_warsaw(2026, 12, 1, 10, 6))
    # A sweep that read the wait before the first marked it: its mark takes nothing.
    second = waiting._alert(
        store.pk,
        ContactChannel.CHAT,
        waiting.fetch.channel_settings(store.pk).conversations.answer_hours,
        timedelta(minutes=5),
        list(
            Conversation.objects.values_list(
                "pk", "waiting_since", "sender", "order__number"
            )
        ),
        _warsaw(2026, 12, 1, 10, 6),
    )

    assert (first.alerted, second) == (1, 0)
    assert _alerts() == [("Customer waiting past the chat answer target", 1)]


def test_the_alert_is_in_the_staff_inbox_for_manage_orders(
    store, staff_in_group, permission_manage_orders
):
    _message(store, _warsaw(2026, 12, 1, 10, 0))
    _sweep(_warsaw(2026, 12, 1, 10, 5))
    staff = staff_in_group(permission_manage_orders)

    content = get_graphql_content(
        staff.post_graphql(
            "{ serviceStaffAlerts(first: 5, filter: { kinds: [CONVERSATION_WAITING] })"
            " { edges { node { kind title channel { slug } } } } }"
        )
    )

    assert content["data"]["serviceStaffAlerts"]["edges"] == [
        {
            "node": {
                "kind": "CONVERSATION_WAITING",
                "title": "Customer waiting past the chat answer target",
                "channel": {"slug": store.slug},
            }
        }
    ]


def test_the_task_sweeps_now(store):
    _message(store, datetime.now(WARSAW) - timedelta(days=10))

    # Ten days cover more than five minutes of working time in any week.
    assert tasks.sweep_waiting_conversations_task() == 1
