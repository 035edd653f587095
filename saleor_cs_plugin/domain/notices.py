"""Rules of proactive notices: when one may go out, when to try again, how it reads.

Nothing here reads a clock or a database: ``now`` and every count are parameters.
"""

import hashlib
import html
import re
import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .words import Words


class NoticeType(StrEnum):
    ORDER_DELAY = "order_delay"
    ORDER_DELAY_FOLLOW_UP = "order_delay_follow_up"
    ORDER_ON_THE_WAY = "order_on_the_way"
    STOCK_SHORTAGE = "stock_shortage"
    STOCK_RESTORED = "stock_restored"
    COUPON_HONORED = "coupon_honored"
    SURVEY = "survey"
    STAFF_ALERT = "staff_alert"
    # The store's reply in a conversation, on the customer's own channel.
    CONVERSATION_REPLY = "conversation_reply"
    # "We are closed now; we answer by ...", to a message out of answering hours.
    CONVERSATION_ACKNOWLEDGEMENT = "conversation_acknowledgement"


# Answers to a customer who wrote: they go on the conversation's own channel,
# whatever the notice transports, the customer's opt-out, quiet hours or the daily
# limit (the customer is waiting for them).
CONVERSATION_NOTICE_TYPES = frozenset(
    {NoticeType.CONVERSATION_REPLY, NoticeType.CONVERSATION_ACKNOWLEDGEMENT}
)


class Transport(StrEnum):
    """How a notice leaves the store."""

    SALEOR_NOTIFY = "saleor_notify"
    EMAIL = "email"
    WEBHOOK = "webhook"
    OFF = "off"


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeliveryCause(StrEnum):
    """Why a delivery attempt failed, as the transport saw it. The rules of staff
    alerts (``domain.alerts``) tell from it whether only the merchant can fix it."""

    UNKNOWN = ""
    # Saleor's notifications: no app subscribed to NOTIFY_USER.
    NOTIFY_NO_APP = "notify_no_app"
    SMTP_AUTH_FAILED = "smtp_auth_failed"
    # Connection refused, host not found, timed out or dropped.
    SMTP_UNREACHABLE = "smtp_unreachable"
    # The TLS or SSL handshake failed, or the server lacks STARTTLS or AUTH.
    SMTP_SECURITY = "smtp_security"
    SMTP_HOST_INVALID = "smtp_host_invalid"
    SMTP_SENDER_REFUSED = "smtp_sender_refused"
    SMTP_RECIPIENT_REFUSED = "smtp_recipient_refused"
    # Any other refusal of the message (a temporary or permanent reply).
    SMTP_REFUSED = "smtp_refused"
    # HTTP 401 or 403.
    WEBHOOK_UNAUTHORIZED = "webhook_unauthorized"
    # HTTP 404 or 410.
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    # Refused before sending: an address Saleor does not post to, or no valid URL.
    WEBHOOK_ADDRESS_REFUSED = "webhook_address_refused"
    # Connection refused, host not found, timed out.
    WEBHOOK_UNREACHABLE = "webhook_unreachable"
    # HTTP 5xx, 408 or 429.
    WEBHOOK_SERVER_ERROR = "webhook_server_error"
    # Any other HTTP 4xx: the receiver refused this notice.
    WEBHOOK_REFUSED = "webhook_refused"
    SETTINGS_INVALID = "settings_invalid"
    TEMPLATE_INVALID = "template_invalid"
    # Claimed more often than the attempts allow by workers that stopped.
    ABANDONED = "abandoned"


# Notices about an order the customer is waiting for: they reach the customer even
# at night, past the daily cap, and after an opt-out from non-essential messages.
DEFAULT_ESSENTIAL_TYPES = frozenset(
    {
        NoticeType.ORDER_DELAY,
        NoticeType.ORDER_DELAY_FOLLOW_UP,
        NoticeType.ORDER_ON_THE_WAY,
        NoticeType.STOCK_SHORTAGE,
        NoticeType.STOCK_RESTORED,
        NoticeType.STAFF_ALERT,
    }
)


def idempotency_key(notice_type: NoticeType, *decision: object) -> str:
    """The key of one decision: the same decision made twice gives the same key."""
    digest = hashlib.sha256(
        "\x1f".join(str(part) for part in (notice_type, *decision)).encode()
    ).hexdigest()
    return f"{notice_type}:{digest[:40]}"


@dataclass(frozen=True)
class QuietHours:
    """Local hours [start, end) during which non-essential notices wait; may wrap
    midnight (21 to 8)."""

    start_hour: int
    end_hour: int

    def end_after(self, now: datetime, time_zone: str) -> datetime | None:
        """When the quiet hours around ``now`` end, or None if it is not quiet."""
        local = now.astimezone(ZoneInfo(time_zone))
        hour = local.hour
        if self.start_hour == self.end_hour:
            return None
        if self.start_hour < self.end_hour:
            is_quiet = self.start_hour <= hour < self.end_hour
        else:
            is_quiet = hour >= self.start_hour or hour < self.end_hour
        if not is_quiet:
            return None
        end_day = local.date()
        if self.start_hour > self.end_hour and hour >= self.start_hour:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, time(self.end_hour), tzinfo=local.tzinfo)
        return end.astimezone(now.tzinfo)


@dataclass(frozen=True)
class DispatchPolicy:
    time_zone: str = "UTC"
    quiet_hours: QuietHours | None = None
    max_per_day: int = 0  # 0: no cap
    essential_types: frozenset[str] = DEFAULT_ESSENTIAL_TYPES


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SKIP = "skip"


@dataclass(frozen=True)
class Dispatch:
    action: Action
    until: datetime | None = None
    reason: str = ""


