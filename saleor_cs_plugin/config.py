"""The plugin's per-channel settings: their definitions, defaults and validation.

Saleor stores plugin settings as a list of ``{"name": ..., "value": ...}`` items per
channel. This module turns those values into a frozen ``ChannelSettings`` and explains
every rejected value by what is allowed, led by the field's label for the Dashboard
(``SettingsError.labelled``).
``FIELDS`` is in the order a merchant sets up a store: the channel's status lines, the
store basics, how notices are sent, one group per feature, then the notice texts. It
imports nothing from Django or Saleor (Babel only checks language codes), so the
rules are tested without either;
``plugin.py`` maps the definitions onto Saleor's ``CONFIG_STRUCTURE``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from email.errors import HeaderParseError
from email.headerregistry import Address
from enum import StrEnum
from functools import cache, lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError

from .domain.conversations import INBOUND_CHANNELS, AnswerHours
from .domain.coupons import MESSAGE_VARIABLES, Reason
from .domain.history import ContactChannel
from .domain.notices import (
    CONVERSATION_NOTICE_TYPES,
    DEFAULT_ESSENTIAL_TYPES,
    DispatchPolicy,
    NoticeType,
    QuietHours,
    TemplateError,
    Transport,
    render,
)
from .domain.promises import DelayRules, StoreCalendar
from .domain.text import LINE_CONTROLS, Unwanted, first_unwanted
from .domain.surveys import QUESTION_TEXTS, Moment, MomentSettings, Question
from .domain.words import gettext_noop

PLUGIN_ID = "com.saleor-cs-plugin.customer-service"
SUPPORT_CONTACT_MAX_LENGTH = 500
INBOUND_SECRET_MIN_LENGTH = 16
# A notice's recipient column holds at most this much (Django's EmailField).
STAFF_ADDRESSES_MAX_LENGTH = 254

WEBHOOK_CONTACT_CHANNELS = ("sms", "chat", "social")

# Pages a link in a message may open: the plugin serves each one itself, unless the
# storefront serves it (``storefront_pages``). {internal name: name a merchant types}
CUSTOMER_PAGES = {
    "stock_shortage": "stock shortage",
    "survey": "survey",
    "problem_report": "problem report",
}

# A line "[pl]" alone starts the Polish text of a multi-language setting.
LANGUAGE_MARKER = re.compile(r"^\s*\[([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\]\s*$")
LANGUAGE_SECTIONS_HELP = (
    "To give it in another language, add a line with the language's code in square "
    "brackets, e.g. [pl] or [de], and that language's text below it; the text before "
    "the first such line is for every other language."
)

# How the email transport secures its connection to the mail server.
SMTP_SECURITY_CHOICES = ("starttls", "ssl", "none")

# What a notice template may use; each notice fills all of them (some may be empty).
TEMPLATE_VARIABLES = (
    "customer_name",
    "customer_email",
    "order_number",
    "subject",
    "message",
    "action_url",
    "support_contact",
    "storefront_url",
)

# The notices the plugin sends, by the names a merchant reads and types; the
# internal names (order_delay, ...) are accepted as well.
NOTICE_TYPE_NAMES = {
    NoticeType.ORDER_DELAY: "order delay",
    NoticeType.ORDER_DELAY_FOLLOW_UP: "delay follow-up",
    NoticeType.ORDER_ON_THE_WAY: "on the way",
    NoticeType.STOCK_SHORTAGE: "stock shortage",
    NoticeType.STOCK_RESTORED: "stock restored",
    NoticeType.SURVEY: "survey",
    NoticeType.STAFF_ALERT: "staff alert",
}
SENT_NOTICE_TYPES = tuple(NOTICE_TYPE_NAMES)

DEFAULT_SUBJECT = "$subject"
# Sent in the customer's language while the merchant keeps it (tasks renders it
# through the catalogs).
DEFAULT_BODY = gettext_noop("Hello $customer_name,\n\n$message\n\n$support_contact")
# Staff are not a customer: their alert is the message alone.
DEFAULT_STAFF_ALERT_BODY = "$message"

# Public holidays are expanded from the year before this one: a promise of an order
# placed last year may still be reviewed. Promised dates reach at most 30 handling
# plus 365 delivery working days ahead, up to about eight years with one working
# weekday; later years are not needed.
HOLIDAY_YEARS_BEFORE = 1
HOLIDAY_YEARS_AFTER = 9


class FieldKind(StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    PASSWORD = "password"
    # Read-only: filled in when the configuration is shown, never saved.
    OUTPUT = "output"


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    kind: FieldKind
    default: str
    label: str
    help_text: str


READABLE_SENT_NOTICE_TYPES = ", ".join(NOTICE_TYPE_NAMES.values())

_STATUS_HELP_END = (
    " Read-only: worked out when this page opens (at most a minute old); saving "
    "never changes it."
)


def _status(name: str, label: str, help_text: str) -> FieldDefinition:
    return FieldDefinition(
        name=name,
        kind=FieldKind.OUTPUT,
        default="",
        label=f"Status now · {label}",
        help_text=help_text + _STATUS_HELP_END,
    )


STATUS_FIELDS: tuple[FieldDefinition, ...] = (
    _status(
        "status_staff_alerts",
        "Open staff alerts",
        "Staff alerts about this channel that nobody has marked done yet, such as "
        "notices that cannot be delivered or promoted codes that stopped working; "
        "the staff inbox lists them.",
    ),
    _status(
        "status_failed_notices",
        "Notices failed in the last 7 days",
        "Notices of this channel that could not be delivered in the last 7 days, "
        "and why.",
    ),
    _status(
        "status_orders_at_risk",
        "Orders at risk or late",
        "Unshipped orders of this channel whose promised ship-by day ends soon (at "
        "risk) or has passed (late).",
    ),
    _status(
        "status_promoted_codes",
        "Promoted codes needing attention",
        "Promoted codes of this channel that stopped working or are about to.",
    ),
    _status(
        "status_on_time_shipping",
        "On-time shipping, last 30 days",
        "Share of this channel's orders shipped in the last 30 days that left by "
        "their promised ship-by day.",
    ),
    _status(
        "status_survey_satisfied",
        "Satisfied customers, last 30 days",
        "Share of the customers who answered whether they were satisfied with an "
        "order, in surveys of this channel sent in the last 30 days, who said yes.",
    ),
    _status(
        "status_survey_response_rate",
        "Survey response rate, last 30 days",
        "Share of this channel's surveys sent in the last 30 days that the customer "
        "answered.",
    ),
    _status(
        "status_conversations_waiting",
        "Conversations waiting past target",
        "Conversations of this channel whose customer has waited for the store's "
        "answer longer than the answer target of its contact channel (counted in "
        "the answering hours), by contact channel.",
    ),
    _status(
        "status_first_answer_within_target",
        "First answer within target, last 30 days",
        "Share of this channel's conversations opened in the last 30 days that the "
        "store first answered within the answer target (one still unanswered past "
        "it counts as missed), and the median time to the first answer.",
    ),
)


NOTICE_TEXT_FIRST_SUBJECT = "Notice texts · Order delay subject"


def _template_fields(notice_type: NoticeType) -> tuple[FieldDefinition, ...]:
    title = NOTICE_TYPE_NAMES[notice_type]
    label = title[0].upper() + title[1:]
    if notice_type == SENT_NOTICE_TYPES[0]:
        subject_help = (
            f"Subject of the '{title}' notice. Every notice text may use "
            "$subject and $message (the plugin's own wording of the notice), "
            "$customer_name, $customer_email, $order_number, $action_url (the "
            "notice's link, if it has one), $support_contact and $storefront_url; "
            "write $$ for a dollar sign. Each notice text may be given per language: "
            "a line [pl] (a language code in square brackets) starts the Polish "
            "text; the text before it is for every other language."
        )
    else:
        subject_help = (
            f"Subject of the '{title}' notice; placeholders as listed under "
            f"{NOTICE_TEXT_FIRST_SUBJECT}."
        )
    body = (
        DEFAULT_STAFF_ALERT_BODY
        if notice_type == NoticeType.STAFF_ALERT
        else (DEFAULT_BODY)
    )
    return (
        FieldDefinition(
            name=f"subject_{notice_type.value}",
            # Multiline for its texts in other languages, one line each.
            kind=FieldKind.MULTILINE,
            default=DEFAULT_SUBJECT,
            label=f"Notice texts · {label} subject",
            help_text=subject_help,
        ),
        FieldDefinition(
            name=f"body_{notice_type.value}",
            kind=FieldKind.MULTILINE,
            default=body,
            label=f"Notice texts · {label} body",
            help_text=(
                f"Text of the '{title}' notice; a blank line starts a paragraph, and "
                "customer data is escaped in the HTML part. Placeholders as listed "
                f"under {NOTICE_TEXT_FIRST_SUBJECT}."
            ),
        ),
    )


FIELDS: tuple[FieldDefinition, ...] = (
    *STATUS_FIELDS,
    # The store.
    FieldDefinition(
        name="time_zone",
        kind=FieldKind.TEXT,
        default="UTC",
        label="Store · Time zone",
        help_text=(
            "IANA time zone of this channel's store, e.g. Europe/Warsaw or "
            "America/New_York. Promised dates, the cut-off hour, quiet hours and "
            "daily limits use it."
        ),
    ),
    FieldDefinition(
        name="storefront_url",
        kind=FieldKind.TEXT,
        default="",
        label="Store · Storefront URL",
        help_text=(
            "Public http(s) address of this channel's storefront, e.g. "
            "https://shop.example.com; messages may name it as $storefront_url, "
            "and links to the pages your storefront serves (see below) start "
            "here. Empty: no such links."
        ),
    ),
    FieldDefinition(
        name="support_contact",
        kind=FieldKind.MULTILINE,
        default="",
        label="Store · How customers reach you",
        help_text=(
            "Shown to customers at the end of every message and on the plugin's "
            "pages, e.g. 'Reply to this e-mail or call +1 555 0100.' At most "
            f"{SUPPORT_CONTACT_MAX_LENGTH} characters a language. Empty: nothing is "
            "added. " + LANGUAGE_SECTIONS_HELP
        ),
    ),
    FieldDefinition(
        name="language",
        kind=FieldKind.TEXT,
        default="en",
        label="Store · Language",
        help_text=(
            "Language of messages and pages for customers whose order, checkout or "
            "account is in a language the plugin does not speak, as a code such as "
            "en, pl or de. The plugin's own wording is in English, Polish and "
            "German; a language you write texts in (see the texts' [xx] lines) is "
            "spoken too."
        ),
    ),
    FieldDefinition(
        name="storefront_pages",
        kind=FieldKind.TEXT,
        default="",
        label="Store · Pages your storefront serves",
        help_text=(
            "Pages that links in messages open on your storefront instead of on "
            "the plugin's own page (served by Saleor), comma-separated: "
            + ", ".join(CUSTOMER_PAGES.values())
            + ". The storefront's stock-shortage page is "
            "<storefront URL>/stock-shortage?token=... and calls "
            "serviceStockShortageChoose; its survey page is "
            "<storefront URL>/survey?token=... (with answer=yes or answer=no from "
            "an e-mail's one-click answer) and calls serviceSurvey and "
            "serviceSurveyAnswer; its problem-report page is "
            "<storefront URL>/report-problem?order=<order token> and calls "
            "serviceProblemReport(orderToken:). Needs the storefront URL. Empty: "
            "every link opens the plugin's page."
        ),
    ),
    FieldDefinition(
        name="trusted_proxies",
        kind=FieldKind.TEXT,
        default="0",
        label="Store · Trusted proxies in front of Saleor",
        help_text=(
            "How many proxies of your own (load balancer, CDN) stand in front of "
            "Saleor and add the client's address to X-Forwarded-For, 0 to 5. The "
            "coupon and page rate limits count by the address the outermost of "
            "them saw: with 0 the connection's own address (X-Forwarded-For is "
            "ignored), with 1 the last address in X-Forwarded-For, with 2 the one "
            "before it. A number higher than the proxies you have lets a client "
            "choose its own address."
        ),
    ),
    # How notices are sent, then each transport's settings.
    FieldDefinition(
        name="notice_transports",
        kind=FieldKind.MULTILINE,
        default="*=saleor_notify",
        label="Notices · How notices are sent",
        help_text=(
            "One line per notice, 'notice = transport'; '*' stands for every notice "
            "without a line of its own, e.g. '* = email' and 'staff alert = off'. "
            f"Notices: {READABLE_SENT_NOTICE_TYPES}. Transports: saleor_notify "
            "(the default: Saleor hands the notice to an installed app that sends "
            "customer notifications; with no such app every notice fails and a "
            "staff alert says so), email (your mail server, the E-mail settings), "
            "webhook (a signed POST to the Webhook URL, for an SMS, chat or "
            "social-media bridge), off (not sent)."
        ),
    ),
    FieldDefinition(
        name="smtp_host",
        kind=FieldKind.TEXT,
        default="",
        label="E-mail · SMTP host",
        help_text=(
            "Mail server of the email transport, e.g. smtp.example.com. Required "
            "while a notice is sent by email."
        ),
    ),
    FieldDefinition(
        name="smtp_port",
        kind=FieldKind.TEXT,
        default="587",
        label="E-mail · SMTP port",
        help_text="1 to 65535; usually 587 with starttls, 465 with ssl, 25 with none.",
    ),
    FieldDefinition(
        name="smtp_user",
        kind=FieldKind.TEXT,
        default="",
        label="E-mail · SMTP user",
        help_text="User name at the mail server; empty to send without logging in.",
    ),
    FieldDefinition(
        name="smtp_password",
        kind=FieldKind.PASSWORD,
        default="",
        label="E-mail · SMTP password (of the SMTP user)",
        help_text=(
            "Password of the SMTP user at the mail server. Never shown again once "
            "saved."
        ),
    ),
    FieldDefinition(
        name="smtp_security",
        kind=FieldKind.TEXT,
        default="starttls",
        label="E-mail · Connection security",
        help_text=(
            "starttls (the connection is upgraded, usually on port 587), ssl "
            "(encrypted from the start, usually on port 465) or none (not "
            "encrypted; only for a mail relay on your own network)."
        ),
    ),
    FieldDefinition(
        name="sender_name",
        kind=FieldKind.TEXT,
        default="",
        label="E-mail · Sender name",
        help_text=(
            "Name in the From header of notice e-mails, e.g. 'Acme Support'. Empty: "
            "the address alone."
        ),
    ),
    FieldDefinition(
        name="sender_address",
        kind=FieldKind.TEXT,
        default="",
        label="E-mail · Sender address",
        help_text=(
            "Address in the From header of notice e-mails, e.g. care@example.com. "
            "Required while a notice is sent by email."
        ),
    ),
    FieldDefinition(
        name="webhook_url",
        kind=FieldKind.TEXT,
        default="",
        label="Webhook · URL",
        help_text=(
            "http(s) address that receives notices as signed JSON for the webhook "
            "transport (your SMS, chat or social-media bridge), e.g. "
            "https://bridge.example.com/notices. Required while a notice is sent "
            "by webhook."
        ),
    ),
    FieldDefinition(
        name="webhook_secret",
        kind=FieldKind.PASSWORD,
        default="",
        label="Webhook · Secret (at least 16 characters)",
        help_text=(
            "Key of the X-Saleor-CS-Signature header: hex HMAC-SHA256 of the raw "
            "body. At least 16 characters while a webhook URL is set."
        ),
    ),
    FieldDefinition(
        name="webhook_contact_channel",
        kind=FieldKind.TEXT,
        default="sms",
        label="Webhook · Reaches customers by",
        help_text=(
            "What your webhook receiver does with a notice, as the service history "
            "records it: sms, chat or social."
        ),
    ),
    # Customers' messages that bridges post to the plugin (conversations).
    FieldDefinition(
        name="inbound_secret",
        kind=FieldKind.PASSWORD,
        default="",
        label="Inbound messages · Secret (at least 16 characters)",
        help_text=(
            "Key your SMS, chat, social or e-mail bridge signs customers' messages "
            "with when it posts them to the plugin's inbound address: "
            "X-Saleor-CS-Signature is the hex HMAC-SHA256 of "
            "'<X-Saleor-CS-Timestamp>.<body>'. Empty: the channel takes no "
            "inbound messages."
        ),
    ),
    FieldDefinition(
        name="answer_hours",
        kind=FieldKind.TEXT,
        default="9-17",
        label="Inbound messages · Answering hours",
        help_text=(
            "Local hours 'start-end' (0-24, e.g. 9-17) in the store's time zone when "
            "staff answer customers, on the working days and holidays of Delivery "
            "promises. Answer targets count only this time."
        ),
    ),
    FieldDefinition(
        name="answer_targets",
        kind=FieldKind.TEXT,
        default=(
            "chat 5 minutes, social 1 hour, sms 1 hour, phone 1 hour, email 24 hours, "
            "web 24 hours"
        ),
        label="Inbound messages · Answer within (working time)",
        help_text=(
            "How soon a customer's first unanswered message is answered, per contact "
            "channel, counted in the answering hours: 'channel number unit' items "
            "separated by commas, units minutes or hours (e.g. 'chat 5 minutes, "
            "email 24 hours'); web is for problems customers report from the "
            "storefront or the plugin's pages. A conversation waiting longer raises "
            "one staff alert. A channel left out has no target."
        ),
    ),
    FieldDefinition(
        name="acknowledge_out_of_hours",
        kind=FieldKind.TEXT,
        default="no",
        label="Inbound messages · Acknowledge messages out of answering hours",
        help_text=(
            "yes or no. With yes, a customer who writes outside the answering hours "
            "gets an automatic reply on the same channel, in their language, saying "
            "when the store will answer (by the answer target), at most once per "
            "conversation per day."
        ),
    ),
    # When and how often notices go out.
    FieldDefinition(
        name="quiet_hours",
        kind=FieldKind.TEXT,
        default="21-8",
        label="Notices · Quiet hours",
        help_text=(
            "Local hours 'start-end' (0-23, e.g. 21-8) in the store's time zone when "
            "non-essential notices wait for the morning. Empty: no quiet hours."
        ),
    ),
    FieldDefinition(
        name="max_notices_per_day",
        kind=FieldKind.TEXT,
        default="3",
        label="Notices · Most per customer in 24 hours",
        help_text=(
            "At most this many notices reach one customer in any 24 hours; further "
            "non-essential ones wait. 0 to 50; 0 means no limit."
        ),
    ),
    FieldDefinition(
        name="max_attempts",
        kind=FieldKind.TEXT,
        default="6",
        label="Notices · Delivery attempts",
        help_text=(
            "How often a notice is tried when the transport fails temporarily "
            "(network error, HTTP 5xx, temporary SMTP error), 1 to 20."
        ),
    ),
    FieldDefinition(
        name="retry_base_seconds",
        kind=FieldKind.TEXT,
        default="60",
        label="Notices · First retry after (seconds)",
        help_text=(
            "Wait before the first retry, 1 to 3600; each further wait doubles "
            "(with jitter), up to six hours."
        ),
    ),
    FieldDefinition(
        name="delivery_timeout_seconds",
        kind=FieldKind.TEXT,
        default="10",
        label="Notices · Delivery timeout (seconds)",
        help_text="Time limit of one SMTP or webhook call, 1 to 60.",
    ),
    FieldDefinition(
        name="essential_notice_types",
        kind=FieldKind.TEXT,
        default=", ".join(
            NOTICE_TYPE_NAMES[t]
            for t in SENT_NOTICE_TYPES
            if t in DEFAULT_ESSENTIAL_TYPES
        ),
        label="Notices · Essential notices",
        help_text=(
            "Notices that reach customers even during quiet hours, past the daily "
            "limit and after an opt-out from non-essential messages; "
            f"comma-separated, any of: {READABLE_SENT_NOTICE_TYPES}. Empty: none "
            "is essential."
        ),
    ),
    # Delivery promises.
    FieldDefinition(
        name="promise_handling_days",
        kind=FieldKind.TEXT,
        default="1",
        label="Delivery promises · Handling time (working days)",
        help_text=(
            "Working days the store needs to ship an order once it is processed, "
            "0 to 30. The promised ship-by day is this many working days after it."
        ),
    ),
    FieldDefinition(
        name="promise_cutoff_hour",
        kind=FieldKind.TEXT,
        default="14",
        label="Delivery promises · Daily order cut-off hour",
        help_text=(
            "Local hour, 0 to 24, from which new orders are processed on the next "
            "working day; 24 means every order of a working day counts that day."
        ),
    ),
    FieldDefinition(
        name="promise_working_days",
        kind=FieldKind.TEXT,
        default="mon,tue,wed,thu,fri",
        label="Delivery promises · Working days",
        help_text=(
            "Comma-separated days the store ships and carriers deliver: mon, tue, "
            "wed, thu, fri, sat, sun."
        ),
    ),
    FieldDefinition(
        name="promise_holidays_country",
        kind=FieldKind.TEXT,
        default="",
        label="Delivery promises · Public holidays (country code)",
        help_text=(
            "Country code, optionally with a region after a hyphen, whose public "
            "holidays are not working days, e.g. US, US-CA, DE-BY (Bavaria), "
            "GB-SCT or PL. Empty: no public holidays; enter days off below."
        ),
    ),
    FieldDefinition(
        name="promise_holidays",
        kind=FieldKind.MULTILINE,
        default="",
        label="Delivery promises · Extra days off",
        help_text=(
            "Further days the store does not ship, besides the public holidays: "
            "one date per line as YYYY-MM-DD; text after '#' is a comment."
        ),
    ),
    FieldDefinition(
        name="promise_default_delivery_days",
        kind=FieldKind.TEXT,
        default="",
        label="Delivery promises · Delivery days when the method has none",
        help_text=(
            "'min-max' working days (e.g. 2-5) for shipping methods without their "
            "own minimum and maximum delivery days (Saleor's demo methods have "
            "none). Empty: such orders get no promise. Orders placed before you "
            "set this also get a promise: unshipped orders of the last 24 hours "
            "get one within minutes; a delay they have already reached is noted on "
            "the order, not told to the customer, and later ones are told as usual."
        ),
    ),
    # Delay notices.
    FieldDefinition(
        name="delay_at_risk_hours",
        kind=FieldKind.TEXT,
        default="24",
        label="Delay notices · At risk this many hours before ship-by ends",
        help_text=(
            "An unshipped order counts as at risk, and the customer is told, this "
            "many hours before its ship-by day ends, 0 to 168; 0: no at-risk notice."
        ),
    ),
    FieldDefinition(
        name="delay_follow_up_days",
        kind=FieldKind.TEXT,
        default="3",
        label="Delay notices · Second notice after (days)",
        help_text=(
            "Days after the ship-by day ends when a still unshipped order gets a "
            "second notice, 0 to 60; 0: no second notice."
        ),
    ),
    FieldDefinition(
        name="delay_shipping_days",
        kind=FieldKind.TEXT,
        default="2",
        label="Delay notices · A late order ships within (working days)",
        help_text=(
            "Used for the honest new estimate given to customers of late orders: "
            "the order ships this many working days from now, 1 to 30."
        ),
    ),
    FieldDefinition(
        name="apology_voucher",
        kind=FieldKind.TEXT,
        default="",
        label="Delay notices · Apology voucher with the second notice",
        help_text=(
            "A single-use voucher for the customer's next order sent with the second "
            "delay notice: a percentage (e.g. 10%) or a fixed amount in the "
            "channel's currency (e.g. 5.00). Empty: no voucher."
        ),
    ),
    FieldDefinition(
        name="apology_voucher_valid_days",
        kind=FieldKind.TEXT,
        default="30",
        label="Delay notices · Apology voucher valid for (days)",
        help_text="Days an apology voucher can be used, 1 to 365.",
    ),
    FieldDefinition(
        name="apology_vouchers_per_day",
        kind=FieldKind.TEXT,
        default="20",
        label="Delay notices · Apology vouchers per day",
        help_text=(
            "At most this many apology vouchers are issued in this channel a day "
            "(store time zone), 0 to 1000; past it the notice goes without one."
        ),
    ),
    # Stock shortages (ShortageSettings).
    FieldDefinition(
        name="shortage_max_alternatives",
        kind=FieldKind.TEXT,
        default="3",
        label="Stock shortages · Alternatives offered for a short item",
        help_text=(
            "At most this many in-stock alternatives are offered when an ordered "
            "item turns out not to be in stock, 0 to 10; 0 offers none (the "
            "customer can still wait or cancel)."
        ),
    ),
    FieldDefinition(
        name="shortage_price_band_percent",
        kind=FieldKind.TEXT,
        default="25",
        label="Stock shortages · Price band of alternatives (%)",
        help_text=(
            "An alternative costs at most this many percent more or less than the "
            "item ordered, 0 to 100."
        ),
    ),
    FieldDefinition(
        name="shortage_link_valid_days",
        kind=FieldKind.TEXT,
        default="7",
        label="Stock shortages · Choice link valid for (days)",
        help_text=(
            "How long the link in a stock-shortage notice lets the customer choose "
            "(wait, switch or cancel), 1 to 60 days. Each link answers once."
        ),
    ),
    FieldDefinition(
        name="shortage_staff_email",
        kind=FieldKind.TEXT,
        default="",
        label="Stock shortages · Staff e-mail for customers' choices",
        help_text=(
            "A customer's answer to a stock-shortage notice is a staff alert in the "
            "staff inbox and a note in the order's timeline; this address also gets "
            "it by e-mail. Empty: no e-mail."
        ),
    ),
    # Coupon help (CouponSettings).
    FieldDefinition(
        name="coupon_messages",
        kind=FieldKind.MULTILINE,
        default="",
        label="Coupon help · Messages",
        help_text=(
            "Your own wording of why a code does not apply, one 'reason: message' a "
            "line; reasons not listed keep the built-in message. Reasons: "
            + ", ".join(r.value for r in Reason)
            + ". Placeholders: "
            + ", ".join(f"${v}" for v in MESSAGE_VARIABLES)
            + "; write $$ for a dollar sign. Lines after a line [pl] (a language "
            "code in square brackets) are the Polish messages; a reason without "
            "one in the shopper's language keeps your message before the first "
            "such line, else the built-in one."
        ),
    ),
    FieldDefinition(
        name="coupon_max_alternatives",
        kind=FieldKind.TEXT,
        default="3",
        label="Coupon help · Codes suggested when a code fails",
        help_text=(
            "At most this many promoted codes that do apply to the cart are "
            "suggested, biggest discount first, 0 to 10; 0 suggests none."
        ),
    ),
    FieldDefinition(
        name="coupon_failures_per_checkout",
        kind=FieldKind.TEXT,
        default="10",
        label="Coupon help · Failed codes allowed per checkout (an hour)",
        help_text=(
            "After this many failed codes in an hour, a checkout may try no more "
            "codes until the hour has passed, 1 to 1000."
        ),
    ),
    FieldDefinition(
        name="coupon_failures_per_ip",
        kind=FieldKind.TEXT,
        default="30",
        label="Coupon help · Failed codes allowed per client address (an hour)",
        help_text=(
            "After this many failed codes in an hour from one IP address, it may try "
            "no more codes until the hour has passed, 1 to 10000."
        ),
    ),
    # Promoted codes.
    FieldDefinition(
        name="promoted_code_warning_hours",
        kind=FieldKind.TEXT,
        default="48",
        label="Promoted codes · Warn about codes ending within (hours)",
        help_text=(
            "Staff are alerted this many hours before a promoted code expires, or "
            "runs out at the pace of the last 24 hours, 0 to 720; 0: only when it "
            "has stopped working."
        ),
    ),
    FieldDefinition(
        name="promoted_code_staff_email",
        kind=FieldKind.TEXT,
        default="",
        label="Promoted codes · Staff e-mail for alerts",
        help_text=(
            "A promoted code that stops working, or is about to, is a staff alert "
            "in the staff inbox; this address also gets each new one by e-mail. "
            "Empty: no e-mail."
        ),
    ),
    FieldDefinition(
        name="coupon_grace_hours",
        kind=FieldKind.TEXT,
        default="0",
        label="Promoted codes · Grace after a code ended (hours)",
        help_text=(
            "A promoted code that expired or ran out less than this many hours ago "
            "is still honored, with a single-use replacement for the same discount "
            "issued to the shopper's e-mail, once per shopper and code, 0 to 168; "
            "0 (the default): off."
        ),
    ),
    FieldDefinition(
        name="coupon_grace_code_valid_hours",
        kind=FieldKind.TEXT,
        default="24",
        label="Promoted codes · Replacement code valid for (hours)",
        help_text="Hours a replacement code can be used, 1 to 168.",
    ),
    FieldDefinition(
        name="coupon_grace_per_day",
        kind=FieldKind.TEXT,
        default="50",
        label="Promoted codes · Replacement codes per day",
        help_text=(
            "At most this many replacement codes are issued in this channel a day "
            "(store time zone), 0 to 10000; past it ended codes are explained but "
            "not honored."
        ),
    ),
    # Surveys (SurveySettings).
    FieldDefinition(
        name="survey_completed_percent",
        kind=FieldKind.TEXT,
        default="0",
        label="Surveys · Completed orders: share of customers asked (%)",
        help_text=(
            "Customers asked, after an order was delivered (or shipped, without a "
            "delivery record), whether they were satisfied, 0 to 100. The same "
            "customers are always the ones asked (a fixed share of this store's "
            "customers). 0 (the default): not asked."
        ),
    ),
    FieldDefinition(
        name="survey_completed_days",
        kind=FieldKind.TEXT,
        default="7",
        label="Surveys · Completed orders: ask after (days)",
        help_text=(
            "Days after the order was delivered, or its last fulfilment shipped when "
            "no delivery was recorded, 0 to 60. Cancelled orders are not asked."
        ),
    ),
    FieldDefinition(
        name="survey_abandoned_percent",
        kind=FieldKind.TEXT,
        default="0",
        label="Surveys · Abandoned checkouts: share of customers asked (%)",
        help_text=(
            "Customers asked why they did not complete an order, 0 to 100: checkouts "
            "with an e-mail and at least one line, from which no order was placed "
            "and whose e-mail placed no order since; each checkout at most once. "
            "0 (the default): not asked."
        ),
    ),
    FieldDefinition(
        name="survey_abandoned_hours",
        kind=FieldKind.TEXT,
        default="24",
        label="Surveys · Abandoned checkouts: ask after (hours untouched)",
        help_text=(
            "Hours a checkout has not changed before its customer is asked, 1 to "
            "168, well before Saleor deletes abandoned checkouts."
        ),
    ),
    FieldDefinition(
        name="survey_after_problem_percent",
        kind=FieldKind.TEXT,
        default="0",
        label="Surveys · After a problem: share of customers asked (%)",
        help_text=(
            "Customers asked whether the store handled a problem the way they "
            "wanted, 0 to 100: a late order they were told about, an item out of "
            "stock (once they answered or it came back), a promo code honored after "
            "it ended, or a contact staff logged. The question names the problem. "
            "0 (the default): not asked."
        ),
    ),
    FieldDefinition(
        name="survey_after_problem_days",
        kind=FieldKind.TEXT,
        default="2",
        label="Surveys · After a problem: ask after (days)",
        help_text=(
            "Days after the problem was handled (the late order shipped, the "
            "customer chose or the stock came back, the code was honored, the "
            "contact was logged), 0 to 30."
        ),
    ),
    FieldDefinition(
        name="survey_fatigue_days",
        kind=FieldKind.TEXT,
        default="30",
        label="Surveys · At most one survey per customer in (days)",
        help_text=(
            "A customer asked in any survey is not asked again for this many days, "
            "whatever the moment, 0 to 365; 0: no limit. Surveys also follow the "
            "quiet hours, the daily limit and customers' opt-outs of non-essential "
            "notices."
        ),
    ),
    FieldDefinition(
        name="survey_link_valid_days",
        kind=FieldKind.TEXT,
        default="14",
        label="Surveys · Answers taken for (days)",
        help_text=(
            "How long the link in a survey takes answers, and the customer may "
            "change them, 1 to 90 days."
        ),
    ),
    FieldDefinition(
        name="survey_comment_retention_days",
        kind=FieldKind.TEXT,
        default="365",
        label="Surveys · Keep customers' own words for (days)",
        help_text=(
            "Free text of answers older than this many days is erased; the answers "
            "chosen from a list, and the metrics, stay. 30 to 3650."
        ),
    ),
    FieldDefinition(
        name="survey_staff_email",
        kind=FieldKind.TEXT,
        default="",
        label="Surveys · Staff e-mail for call-backs",
        help_text=(
            "A customer who was not satisfied and says the problem was not handled "
            "the way they wanted is a staff alert in the staff inbox and a note on "
            "the order, so someone calls them back; this address also gets it by "
            "e-mail. Empty: no e-mail."
        ),
    ),
    *(
        FieldDefinition(
            name=f"survey_question_{question.value}",
            kind=FieldKind.MULTILINE,
            default="",
            label=f"Surveys · Question: {label}",
            help_text=(
                f"Your wording of the question '{QUESTION_TEXTS[question]}'. Empty: "
                "the plugin's own, in the customer's language. "
                + LANGUAGE_SECTIONS_HELP
            ),
        )
        for question, label in (
            (Question.WHY_NOT_COMPLETED, "why not completed"),
            (Question.SATISFIED, "satisfied"),
            (Question.WHAT_WENT_WRONG, "what went wrong"),
            (Question.HANDLED_AS_WANTED, "handled as wanted"),
        )
    ),
    # How long personal data is kept (the customers' own words of survey answers:
    # survey_comment_retention_days).
    FieldDefinition(
        name="retention_coupon_attempt_days",
        kind=FieldKind.TEXT,
        default="90",
        label="Privacy · Keep failed coupon attempts for (days)",
        help_text=(
            "Failed coupon attempts older than this many days lose the code that "
            "was typed, the checkout and the client address; their reason, channel "
            "and time stay for the metrics. 7 to 3650."
        ),
    ),
    FieldDefinition(
        name="retention_notice_content_days",
        kind=FieldKind.TEXT,
        default="90",
        label="Privacy · Keep what sent notices said for (days)",
        help_text=(
            "Notices finished (sent, failed or skipped) more than this many days "
            "ago lose what they said (the customer's name and address, the order's "
            "lines, the links) and the recipient's address; their type, status and "
            "times stay for the metrics. 7 to 3650."
        ),
    ),
    FieldDefinition(
        name="retention_conversation_days",
        kind=FieldKind.TEXT,
        default="365",
        label="Privacy · Keep what was written in conversations for (days)",
        help_text=(
            "Conversations resolved more than this many days ago lose their "
            "messages' words (in the service history too) and the sender's address; "
            "their contact channel, status, times and counts stay for the metrics. "
            "30 to 3650."
        ),
    ),
    # The texts of the notices that are sent.
    *(f for notice_type in SENT_NOTICE_TYPES for f in _template_fields(notice_type)),
)

DEFAULTS: dict[str, str] = {field.name: field.default for field in FIELDS}
LABELS: dict[str, str] = {field.name: field.label for field in FIELDS}
_FIELD_POSITIONS = {field.name: position for position, field in enumerate(FIELDS)}
OUTPUT_FIELD_NAMES = tuple(f.name for f in FIELDS if f.kind == FieldKind.OUTPUT)
_KINDS = {field.name: field.kind for field in FIELDS}

# Stores saved before smtp_security existed hold these two booleans instead.
LEGACY_SMTP_FIELDS = ("smtp_use_tls", "smtp_use_ssl")


def default_templates(notice_type: str) -> tuple[str, str]:
    """(subject, body) a notice type has until the merchant writes their own; the
    types that are not sent (coupon honored, survey) always have these."""
    if notice_type in CONVERSATION_NOTICE_TYPES:
        # The store's own words to one customer: they are the whole message.
        return DEFAULT_SUBJECT, "$message"
    subject = DEFAULTS.get(f"subject_{notice_type}", DEFAULT_SUBJECT)
    body = DEFAULTS.get(f"body_{notice_type}", DEFAULT_BODY)
    return subject, body


def legacy_smtp_security(values: Mapping[str, object]) -> str | None:
    """The ``smtp_security`` of a store that saved the old smtp_use_tls/smtp_use_ssl
    booleans and never smtp_security; None for every other store."""
    if "smtp_security" in values or not any(n in values for n in LEGACY_SMTP_FIELDS):
        return None

    def is_on(name: str, default: bool) -> bool:
        value = values.get(name, default)
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)

    # The old booleans defaulted to STARTTLS on and SSL off; both on was refused.
    if is_on("smtp_use_ssl", False):
        return "ssl"
    return "starttls" if is_on("smtp_use_tls", True) else "none"


class LocalizedText(str):
    """A merchant's text: the string itself is the text for every language; the
    ``by_language`` texts replace it for a language (``[pl]`` sections)."""

    by_language: dict[str, str]

    def __new__(cls, default: str = "", by_language: Mapping[str, str] | None = None):
        text = super().__new__(cls, default)
        text.by_language = dict(by_language or {})
        return text

    def for_language(self, language: str) -> str:
        """The text of ``language``, else of its base language ("pt" for
        "pt-br"), else the default."""
        code = language.lower().replace("_", "-")
        if code in self.by_language:
            return self.by_language[code]
        return self.by_language.get(code.split("-", 1)[0], str(self))

    def __reduce__(self):
        return (LocalizedText, (str(self), self.by_language))


def language_sections(text: str) -> tuple[str, dict[str, str], list[tuple[int, str]]]:
    """Split a multi-language text at its "[xx]" lines: (the default text, {language:
    text}, [(line number, problem)]). Languages are lower case with "-" ("pt-br")."""
    default_lines: list[str] = []
    sections: dict[str, list[str]] = {}
    problems: list[tuple[int, str]] = []
    current = default_lines
    for number, line in enumerate(text.splitlines(), start=1):
        marker = LANGUAGE_MARKER.match(line)
        if marker is None:
            current.append(line)
            continue
        language = marker.group(1).lower().replace("_", "-")
        if not _is_language(language):
            problems.append(
                (
                    number,
                    f"'[{marker.group(1)}]' is not a language code; use one such as "
                    "[pl], [de] or [pt-br]",
                )
            )
            current = []
            continue
        if language in sections:
            problems.append((number, f"[{language}] is given twice"))
            current = []
            continue
        current = sections[language] = []
    return (
        "\n".join(default_lines).strip("\n"),
        {
            language: "\n".join(lines).strip("\n")
            for language, lines in sections.items()
        },
        problems,
    )


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"  # one of SMTP_SECURITY_CHOICES
    sender_name: str = ""
    sender_address: str = ""

    @property
    def use_tls(self) -> bool:
        """Upgrade a plain connection with STARTTLS."""
        return self.security == "starttls"

    @property
    def use_ssl(self) -> bool:
        """Connect over SSL/TLS from the start."""
        return self.security == "ssl"


@dataclass(frozen=True)
class NoticeSettings:
    transports: dict[str, Transport] = field(
        default_factory=lambda: {t.value: Transport.SALEOR_NOTIFY for t in NoticeType}
    )
    policy: DispatchPolicy = DispatchPolicy(
        quiet_hours=QuietHours(21, 8), max_per_day=3
    )
    max_attempts: int = 6
    retry_base_seconds: int = 60
    timeout_seconds: int = 10
    smtp: SmtpSettings = SmtpSettings()
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_contact_channel: str = "sms"
    templates: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            t.value: default_templates(t.value) for t in NoticeType
        }
    )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ApologyVoucherSettings:
    """A single-use voucher offered with the second delay notice; off when value is 0."""

    is_percentage: bool = True
    value: Decimal = Decimal(0)
    valid_days: int = 30
    per_day: int = 20

    @property
    def is_enabled(self) -> bool:
        return self.value > 0 and self.per_day > 0


@dataclass(frozen=True)
class PromiseSettings:
    calendar: StoreCalendar = StoreCalendar()
    rules: DelayRules = DelayRules()
    # (minimum, maximum) working days for methods that have none; None: no promise.
    default_delivery_days: tuple[int, int] | None = None
    apology_voucher: ApologyVoucherSettings = ApologyVoucherSettings()


@dataclass(frozen=True)
class ShortageSettings:
    max_alternatives: int = 3
    price_band_percent: int = 25
    link_valid_days: int = 7
    staff_email: str = ""


@dataclass(frozen=True)
class CouponSettings:
    # {reason value: message template, with its texts in other languages}; reasons
    # not in it use the built-in message (domain.coupons), in the shopper's language.
    messages: dict[str, LocalizedText] = field(default_factory=dict)
    max_alternatives: int = 3
    failures_per_checkout: int = 10
    failures_per_ip: int = 30
    grace_hours: int = 0
    grace_code_valid_hours: int = 24
    grace_per_day: int = 50
    warning_hours: int = 48
    staff_email: str = ""

    @property
    def is_grace_enabled(self) -> bool:
        return self.grace_hours > 0 and self.grace_per_day > 0


@dataclass(frozen=True)
class SurveySettings:
    moments: dict[Moment, MomentSettings] = field(
        default_factory=lambda: {moment: MomentSettings() for moment in Moment}
    )
    completed_days: int = 7
    abandoned_hours: int = 24
    after_problem_days: int = 2
    fatigue_days: int = 30
    link_valid_days: int = 14
    comment_retention_days: int = 365
    staff_email: str = ""
    # {question value: the channel's wording}; a question not in it is worded by
    # the plugin (domain.surveys.question_text).
    questions: dict[str, LocalizedText] = field(default_factory=dict)

    def question(self, question: Question, language: str) -> str:
        """The channel's wording of ``question`` in ``language``; "" for the
        plugin's own."""
        text = self.questions.get(question.value)
        return text.for_language(language) if text else ""


