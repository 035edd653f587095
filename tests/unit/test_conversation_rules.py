"""Inbound posts of the store's bridges: the signature, the replay window, the size,
the format; and first-contact resolution, derived."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from saleor_cs_plugin.domain.conversations import (
    MAX_BODY_BYTES,
    AnswerHours,
    ConversationStatus,
    InboundMessage,
    Refusal,
    check_post,
    inbound_signature,
    is_resolved_at_first_contact,
    read_inbound,
)
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.promises import StoreCalendar

SECRET = "inbound-secret-0123456789"
# The worked example of docs/inbound.md.
EXAMPLE_BODY = (
    b'{"channel":"sms","sender":"+48601000001","text":"Where is my parcel?",'
    b'"messageId":"sms-8841","sentAt":"2025-12-01T09:29:58Z","orderReference":"1042"}'
)
EXAMPLE_TIMESTAMP = "1764581400"
SIGNED_AT = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)


def test_the_documented_example_is_signed_as_the_docs_say():
    assert inbound_signature(SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY) == (
        "e301921026892c29b5e247cec91e0d43bdaa5d7c984618e989088a4e0f5100c2"
    )
    assert read_inbound(EXAMPLE_BODY) == InboundMessage(
        contact_channel=ContactChannel.SMS,
        sender="+48601000001",
        text="Where is my parcel?",
        message_id="sms-8841",
        sent_at=datetime(2025, 12, 1, 9, 29, 58, tzinfo=UTC),
        order_reference="1042",
    )


def _check(**overrides):
    values = {
        "secret": SECRET,
        "timestamp": EXAMPLE_TIMESTAMP,
        "signature": inbound_signature(SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY),
        "body": EXAMPLE_BODY,
        "now": SIGNED_AT,
        **overrides,
    }
    return check_post(**values)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, None),
        ({"now": datetime(2025, 12, 1, 9, 35, tzinfo=UTC)}, None),
        ({"now": datetime(2025, 12, 1, 9, 25, tzinfo=UTC)}, None),
        ({"now": datetime(2025, 12, 1, 9, 35, 1, tzinfo=UTC)}, 401),
        ({"now": datetime(2025, 12, 1, 9, 24, 59, tzinfo=UTC)}, 401),
        ({"secret": ""}, 403),
        ({"timestamp": None}, 400),
        ({"timestamp": "soon"}, 400),
        ({"timestamp": "-1764581400"}, 400),
        ({"signature": None}, 401),
        ({"signature": "0" * 64}, 401),
        ({"body": EXAMPLE_BODY + b" "}, 401),
        ({"body": b"x" * (MAX_BODY_BYTES + 1)}, 413),
    ],
)
def test_a_post_is_read_only_when_signed_in_the_window(overrides, status):
    refusal = _check(**overrides)

    assert (refusal.status if refusal else None) == status


def test_a_signature_in_capitals_matches():
    signature = inbound_signature(SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY).upper()

    assert _check(signature=signature) is None


def test_a_refusal_says_the_window_in_the_stores_time():
    assert _check(now=datetime(2025, 12, 1, 10, 0, tzinfo=UTC)) == Refusal(
        401,
        "X-Saleor-CS-Timestamp: 1764581400 is more than five minutes from the "
        "store's time (1764583200); sign the post when sending it.",
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b"not json", {"body": "is not JSON; send a JSON object (see the format)."}),
        (b"[1]", {"body": "is not a JSON object; send one (see the format)."}),
        (b"\xff\xfe", {"body": "is not JSON; send a JSON object (see the format)."}),
        (
            b'{"channel":"sms","sender":"a\\nb","text":"hi","messageId":"1",'
            b'"sentAt":"2025-12-01T09:29:58"}',
            {
                "sender": "character 2 (U+000A) is a control character; this field "
                "is one line.",
                "sentAt": "'2025-12-01T09:29:58' is not a time in ISO 8601 with its "
                "offset, e.g. 2026-12-01T09:30:00Z.",
            },
        ),
        (
            b'{"channel":"e-mail","sender":"a@b.pl","text":"x\\ud800",'
            b'"messageId":" ","sentAt":"2025-12-01T09:29:58Z","orderReference":7}',
            {
                "text": "character 2 (U+D800) is a lone surrogate; remove it.",
                "messageId": "required, a non-empty string.",
                "orderReference": "a non-empty string, or leave it out.",
            },
        ),
    ],
)
def test_every_wrong_field_is_named(body, errors):
    assert read_inbound(body) == errors


def test_text_keeps_its_line_breaks_and_e_mail_has_two_names():
    message = read_inbound(
        b'{"channel":" E-Mail ","sender":" a@b.pl ","text":"Hi,\\n\\tthanks",'
        b'"messageId":"m","sentAt":"2025-12-01T10:29:58+01:00"}'
    )

    assert (message.contact_channel, message.sender, message.text, message.sent_at) == (
        ContactChannel.EMAIL,
        "a@b.pl",
        "Hi,\n\tthanks",
        datetime(2025, 12, 1, 9, 29, 58, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("status", "store_replies", "reopened", "expected"),
    [
        (ConversationStatus.RESOLVED, 1, 0, True),
        (ConversationStatus.RESOLVED, 2, 0, False),
        (ConversationStatus.RESOLVED, 1, 1, False),
        (ConversationStatus.RESOLVED, 0, 0, False),
        (ConversationStatus.WAITING_ON_CUSTOMER, 1, 0, None),
        (ConversationStatus.WAITING_ON_STORE, 0, 0, None),
    ],
)
def test_first_contact_resolution_is_derived(status, store_replies, reopened, expected):
    assert (
        is_resolved_at_first_contact(
            status=status, store_replies=store_replies, reopened=reopened
        )
        is expected
    )


WARSAW = StoreCalendar(
    time_zone="Europe/Warsaw", holidays=frozenset({date(2026, 12, 24)})
)
HOURS = AnswerHours(calendar=WARSAW, opens=9, closes=17)


def _warsaw(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.mark.parametrize(
    ("start", "working_time", "due"),
    [
        # Tuesday 10:00 + 5 minutes
        (
            _warsaw(2026, 12, 1, 10, 0),
            timedelta(minutes=5),
            _warsaw(2026, 12, 1, 10, 5),
        ),
        # Tuesday 16:30 + 1 hour: 30 minutes today, 30 on Wednesday morning
        (_warsaw(2026, 12, 1, 16, 30), timedelta(hours=1), _warsaw(2026, 12, 2, 9, 30)),
        # Tuesday 23:00 (closed) + 5 minutes: from Wednesday's opening
        (_warsaw(2026, 12, 1, 23, 0), timedelta(minutes=5), _warsaw(2026, 12, 2, 9, 5)),
        # Friday 12:00 + 24 working hours: 5 on Friday, 8 Monday, 8 Tuesday, 3 Wed
        (_warsaw(2026, 12, 4, 12, 0), timedelta(hours=24), _warsaw(2026, 12, 9, 12, 0)),
        # Wednesday 23 December 16:00 + 2 hours: Christmas Eve is a holiday
        (
            _warsaw(2026, 12, 23, 16, 0),
            timedelta(hours=2),
            _warsaw(2026, 12, 25, 10, 0),
        ),
        # Saturday: counted from Monday's opening
        (_warsaw(2026, 12, 5, 11, 0), timedelta(hours=1), _warsaw(2026, 12, 7, 10, 0)),
        # Across the change to summer time (Sunday 29 March 2026): Friday 16:00 + 2 h
        (_warsaw(2026, 3, 27, 16, 0), timedelta(hours=2), _warsaw(2026, 3, 30, 10, 0)),
    ],
)
def test_an_answer_is_due_after_working_time(start, working_time, due):
    assert HOURS.due_at(start, working_time) == due


def test_each_contact_channel_has_its_target():
    waiting_since = _warsaw(2026, 12, 1, 10, 0)

    assert {
        channel: HOURS.answer_due_at(channel, waiting_since)
        for channel in (
            ContactChannel.CHAT,
            ContactChannel.SOCIAL,
            ContactChannel.EMAIL,
            ContactChannel.WEB,
            ContactChannel.SYSTEM,
        )
    } == {
        ContactChannel.CHAT: _warsaw(2026, 12, 1, 10, 5),
        ContactChannel.SOCIAL: _warsaw(2026, 12, 1, 11, 0),
        # 24 working hours: 7 on Tuesday, 8 Wednesday, 8 Thursday, 1 Friday
        ContactChannel.EMAIL: _warsaw(2026, 12, 4, 10, 0),
        # A problem reported on the web: as e-mail.
        ContactChannel.WEB: _warsaw(2026, 12, 4, 10, 0),
        # No conversation is on the plugin's own channel: no target.
        ContactChannel.SYSTEM: None,
    }


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (_warsaw(2026, 12, 1, 9, 0), True),
        (_warsaw(2026, 12, 1, 16, 59), True),
        (_warsaw(2026, 12, 1, 17, 0), False),
        (_warsaw(2026, 12, 5, 12, 0), False),
        (_warsaw(2026, 12, 24, 12, 0), False),
    ],
)
def test_the_store_is_open_in_its_hours_on_working_days(moment, is_open):
    assert HOURS.is_open(moment) is is_open
