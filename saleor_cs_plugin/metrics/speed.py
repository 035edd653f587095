"""Rules of the speed of answer that the service metrics, the report and the
Dashboard's status lines share: the latest wait that is past its target now, a
duration in words, and the two status lines about conversations.

Pure: the standard library and ``domain`` only, no clock (``now`` is a parameter),
no I/O, so they are tested without Django.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from ..domain.conversations import AnswerHours, AnswerSpeed
from ..domain.history import ContactChannel
from ..domain.promises import MAX_CALENDAR_SEARCH_DAYS

NONE = "none"
_MICROSECOND = timedelta(microseconds=1)
_LOOKBACK_DAYS = (1, 2, 4, 8, 16, 32, 64, 128, 256, MAX_CALENDAR_SEARCH_DAYS)


def latest_start_past_target(
    hours: AnswerHours, contact_channel: ContactChannel, now: datetime
) -> datetime | None:
    """The latest moment a wait on ``contact_channel`` may have begun and be past
    its target at ``now`` (``hours.answer_due_at(...) <= now``): a wait is past it
    exactly when it began at or before this moment. None when the contact channel
    has no target, or the calendar has too little working time to reach one.

    The moment a wait falls due never comes earlier for a later wait, so the
    latest one is found by halving the time between a wait that is due and one
    that is not, to the microsecond (PostgreSQL's precision), with
    ``answer_due_at`` itself: the same answering hours, holidays and clock
    changes as the waiting sweep's.
    """
    target = hours.targets.get(contact_channel)
    if target is None:
        return None
    now = now.astimezone(UTC)

    def is_due(start: datetime) -> bool:
        return hours.answer_due_at(contact_channel, start) <= now

    # Working time never runs faster than the clock: a later wait is not due.
    not_due = now - target + _MICROSECOND
    due = None
    try:
        for days in _LOOKBACK_DAYS:
            candidate = not_due - timedelta(days=days)
            if is_due(candidate):
                due = candidate
                break
            not_due = candidate
    except ValueError:  # no working hours at all
        return None
    if due is None:
        return None
    low = 0
    high = (not_due - due) // _MICROSECOND
    # Invariant: due + low is due, due + high is not.
    while high - low > 1:
        middle = (low + high) // 2
        if is_due(due + middle * _MICROSECOND):
            low = middle
        else:
            high = middle
    return due + low * _MICROSECOND


def duration_text(seconds: float) -> str:
    """A duration in words, to the minute below a day and to the hour above:
    '40 seconds', '4 minutes', '1 hour 5 minutes', '2 days 3 hours'."""
    total = int(seconds)
    if total < 60:
        return _units(total, "second")
    minutes = total // 60
    if minutes < 60:
        return _units(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return " ".join(
            [_units(hours, "hour")] + ([_units(minutes, "minute")] if minutes else [])
        )
    days, hours = divmod(hours, 24)
    return " ".join([_units(days, "day")] + ([_units(hours, "hour")] if hours else []))


def _units(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def waiting_past_target_line(waiting: Mapping[str, int]) -> str:
    """E.g. '3 past target: 2 chat, 1 email': the conversations waiting for the
    store past their target now, by contact channel, the most first."""
    counts = sorted(
        ((channel, total) for channel, total in waiting.items() if total > 0),
        key=lambda item: (-item[1], _rank(item[0]), item[0]),
    )
    if not counts:
        return NONE
    parts = ", ".join(f"{total} {channel}" for channel, total in counts)
    return f"{sum(total for _, total in counts)} past target: {parts}"


def first_answer_line(
    speeds: Iterable[AnswerSpeed], first_answer_median: float | None
) -> str:
    """E.g. '80% of 5 conversations, median first answer 4 minutes': of the
    conversations answered or waiting past their target, the share answered
    within it (rounded down, so 100% means every one), and the median time to the
    first answer over every contact channel."""
    speeds = list(speeds)
    if not speeds:
        return "no conversations yet"
    within = sum(speed.answered_within_target for speed in speeds)
    with_target = sum(speed.with_target for speed in speeds)
    if with_target > 0:
        share = 100 * min(within, with_target) // with_target
        noun = "conversation" if with_target == 1 else "conversations"
        parts = [f"{share}% of {with_target} {noun}"]
    else:
        parts = ["none due yet"]
    if first_answer_median is not None:
        parts.append(f"median first answer {duration_text(first_answer_median)}")
    return ", ".join(parts)


def _rank(channel: str) -> int:
    names = [channel.value for channel in ContactChannel]
    return names.index(channel) if channel in names else len(names)
