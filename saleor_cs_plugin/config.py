"""The plugin's per-channel settings: their definitions, defaults and validation.

Saleor stores plugin settings as a list of ``{"name": ..., "value": ...}`` items per
channel. This module turns those values into a frozen ``ChannelSettings`` and explains
every rejected value by field name and what is allowed. It imports nothing from Django
or Saleor, so the rules are tested without either; ``plugin.py`` maps the definitions
onto Saleor's ``CONFIG_STRUCTURE``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .domain.coupons import MESSAGE_VARIABLES, Reason
from .domain.notices import (
    DEFAULT_ESSENTIAL_TYPES,
    DispatchPolicy,
    NoticeType,
    QuietHours,
    TemplateError,
    Transport,
    render,
)
from .domain.promises import DelayRules, StoreCalendar

PLUGIN_ID = "com.saleor-cs-plugin.customer-service"
SUPPORT_CONTACT_MAX_LENGTH = 500

WEBHOOK_CONTACT_CHANNELS = ("sms", "chat", "social")

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


class FieldKind(StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    BOOLEAN = "boolean"
    PASSWORD = "password"


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    kind: FieldKind
    default: str | bool
    label: str
    help_text: str


def _template_fields(notice_type: NoticeType) -> tuple[FieldDefinition, ...]:
    title = notice_type.value.replace("_", " ")
    return (
        FieldDefinition(
            name=f"subject_{notice_type.value}",
            kind=FieldKind.TEXT,
            default="$subject",
            label=f"Subject: {title}",
            help_text=f"E-mail subject of the {title} notice. Placeholders: "
            + ", ".join(f"${v}" for v in TEMPLATE_VARIABLES)
            + ".",
        ),
        FieldDefinition(
            name=f"body_{notice_type.value}",
            kind=FieldKind.MULTILINE,
            default="Hello $customer_name,\n\n$message\n\n$support_contact",
            label=f"Body: {title}",
            help_text=f"Text of the {title} notice; a blank line starts a paragraph. "
            "Customer data is escaped in the HTML part. Placeholders: "
            + ", ".join(f"${v}" for v in TEMPLATE_VARIABLES)
            + ".",
        ),
    )


FIELDS: tuple[FieldDefinition, ...] = (
    FieldDefinition(
        name="time_zone",
        kind=FieldKind.TEXT,
        default="UTC",
        label="Store time zone",
        help_text=(
            "IANA time zone of this channel's store, e.g. Europe/Warsaw or "
            "America/New_York. Dates promised to customers and quiet hours use it."
        ),
    ),
    FieldDefinition(
        name="storefront_url",
        kind=FieldKind.TEXT,
        default="",
        label="Storefront URL",
        help_text=(
            "Public http(s) address of this channel's storefront, e.g. "
            "https://shop.example.com. Links in customer messages start here. "
            "Leave empty if messages should carry no links."
        ),
    ),
    FieldDefinition(
        name="support_contact",
        kind=FieldKind.MULTILINE,
        default="",
        label="How customers reach you",
        help_text=(
            "Shown to customers at the end of every message, e.g. 'Reply to this "
            f"e-mail or call +1 555 0100.' At most {SUPPORT_CONTACT_MAX_LENGTH} "
            "characters."
        ),
    ),
    FieldDefinition(
        name="notice_transports",
        kind=FieldKind.MULTILINE,
        default="*=saleor_notify",
        label="How notices are sent",
        help_text=(
            "One line per notice type, 'type=transport'; '*' sets the default. "
            "Types: " + ", ".join(t.value for t in NoticeType) + ". Transports: "
            "saleor_notify (Saleor's notifications, for e-mail plugins and apps), "
            "email (SMTP below), webhook (signed POST to the URL below, for SMS, "
            "chat or social-media bridges), off."
        ),
    ),
    FieldDefinition(
        name="essential_notice_types",
        kind=FieldKind.TEXT,
        default=",".join(sorted(DEFAULT_ESSENTIAL_TYPES)),
        label="Essential notice types",
        help_text=(
            "Comma-separated notice types that reach customers even during quiet "
            "hours, past the daily limit, and after an opt-out from non-essential "
            "messages."
        ),
    ),
    FieldDefinition(
        name="quiet_hours",
        kind=FieldKind.TEXT,
        default="21-8",
        label="Quiet hours",
        help_text=(
            "Local hours 'start-end' (0-23, e.g. 21-8) in the store time zone when "
            "non-essential notices wait for the morning. Empty: no quiet hours."
        ),
    ),
    FieldDefinition(
        name="max_notices_per_day",
        kind=FieldKind.TEXT,
        default="3",
        label="Notices per customer per 24 hours",
        help_text=(
            "At most this many proactive notices reach one customer in any 24 hours; "
            "further non-essential ones wait. 0 to 50; 0 means no limit."
        ),
    ),
    FieldDefinition(
        name="max_attempts",
        kind=FieldKind.TEXT,
        default="6",
        label="Delivery attempts",
        help_text=(
            "How often a notice is tried when the transport fails temporarily "
            "(network error, HTTP 5xx, temporary SMTP error), 1 to 20."
        ),
    ),
    FieldDefinition(
        name="retry_base_seconds",
        kind=FieldKind.TEXT,
        default="60",
        label="First retry after (seconds)",
        help_text=(
            "Wait before the first retry, 1 to 3600; each further wait doubles "
            "(with jitter), up to six hours."
        ),
    ),
    FieldDefinition(
        name="delivery_timeout_seconds",
        kind=FieldKind.TEXT,
        default="10",
        label="Delivery timeout (seconds)",
        help_text="Time limit of one SMTP or webhook call, 1 to 60.",
    ),
    FieldDefinition(
        name="smtp_host",
        kind=FieldKind.TEXT,
        default="",
        label="SMTP host",
        help_text="Mail server for the email transport, e.g. smtp.example.com.",
    ),
    FieldDefinition(
        name="smtp_port",
        kind=FieldKind.TEXT,
        default="587",
        label="SMTP port",
        help_text="1 to 65535; usually 587 with TLS, 465 with SSL.",
    ),
    FieldDefinition(
        name="smtp_user",
        kind=FieldKind.TEXT,
        default="",
        label="SMTP user",
        help_text="User name at the mail server; empty to send without logging in.",
    ),
    FieldDefinition(
        name="smtp_password",
        kind=FieldKind.PASSWORD,
        default="",
        label="SMTP password",
        help_text="Password at the mail server. Never shown again once saved.",
    ),
    FieldDefinition(
        name="smtp_use_tls",
        kind=FieldKind.BOOLEAN,
        default=True,
        label="Use STARTTLS",
        help_text="Upgrade the SMTP connection with STARTTLS (not with SSL).",
    ),
    FieldDefinition(
        name="smtp_use_ssl",
        kind=FieldKind.BOOLEAN,
        default=False,
        label="Use SSL",
        help_text="Connect to the SMTP server over SSL (not with STARTTLS).",
    ),
    FieldDefinition(
        name="sender_name",
        kind=FieldKind.TEXT,
        default="",
        label="Sender name",
        help_text="Name in the From header of notice e-mails, e.g. 'Acme Support'.",
    ),
    FieldDefinition(
        name="sender_address",
        kind=FieldKind.TEXT,
        default="",
        label="Sender address",
        help_text="Address in the From header of notice e-mails.",
    ),
    FieldDefinition(
        name="webhook_url",
        kind=FieldKind.TEXT,
        default="",
        label="Webhook URL",
        help_text=(
            "http(s) address that receives notices as signed JSON for the webhook "
            "transport (your SMS, chat or social-media bridge)."
        ),
    ),
    FieldDefinition(
        name="webhook_secret",
        kind=FieldKind.PASSWORD,
        default="",
        label="Webhook secret",
        help_text=(
            "Key of the X-Saleor-CS-Signature header: hex HMAC-SHA256 of the raw "
            "body. At least 16 characters."
        ),
    ),
    FieldDefinition(
        name="webhook_contact_channel",
        kind=FieldKind.TEXT,
        default="sms",
        label="Webhook reaches customers by",
        help_text=(
            "What the webhook receiver does with a notice, as the service history "
            "records it: sms, chat or social."
        ),
    ),
    FieldDefinition(
        name="promise_handling_days",
        kind=FieldKind.TEXT,
        default="1",
        label="Handling time (working days)",
        help_text=(
            "Working days the store needs to ship an order once it is processed, "
            "0 to 30. The promised ship-by day is this many working days after it."
        ),
    ),
    FieldDefinition(
        name="promise_cutoff_hour",
        kind=FieldKind.TEXT,
        default="14",
        label="Daily order cut-off hour",
        help_text=(
            "Local hour, 0 to 24, from which new orders are processed on the next "
            "working day; 24 means every order of a working day counts that day."
        ),
    ),
    FieldDefinition(
        name="promise_working_days",
        kind=FieldKind.TEXT,
        default="mon,tue,wed,thu,fri",
        label="Working days",
        help_text=(
            "Comma-separated days the store ships and carriers deliver: mon, tue, "
            "wed, thu, fri, sat, sun."
        ),
    ),
    FieldDefinition(
        name="promise_holidays",
        kind=FieldKind.MULTILINE,
        default="",
        label="Holidays",
        help_text=(
            "Days the store does not ship, one date per line as YYYY-MM-DD; text "
            "after '#' is a comment."
        ),
    ),
    FieldDefinition(
        name="promise_default_delivery_days",
        kind=FieldKind.TEXT,
        default="",
        label="Delivery days when the method has none",
        help_text=(
            "'min-max' working days (e.g. 2-5) for shipping methods without their own "
            "minimum and maximum delivery days. Empty: such orders get no promise."
        ),
    ),
    FieldDefinition(
        name="delay_at_risk_hours",
        kind=FieldKind.TEXT,
        default="24",
        label="At risk this many hours before ship-by ends",
        help_text=(
            "An unshipped order counts as at risk, and the customer is told, this "
            "many hours before its ship-by day ends, 0 to 168; 0: no at-risk notice."
        ),
    ),
    FieldDefinition(
        name="delay_follow_up_days",
        kind=FieldKind.TEXT,
        default="3",
        label="Second delay notice after (days)",
        help_text=(
            "Days after the ship-by day ends when a still unshipped order gets a "
            "second notice, 0 to 60; 0: no second notice."
        ),
    ),
    FieldDefinition(
        name="delay_shipping_days",
        kind=FieldKind.TEXT,
        default="2",
        label="A late order ships within (working days)",
        help_text=(
            "Used for the honest new estimate given to customers of late orders: "
            "the order ships this many working days from now, 1 to 30."
        ),
    ),
    FieldDefinition(
        name="apology_voucher",
        kind=FieldKind.TEXT,
        default="",
        label="Apology voucher with the second notice",
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
        label="Apology voucher valid for (days)",
        help_text="Days an apology voucher can be used, 1 to 365.",
    ),
    FieldDefinition(
        name="apology_vouchers_per_day",
        kind=FieldKind.TEXT,
        default="20",
        label="Apology vouchers per day",
        help_text=(
            "At most this many apology vouchers are issued in this channel a day "
            "(store time zone), 0 to 1000; past it the notice goes without one."
        ),
    ),
    *(f for notice_type in NoticeType for f in _template_fields(notice_type)),
    # Stock shortages (ShortageSettings).
    FieldDefinition(
        name="shortage_max_alternatives",
        kind=FieldKind.TEXT,
        default="3",
        label="Alternatives offered for a short item",
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
        label="Price band of alternatives (%)",
        help_text=(
            "An alternative costs at most this many percent more or less than the "
            "item ordered, 0 to 100."
        ),
    ),
    FieldDefinition(
        name="shortage_link_valid_days",
        kind=FieldKind.TEXT,
        default="7",
        label="Choice link valid for (days)",
        help_text=(
            "How long the link in a stock-shortage notice lets the customer choose "
            "(wait, switch or cancel), 1 to 60 days. Each link answers once."
        ),
    ),
    FieldDefinition(
        name="shortage_staff_email",
        kind=FieldKind.TEXT,
        default="",
        label="Staff alerted about customers' choices",
        help_text=(
            "E-mail address that gets a staff alert when a customer answers a "
            "stock-shortage notice. Empty: the choice is only noted in the order's "
            "timeline and the service history."
        ),
    ),
    # Coupon help (CouponSettings).
    FieldDefinition(
        name="coupon_messages",
        kind=FieldKind.MULTILINE,
        default="",
        label="Coupon messages",
        help_text=(
            "Your own wording of why a code does not apply, one 'reason: message' a "
            "line; reasons not listed keep the built-in message. Reasons: "
            + ", ".join(r.value for r in Reason)
            + ". Placeholders: "
            + ", ".join(f"${v}" for v in MESSAGE_VARIABLES)
            + "; write $$ for a dollar sign."
        ),
    ),
    FieldDefinition(
        name="coupon_max_alternatives",
        kind=FieldKind.TEXT,
        default="3",
        label="Codes suggested when a code fails",
        help_text=(
            "At most this many promoted codes that do apply to the cart are "
            "suggested, biggest discount first, 0 to 10; 0 suggests none."
        ),
    ),
    FieldDefinition(
        name="coupon_failures_per_checkout",
        kind=FieldKind.TEXT,
        default="10",
        label="Failed codes allowed per checkout (an hour)",
        help_text=(
            "After this many failed codes in an hour, a checkout may try no more "
            "codes until the hour has passed, 1 to 1000."
        ),
    ),
    FieldDefinition(
        name="coupon_failures_per_ip",
        kind=FieldKind.TEXT,
        default="30",
        label="Failed codes allowed per client address (an hour)",
        help_text=(
            "After this many failed codes in an hour from one IP address, it may try "
            "no more codes until the hour has passed, 1 to 10000."
        ),
    ),
    FieldDefinition(
        name="coupon_grace_hours",
        kind=FieldKind.TEXT,
        default="0",
        label="Grace for promoted codes that just ended (hours)",
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
        label="Replacement code valid for (hours)",
        help_text="Hours a replacement code can be used, 1 to 168.",
    ),
    FieldDefinition(
        name="coupon_grace_per_day",
        kind=FieldKind.TEXT,
        default="50",
        label="Replacement codes per day",
        help_text=(
            "At most this many replacement codes are issued in this channel a day "
            "(store time zone), 0 to 10000; past it ended codes are explained but "
            "not honored."
        ),
    ),
    FieldDefinition(
        name="promoted_code_warning_hours",
        kind=FieldKind.TEXT,
        default="48",
        label="Warn about promoted codes ending within (hours)",
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
        label="Staff alerted about promoted codes",
        help_text=(
            "E-mail address that gets a staff alert when a promoted code stops "
            "working or is about to. Empty: alerts are only written to the service "
            "history."
        ),
    ),
)

DEFAULTS: dict[str, str | bool] = {field.name: field.default for field in FIELDS}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = True
    use_ssl: bool = False
    sender_name: str = ""
    sender_address: str = ""


@dataclass(frozen=True)
class NoticeSettings:
    transports: dict[str, Transport] = field(
        default_factory=lambda: {t.value: Transport.SALEOR_NOTIFY for t in NoticeType}
    )
    policy: DispatchPolicy = DispatchPolicy(quiet_hours=QuietHours(21, 8), max_per_day=3)
    max_attempts: int = 6
    retry_base_seconds: int = 60
    timeout_seconds: int = 10
    smtp: SmtpSettings = SmtpSettings()
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_contact_channel: str = "sms"
    templates: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            t.value: (
                DEFAULTS[f"subject_{t.value}"],
                DEFAULTS[f"body_{t.value}"],
            )
            for t in NoticeType
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
    # {reason value: message template}; reasons not in it use DEFAULT_MESSAGES.
    messages: dict[str, str] = field(default_factory=dict)
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
class ChannelSettings:
    time_zone: str = "UTC"
    storefront_url: str = ""
    support_contact: str = ""
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    promises: PromiseSettings = PromiseSettings()
    shortages: ShortageSettings = field(default_factory=ShortageSettings)
    coupons: CouponSettings = field(default_factory=CouponSettings)


class SettingsError(ValueError):
    """Raised with every rejected field at once: ``{field name: what is allowed}``."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {message}" for name, message in errors.items())
        )