@dataclass(frozen=True)
class RetentionSettings:
    """How long personal data is kept, in days (``retention`` purges it)."""

    coupon_attempt_days: int = 90
    notice_content_days: int = 90
    conversation_days: int = 365


@dataclass(frozen=True)
class ConversationSettings:
    """Conversations with customers (``conversations``)."""

    # Signs the posts of the store's bridges; empty: no inbound messages.
    inbound_secret: str = field(default="", repr=False)
    # When staff answer, and how soon on each contact channel.
    answer_hours: AnswerHours = field(default_factory=AnswerHours)
    # Whether a message out of answering hours gets the automatic "we answer by".
    is_acknowledging_out_of_hours: bool = False


@dataclass(frozen=True)
class ChannelSettings:
    time_zone: str = "UTC"
    storefront_url: str = ""
    support_contact: LocalizedText = LocalizedText("")
    # The channel's language, for customers in one the plugin does not speak.
    language: str = "en"
    # Pages the storefront serves itself (CUSTOMER_PAGES' internal names).
    storefront_pages: frozenset[str] = frozenset()
    # Proxies in front of Saleor that append to X-Forwarded-For (client_address).
    trusted_proxies: int = 0
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    promises: PromiseSettings = PromiseSettings()
    shortages: ShortageSettings = field(default_factory=ShortageSettings)
    coupons: CouponSettings = field(default_factory=CouponSettings)
    surveys: SurveySettings = field(default_factory=SurveySettings)
    retention: RetentionSettings = RetentionSettings()
    conversations: ConversationSettings = ConversationSettings()

    @property
    def written_languages(self) -> frozenset[str]:
        """Languages the merchant wrote texts in (their [xx] sections)."""
        texts = [
            self.support_contact,
            *self.coupons.messages.values(),
            *self.surveys.questions.values(),
        ]
        texts += [text for pair in self.notices.templates.values() for text in pair]
        return frozenset(
            language for text in texts for language in getattr(text, "by_language", {})
        )


