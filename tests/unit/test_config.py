"""Per-channel settings: defaults, accepted values, and errors that name the field."""

import pytest

from saleor_cs_plugin.config import (
    DEFAULTS,
    FIELDS,
    ChannelSettings,
    SettingsError,
    parse_channel_settings,
)
from saleor_cs_plugin.domain.notices import NoticeType, QuietHours, Transport


def test_missing_values_take_their_defaults():
    assert parse_channel_settings({}) == ChannelSettings()


def test_every_field_has_a_label_help_text_and_default():
    for field in FIELDS:
        assert field.label
        assert field.help_text.endswith((".", ")")), field.name
    assert len(DEFAULTS) == len(FIELDS)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"time_zone": "Asia/Tokyo"}, ChannelSettings(time_zone="Asia/Tokyo")),
        (
            {"storefront_url": "https://shop.example.com/"},
            ChannelSettings(storefront_url="https://shop.example.com"),
        ),
        (
            {"storefront_url": "http://localhost:3000/store"},
            ChannelSettings(storefront_url="http://localhost:3000/store"),
        ),
        ({"support_contact": "x" * 500}, ChannelSettings(support_contact="x" * 500)),
        ({"unknown_setting": "kept out"}, ChannelSettings()),
        ({"time_zone": None}, None),
    ],
)
def test_accepted_values(values, expected):
    if expected is None:
        with pytest.raises(SettingsError):
            parse_channel_settings(values)
        return
    parsed = parse_channel_settings(values)
    assert (parsed.time_zone, parsed.storefront_url, parsed.support_contact) == (
        expected.time_zone,
        expected.storefront_url,
        expected.support_contact,
    )


def test_time_zone_also_governs_quiet_hours():
    parsed = parse_channel_settings({"time_zone": "  America/New_York "})
    assert parsed.time_zone == "America/New_York"
    assert parsed.notices.policy.time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"time_zone": "Mars/Olympus"},
            {
                "time_zone": "'Mars/Olympus' is not an IANA time zone; use a name "
                "such as 'UTC', 'Europe/Warsaw' or 'America/New_York'."
            },
        ),
        (
            {"time_zone": "../../etc/passwd"},
            {
                "time_zone": "'../../etc/passwd' is not an IANA time zone; use a "
                "name such as 'UTC', 'Europe/Warsaw' or 'America/New_York'."
            },
        ),
        (
            {"storefront_url": "ftp://shop.example.com"},
            {
                "storefront_url": "'ftp://shop.example.com' is not an http:// or "
                "https:// address with a host; use e.g. 'https://shop.example.com', "
                "or leave it empty."
            },
        ),
        (
            {"storefront_url": "https://", "support_contact": "y" * 501},
            {
                "storefront_url": "'https://' is not an http:// or https:// address "
                "with a host; use e.g. 'https://shop.example.com', or leave it empty.",
                "support_contact": "the text has 501 characters; at most 500 are "
                "allowed.",
            },
        ),
    ],
)
def test_rejected_values_are_all_named(values, errors):
    with pytest.raises(SettingsError) as raised:
        parse_channel_settings(values)
    assert raised.value.errors == errors


def test_notice_settings_defaults():
    notices = parse_channel_settings({}).notices
    assert set(notices.transports.values()) == {Transport.SALEOR_NOTIFY}
    assert notices.policy.quiet_hours == QuietHours(21, 8)
    assert notices.policy.max_per_day == 3
    assert (notices.max_attempts, notices.retry_base_seconds, notices.timeout_seconds) == (
        6,
        60,
        10,
    )
    assert notices.templates["survey"] == (
        "$subject",
        "Hello $customer_name,\n\n$message\n\n$support_contact",
    )


def test_transports_per_type_with_a_default():
    notices = parse_channel_settings(
        {
            "notice_transports": "*=webhook\nsurvey = email\n\nstaff_alert=off",
            "webhook_url": "https://bridge.example.com/hook",
            "webhook_secret": "s" * 16,
            "smtp_host": "smtp.example.com",
            "sender_address": "care@example.com",
            "essential_notice_types": "order_delay, stock_shortage",
            "quiet_hours": "22-7",
            "max_notices_per_day": "0",
        }
    ).notices
    assert notices.transports[NoticeType.SURVEY] == Transport.EMAIL
    assert notices.transports[NoticeType.STAFF_ALERT] == Transport.OFF
    assert notices.transports[NoticeType.ORDER_DELAY] == Transport.WEBHOOK
    assert notices.policy.essential_types == {"order_delay", "stock_shortage"}
    assert notices.policy.quiet_hours == QuietHours(22, 7)
    assert notices.policy.max_per_day == 0


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"notice_transports": "survey=pigeon"},
            {
                "notice_transports": "line 1: 'pigeon' is not a transport; use one "
                "of: email, off, saleor_notify, webhook."
            },
        ),
        (
            {"notice_transports": "*=email"},
            {
                "smtp_host": "is required while a notice type uses 'email'.",
                "sender_address": "is required while a notice type uses 'email'.",
            },
        ),
        (
            {"notice_transports": "survey=webhook"},
            {"webhook_url": "is required while a notice type uses 'webhook'."},
        ),
        (
            {"webhook_url": "https://bridge.example.com", "webhook_secret": "short"},
            {
                "webhook_secret": "must be at least 16 characters while a webhook "
                "URL is set."
            },
        ),
        (
            {"smtp_use_tls": "true", "smtp_use_ssl": True},
            {"smtp_use_ssl": "use either STARTTLS or SSL, not both."},
        ),
        (
            {"smtp_port": "70000", "max_notices_per_day": "-1"},
            {
                "smtp_port": "'70000' is not a whole number from 1 to 65535.",
                "max_notices_per_day": "'-1' is not a whole number from 0 to 50.",
            },
        ),
        (
            {"essential_notice_types": "order_delay, birthday"},
            {
                "essential_notice_types": "unknown notice type 'birthday'; use: "
                "coupon_honored, order_delay, order_delay_follow_up, "
                "order_on_the_way, staff_alert, stock_restored, stock_shortage, "
                "survey."
            },
        ),
        (
            {"quiet_hours": "8-8"},
            {
                "quiet_hours": "'8-8' is not 'start-end' with two different hours "
                "from 0 to 23, e.g. '21-8'; leave it empty for no quiet hours."
            },
        ),
        (
            {"body_survey": "Dear $first_name"},
            {
                "body_survey": "The template uses $first_name, which this notice "
                "does not have; available: action_url, customer_email, "
                "customer_name, message, order_number, storefront_url, subject, "
                "support_contact."
            },
        ),
        (
            {"webhook_contact_channel": "fax"},
            {"webhook_contact_channel": "'fax' is not one of: sms, chat, social."},
        ),
    ],
)
def test_rejected_notice_settings(values, errors):
    with pytest.raises(SettingsError) as raised:
        parse_channel_settings(values)
    assert raised.value.errors == errors
