"""Rules of conversations with customers: what a bridge (the store's SMS, chat,
social or e-mail tool) may post, how its post is signed, and where a conversation
stands after each message.

A post is signed with HMAC-SHA256 under the channel's inbound secret over
``<timestamp>.<body>``, the timestamp being the Unix time in seconds at which the
bridge signed it; a post signed more than five minutes before or after the store's
clock is refused, so a captured post cannot be replayed later. Pure rules: no
Django, no clock (``now`` is a parameter), no I/O.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .history import ContactChannel
from .notices import Transport
from .promises import MAX_CALENDAR_SEARCH_DAYS, StoreCalendar
from .text import LINE_CONTROLS, Unwanted, first_unwanted

SIGNATURE_HEADER = "X-Saleor-CS-Signature"
TIMESTAMP_HEADER = "X-Saleor-CS-Timestamp"
REPLAY_WINDOW = timedelta(minutes=5)
MAX_BODY_BYTES = 64 * 1024
TEXT_MAX_LENGTH = 10_000
MESSAGE_ID_MAX_LENGTH = 255
SENDER_MAX_LENGTH = 255
ORDER_REFERENCE_MAX_LENGTH = 64

# The contact channels a bridge may post from ("phone": a call's transcript).
INBOUND_CHANNELS = (
    ContactChannel.SMS,
    ContactChannel.CHAT,
    ContactChannel.SOCIAL,
    ContactChannel.EMAIL,
    ContactChannel.PHONE,
)
_BY_NAME = {channel.value: channel for channel in INBOUND_CHANNELS}
# The name a bridge may also use for e-mail.
_BY_NAME["e-mail"] = ContactChannel.EMAIL

FIELDS = ("channel", "sender", "text", "messageId", "sentAt", "orderReference")


def inbound_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hexadecimal HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``."""
    return hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class Refusal:
    """Why a post is not taken: the HTTP status and the reason, said to the bridge."""

    status: int
    reason: str