class SettingsError(ValueError):
    """Raised with every rejected field at once: ``{field name: what is allowed}``."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {message}" for name, message in errors.items())
        )

    @property
    def labelled(self) -> dict[str, str]:
        """``{field name: message}`` in the order of the page, each message led by
        the field's label: the Dashboard shows a rejected save as a toast and marks
        no field."""
        names = sorted(self.errors, key=lambda name: _FIELD_POSITIONS.get(name, 0))
        return {
            name: f"{LABELS.get(name, name)}: {self.errors[name]}" for name in names
        }


def parse_channel_settings(values: Mapping[str, object]) -> ChannelSettings:
    """Validate raw setting values (missing ones take their defaults).

    Values of fields that are not settings (the status lines, the old SMTP
    booleans, texts of notices that are not sent) are not read, except that old
    SMTP booleans stand for ``smtp_security`` when it was never saved.
    """
    known = {
        name: value
        for name, value in values.items()
        if name in DEFAULTS and name not in OUTPUT_FIELD_NAMES
    }
    legacy_security = legacy_smtp_security(values)
    if legacy_security is not None:
        known["smtp_security"] = legacy_security
    unreadable = {
        name: problem
        for name, value in known.items()
        if (problem := _value_problem(name, value)) is not None
    }
    # A refused value is not read further: its field keeps the default meanwhile.
    fields = _Fields(
        {**DEFAULTS, **{n: v for n, v in known.items() if n not in unreadable}}
    )
    for name, problem in unreadable.items():
        fields.reject(name, problem)

    time_zone = fields.text("time_zone")
    if not _is_time_zone(time_zone):
        fields.reject(
            "time_zone",
            f"'{time_zone}' is not an IANA time zone; use a name such as "
            "'UTC', 'Europe/Warsaw' or 'America/New_York'.",
        )
    storefront_url = fields.web_address("storefront_url")
    support_contact = fields.localized_text("support_contact")
    for language, text in [("", support_contact), *support_contact.by_language.items()]:
        if len(text) > SUPPORT_CONTACT_MAX_LENGTH:
            where = f"the [{language}] text" if language else "the text"
            fields.reject(
                "support_contact",
                f"{where} has {len(text)} characters; at most "
                f"{SUPPORT_CONTACT_MAX_LENGTH} are allowed.",
            )
    language = fields.text("language").lower().replace("_", "-")
    if not _is_language(language):
        fields.reject(
            "language",
            f"'{fields.text('language')}' is not a language code; use one such as "
            "en, pl, de or pt-br.",
        )
        language = "en"
    storefront_pages = fields.pages("storefront_pages")
    if storefront_pages and not storefront_url:
        fields.reject(
            "storefront_pages",
            "links can open your storefront's pages only when the storefront URL is "
            "set; set it, or leave this empty.",
        )
    trusted_proxies = fields.integer("trusted_proxies", 0, 5)
    notices = _parse_notice_settings(fields, time_zone)
    promises = _parse_promise_settings(fields, time_zone)
    shortages = _parse_shortage_settings(fields)
    coupons = _parse_coupon_settings(fields)
    surveys = _parse_survey_settings(fields)
    retention = RetentionSettings(
        coupon_attempt_days=fields.integer("retention_coupon_attempt_days", 7, 3650),
        notice_content_days=fields.integer("retention_notice_content_days", 7, 3650),
        conversation_days=fields.integer("retention_conversation_days", 30, 3650),
    )
    answer_hours = fields.opening_hours("answer_hours")
    answer_targets = fields.answer_targets("answer_targets")
    is_acknowledging = fields.yes_or_no("acknowledge_out_of_hours")
    inbound_secret = fields.raw_text("inbound_secret")
    if inbound_secret and len(inbound_secret) < INBOUND_SECRET_MIN_LENGTH:
        fields.reject(
            "inbound_secret",
            f"it has {len(inbound_secret)} characters; at least "
            f"{INBOUND_SECRET_MIN_LENGTH} are needed, or leave it empty for no "
            "inbound messages.",
        )
    fields.raise_errors()
    return ChannelSettings(
        time_zone=time_zone,
        storefront_url=storefront_url.rstrip("/"),
        support_contact=support_contact,
        language=language,
        storefront_pages=storefront_pages,
        trusted_proxies=trusted_proxies,
        notices=notices,
        promises=promises,
        shortages=shortages,
        coupons=coupons,
        surveys=surveys,
        retention=retention,
        conversations=ConversationSettings(
            inbound_secret=inbound_secret,
            answer_hours=AnswerHours(
                calendar=promises.calendar,
                opens=answer_hours[0],
                closes=answer_hours[1],
                targets=answer_targets,
            ),
            is_acknowledging_out_of_hours=is_acknowledging,
        ),
    )


def _parse_promise_settings(fields: "_Fields", time_zone: str) -> PromiseSettings:
    calendar = StoreCalendar(
        time_zone=time_zone if _is_time_zone(time_zone) else "UTC",
        working_weekdays=fields.weekdays("promise_working_days"),
        holidays=fields.dates("promise_holidays")
        | fields.public_holidays("promise_holidays_country"),
        cutoff_hour=fields.integer("promise_cutoff_hour", 0, 24),
        handling_days=fields.integer("promise_handling_days", 0, 30),
    )
    rules = DelayRules(
        at_risk_lead_hours=fields.integer("delay_at_risk_hours", 0, 168),
        follow_up_days=fields.integer("delay_follow_up_days", 0, 60),
        late_shipping_days=fields.integer("delay_shipping_days", 1, 30),
    )
    return PromiseSettings(
        calendar=calendar,
        rules=rules,
        default_delivery_days=fields.day_range("promise_default_delivery_days"),
        apology_voucher=ApologyVoucherSettings(
            **fields.discount("apology_voucher"),
            valid_days=fields.integer("apology_voucher_valid_days", 1, 365),
            per_day=fields.integer("apology_vouchers_per_day", 0, 1000),
        ),
    )


def _parse_shortage_settings(fields: "_Fields") -> ShortageSettings:
    staff_email = fields.staff_addresses(
        "shortage_staff_email", example="orders@example.com"
    )
    return ShortageSettings(
        max_alternatives=fields.integer("shortage_max_alternatives", 0, 10),
        price_band_percent=fields.integer("shortage_price_band_percent", 0, 100),
        link_valid_days=fields.integer("shortage_link_valid_days", 1, 60),
        staff_email=staff_email.lower(),
    )


def _parse_coupon_settings(fields: "_Fields") -> CouponSettings:
    staff_email = fields.staff_addresses(
        "promoted_code_staff_email", example="marketing@example.com"
    )
    return CouponSettings(
        messages=fields.coupon_messages("coupon_messages"),
        max_alternatives=fields.integer("coupon_max_alternatives", 0, 10),
        failures_per_checkout=fields.integer("coupon_failures_per_checkout", 1, 1000),
        failures_per_ip=fields.integer("coupon_failures_per_ip", 1, 10000),
        grace_hours=fields.integer("coupon_grace_hours", 0, 168),
        grace_code_valid_hours=fields.integer("coupon_grace_code_valid_hours", 1, 168),
        grace_per_day=fields.integer("coupon_grace_per_day", 0, 10000),
        warning_hours=fields.integer("promoted_code_warning_hours", 0, 720),
        staff_email=staff_email.lower(),
    )


def _parse_survey_settings(fields: "_Fields") -> SurveySettings:
    staff_email = fields.staff_addresses(
        "survey_staff_email", example="care@example.com"
    )
    moments = {}
    for moment in Moment:
        percent = fields.integer(f"survey_{moment.value}_percent", 0, 100)
        moments[moment] = MomentSettings(is_enabled=percent > 0, percent=percent)
    questions = {}
    for question in Question:
        text = fields.localized_text(f"survey_question_{question.value}")
        if text or text.by_language:
            questions[question.value] = text
    return SurveySettings(
        moments=moments,
        completed_days=fields.integer("survey_completed_days", 0, 60),
        abandoned_hours=fields.integer("survey_abandoned_hours", 1, 168),
        after_problem_days=fields.integer("survey_after_problem_days", 0, 30),
        fatigue_days=fields.integer("survey_fatigue_days", 0, 365),
        link_valid_days=fields.integer("survey_link_valid_days", 1, 90),
        comment_retention_days=fields.integer(
            "survey_comment_retention_days", 30, 3650
        ),
        staff_email=staff_email.lower(),
        questions=questions,
    )


def _parse_notice_settings(fields: "_Fields", time_zone: str) -> NoticeSettings:
    transports = fields.transports("notice_transports")
    essential = fields.notice_types("essential_notice_types")
    smtp = SmtpSettings(
        host=fields.text("smtp_host"),
        port=fields.integer("smtp_port", 1, 65535),
        user=fields.text("smtp_user"),
        password=fields.raw_text("smtp_password"),
        security=fields.smtp_security("smtp_security"),
        sender_name=fields.text("sender_name"),
        sender_address=fields.text("sender_address"),
    )
    if smtp.sender_address and not is_email_address(smtp.sender_address):
        fields.reject(
            "sender_address",
            f"'{smtp.sender_address}' is not an e-mail address; use e.g. "
            "'care@example.com'.",
        )
    used = {transports[t.value] for t in SENT_NOTICE_TYPES}
    if Transport.EMAIL in used:
        if not smtp.host:
            fields.reject(
                "smtp_host",
                "required while a notice is sent by email; enter your mail "
                "server, e.g. smtp.example.com.",
            )
        if not smtp.sender_address:
            fields.reject(
                "sender_address",
                "required while a notice is sent by email; enter the From "
                "address, e.g. care@example.com.",
            )
    webhook_url = fields.web_address("webhook_url")
    webhook_secret = fields.raw_text("webhook_secret")
    if Transport.WEBHOOK in used and not webhook_url:
        fields.reject(
            "webhook_url",
            "required while a notice is sent by webhook; enter your bridge's "
            "address, e.g. https://bridge.example.com/notices.",
        )
    if webhook_url and len(webhook_secret) < 16:
        fields.reject(
            "webhook_secret",
            "too short or empty; while a webhook URL is set, the secret needs at "
            "least 16 characters.",
        )
    webhook_contact_channel = fields.text("webhook_contact_channel").lower()
    if webhook_contact_channel not in WEBHOOK_CONTACT_CHANNELS:
        fields.reject(
            "webhook_contact_channel",
            f"'{fields.text('webhook_contact_channel')}' is not one of: "
            f"{', '.join(WEBHOOK_CONTACT_CHANNELS)}.",
        )
        webhook_contact_channel = "sms"
    # Texts of notices that are not sent are not settings: they keep their defaults.
    templates = {t.value: default_templates(t.value) for t in NoticeType}
    for notice_type in SENT_NOTICE_TYPES:
        subject = fields.template(f"subject_{notice_type.value}", one_line=True)
        body = fields.template(f"body_{notice_type.value}")
        templates[notice_type.value] = (subject, body)
    return NoticeSettings(
        transports=transports,
        policy=DispatchPolicy(
            time_zone=time_zone if _is_time_zone(time_zone) else "UTC",
            quiet_hours=fields.quiet_hours("quiet_hours"),
            max_per_day=fields.integer("max_notices_per_day", 0, 50),
            essential_types=essential,
        ),
        max_attempts=fields.integer("max_attempts", 1, 20),
        retry_base_seconds=fields.integer("retry_base_seconds", 1, 3600),
        timeout_seconds=fields.integer("delivery_timeout_seconds", 1, 60),
        smtp=smtp,
        # Exactly as entered: Saleor's HTTP client follows no redirect.
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_contact_channel=webhook_contact_channel,
        templates=templates,
    )


class _Fields:
    """Reads raw values one field at a time, collecting every rejection."""

    def __init__(self, values: Mapping[str, object]):
        self.values = values
        self.errors: dict[str, str] = {}

    def reject(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def raise_errors(self) -> None:
        if self.errors:
            raise SettingsError(self.errors)

    def raw_text(self, name: str) -> str:
        value = self.values[name]
        return "" if value is None else str(value)

    def text(self, name: str) -> str:
        return self.raw_text(name).strip()

    def integer(self, name: str, low: int, high: int) -> int:
        text = self.text(name)
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.reject(name, f"'{text}' is not a whole number from {low} to {high}.")
            return int(str(DEFAULTS[name]))
        return number

    def web_address(self, name: str) -> str:
        url = self.text(name)
        if url and not _is_public_web_address(url):
            self.reject(
                name,
                f"'{url}' is not an http:// or https:// address with a host; use "
                "e.g. 'https://shop.example.com', or leave it empty.",
            )
        return url

    def transports(self, name: str) -> dict[str, Transport]:
        chosen: dict[str, Transport] = {}
        for number, line in enumerate(self.text(name).splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, separator, value = (part.strip() for part in line.partition("="))
            notice_type = "*" if key == "*" else _NOTICE_TYPES_BY_NAME.get(_folded(key))
            if not separator or notice_type is None:
                self.reject(
                    name,
                    f"line {number} '{line}' is not 'notice = transport' with a "
                    f"notice of: *, {READABLE_SENT_NOTICE_TYPES}.",
                )
                continue
            transport = _TRANSPORTS_BY_NAME.get(_folded(value))
            if transport is None:
                self.reject(
                    name,
                    f"line {number}: '{value}' is not a transport; use one of: "
                    "saleor_notify, email, webhook, off.",
                )
                continue
            chosen[notice_type] = transport
        default = chosen.get("*", Transport.SALEOR_NOTIFY)
        return {t.value: chosen.get(t.value, default) for t in NoticeType}

    def notice_types(self, name: str) -> frozenset[str]:
        types, unknown = set(), []
        for part in self.text(name).split(","):
            if not part.strip():
                continue
            notice_type = _NOTICE_TYPES_BY_NAME.get(_folded(part))
            if notice_type is None:
                unknown.append(part.strip())
            else:
                types.add(notice_type)
        if unknown:
            self.reject(
                name,
                f"{', '.join(repr(u) for u in unknown)} "
                f"{'is not a notice' if len(unknown) == 1 else 'are not notices'}; "
                f"use any of: {READABLE_SENT_NOTICE_TYPES} (comma-separated), or "
                "leave it empty for none.",
            )
        return frozenset(types)

    def smtp_security(self, name: str) -> str:
        text = self.text(name)
        if text.lower() in SMTP_SECURITY_CHOICES:
            return text.lower()
        self.reject(
            name,
            f"'{text}' is not one of: starttls (usually port 587), ssl (usually port "
            "465), none (no encryption).",
        )
        return "starttls"

    def public_holidays(self, name: str) -> frozenset[date]:
        text = self.text(name)
        if not text:
            return frozenset()
        region = holiday_region(text)
        if isinstance(region, str):
            self.reject(name, region)
            return frozenset()
        year = date.today().year
        return public_holidays(
            *region, year - HOLIDAY_YEARS_BEFORE, year + HOLIDAY_YEARS_AFTER
        )

    def quiet_hours(self, name: str) -> QuietHours | None:
        text = self.text(name)
        if not text:
            return None
        start, separator, end = text.partition("-")
        try:
            hours = (int(start), int(end)) if separator else None
        except ValueError:
            hours = None
        if (
            hours is None
            or not all(0 <= h <= 23 for h in hours)
            or hours[0] == hours[1]
        ):
            self.reject(
                name,
                f"'{text}' is not 'start-end' with two different hours from 0 to 23, "
                "e.g. '21-8'; leave it empty for no quiet hours.",
            )
            return None
        return QuietHours(*hours)

    def staff_addresses(self, name: str, *, example: str) -> str:
        """One address, or several separated by commas (the staff e-mail gets
        them all), each a plain address."""
        text = self.text(name)
        if len(text) > STAFF_ADDRESSES_MAX_LENGTH:
            self.reject(
                name,
                f"it has {len(text)} characters; at most "
                f"{STAFF_ADDRESSES_MAX_LENGTH} are allowed (a notice's recipient).",
            )
        for part in text.split(",") if text else []:
            if not is_email_address(part.strip()):
                self.reject(
                    name,
                    f"'{part.strip()}' is not an e-mail address; use e.g. "
                    f"'{example}', or leave it empty.",
                )
                break
        return text

    def opening_hours(self, name: str) -> tuple[int, int]:
        text = self.text(name)
        start, separator, end = text.partition("-")
        try:
            hours = (int(start), int(end)) if separator else None
        except ValueError:
            hours = None
        if hours is None or not 0 <= hours[0] < hours[1] <= 24:
            self.reject(
                name,
                f"'{text}' is not 'start-end' with hours from 0 to 24, the start "
                "before the end, e.g. '9-17'.",
            )
            return 9, 17
        return hours

    def yes_or_no(self, name: str) -> bool:
        value = self.text(name).strip().lower()
        if value not in ("yes", "no"):
            self.reject(name, f"'{self.text(name).strip()[:40]}' is not yes or no.")
            return False
        return value == "yes"

    def answer_targets(self, name: str) -> dict[ContactChannel, timedelta]:
        channels = {
            channel.value: channel
            for channel in (*INBOUND_CHANNELS, ContactChannel.WEB)
        }
        channels["e-mail"] = ContactChannel.EMAIL
        units = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60}
        targets: dict[ContactChannel, timedelta] = {}
        for part in self.text(name).split(","):
            if not part.strip():
                continue
            words = part.lower().split()
            channel = channels.get(words[0]) if words else None
            number = words[1] if len(words) == 3 else ""
            unit = units.get(words[2]) if len(words) == 3 else None
            if (
                channel is None
                or unit is None
                or not number.isdigit()
                or not 1 <= int(number) * unit <= 30 * 24 * 60
                or channel in targets
            ):
                self.reject(
                    name,
                    f"'{part.strip()}' is not 'channel number unit' with a channel "
                    f"of: {', '.join(channels)} (each once), and from 1 minute to "
                    "720 hours, e.g. 'chat 5 minutes'.",
                )
                continue
            targets[channel] = timedelta(minutes=int(number) * unit)
        return targets

    def weekdays(self, name: str) -> frozenset[int]:
        parts = [part.strip().lower() for part in self.text(name).split(",")]
        parts = [part for part in parts if part]
        unknown = [part for part in parts if part not in WEEKDAYS]
        if unknown or not parts:
            self.reject(
                name,
                f"'{self.text(name)}' is not a comma-separated list of at least one "
                f"of: {', '.join(WEEKDAYS)}.",
            )
            return frozenset(range(5))
        return frozenset(WEEKDAYS.index(part) for part in parts)

    def dates(self, name: str) -> frozenset[date]:
        days = set()
        for number, line in enumerate(self.text(name).splitlines(), start=1):
            text = line.partition("#")[0].strip()
            if not text:
                continue
            try:
                days.add(date.fromisoformat(text))
            except ValueError:
                self.reject(
                    name, f"line {number} '{text}' is not a date as YYYY-MM-DD."
                )
        if len(days) > 366:
            self.reject(name, f"{len(days)} dates given; at most 366 are allowed.")
            return frozenset()
        return frozenset(days)

    def day_range(self, name: str) -> tuple[int, int] | None:
        text = self.text(name)
        if not text:
            return None
        low, separator, high = (part.strip() for part in text.partition("-"))
        try:
            days = (int(low), int(high)) if separator else None
        except ValueError:
            days = None
        if days is None or not 0 <= days[0] <= days[1] <= 365:
            self.reject(
                name,
                f"'{text}' is not 'min-max' with whole days from 0 to 365 and min "
                "not above max, e.g. '2-5'; leave it empty for no default.",
            )
            return None
        return days

    def discount(self, name: str) -> dict:
        text = self.text(name)
        if not text:
            return {"is_percentage": True, "value": Decimal(0)}
        is_percentage = text.endswith("%")
        try:
            value = Decimal(text.removesuffix("%").strip())
        except InvalidOperation:
            value = None
        limit = Decimal(100) if is_percentage else Decimal(100000)
        if (
            value is None
            or not value.is_finite()
            or not 0 < value <= limit
            or (value.as_tuple().exponent < -2)
        ):
            self.reject(
                name,
                f"'{text}' is not a percentage above 0 and at most 100 (e.g. '10%') "
                "or an amount above 0 with at most two decimals (e.g. '5.00'); leave "
                "it empty for no voucher.",
            )
            return {"is_percentage": True, "value": Decimal(0)}
        return {"is_percentage": is_percentage, "value": value}

    def localized_text(self, name: str) -> LocalizedText:
        default, by_language, problems = language_sections(self.raw_text(name))
        for number, problem in problems:
            self.reject(name, f"line {number}: {problem}.")
        return LocalizedText(
            default.strip(), {code: text.strip() for code, text in by_language.items()}
        )

    def pages(self, name: str) -> frozenset[str]:
        by_name = {_folded(readable): page for page, readable in CUSTOMER_PAGES.items()}
        by_name.update({_folded(page): page for page in CUSTOMER_PAGES})
        pages = set()
        for part in self.text(name).split(","):
            if not part.strip():
                continue
            page = by_name.get(_folded(part))
            if page is None:
                self.reject(
                    name,
                    f"'{part.strip()}' is not a page; pages: "
                    f"{', '.join(CUSTOMER_PAGES.values())}.",
                )
                continue
            pages.add(page)
        return frozenset(pages)

    def coupon_messages(self, name: str) -> dict[str, LocalizedText]:
        """{reason: message}; each message may have texts in other languages."""
        known = {reason.value for reason in Reason}
        text = self.text(name)
        _, _, problems = language_sections(text)
        for number, problem in problems:
            self.reject(name, f"line {number}: {problem}.")
        parsed: dict[str, dict[str, str]] = {"": {}}
        messages: dict[str, str] | None = parsed[""]
        for number, line in enumerate(text.splitlines(), start=1):
            marker = LANGUAGE_MARKER.match(line)
            if marker is not None:
                language = marker.group(1).lower().replace("_", "-")
                # A rejected marker (see problems): its lines are not read.
                is_new = _is_language(language) and language not in parsed
                messages = parsed.setdefault(language, {}) if is_new else None
                continue
            line = line.strip()
            if not line or messages is None:
                continue
            key, separator, message = (part.strip() for part in line.partition(":"))
            if not separator or key not in known or not message:
                self.reject(
                    name,
                    f"line {number} '{line}' is not 'reason: message' with a "
                    f"reason of: {', '.join(sorted(known))}.",
                )
                continue
            try:
                render(message, {variable: "" for variable in MESSAGE_VARIABLES})
            except TemplateError as error:
                self.reject(name, f"line {number}: {error}")
                continue
            messages[key] = message
        reasons = {reason for messages in parsed.values() for reason in messages}
        return {
            reason: LocalizedText(
                parsed[""].get(reason, ""),
                {
                    language: messages[reason]
                    for language, messages in parsed.items()
                    if language and reason in messages
                },
            )
            for reason in sorted(reasons)
        }

    def template(self, name: str, *, one_line: bool = False) -> LocalizedText:
        default, by_language, problems = language_sections(self.raw_text(name))
        for number, problem in problems:
            self.reject(name, f"line {number}: {problem}.")
        if not default.strip() and by_language:
            # Only other languages given: every other language keeps the default.
            default = str(DEFAULTS[name])
        for language, template in [("", default), *by_language.items()]:
            where = f"the [{language}] text: " if language else ""
            if one_line and len(template.strip().splitlines()) > 1:
                self.reject(name, f"{where}a subject is one line.")
                continue
            try:
                render(template, {variable: "" for variable in TEMPLATE_VARIABLES})
            except TemplateError as error:
                message = str(error)
                self.reject(name, where + message[0].lower() + message[1:])
        if one_line:
            default = default.strip()
            by_language = {code: text.strip() for code, text in by_language.items()}
        return LocalizedText(default, by_language)


def _folded(name: str) -> str:
    """A name as typed, compared without case, hyphens or underscores."""
    return " ".join(re.sub(r"[-_]", " ", name.lower()).split())


_NOTICE_TYPES_BY_NAME = {
    **{_folded(t.value): t.value for t in NoticeType},
    **{_folded(readable): t.value for t, readable in NOTICE_TYPE_NAMES.items()},
}
_TRANSPORTS_BY_NAME = {
    **{_folded(t.value): t for t in Transport},
    "e mail": Transport.EMAIL,
}


@lru_cache(maxsize=256)
def _holiday_calendar(country: str):
    """The holidays package's calendar of a country code (none if it has none)."""
    import holidays  # a large package: imported only by stores that use it

    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None


