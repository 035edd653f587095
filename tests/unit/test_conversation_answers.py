"""The store's side of a conversation: where its reply goes, where the conversation
stands after it, the automatic acknowledgement out of answering hours, the texts
staff and customers type, and the speed of answer measured per contact channel."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from saleor_cs_plugin.domain.conversations import (
    AnswerHours,
    AnswerSpeed,
    ConversationStatus,
    ConversationTimes,
    ReportedProblem,
    ReplyOutcome,
    acknowledgement_due,
    acknowledgement_key,
    after_reply,
    answer_speed,
    check_written_text,
    percentile,
    reopens,
    reply_transport,
    report_message,
)
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.notices import Transport
from saleor_cs_plugin.domain.promises import StoreCalendar
from saleor_cs_plugin.domain.text import Unwanted, first_unwanted

WARSAW = StoreCalendar(
    time_zone="Europe/Warsaw",
    working_weekdays=frozenset(range(5)),
    holidays=frozenset({date(2026, 12, 24)}),
)
HOURS = AnswerHours(calendar=WARSAW, opens=9, closes=17)


def _warsaw(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.mark.parametrize(
    ("contact_channel", "transport"),
    [
        (ContactChannel.SMS, Transport.WEBHOOK),
        (ContactChannel.CHAT, Transport.WEBHOOK),
        (ContactChannel.SOCIAL, Transport.WEBHOOK),
        (ContactChannel.PHONE, Transport.WEBHOOK),
        (ContactChannel.EMAIL, Transport.EMAIL),
        (ContactChannel.WEB, Transport.EMAIL),
    ],
)
def test_a_reply_goes_back_the_way_the_customer_wrote(contact_channel, transport):
    assert reply_transport(contact_channel) == transport


def test_a_first_reply_ends_the_wait_and_is_kept_as_the_first_answer():
    now = _warsaw(2026, 12, 1, 10, 0)

    assert after_reply(
        first_answered_at=None,
        resolved_at=None,
        store_replies=0,
        now=now,
        is_resolving=False,
    ) == ReplyOutcome(
        status=ConversationStatus.WAITING_ON_CUSTOMER,
        first_answered_at=now,
        resolved_at=None,
        store_replies=1,
    )


def test_a_later_reply_that_resolves_keeps_the_first_answer():
    first = _warsaw(2026, 12, 1, 10, 0)
    now = _warsaw(2026, 12, 1, 12, 0)

    assert after_reply(
        first_answered_at=first,
        resolved_at=None,
        store_replies=2,
        now=now,
        is_resolving=True,
    ) == ReplyOutcome(
        status=ConversationStatus.RESOLVED,
        first_answered_at=first,
        resolved_at=now,
        store_replies=3,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Your parcel left today.\nTracking: 123", ""),
        ("\tIndented, with a tab", ""),
        ("   ", "required, a non-empty text."),
        ("", "required, a non-empty text."),
        ("x" * 5001, "has 5,001 characters; at most 5,000."),
        ("bell\x07", "character 5 (U+0007) is a control character; remove it."),
        ("C1\x85", "character 3 (U+0085) is a control character; remove it."),
    ],
)
def test_a_typed_text_is_checked(text, problem):
    assert check_written_text(text, max_length=5000) == problem


def test_a_report_says_its_kind_before_the_customers_words():
    assert report_message(ReportedProblem.DAMAGED, "  The box was crushed.  ") == (
        "Problem reported: something arrived damaged.\n\nThe box was crushed."
    )


@pytest.mark.parametrize(
    ("now", "last", "is_due"),
    [
        # Open hours: staff answer themselves.
        (_warsaw(2026, 12, 1, 10, 0), None, False),
        # Tuesday night, never acknowledged.
        (_warsaw(2026, 12, 1, 22, 0), None, True),
        # Again the same night, after midnight of UTC but not of Warsaw.
        (_warsaw(2026, 12, 1, 23, 30), _warsaw(2026, 12, 1, 22, 0), False),
        # After midnight in Warsaw: a new day.
        (_warsaw(2026, 12, 2, 0, 30), _warsaw(2026, 12, 1, 22, 0), True),
        # Saturday noon: closed all day.
        (_warsaw(2026, 12, 5, 12, 0), _warsaw(2026, 12, 4, 20, 0), True),
        # Christmas Eve, a holiday, in the afternoon.
        (_warsaw(2026, 12, 24, 15, 0), None, True),
        # Just before opening and just at closing.
        (_warsaw(2026, 12, 2, 8, 59), None, True),
        (_warsaw(2026, 12, 2, 17, 0), None, True),
    ],
)
def test_a_message_out_of_hours_is_acknowledged_once_a_day(now, last, is_due):
    assert (
        acknowledgement_due(hours=HOURS, now=now, last_acknowledged_at=last) is is_due
    )


def test_the_acknowledgement_key_is_the_stores_day():
    late = _warsaw(2026, 12, 1, 23, 30)  # 22:30 UTC
    early = _warsaw(2026, 12, 2, 0, 30)  # 23:30 UTC, still 1 December in UTC

    assert acknowledgement_key("c1", late, "Europe/Warsaw") == (
        "conversation_acknowledgement:c1:2026-12-01"
    )
    assert acknowledgement_key("c1", early, "Europe/Warsaw") == (
        "conversation_acknowledgement:c1:2026-12-02"
    )


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([10.0, 1.0, 4.0, 3.0, 2.0], 0.5, 3.0),
        # rank 0.9 * 9 = 8.1: between the 9th (9) and the 10th (100)
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0], 0.9, 18.1),
    ],
)
def test_percentiles_interpolate_as_postgresql_does(values, share, expected):
    if expected is None:
        assert percentile(values, share) is None
    else:
        assert percentile(values, share) == pytest.approx(expected)


def _times(channel, opened, answered=None, resolved=None, replies=0, reopened=0):
    status = (
        ConversationStatus.RESOLVED
        if resolved
        else ConversationStatus.WAITING_ON_CUSTOMER
        if answered
        else ConversationStatus.WAITING_ON_STORE
    )
    return ConversationTimes(
        contact_channel=channel,
        opened_at=opened,
        first_answered_at=answered,
        resolved_at=resolved,
        store_replies=replies,
        reopened=reopened,
        status=status,
    )


def test_speed_of_answer_of_a_constructed_history():
    tuesday = _warsaw(2026, 12, 1, 10, 0)
    minute = timedelta(minutes=1)
    conversations = [
        # Chat (target 5 minutes): answered in 2, 4 and 30 minutes; one resolved
        # at the first reply, one after two replies, one reopened.
        _times(
            ContactChannel.CHAT, tuesday, tuesday + 2 * minute, tuesday + 10 * minute, 1
        ),
        _times(
            ContactChannel.CHAT, tuesday, tuesday + 4 * minute, tuesday + 20 * minute, 2
        ),
        _times(
            ContactChannel.CHAT,
            tuesday,
            tuesday + 30 * minute,
            tuesday + 60 * minute,
            1,
            reopened=1,
        ),
        # Chat, never answered, past its target: missed.
        _times(ContactChannel.CHAT, tuesday),
        # Chat, just written: not counted for the target yet.
        _times(ContactChannel.CHAT, tuesday + 58 * minute),
        # E-mail on Friday 16:00 (target 24 working hours: due Wednesday 16:00),
        # answered Monday 9:00: within, 65 hours in plain time.
        _times(
            ContactChannel.EMAIL,
            _warsaw(2026, 12, 4, 16, 0),
            _warsaw(2026, 12, 7, 9, 0),
        ),
    ]

    speeds = answer_speed(conversations, hours=HOURS, now=tuesday + 60 * minute)

    assert speeds == [
        AnswerSpeed(
            contact_channel=ContactChannel.EMAIL,
            opened=1,
            answered=1,
            first_answer_p50=65 * 3600.0,
            first_answer_p90=65 * 3600.0,
            answered_within_target=1,
            with_target=1,
            resolved=0,
            handle_p50=None,
            handle_p90=None,
            resolved_at_first_contact=0,
        ),
        AnswerSpeed(
            contact_channel=ContactChannel.CHAT,
            opened=5,
            answered=3,
            first_answer_p50=240.0,
            # rank 1.8 of [120, 240, 1800]: 240 + 0.8 * 1560
            first_answer_p90=pytest.approx(1488.0),
            answered_within_target=2,
            with_target=4,
            resolved=3,
            handle_p50=1200.0,
            handle_p90=pytest.approx(3120.0),
            resolved_at_first_contact=1,
        ),
    ]


@pytest.mark.parametrize(
    ("resolved_at", "sent_at", "is_reopening"),
    [
        (None, _warsaw(2026, 12, 1, 10, 0), False),
        (_warsaw(2026, 12, 1, 10, 0), _warsaw(2026, 12, 1, 11, 0), True),
        (_warsaw(2026, 12, 1, 10, 0), _warsaw(2026, 12, 15, 10, 0), True),
        (_warsaw(2026, 12, 1, 10, 0), _warsaw(2026, 12, 15, 10, 1), False),
    ],
)
def test_a_message_reopens_a_conversation_resolved_up_to_two_weeks_before(
    resolved_at, sent_at, is_reopening
):
    assert reopens(resolved_at, sent_at) is is_reopening


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("plain text", {}, None),
        ("a\tb\nc", {"allowed": "\t\n\r"}, None),
        ("a\tb", {}, (2, "\t", Unwanted.CONTROL)),
        ("a\x00b", {"allowed": "\t\n\r"}, (2, "\x00", Unwanted.UNSTORABLE)),
        ("ab\ud800", {}, (3, "\ud800", Unwanted.UNSTORABLE)),
        ("x\x9b", {}, (2, "\x9b", Unwanted.CONTROL)),
        ("a\u2028b", {}, None),
        ("a\u2028b", {"one_line": True}, (2, "\u2028", Unwanted.CONTROL)),
        ("\tab\x07", {"start": 1}, (4, "\x07", Unwanted.CONTROL)),
    ],
)
def test_the_first_unwanted_character_of_a_typed_text(text, options, expected):
    found = first_unwanted(text, **options)
    if expected is None:
        assert found is None
    else:
        assert (found.position, found.character, found.kind) == expected