def check_post(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> Refusal | None:
    """None when the post may be read: a secret is set, the body is not too large,
    the timestamp is within the window and the signature matches (compared in
    constant time)."""
    if not secret:
        return Refusal(
            403,
            "Inbound messages are off in this channel: set its inbound secret in "
            "the plugin's settings.",
        )
    if len(body) > MAX_BODY_BYTES:
        return Refusal(
            413,
            f"The body has {len(body):,} bytes; at most {MAX_BODY_BYTES:,} are taken.",
        )
    if not timestamp or not re.fullmatch(r"[0-9]{1,12}", timestamp.strip()):
        return Refusal(
            400,
            f"{TIMESTAMP_HEADER}: required, the Unix time in seconds at which the "
            "body was signed.",
        )
    signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    if abs(now - signed_at) > REPLAY_WINDOW:
        return Refusal(
            401,
            f"{TIMESTAMP_HEADER}: {timestamp} is more than five minutes from the "
            f"store's time ({int(now.timestamp())}); sign the post when sending it.",
        )
    expected = inbound_signature(secret, timestamp.strip(), body)
    if not signature or not hmac.compare_digest(
        expected.encode(), signature.strip().lower().encode()
    ):
        return Refusal(
            401,
            f"{SIGNATURE_HEADER}: does not match; it is the hexadecimal "
            f"HMAC-SHA256 of '<{TIMESTAMP_HEADER}>.<body>' under the channel's "
            "inbound secret.",
        )
    return None


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a bridge posted it, read and checked."""

    contact_channel: ContactChannel
    # The sender's address on that channel, as posted (phone number, e-mail,
    # handle); ``identity`` normalizes it.
    sender: str
    text: str
    message_id: str
    sent_at: datetime
    order_reference: str = ""


def read_inbound(body: bytes) -> InboundMessage | dict[str, str]:
    """The message of a post's JSON body, or ``{field: what is allowed}`` for every
    field that is wrong."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return {"body": "is not JSON; send a JSON object (see the format)."}
    if not isinstance(payload, dict):
        return {"body": "is not a JSON object; send one (see the format)."}
    errors: dict[str, str] = {}
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        errors["body"] = (
            f"unknown field {', '.join(unknown)}; the fields are: {', '.join(FIELDS)}."
        )
    channel_name = payload.get("channel")
    contact_channel = (
        _BY_NAME.get(channel_name.strip().lower())
        if isinstance(channel_name, str)
        else None
    )
    if contact_channel is None:
        errors["channel"] = (
            f"{_shown(channel_name)} is not a contact channel; use one of: "
            f"{', '.join(channel.value for channel in INBOUND_CHANNELS)}."
        )
    sender = _text(payload, "sender", SENDER_MAX_LENGTH, errors, one_line=True)
    text = _text(payload, "text", TEXT_MAX_LENGTH, errors, one_line=False)
    message_id = _text(
        payload, "messageId", MESSAGE_ID_MAX_LENGTH, errors, one_line=True
    )
    order_reference = _text(
        payload,
        "orderReference",
        ORDER_REFERENCE_MAX_LENGTH,
        errors,
        one_line=True,
        is_required=False,
    )
    sent_at = _sent_at(payload.get("sentAt"), errors)
    if errors:
        return errors
    return InboundMessage(
        contact_channel=contact_channel,
        sender=sender,
        text=text,
        message_id=message_id,
        sent_at=sent_at,
        order_reference=order_reference,
    )


def _shown(value) -> str:
    if value is None:
        return "missing"
    return f"'{str(value)[:40]}'"


def _text(
    payload: dict,
    name: str,
    max_length: int,
    errors: dict,
    *,
    one_line: bool,
    is_required: bool = True,
) -> str:
    value = payload.get(name)
    if value is None and not is_required:
        return ""
    if not isinstance(value, str) or not value.strip():
        if is_required:
            errors[name] = "required, a non-empty string."
        else:
            errors[name] = "a non-empty string, or leave it out."
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors[name] = f"has {len(value):,} characters; at most {max_length:,}."
        return ""
    unwanted = first_unwanted(value, allowed="" if one_line else LINE_CONTROLS)
    if unwanted is not None:
        where = f"character {unwanted.position} ({unwanted.code})"
        if unwanted.kind == Unwanted.UNSTORABLE and unwanted.character != "\x00":
            errors[name] = f"{where} is a lone surrogate; remove it."
        else:
            errors[name] = f"{where} is a control character" + (
                "; this field is one line." if one_line else "; remove it."
            )
        return ""
    return value


def _sent_at(value, errors: dict) -> datetime:
    if not isinstance(value, str):
        errors["sentAt"] = (
            "required, the time the customer sent it in ISO 8601 with its offset, "
            "e.g. 2026-12-01T09:30:00Z."
        )
        return datetime.min.replace(tzinfo=UTC)
    try:
        sent_at = datetime.fromisoformat(value.strip())
    except ValueError:
        sent_at = None
    if sent_at is None or sent_at.tzinfo is None:
        errors["sentAt"] = (
            f"'{value[:40]}' is not a time in ISO 8601 with its offset, e.g. "
            "2026-12-01T09:30:00Z."
        )
        return datetime.min.replace(tzinfo=UTC)
    return sent_at.astimezone(UTC)


class ConversationStatus(StrEnum):
    """Where a conversation stands. New statuses are added here, never renamed."""

    # A customer wrote and the store has not answered yet (a new message of a
    # resolved conversation reopens it here).
    WAITING_ON_STORE = "waiting_on_store"
    # The store answered; the next move is the customer's.
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"


# A message within this time of a conversation's resolution reopens it; a later one
# opens a new conversation (a customer writing months later has a new matter, and
# the old one's handle time and first-contact resolution stay as they were).
REOPEN_WITHIN = timedelta(days=14)


def reopens(resolved_at: datetime | None, sent_at: datetime) -> bool:
    """Whether a message sent at ``sent_at`` reopens a conversation resolved at
    ``resolved_at`` rather than opening a new one."""
    return resolved_at is not None and sent_at - resolved_at <= REOPEN_WITHIN


class Direction(StrEnum):
    """Who wrote a message of a conversation."""

    CUSTOMER = "customer"
    STORE = "store"


def is_resolved_at_first_contact(
    *, status: ConversationStatus, store_replies: int, reopened: int
) -> bool | None:
    """First-contact resolution, derived rather than typed in: resolved after
    exactly one reply of the store and never reopened. None while it is open."""
    if status != ConversationStatus.RESOLVED:
        return None
    return store_replies == 1 and reopened == 0


# How soon the store answers a customer's first unanswered message, in working time,
# unless the merchant sets otherwise.
DEFAULT_ANSWER_TARGETS = {
    ContactChannel.CHAT: timedelta(minutes=5),
    ContactChannel.SOCIAL: timedelta(hours=1),
    ContactChannel.SMS: timedelta(hours=1),
    ContactChannel.PHONE: timedelta(hours=1),
    ContactChannel.EMAIL: timedelta(hours=24),
    # Problems customers report from the storefront or the plugin's pages.
    ContactChannel.WEB: timedelta(hours=24),
}


@dataclass(frozen=True)
class AnswerHours:
    """When the store answers customers: from ``opens`` to ``closes`` (local hours,
    0-24) on the working days of ``calendar`` (its weekdays, holidays and time
    zone); and how soon on each contact channel (``targets``, in that working
    time)."""

    calendar: StoreCalendar = StoreCalendar()
    opens: int = 9
    closes: int = 17
    targets: Mapping[ContactChannel, timedelta] = field(
        default_factory=lambda: dict(DEFAULT_ANSWER_TARGETS)
    )

    def _day_window(self, day) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.calendar.time_zone)
        opens = datetime.combine(day, time(0), tzinfo=zone) + timedelta(
            hours=self.opens
        )
        closes = datetime.combine(day, time(0), tzinfo=zone) + timedelta(
            hours=self.closes
        )
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def is_open(self, moment: datetime) -> bool:
        day = moment.astimezone(ZoneInfo(self.calendar.time_zone)).date()
        if not self.calendar.is_working_day(day):
            return False
        opens, closes = self._day_window(day)
        return opens <= moment < closes

    def due_at(self, start: datetime, working_time: timedelta) -> datetime:
        """The moment ``working_time`` of the store's working hours has passed
        since ``start`` (a message arriving at night counts from the opening)."""
        remaining = working_time
        moment = start.astimezone(UTC)
        day = moment.astimezone(ZoneInfo(self.calendar.time_zone)).date()
        for _ in range(MAX_CALENDAR_SEARCH_DAYS):
            if self.calendar.is_working_day(day):
                opens, closes = self._day_window(day)
                begin = max(opens, moment)
                if begin < closes:
                    if begin + remaining <= closes:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError("The store's calendar has no working hours.")

    def answer_due_at(
        self, contact_channel: ContactChannel, waiting_since: datetime
    ) -> datetime | None:
        """When a conversation waiting since ``waiting_since`` is past its target;
        None when its contact channel has none."""
        target = self.targets.get(contact_channel)
        if target is None:
            return None
        return self.due_at(waiting_since, target)