def holiday_region(text: str) -> tuple[str, str | None] | str:
    """(country, subdivision or None) of a code such as 'US', 'DE-BY' or 'pl', in
    the holidays package's spelling; or, if it knows no such place, what is allowed."""
    country, separator, subdivision = (part.strip() for part in text.partition("-"))
    calendar = _holiday_calendar(country.upper()) if country.isalpha() else None
    if calendar is None:
        return (
            f"'{text}' is not a country code with known public holidays; use a "
            "two-letter code such as US, DE or PL, optionally with a region such "
            "as US-CA or DE-BY, or leave it empty."
        )
    code = calendar.country
    if not separator:
        return code, None
    subdivisions = {s.lower(): s for s in calendar.subdivisions}
    aliases = getattr(calendar, "subdivisions_aliases", {}) or {}
    subdivisions.update({alias.lower(): s for alias, s in aliases.items()})
    if subdivision.lower() in subdivisions:
        return code, subdivisions[subdivision.lower()]
    if not calendar.subdivisions:
        return (
            f"'{text}': {code} has no regions with holidays of their own; use {code}."
        )
    return (
        f"'{text}': {code} has no region '{subdivision}'; use {code} alone or with "
        f"one of: {', '.join(calendar.subdivisions)} (e.g. "
        f"{code}-{calendar.subdivisions[0]})."
    )