def parse_channel_settings(values: Mapping[str, object]) -> ChannelSettings:
    """Validate raw setting values (missing ones take their defaults)."""
    fields = _Fields({**DEFAULTS, **{k: v for k, v in values.items() if k in DEFAULTS}})

    time_zone = fields.text("time_zone")
    if not _is_time_zone(time_zone):
        fields.reject(
            "time_zone",
            f"'{time_zone}' is not an IANA time zone; use a name such as "
            "'UTC', 'Europe/Warsaw' or 'America/New_York'.",
        )
    storefront_url = fields.web_address("storefront_url")
    support_contact = fields.text("support_contact")
    if len(support_contact) > SUPPORT_CONTACT_MAX_LENGTH:
        fields.reject(
            "support_contact",
            f"the text has {len(support_contact)} characters; at most "
            f"{SUPPORT_CONTACT_MAX_LENGTH} are allowed.",
        )
    notices = _parse_notice_settings(fields, time_zone)
    promises = _parse_promise_settings(fields, time_zone)
    shortages = _parse_shortage_settings(fields)
    coupons = _parse_coupon_settings(fields)
    fields.raise_errors()
    return ChannelSettings(
        time_zone=time_zone,
        storefront_url=storefront_url.rstrip("/"),
        support_contact=support_contact,
        notices=notices,
        promises=promises,
        shortages=shortages,
        coupons=coupons,
    )