# The store's replies ---------------------------------------------------------------

REPLY_MAX_LENGTH = 5_000
REPLY_KEY_MAX_LENGTH = 100


def reply_transport(contact_channel: ContactChannel) -> Transport:
    """How the store's reply reaches the customer: on the bridge the message came
    from (the signed outbound webhook), or by e-mail for a conversation by e-mail
    or a problem reported on the web."""
    if contact_channel in (ContactChannel.EMAIL, ContactChannel.WEB):
        return Transport.EMAIL
    return Transport.WEBHOOK


def check_written_text(text: str, *, max_length: int) -> str:
    """What is wrong with a text staff or a customer typed (a reply, a report), or
    "": not empty, at most ``max_length`` characters, no control characters but
    line breaks and tabs."""
    if not text.strip():
        return "required, a non-empty text."
    if len(text) > max_length:
        return f"has {len(text):,} characters; at most {max_length:,}."
    unwanted = first_unwanted(text, allowed=LINE_CONTROLS)
    if unwanted is None:
        return ""
    where = f"character {unwanted.position} ({unwanted.code})"
    if unwanted.kind == Unwanted.UNSTORABLE:
        return f"{where} cannot be stored (a NUL or a lone surrogate); remove it."
    return f"{where} is a control character; remove it."


@dataclass(frozen=True)
class ReplyOutcome:
    """Where a conversation stands after the store's reply."""

    status: ConversationStatus
    first_answered_at: datetime
    resolved_at: datetime | None
    store_replies: int


def after_reply(
    *,
    first_answered_at: datetime | None,
    resolved_at: datetime | None,
    store_replies: int,
    now: datetime,
    is_resolving: bool,
) -> ReplyOutcome:
    """The store answered (and, with ``is_resolving``, closed the matter): the next
    move is the customer's. The first answer is kept; the wait ends."""
    return ReplyOutcome(
        status=(
            ConversationStatus.RESOLVED
            if is_resolving
            else ConversationStatus.WAITING_ON_CUSTOMER
        ),
        first_answered_at=first_answered_at or now,
        resolved_at=now if is_resolving else resolved_at,
        store_replies=store_replies + 1,
    )


# Problems customers report ---------------------------------------------------------

REPORT_MAX_LENGTH = 5_000


class ReportedProblem(StrEnum):
    """What a customer reports about an order. New kinds are added here, never
    renamed."""

    LATE = "late"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    COUPON_OR_PRICE = "coupon_or_price"
    OTHER = "other"


# How staff read each kind (in alerts and the history; customers read the texts
# of their own language, ``words``).
REPORTED_PROBLEM_TEXTS = {
    ReportedProblem.LATE: "the order is late",
    ReportedProblem.DAMAGED: "something arrived damaged",
    ReportedProblem.WRONG_ITEM: "a wrong item arrived",
    ReportedProblem.MISSING_ITEM: "an item is missing",
    ReportedProblem.COUPON_OR_PRICE: "a coupon or the price is wrong",
    ReportedProblem.OTHER: "another problem",
}