@lru_cache(maxsize=64)
def public_holidays(
    country: str, subdivision: str | None, first_year: int, last_year: int
) -> frozenset[date]:
    """The public holidays of a country (and subdivision) in those years, from the
    holidays package; expanding them takes milliseconds, so each is kept."""
    import holidays

    return frozenset(
        holidays.country_holidays(
            country, subdiv=subdivision, years=range(first_year, last_year + 1)
        )
    )


@cache
def _time_zone_names() -> frozenset[str]:
    # Reading the zone database walks the file system (about 15 ms); it does not
    # change while the process runs, and settings are parsed on every delivery.
    return frozenset(available_timezones())


def _is_time_zone(name: str) -> bool:
    # ZoneInfo also accepts file paths such as "../../etc/passwd"; only names from
    # the IANA database are allowed.
    if name not in _time_zone_names() and name != "UTC":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_public_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


@lru_cache(maxsize=256)
def _is_language(code: str) -> bool:
    """A language code Babel knows ("pl", "pt-br", "zh-hans")."""
    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def is_email_address(address: str) -> bool:
    """One plain address as a mail header takes it (the standard library's
    parser): no display name, list, comment or whitespace, and a dotted domain."""
    if not address or any(character.isspace() for character in address):
        return False
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, HeaderParseError):
        return False
    return parsed.addr_spec == address and "." in parsed.domain.strip(".")


