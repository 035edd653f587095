"""Rules of staff alerts: what an alert is about, who may read it, and which delivery
failures only the merchant can fix.

An alert is raised once per cause: the same cause seen again while the alert is open
counts as another occurrence of it, not as a new alert.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .notices import DeliveryCause, Transport
from .surveys import WRONG_THING_TEXTS, ProblemKind, WrongThing

TITLE_MAX_LENGTH = 255


class AlertKind(StrEnum):
    """What an alert is about. New kinds are added here, never renamed."""

    # A promoted code stopped working, or is about to.
    PROMOTED_CODE = "promoted_code"
    # A customer answered a stock-shortage notice; staff act on the order.
    SHORTAGE_CHOICE = "shortage_choice"
    # Notices of a channel fail for a reason only the merchant can fix.
    NOTICE_DELIVERY = "notice_delivery"
    # A survey's "No": the problem was not handled the way the customer wanted.
    SURVEY_CALL_BACK = "survey_call_back"
    # A customer's message has waited past the answer-time target of its channel.
    CONVERSATION_WAITING = "conversation_waiting"
    # A customer reported a problem with an order (storefront or plugin page).
    PROBLEM_REPORTED = "problem_reported"


# The Saleor permission (by its codename's enum name) that lets staff or an app read
# and close an alert of each kind: codes are marketing's, orders the shop floor's,
# how notices are sent is the plugin's configuration.
PERMISSION_BY_KIND = {
    AlertKind.PROMOTED_CODE: "MANAGE_DISCOUNTS",
    AlertKind.SHORTAGE_CHOICE: "MANAGE_ORDERS",
    AlertKind.NOTICE_DELIVERY: "MANAGE_PLUGINS",
    AlertKind.SURVEY_CALL_BACK: "MANAGE_ORDERS",
    AlertKind.CONVERSATION_WAITING: "MANAGE_ORDERS",
    AlertKind.PROBLEM_REPORTED: "MANAGE_ORDERS",
}


def kinds_allowed(permission_names: frozenset[str]) -> frozenset[AlertKind]:
    """The kinds of alerts a requestor holding ``permission_names`` may see."""
    return frozenset(
        kind
        for kind, permission in PERMISSION_BY_KIND.items()
        if permission in permission_names
    )


# Notice delivery -----------------------------------------------------------------


@dataclass(frozen=True)
class _Fix:
    """A cause only the merchant can fix: what failed, the fix in a few words for the
    title, and the fix in full, naming settings as ``{setting_name}``."""

    what: str
    short_fix: str
    fix: str
    # The cause is the channel's, whichever transport the notice had.
    is_channel_wide: bool = False


_MERCHANT_FIXES = {
    DeliveryCause.NOTIFY_NO_APP: _Fix(
        "no app receives Saleor's notifications",
        "choose e-mail or webhook, or install a notification app",
        "The notice went to Saleor's notifications, and no installed app subscribes "
        "to Saleor's NOTIFY_USER event, so nothing would deliver it. Set "
        "{notice_transports} to email (and fill in the SMTP settings) or webhook (and "
        "fill in the webhook settings), or install an app that sends Saleor's "
        "notifications.",
    ),
    DeliveryCause.SMTP_AUTH_FAILED: _Fix(
        "the SMTP server refused the login",
        "check the SMTP user and password",
        "Check {smtp_user} and {smtp_password}: the mail server did not accept them.",
    ),
    DeliveryCause.SMTP_UNREACHABLE: _Fix(
        "the SMTP server cannot be reached",
        "check the SMTP host and port",
        "Check {smtp_host} and {smtp_port}, and that the mail server accepts "
        "connections from the store; every delivery attempt failed.",
    ),
    DeliveryCause.SMTP_SECURITY: _Fix(
        "the secure connection to the SMTP server failed",
        "check the SMTP security and port",
        "Check {smtp_security} against {smtp_port}: usually STARTTLS on port 587 and "
        "SSL on port 465, as the mail provider says.",
    ),
    DeliveryCause.SMTP_HOST_INVALID: _Fix(
        "the SMTP host is not a valid server name",
        "check the SMTP host",
        "Check {smtp_host}: it must be a server name such as smtp.example.com.",
    ),
    DeliveryCause.SMTP_SENDER_REFUSED: _Fix(
        "the SMTP server refused the sender address",
        "check the sender address",
        "Check {sender_address}: use an address the SMTP account may send from.",
    ),
    DeliveryCause.WEBHOOK_UNAUTHORIZED: _Fix(
        "the receiver refused the request as unauthorized",
        "check the webhook secret and URL",
        "Check {webhook_secret} (the receiver checks the X-Saleor-CS-Signature "
        "header with it) and {webhook_url}.",
    ),
    DeliveryCause.WEBHOOK_NOT_FOUND: _Fix(
        "the webhook address does not exist",
        "check the webhook URL",
        "Check {webhook_url}: the receiver answered that nothing is at that address.",
    ),
    DeliveryCause.WEBHOOK_ADDRESS_REFUSED: _Fix(
        "the webhook address is not allowed",
        "check the webhook URL",
        "Check {webhook_url}: Saleor posts only to valid, public http(s) addresses.",
    ),
    DeliveryCause.WEBHOOK_UNREACHABLE: _Fix(
        "the receiver cannot be reached",
        "check the webhook URL and the receiver",
        "Check {webhook_url} and that the receiver is running; every delivery "
        "attempt failed.",
    ),
    DeliveryCause.WEBHOOK_SERVER_ERROR: _Fix(
        "the receiver keeps answering with errors",
        "check the receiver",
        "Check the receiver at {webhook_url}: it answered every delivery attempt "
        "with an error.",
    ),
    DeliveryCause.SETTINGS_INVALID: _Fix(
        "the channel's plugin settings are invalid",
        "correct the plugin settings",
        "Open the plugin's settings of this channel and correct the setting the "
        "error names.",
        is_channel_wide=True,
    ),
    DeliveryCause.TEMPLATE_INVALID: _Fix(
        "a notice template is invalid",
        "correct the template",
        "Correct {subject_template} or {body_template}.",
    ),
}

# The settings an alert's fix may name (besides the notice type's templates).
_SETTINGS_NAMED = (
    "notice_transports",
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_password",
    "smtp_security",
    "sender_address",
    "webhook_url",
    "webhook_secret",
)

_NOTICES_BY = {
    Transport.EMAIL: "E-mail notices",
    Transport.WEBHOOK: "Webhook notices",
    Transport.SALEOR_NOTIFY: "Notices through Saleor's notifications",
}


def is_merchant_cause(cause: str) -> bool:
    """Whether only the merchant can fix a delivery that failed for ``cause`` (a
    customer's address, or one notice the receiver refused, are not such causes)."""
    return cause in _MERCHANT_FIXES


@dataclass(frozen=True)
class AlertDraft:
    """An alert to raise: ``staff_alerts.raise_alert`` takes these values."""

    cause_key: str
    title: str
    message: str
    details: dict


def notice_delivery_alert(
    *,
    cause: str,
    transport: str,
    channel_id,
    last_error: str,
    notice_type: str,
    labels: Mapping[str, str],
) -> AlertDraft | None:
    """The staff alert of a notice that failed for good, or None when the cause is
    not the merchant's to fix. One alert per cause and channel: the key names both
    (and the transport, for causes of one transport).

    ``labels``: {setting name: its label in the Dashboard}; a setting the mapping
    lacks is named by its name.
    """
    if not is_merchant_cause(cause):
        return None
    cause = DeliveryCause(cause)
    fix = _MERCHANT_FIXES[cause]
    names = {name: f'"{labels.get(name, name)}"' for name in _SETTINGS_NAMED}
    for part in ("subject", "body"):
        name = f"{part}_{notice_type}"
        names[f"{part}_template"] = f'"{labels.get(name, name)}"'
    subject = (
        "Notices" if fix.is_channel_wide else _NOTICES_BY.get(transport, "Notices")
    )
    transport_part = "any" if fix.is_channel_wide else transport
    cause_part = (
        f"{cause.value}:{notice_type}"
        if cause == DeliveryCause.TEMPLATE_INVALID
        else cause.value
    )
    error = " ".join(last_error.split()).rstrip(". ")
    return AlertDraft(
        cause_key=f"notice_delivery:{channel_id}:{transport_part}:{cause_part}",
        title=f"{subject} fail: {fix.what}; {fix.short_fix}",
        message=(
            f"In this channel, {subject[0].lower()}{subject[1:]} fail: {fix.what}. "
            f"Latest error: {error}. "
            + fix.fix.format(**names)
            + " Failed notices stay failed: once this is fixed, send them again "
            "(serviceNoticeRetry) and mark this alert done."
        ),
        details={
            "transport": transport,
            "cause": cause.value,
            "lastError": last_error,
            "noticeType": notice_type,
        },
    )


# Survey call backs ----------------------------------------------------------------


def survey_call_back_key(survey_id: str) -> str:
    """The cause of a survey's call-back alert: one per survey."""
    return f"survey_call_back:{survey_id}"


def survey_call_back_alert(
    *,
    survey_id: str,
    moment: str,
    problem: str,
    order_number: str,
    customer_email: str,
    what_went_wrong: Sequence[str],
    comment: str,
) -> AlertDraft:
    """The staff alert of a survey whose "No" asks for a call back: the problem was
    not handled the way the customer wanted. One alert per survey.

    ``survey_id``: the survey's GraphQL ID (serviceContactLog links the call to it);
    ``what_went_wrong``: WrongThing values the customer chose; ``comment``: the
    customer's free text, quoted as plain text (whoever shows it as HTML escapes it).
    """
    about = f"Order #{order_number}" if order_number else "A customer"
    problem_words = _PROBLEM_WORDS.get(problem, "")
    if moment == "completed":
        said = "was not satisfied with how the order was handled"
    elif problem_words:
        said = f"says {problem_words} was not handled the way they wanted"
    else:
        said = "says the problem was not handled the way they wanted"
    parts = [f"{about}: the customer {said}."]
    if not order_number and customer_email:
        parts.append(f"Customer: {customer_email}.")
    if what_went_wrong:
        labels = (WRONG_THING_TEXTS[WrongThing(value)] for value in what_went_wrong)
        parts.append(f"What went wrong: {', '.join(labels)}.")
    if comment:
        parts.append(f'Their words: "{comment}"')
    parts.append(
        "Please call them back, and log the call with serviceContactLog naming this "
        f"survey ({survey_id}); logging it marks this alert done."
    )
    return AlertDraft(
        cause_key=survey_call_back_key(survey_id),
        title=(
            f"Order #{order_number}: call the customer back about their survey answer"
            if order_number
            else "Call the customer back about their survey answer"
        ),
        message=" ".join(parts),
        details={
            "surveyId": survey_id,
            "moment": moment,
            "problem": problem or None,
            "whatWentWrong": list(what_went_wrong),
        },
    )


# How the alert names the problem an after-problem survey asked about.
_PROBLEM_WORDS = {
    ProblemKind.DELAY: "the delay of their order",
    ProblemKind.STOCK_SHORTAGE: "the missing item of their order",
    ProblemKind.COUPON: "the promo code that stopped working",
    ProblemKind.CONTACT: "their recent request",
}


# Conversations ---------------------------------------------------------------------


def conversation_waiting_alert(
    *,
    conversation_id: str,
    contact_channel: str,
    sender: str,
    waiting_since_text: str,
    target_text: str,
    order_number: str,
    waiting_period: str,
) -> AlertDraft:
    """The staff alert of a conversation whose customer has waited past the answer
    target of its contact channel: once per waiting period (``waiting_period``, the
    start of the wait), so a conversation answered and waiting again alerts anew."""
    waiting = f"customer waiting past the {contact_channel} answer target"
    who = f"The customer ({sender})" if sender else "The customer"
    return AlertDraft(
        cause_key=f"conversation_waiting:{conversation_id}:{waiting_period}",
        title=f"Order #{order_number}: {waiting}"
        if order_number
        else waiting[0].upper() + waiting[1:],
        message=(
            f"{who} has waited on {contact_channel} since {waiting_since_text}, longer "
            f"than the target of {target_text} in working hours. Answer them; marking "
            "this alert done does not answer them."
        ),
        details={
            "conversationId": conversation_id,
            "contactChannel": contact_channel,
            "waitingSince": waiting_period,
        },
    )


def problem_reported_alert(
    *,
    message_id: str,
    conversation_id: str,
    problem_text: str,
    kind: str,
    order_number: str,
    customer: str,
) -> AlertDraft:
    """The staff alert of a problem a customer reported with an order: one per
    report (``message_id``, the report's message in its conversation)."""
    return AlertDraft(
        cause_key=f"problem_reported:{message_id}",
        title=f"Order #{order_number}: customer reports {problem_text}",
        message=(
            f"{customer or 'The customer'} reported that {problem_text} (order "
            f"#{order_number}). Their words are in the conversation; answer them "
            "there. Marking this alert done does not answer them."
        ),
        details={
            "conversationId": conversation_id,
            "messageId": message_id,
            "problem": kind,
        },
    )