def _parse_promise_settings(fields: "_Fields", time_zone: str) -> PromiseSettings:
    calendar = StoreCalendar(
        time_zone=time_zone if _is_time_zone(time_zone) else "UTC",
        working_weekdays=fields.weekdays("promise_working_days"),
        holidays=fields.dates("promise_holidays"),
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
    staff_email = fields.text("shortage_staff_email")
    if staff_email and not _is_email_address(staff_email):
        fields.reject(
            "shortage_staff_email",
            f"'{staff_email}' is not an e-mail address; use e.g. "
            "'orders@example.com', or leave it empty.",
        )
    return ShortageSettings(
        max_alternatives=fields.integer("shortage_max_alternatives", 0, 10),
        price_band_percent=fields.integer("shortage_price_band_percent", 0, 100),
        link_valid_days=fields.integer("shortage_link_valid_days", 1, 60),
        staff_email=staff_email.lower(),
    )


def _parse_coupon_settings(fields: "_Fields") -> CouponSettings:
    staff_email = fields.text("promoted_code_staff_email")
    if staff_email and not _is_email_address(staff_email):
        fields.reject(
            "promoted_code_staff_email",
            f"'{staff_email}' is not an e-mail address; use e.g. "
            "'marketing@example.com', or leave it empty.",
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


def _parse_notice_settings(fields: "_Fields", time_zone: str) -> NoticeSettings:
    transports = fields.transports("notice_transports")
    essential = fields.notice_types("essential_notice_types")
    smtp = SmtpSettings(
        host=fields.text("smtp_host"),
        port=fields.integer("smtp_port", 1, 65535),
        user=fields.text("smtp_user"),
        password=fields.raw_text("smtp_password"),
        use_tls=fields.boolean("smtp_use_tls"),
        use_ssl=fields.boolean("smtp_use_ssl"),
        sender_name=fields.text("sender_name"),
        sender_address=fields.text("sender_address"),
    )
    if smtp.use_tls and smtp.use_ssl:
        fields.reject("smtp_use_ssl", "use either STARTTLS or SSL, not both.")
    if smtp.sender_address and not _is_email_address(smtp.sender_address):
        fields.reject(
            "sender_address", f"'{smtp.sender_address}' is not an e-mail address."
        )
    used = set(transports.values())
    if Transport.EMAIL in used:
        for name, value in [("smtp_host", smtp.host), ("sender_address", smtp.sender_address)]:
            if not value:
                fields.reject(name, "is required while a notice type uses 'email'.")
    webhook_url = fields.web_address("webhook_url")
    webhook_secret = fields.raw_text("webhook_secret")
    if Transport.WEBHOOK in used and not webhook_url:
        fields.reject("webhook_url", "is required while a notice type uses 'webhook'.")
    if webhook_url and len(webhook_secret) < 16:
        fields.reject(
            "webhook_secret",
            "must be at least 16 characters while a webhook URL is set.",
        )
    webhook_contact_channel = fields.text("webhook_contact_channel")
    if webhook_contact_channel not in WEBHOOK_CONTACT_CHANNELS:
        fields.reject(
            "webhook_contact_channel",
            f"'{webhook_contact_channel}' is not one of: "
            f"{', '.join(WEBHOOK_CONTACT_CHANNELS)}.",
        )
        webhook_contact_channel = "sms"
    templates = {}
    for notice_type in NoticeType:
        subject = fields.template(f"subject_{notice_type.value}")
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

    def boolean(self, name: str) -> bool:
        value = self.values[name]
        if isinstance(value, bool):
            return value
        text = self.text(name).lower()
        if text in {"true", "false"}:
            return text == "true"
        self.reject(name, f"'{value}' is not true or false.")
        return bool(DEFAULTS[name])

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
        known_types = {t.value for t in NoticeType}
        known_transports = {t.value for t in Transport}
        chosen: dict[str, str] = {}
        for number, line in enumerate(self.text(name).splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, separator, value = (part.strip() for part in line.partition("="))
            if not separator or (key != "*" and key not in known_types):
                self.reject(
                    name,
                    f"line {number} '{line}' is not 'type=transport' with a type of: "
                    f"*, {', '.join(sorted(known_types))}.",
                )
                continue
            if value not in known_transports:
                self.reject(
                    name,
                    f"line {number}: '{value}' is not a transport; use one of: "
                    f"{', '.join(sorted(known_transports))}.",
                )
                continue
            chosen[key] = value
        default = Transport(chosen.get("*", Transport.SALEOR_NOTIFY))
        return {
            t.value: Transport(chosen.get(t.value, default)) for t in NoticeType
        }

    def notice_types(self, name: str) -> frozenset[str]:
        known = {t.value for t in NoticeType}
        types = {part.strip() for part in self.text(name).split(",") if part.strip()}
        unknown = sorted(types - known)
        if unknown:
            self.reject(
                name,
                f"unknown notice type {', '.join(repr(u) for u in unknown)}; use: "
                f"{', '.join(sorted(known))}.",
            )
        return frozenset(types & known)

    def quiet_hours(self, name: str) -> QuietHours | None:
        text = self.text(name)
        if not text:
            return None
        start, separator, end = text.partition("-")
        try:
            hours = (int(start), int(end)) if separator else None
        except ValueError:
            hours = None
        if hours is None or not all(0 <= h <= 23 for h in hours) or hours[0] == hours[1]:
            self.reject(
                name,
                f"'{text}' is not 'start-end' with two different hours from 0 to 23, "
                "e.g. '21-8'; leave it empty for no quiet hours.",
            )
            return None
        return QuietHours(*hours)

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
        if value is None or not value.is_finite() or not 0 < value <= limit or (
            value.as_tuple().exponent < -2
        ):
            self.reject(
                name,
                f"'{text}' is not a percentage above 0 and at most 100 (e.g. '10%') "
                "or an amount above 0 with at most two decimals (e.g. '5.00'); leave "
                "it empty for no voucher.",
            )
            return {"is_percentage": True, "value": Decimal(0)}
        return {"is_percentage": is_percentage, "value": value}

    def coupon_messages(self, name: str) -> dict[str, str]:
        known = {reason.value for reason in Reason}
        messages = {}
        for number, line in enumerate(self.text(name).splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, separator, text = (part.strip() for part in line.partition(":"))
            if not separator or key not in known or not text:
                self.reject(
                    name,
                    f"line {number} '{line}' is not 'reason: message' with a reason "
                    f"of: {', '.join(sorted(known))}.",
                )
                continue
            try:
                render(text, {variable: "" for variable in MESSAGE_VARIABLES})
            except TemplateError as error:
                self.reject(name, f"line {number}: {error}")
                continue
            messages[key] = text
        return messages

    def template(self, name: str) -> str:
        template = self.raw_text(name)
        try:
            render(template, {variable: "" for variable in TEMPLATE_VARIABLES})
        except TemplateError as error:
            self.reject(name, str(error))
        return template


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


def _is_email_address(address: str) -> bool:
    local, separator, domain = address.rpartition("@")
    return bool(separator and local and "." in domain and " " not in address)
