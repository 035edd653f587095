"""The speed of answer as the status lines and the report say it: the latest wait
past its target now (exact to the microsecond, in working time), durations in
words, the two conversation lines and the report's rows."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from saleor_cs_plugin.domain.conversations import AnswerHours, AnswerSpeed
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.promises import StoreCalendar
from saleor_cs_plugin.metrics.report import Total, answer_speed_totals
from saleor_cs_plugin.metrics.speed import (
    duration_text,
    first_answer_line,
    latest_start_past_target,
    waiting_past_target_line,
)

WARSAW = StoreCalendar(
    time_zone="Europe/Warsaw",
    working_weekdays=frozenset(range(5)),
    holidays=frozenset({date(2026, 12, 24)}),
)
HOURS = AnswerHours(calendar=WARSAW, opens=9, closes=17)
MICROSECOND = timedelta(microseconds=1)


def _warsaw(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.mark.parametrize(
    ("contact_channel", "now", "latest"),
    [
        # Chat, 5 minutes: within the day
        (ContactChannel.CHAT, _warsaw(2026, 12, 1, 10, 0), _warsaw(2026, 12, 1, 9, 55)),
        # across the night: 2 minutes on Monday evening, 3 on Tuesday morning
        (
            ContactChannel.CHAT,
            _warsaw(2026, 12, 1, 9, 3),
            _warsaw(2026, 11, 30, 16, 58),
        ),
        # before opening: counted back from Monday's closing
        (
            ContactChannel.CHAT,
            _warsaw(2026, 12, 1, 8, 0),
            _warsaw(2026, 11, 30, 16, 55),
        ),
        # across the weekend
        (ContactChannel.CHAT, _warsaw(2026, 12, 7, 9, 2), _warsaw(2026, 12, 4, 16, 57)),
        # across Christmas Eve, a holiday
        (
            ContactChannel.CHAT,
            _warsaw(2026, 12, 25, 9, 2),
            _warsaw(2026, 12, 23, 16, 57),
        ),
        # across the end of summer time (Sunday 25 October)
        (
            ContactChannel.CHAT,
            _warsaw(2026, 10, 26, 9, 2),
            _warsaw(2026, 10, 23, 16, 57),
        ),
        # E-mail, 24 working hours: Wednesday 7, Tuesday 8, Monday 8, Friday 1
        (
            ContactChannel.EMAIL,
            _warsaw(2026, 12, 2, 16, 0),
            _warsaw(2026, 11, 27, 16, 0),
        ),
    ],
)
def test_the_latest_wait_past_its_target_is_exact(contact_channel, now, latest):
    found = latest_start_past_target(HOURS, contact_channel, now)

    assert found == latest
    # due at its start, not a microsecond later
    assert HOURS.answer_due_at(contact_channel, found) <= now
    assert HOURS.answer_due_at(contact_channel, found + MICROSECOND) > now


def test_a_contact_channel_without_a_target_has_no_wait_past_it():
    hours = AnswerHours(
        calendar=WARSAW, targets={ContactChannel.CHAT: timedelta(minutes=5)}
    )

    assert (
        latest_start_past_target(hours, ContactChannel.SMS, _warsaw(2026, 12, 1, 10))
        is None
    )


def test_a_calendar_without_working_days_has_no_wait_past_a_target():
    hours = AnswerHours(
        calendar=StoreCalendar(time_zone="UTC", working_weekdays=frozenset())
    )

    assert (
        latest_start_past_target(hours, ContactChannel.CHAT, _warsaw(2026, 12, 1, 10))
        is None
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59.9, "59 seconds"),
        (60, "1 minute"),
        (240.5, "4 minutes"),
        (3600, "1 hour"),
        (3900, "1 hour 5 minutes"),
        (57900, "16 hours 5 minutes"),
        (86400, "1 day"),
        (90000, "1 day 1 hour"),
        (428400, "4 days 23 hours"),
    ],
)
def test_a_duration_in_words(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("waiting", "line"),
    [
        ({}, "none"),
        ({"chat": 0}, "none"),
        ({"email": 1, "chat": 2}, "3 past target: 2 chat, 1 email"),
        # the same count: in the order of the contact channels
        ({"chat": 1, "email": 1}, "2 past target: 1 email, 1 chat"),
    ],
)
def test_the_waiting_line_counts_by_contact_channel(waiting, line):
    assert waiting_past_target_line(waiting) == line


def _speed(contact_channel=ContactChannel.CHAT, **counts):
    values = {
        "opened": 0,
        "answered": 0,
        "first_answer_p50": None,
        "first_answer_p90": None,
        "answered_within_target": 0,
        "with_target": 0,
        "resolved": 0,
        "handle_p50": None,
        "handle_p90": None,
        "resolved_at_first_contact": 0,
    }
    return AnswerSpeed(contact_channel=contact_channel, **{**values, **counts})


@pytest.mark.parametrize(
    ("speeds", "median", "line"),
    [
        ([], None, "no conversations yet"),
        (
            [
                _speed(answered_within_target=3, with_target=5),
                _speed(ContactChannel.EMAIL, answered_within_target=1, with_target=1),
            ],
            240.0,
            "66% of 6 conversations, median first answer 4 minutes",
        ),
        # one unanswered past its target, nothing answered yet
        ([_speed(opened=1, with_target=1)], None, "0% of 1 conversation"),
        # answered where no target is set, or not due yet
        (
            [_speed(opened=1, answered=1)],
            60.0,
            "none due yet, median first answer 1 minute",
        ),
    ],
)
def test_the_first_answer_line(speeds, median, line):
    assert first_answer_line(speeds, median) == line


def test_the_report_has_two_rows_per_contact_channel():
    speeds = [
        _speed(
            ContactChannel.EMAIL,
            opened=1,
            answered=1,
            first_answer_p50=428400.0,
            first_answer_p90=428400.0,
            answered_within_target=1,
            with_target=1,
        ),
        _speed(
            ContactChannel.CHAT,
            opened=7,
            answered=5,
            first_answer_p50=240.0,
            first_answer_p90=35460.0,
            answered_within_target=4,
            with_target=6,
            resolved=4,
            handle_p50=900.0,
            handle_p90=166680.0,
            resolved_at_first_contact=2,
        ),
        _speed(ContactChannel.SMS, opened=1),
    ]

    assert answer_speed_totals(speeds) == [
        Total(
            "E-mail: first answered within target",
            "100.0%",
            "of 1 answered or past target (1 opened); median first answer 4 days "
            "23 hours, 90th percentile 4 days 23 hours",
        ),
        Total("E-mail: resolved at first contact", "no data", ""),
        Total(
            "Chat: first answered within target",
            "66.7%",
            "of 6 answered or past target (7 opened); median first answer 4 "
            "minutes, 90th percentile 9 hours 51 minutes",
        ),
        Total(
            "Chat: resolved at first contact",
            "50.0%",
            "of 4 resolved; median handle time 15 minutes, 90th percentile 1 day "
            "22 hours",
        ),
        Total("SMS: first answered within target", "no data", "1 opened"),
        Total("SMS: resolved at first contact", "no data", ""),
    ]