def report_message(kind: ReportedProblem, text: str) -> str:
    """The conversation message of a report: its kind in words, then the
    customer's text."""
    what = REPORTED_PROBLEM_TEXTS[kind]
    return f"Problem reported: {what}.\n\n{text.strip()}"


# Out of answering hours ------------------------------------------------------------


def acknowledgement_due(
    *,
    hours: AnswerHours,
    now: datetime,
    last_acknowledged_at: datetime | None,
) -> bool:
    """Whether a customer's message arriving at ``now`` gets the automatic "we
    answer by ..." reply: only outside the answering hours, and at most once per
    conversation per day of the store's calendar."""
    if hours.is_open(now):
        return False
    if last_acknowledged_at is None:
        return True
    zone = ZoneInfo(hours.calendar.time_zone)
    return last_acknowledged_at.astimezone(zone).date() != now.astimezone(zone).date()


def acknowledgement_key(conversation_id: str, now: datetime, time_zone: str) -> str:
    """The idempotency key of a conversation's acknowledgement on the store's day
    of ``now``: two messages racing in one night make one acknowledgement."""
    day = now.astimezone(ZoneInfo(time_zone)).date()
    return f"conversation_acknowledgement:{conversation_id}:{day.isoformat()}"


# Speed of answer -------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationTimes:
    """What the speed-of-answer metrics read of one conversation."""

    contact_channel: ContactChannel
    opened_at: datetime
    first_answered_at: datetime | None
    resolved_at: datetime | None
    store_replies: int
    reopened: int
    status: ConversationStatus


@dataclass(frozen=True)
class AnswerSpeed:
    """Speed of answer on one contact channel over the conversations opened in a
    period. Times in seconds (None with nothing to measure); the shares count
    conversations."""

    contact_channel: ContactChannel
    opened: int
    answered: int
    first_answer_p50: float | None
    first_answer_p90: float | None
    # Answered, or waiting, past the target (in working time).
    answered_within_target: int
    with_target: int
    resolved: int
    handle_p50: float | None
    handle_p90: float | None
    resolved_at_first_contact: int


def percentile(values: list[float], share: float) -> float | None:
    """The ``share`` (0-1) percentile of ``values`` by linear interpolation
    between the nearest ranks (PostgreSQL's percentile_cont); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def answer_speed(
    conversations: list[ConversationTimes], *, hours: AnswerHours, now: datetime
) -> list[AnswerSpeed]:
    """Speed of answer per contact channel, in the order of ``ContactChannel``.

    First answer: from the customer's first message to the store's first reply.
    Handle time: from that first message to the resolution (a reopened and
    resolved again conversation counts to its last resolution). Within target: the
    first reply came by the target's moment in working time; a conversation still
    unanswered past it counts as missed, one unanswered before it is not counted
    yet. First-contact resolution: resolved after one reply, never reopened.
    """
    by_channel: dict[ContactChannel, list[ConversationTimes]] = {}
    for conversation in conversations:
        by_channel.setdefault(conversation.contact_channel, []).append(conversation)
    speeds = []
    for contact_channel in ContactChannel:
        group = by_channel.get(contact_channel)
        if not group:
            continue
        first_answers = [
            (c.first_answered_at - c.opened_at).total_seconds()
            for c in group
            if c.first_answered_at is not None
        ]
        resolved = [c for c in group if c.status == ConversationStatus.RESOLVED]
        handle_times = [
            (c.resolved_at - c.opened_at).total_seconds()
            for c in resolved
            if c.resolved_at is not None
        ]
        within = with_target = 0
        for c in group:
            due = hours.answer_due_at(contact_channel, c.opened_at)
            if due is None:
                continue
            if c.first_answered_at is None:
                if now >= due:
                    with_target += 1
                continue
            with_target += 1
            within += c.first_answered_at <= due
        speeds.append(
            AnswerSpeed(
                contact_channel=contact_channel,
                opened=len(group),
                answered=len(first_answers),
                first_answer_p50=percentile(first_answers, 0.5),
                first_answer_p90=percentile(first_answers, 0.9),
                answered_within_target=within,
                with_target=with_target,
                resolved=len(resolved),
                handle_p50=percentile(handle_times, 0.5),
                handle_p90=percentile(handle_times, 0.9),
                resolved_at_first_contact=sum(
                    bool(
                        is_resolved_at_first_contact(
                            status=c.status,
                            store_replies=c.store_replies,
                            reopened=c.reopened,
                        )
                    )
                    for c in resolved
                ),
            )
        )
    return speeds