_ONE_LINE_KINDS = frozenset({FieldKind.TEXT, FieldKind.PASSWORD})
# Saleor reads every setting of a channel whenever it loads the plugin: a name, an
# address or a secret fits a URL's usual limit, a text many pages.
ONE_LINE_MAX_LENGTH = 2_048
MULTILINE_MAX_LENGTH = 20_000


def _value_problem(name: str, value: object) -> str | None:
    """Why a value cannot be kept: too long, or by the first character that stops
    it. NUL and lone surrogates cannot be stored or sent anywhere; a one-line
    setting (a name, an address, a secret) takes no line break or other control
    character, since it may end up in a mail header; a multi-line text takes no
    control character but tabs and line breaks. The value itself is not repeated
    (it may be a secret)."""
    if not isinstance(value, str):
        return None
    is_one_line = _KINDS.get(name) in _ONE_LINE_KINDS
    longest = ONE_LINE_MAX_LENGTH if is_one_line else MULTILINE_MAX_LENGTH
    if len(value) > longest:
        return f"it has {len(value):,} characters; at most {longest:,} are allowed."
    # Spaces, tabs and line breaks around a one-line value are dropped when read.
    start = len(value) - len(value.lstrip()) if is_one_line else 0
    end = len(value.rstrip()) if is_one_line else len(value)
    unwanted = first_unwanted(
        value[:end],
        allowed="" if is_one_line else LINE_CONTROLS,
        one_line=is_one_line,
        start=start,
    )
    if unwanted is None:
        return None
    where = f"character {unwanted.position} ({unwanted.code})"
    if unwanted.kind == Unwanted.UNSTORABLE:
        return f"{where} cannot be stored (a NUL or a lone surrogate); remove it."
    if is_one_line:
        return (
            f"{where} is a line break or control character; this setting is "
            "one line of printable text."
        )
    return (
        f"{where} is a control character; a text may hold tabs and line "
        "breaks, but no other control character."
    )