def decide_dispatch(
    notice_type: str,
    *,
    now: datetime,
    policy: DispatchPolicy,
    is_opted_out: bool,
    recent_sent_times: list[datetime],
) -> Dispatch:
    """Whether a notice goes now, waits, or is not sent at all.

    ``recent_sent_times``: when proactive notices reached this customer in the last
    24 hours (essential ones included: they count towards the cap, but are never held
    back by it).
    """
    if notice_type in policy.essential_types:
        return Dispatch(Action.SEND)
    if is_opted_out:
        return Dispatch(
            Action.SKIP, reason="The customer opted out of non-essential notices."
        )
    if policy.quiet_hours is not None:
        quiet_end = policy.quiet_hours.end_after(now, policy.time_zone)
        if quiet_end is not None:
            return Dispatch(Action.DEFER, quiet_end, "Quiet hours in the store's zone.")
    if policy.max_per_day:
        window_start = now - timedelta(hours=24)
        recent = sorted(t for t in recent_sent_times if t > window_start)
        if len(recent) >= policy.max_per_day:
            # The earliest moment at which fewer than max_per_day fall in the window.
            until = recent[len(recent) - policy.max_per_day] + timedelta(hours=24)
            return Dispatch(
                Action.DEFER,
                until,
                f"At most {policy.max_per_day} notices per customer in 24 hours.",
            )
    return Dispatch(Action.SEND)


def retry_delay(
    attempt: int, *, base_seconds: float, max_seconds: float, jitter: float
) -> timedelta:
    """Wait before attempt ``attempt + 1``: exponential, capped, with equal jitter.

    ``jitter`` is a number in [0, 1) drawn by the caller.
    """
    ceiling = min(max_seconds, base_seconds * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=ceiling / 2 + ceiling / 2 * jitter)


class TemplateError(ValueError):
    """A template names a value the notice does not have, or is malformed."""


def render(template: str, context: dict[str, object]) -> str:
    """Fill ``$name`` / ``${name}`` placeholders; a missing name is an error."""
    try:
        return string.Template(template).substitute(
            {key: "" if value is None else str(value) for key, value in context.items()}
        )
    except KeyError as error:
        raise TemplateError(
            f"The template uses ${error.args[0]}, which this notice does not have; "
            f"available: {', '.join(sorted(context))}."
        ) from error
    except ValueError as error:
        raise TemplateError(f"The template is malformed: {error}.") from error


def greeting_name(name: str, *, words: Words) -> str:
    """The customer's name as a notice greets them ($customer_name): their own, else
    "customer" in the notice's language."""
    return name or words.pgettext(
        "the customer's name in a greeting, when it is not known", "customer"
    )


# An http(s) address in escaped text: up to a space, a tag or a quote (raw or as
# an entity), less the punctuation that ends a sentence after it.
_ESCAPED_URL = re.compile(r"https?://(?:(?!&quot;|&#x27;|&lt;|&gt;)[^\s<>\"'])+")
_URL_TRAILING = ".,;:!?)"
_ENTITY_END = re.compile(r"&#?[A-Za-z0-9]+;$")


def _linked(match: re.Match) -> str:
    url = match.group(0)
    trailing = ""
    # A trailing entity ("&amp;") is the address's own, its ";" included.
    while url and url[-1] in _URL_TRAILING and not _ENTITY_END.search(url):
        url, trailing = url[:-1], url[-1] + trailing
    # The text is escaped already: the address goes into the attribute as it is.
    return f'<a href="{url}">{url}</a>{trailing}'


def render_html(template: str, context: dict[str, object]) -> str:
    """The HTML part: every value escaped, paragraphs from blank lines, and every
    http(s) address a link (an e-mail's one-click answers)."""
    escaped = {
        key: html.escape("" if value is None else str(value))
        for key, value in context.items()
    }
    text = render(html.escape(template, quote=False), escaped)
    text = _ESCAPED_URL.sub(_linked, text)
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


# Order notes ---------------------------------------------------------------------

# The key of a notice's context naming, for the order's timeline, what the notice is
# about (e.g. "Delivery promise at risk"). A notice of an order with it gets ONE note
# on the order once it is sent, or once it will not be sent; retries and waits add
# none.
ORDER_NOTE_KEY = "orderNote"
# A note quotes at most this much of an error.
NOTE_REASON_MAX_LENGTH = 300

_QUEUED_BY = {
    Transport.EMAIL: "e-mail",
    Transport.WEBHOOK: "webhook",
    Transport.SALEOR_NOTIFY: "Saleor's notifications",
}
_SENT_BY = {
    Transport.EMAIL: "by e-mail",
    Transport.WEBHOOK: "by webhook",
    Transport.SALEOR_NOTIFY: "through Saleor's notifications",
}


def decided_note(topic: str, transport: str, facts: str = "") -> str:
    """The order note of a notice just decided: queued (by which transport), or not
    to be sent at all. Never says the customer knows: that is for ``sent_note``."""
    if transport in _QUEUED_BY:
        head = f"{topic}: notice to the customer queued ({_QUEUED_BY[transport]})."
    else:
        head = not_sent_note(topic, "the transport of this notice type is 'off'")
    return f"{head} {facts}".strip()


def sent_note(topic: str, transport: str) -> str:
    """The order note of a notice that went out."""
    by = _SENT_BY.get(transport, f"by {transport}")
    return f"{topic}: notice sent to the customer {by}."


def not_sent_note(topic: str, reason: str) -> str:
    """The order note of a notice that failed for good or will not be sent."""
    reason = " ".join(reason.split()).rstrip(". ") or "no reason recorded"
    if len(reason) > NOTE_REASON_MAX_LENGTH:
        reason = reason[: NOTE_REASON_MAX_LENGTH - 1].rstrip() + "…"
    return f"{topic}: notice NOT sent: {reason}; the customer was not told."
