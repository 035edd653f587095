"""Rules of the service history: what a touchpoint is, who may read which entries,
and what makes a logged contact acceptable."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CONTACT_SUMMARY_MAX_LENGTH = 2000
SOCIAL_NETWORK_MAX_LENGTH = 64


class EntryType(StrEnum):
    """What happened. New touchpoints are added here, never renamed."""

    CONTACT = "contact"
    NOTICE_SENT = "notice_sent"
    NOTICE_FAILED = "notice_failed"
    COUPON_REJECTED = "coupon_rejected"
    COUPON_HONORED = "coupon_honored"
    CUSTOMER_CHOICE = "customer_choice"
    SURVEY_SENT = "survey_sent"
    SURVEY_ANSWERED = "survey_answered"
    # For staff, about the store rather than a customer (e.g. a promoted code that
    # stopped working).
    STAFF_ALERT = "staff_alert"
    # A message of a conversation: the customer's, posted by a bridge, or the
    # store's reply.
    MESSAGE = "message"


class ContactChannel(StrEnum):
    """How the store and the customer were in touch."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"
    WEB = "web"
    SYSTEM = "system"


# A contact logged by staff happened between people; "system" is the plugin's own.
STAFF_LOGGABLE_CHANNELS = frozenset(ContactChannel) - {ContactChannel.SYSTEM}


class Actor(StrEnum):
    """Who acted: a staff user, an app, the plugin itself or the customer."""

    STAFF = "staff"
    APP = "app"
    PLUGIN = "plugin"
    CUSTOMER = "customer"


class Access(StrEnum):
    ALL = "all"
    CUSTOMER_VISIBLE = "customer_visible"
    NONE = "none"


def history_access(*, is_owner: bool, has_staff_permission: bool) -> Access:
    """Which entries a requestor may read of one customer's or order's history.

    Staff and apps holding the permission see everything, the customer sees the
    entries meant for them, anybody else nothing.
    """
    if has_staff_permission:
        return Access.ALL
    if is_owner:
        return Access.CUSTOMER_VISIBLE
    return Access.NONE


@dataclass(frozen=True)
class ContactLog:
    """A contact that happened outside the store, as staff describe it."""

    contact_channel: str
    summary: str
    is_resolved_at_first_contact: bool
    is_customer_visible: bool
    has_customer: bool
    has_order: bool
    social_network: str = ""


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str


def check_contact_log(contact: ContactLog) -> list[Problem]:
    """Everything wrong with a contact log, each naming its field."""
    problems = []
    if not (contact.has_customer or contact.has_order):
        problems.append(
            Problem(
                "customer",
                "REQUIRED",
                "Give the customer (customer or customerEmail), the order, or both.",
            )
        )
    if contact.contact_channel not in STAFF_LOGGABLE_CHANNELS:
        allowed = ", ".join(sorted(c.name for c in STAFF_LOGGABLE_CHANNELS))
        problems.append(
            Problem(
                "contact_channel",
                "INVALID",
                f"A logged contact uses one of: {allowed}.",
            )
        )
    summary = contact.summary.strip()
    if not summary:
        problems.append(
            Problem("summary", "REQUIRED", "Describe the contact in a few words.")
        )
    elif len(summary) > CONTACT_SUMMARY_MAX_LENGTH:
        problems.append(
            Problem(
                "summary",
                "INVALID",
                f"The summary has {len(summary)} characters; at most "
                f"{CONTACT_SUMMARY_MAX_LENGTH} are allowed.",
            )
        )
    if contact.social_network and contact.contact_channel != ContactChannel.SOCIAL:
        problems.append(
            Problem(
                "social_network",
                "INVALID",
                "A social network is given only for contactChannel SOCIAL.",
            )
        )
    elif len(contact.social_network) > SOCIAL_NETWORK_MAX_LENGTH:
        problems.append(
            Problem(
                "social_network",
                "INVALID",
                f"At most {SOCIAL_NETWORK_MAX_LENGTH} characters are allowed.",
            )
        )
    return problems


def check_date_range(
    start: datetime | None, end: datetime | None, *, field: str
) -> list[Problem]:
    if start is not None and end is not None and start > end:
        return [
            Problem(
                field,
                "INVALID",
                "The range starts after it ends: 'gte' must not be later than 'lte'.",
            )
        ]
    return []
