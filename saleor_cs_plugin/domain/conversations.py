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
from .promises import MAX_CALENDAR_SEARCH_DAYS, StoreCalendar

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
    allowed = "" if one_line else "\t\n\r"
    for position, character in enumerate(value, start=1):
        if (
            ord(character) < 32 or 0x7F <= ord(character) < 0xA0
        ) and character not in allowed:
            errors[name] = (
                f"character {position} (U+{ord(character):04X}) is a control "
                "character"
                + ("; this field is one line." if one_line else "; remove it.")
            )
            return ""
        if 0xD800 <= ord(character) <= 0xDFFF:
            errors[name] = (
                f"character {position} (U+{ord(character):04X}) is a lone "
                "surrogate; remove it."
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
