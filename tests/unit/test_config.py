"""Per-channel settings: their order and labels, defaults, accepted values, the
settings of stores saved by older versions, and errors that lead with the label."""

from datetime import date, timedelta

import pytest

from saleor_cs_plugin.config import (
    DEFAULT_BODY,
    DEFAULTS,
    FIELDS,
    HOLIDAY_YEARS_AFTER,
    HOLIDAY_YEARS_BEFORE,
    MULTILINE_MAX_LENGTH,
    ONE_LINE_MAX_LENGTH,
    ChannelSettings,
    FieldKind,
    RetentionSettings,
    SettingsError,
    SmtpSettings,
    default_templates,
    holiday_region,
    legacy_smtp_security,
    parse_channel_settings,
    public_holidays,
)
from saleor_cs_plugin.domain.coupons import Reason
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.notices import NoticeType, QuietHours, Transport
from saleor_cs_plugin.domain.surveys import Moment, MomentSettings, Question

THIS_YEAR = date.today().year

WEBHOOK = {
    "webhook_url": "https://bridge.example.com/hook",
    "webhook_secret": "s" * 16,
}
EMAIL = {"smtp_host": "smtp.example.com", "sender_address": "care@example.com"}


def _errors(values):
    with pytest.raises(SettingsError) as raised:
        parse_channel_settings(values)
    return raised.value


def test_missing_values_take_their_defaults():
    assert parse_channel_settings({}) == ChannelSettings()


def test_settings_are_in_the_order_a_merchant_sets_up_a_store():
    assert [field.name for field in FIELDS] == [
        "status_staff_alerts",
        "status_failed_notices",
        "status_orders_at_risk",
        "status_promoted_codes",
        "status_on_time_shipping",
        "status_survey_satisfied",
        "status_survey_response_rate",
        "status_conversations_waiting",
        "status_first_answer_within_target",
        "time_zone",
        "storefront_url",
        "support_contact",
        "language",
        "storefront_pages",
        "trusted_proxies",
        "notice_transports",
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_password",
        "smtp_security",
        "sender_name",
        "sender_address",
        "webhook_url",
        "webhook_secret",
        "webhook_contact_channel",
        "inbound_secret",
        "answer_hours",
        "answer_targets",
        "acknowledge_out_of_hours",
        "quiet_hours",
        "max_notices_per_day",
        "max_attempts",
        "retry_base_seconds",
        "delivery_timeout_seconds",
        "essential_notice_types",
        "promise_handling_days",
        "promise_cutoff_hour",
        "promise_working_days",
        "promise_holidays_country",
        "promise_holidays",
        "promise_default_delivery_days",
        "delay_at_risk_hours",
        "delay_follow_up_days",
        "delay_shipping_days",
        "apology_voucher",
        "apology_voucher_valid_days",
        "apology_vouchers_per_day",
        "shortage_max_alternatives",
        "shortage_price_band_percent",
        "shortage_link_valid_days",
        "shortage_staff_email",
        "coupon_messages",
        "coupon_max_alternatives",
        "coupon_failures_per_checkout",
        "coupon_failures_per_ip",
        "promoted_code_warning_hours",
        "promoted_code_staff_email",
        "coupon_grace_hours",
        "coupon_grace_code_valid_hours",
        "coupon_grace_per_day",
        "survey_completed_percent",
        "survey_completed_days",
        "survey_abandoned_percent",
        "survey_abandoned_hours",
        "survey_after_problem_percent",
        "survey_after_problem_days",
        "survey_fatigue_days",
        "survey_link_valid_days",
        "survey_comment_retention_days",
        "survey_staff_email",
        "survey_question_why_not_completed",
        "survey_question_satisfied",
        "survey_question_what_went_wrong",
        "survey_question_handled_as_wanted",
        "retention_coupon_attempt_days",
        "retention_notice_content_days",
        "retention_conversation_days",
        "subject_order_delay",
        "body_order_delay",
        "subject_order_delay_follow_up",
        "body_order_delay_follow_up",
        "subject_order_on_the_way",
        "body_order_on_the_way",
        "subject_stock_shortage",
        "body_stock_shortage",
        "subject_stock_restored",
        "body_stock_restored",
        "subject_survey",
        "body_survey",
        "subject_staff_alert",
        "body_staff_alert",
    ]


def test_every_label_starts_with_its_group_in_setup_order():
    groups = []
    for field in FIELDS:
        group, separator, thing = field.label.partition(" · ")
        assert separator and thing, field.label
        if not groups or groups[-1] != group:
            groups.append(group)
    assert groups == [
        "Status now",
        "Store",
        "Notices",
        "E-mail",
        "Webhook",
        "Inbound messages",
        "Notices",
        "Delivery promises",
        "Delay notices",
        "Stock shortages",
        "Coupon help",
        "Promoted codes",
        "Surveys",
        "Privacy",
        "Notice texts",
    ]


def test_every_field_has_help_text_and_a_default():
    for field in FIELDS:
        assert field.help_text.endswith((".", ")")), field.name
        assert isinstance(field.default, str), field.name
    assert len(DEFAULTS) == len(FIELDS) == len({field.name for field in FIELDS})


def test_no_setting_is_a_checkbox():
    # The Dashboard puts checkboxes after every other setting, away from their group.
    assert {field.kind for field in FIELDS} == {
        FieldKind.OUTPUT,
        FieldKind.TEXT,
        FieldKind.MULTILINE,
        FieldKind.PASSWORD,
    }


def test_status_lines_come_first_and_are_read_only():
    status = [(f.name, f.label) for f in FIELDS if f.kind == FieldKind.OUTPUT]
    assert status == [
        ("status_staff_alerts", "Status now · Open staff alerts"),
        ("status_failed_notices", "Status now · Notices failed in the last 7 days"),
        ("status_orders_at_risk", "Status now · Orders at risk or late"),
        ("status_promoted_codes", "Status now · Promoted codes needing attention"),
        ("status_on_time_shipping", "Status now · On-time shipping, last 30 days"),
        ("status_survey_satisfied", "Status now · Satisfied customers, last 30 days"),
        (
            "status_survey_response_rate",
            "Status now · Survey response rate, last 30 days",
        ),
        (
            "status_conversations_waiting",
            "Status now · Conversations waiting past target",
        ),
        (
            "status_first_answer_within_target",
            "Status now · First answer within target, last 30 days",
        ),
    ]
    assert [f.kind for f in FIELDS[: len(status)]] == [FieldKind.OUTPUT] * len(status)


def test_secret_rules_are_in_the_label_the_secret_dialog_shows():
    labels = {f.name: f.label for f in FIELDS if f.kind == FieldKind.PASSWORD}
    assert labels == {
        "smtp_password": "E-mail · SMTP password (of the SMTP user)",
        "webhook_secret": "Webhook · Secret (at least 16 characters)",
        "inbound_secret": "Inbound messages · Secret (at least 16 characters)",
    }


def test_status_lines_are_never_read_as_settings():
    assert (
        parse_channel_settings(
            {"status_staff_alerts": "3 open", "status_on_time_shipping": "x"}
        )
        == ChannelSettings()
    )


def test_only_the_notices_that_are_sent_have_texts_to_edit():
    texts = [f.name for f in FIELDS if f.name.startswith(("subject_", "body_"))]
    assert texts == [
        f"{part}_{notice_type}"
        for notice_type in (
            "order_delay",
            "order_delay_follow_up",
            "order_on_the_way",
            "stock_shortage",
            "stock_restored",
            "survey",
            "staff_alert",
        )
        for part in ("subject", "body")
    ]


def test_texts_of_notices_that_are_not_sent_keep_their_defaults():
    # given texts an older version let a store save, one of them broken
    templates = parse_channel_settings(
        {"body_coupon_honored": "Dear $first_name", "subject_coupon_honored": "Yay"}
    ).notices.templates

    # then they are not read
    assert (
        templates["coupon_honored"]
        == default_templates("coupon_honored")
        == (
            "$subject",
            "Hello $customer_name,\n\n$message\n\n$support_contact",
        )
    )
    assert set(templates) == {t.value for t in NoticeType}


def test_the_staff_alert_text_does_not_greet_a_customer():
    assert DEFAULTS["body_staff_alert"] == "$message"
    assert DEFAULTS["body_order_delay"] == (
        "Hello $customer_name,\n\n$message\n\n$support_contact"
    )


def test_the_placeholder_list_is_said_once():
    helps = [f.help_text for f in FIELDS if f.name.startswith(("subject_", "body_"))]
    assert sum("$customer_email" in help_text for help_text in helps) == 1
    assert "$customer_email" in helps[0]
    assert (
        helps[1:]
        == [
            text
            for title in (
                "order delay",
                "delay follow-up",
                "on the way",
                "stock shortage",
                "stock restored",
                "survey",
                "staff alert",
            )
            for text in (
                f"Subject of the '{title}' notice; placeholders as listed under "
                "Notice texts · Order delay subject.",
                f"Text of the '{title}' notice; a blank line starts a paragraph, and "
                "customer data is escaped in the HTML part. Placeholders as listed "
                "under Notice texts · Order delay subject.",
            )
        ][1:]
    )


def test_readable_notice_names_are_listed_in_help():
    readable = (
        "order delay, delay follow-up, on the way, stock shortage, stock restored, "
        "survey, staff alert"
    )
    helps = {f.name: f.help_text for f in FIELDS}
    assert f"any of: {readable}." in helps["essential_notice_types"]
    assert f"Notices: {readable}." in helps["notice_transports"]
    # A survey is never essential unless the merchant makes it so.
    assert DEFAULTS["essential_notice_types"] == readable.replace(" survey,", "")


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
    ],
)
def test_accepted_values(values, expected):
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


def test_notice_settings_defaults():
    notices = parse_channel_settings({}).notices
    assert set(notices.transports.values()) == {Transport.SALEOR_NOTIFY}
    assert notices.policy.quiet_hours == QuietHours(21, 8)
    assert notices.policy.max_per_day == 3
    assert notices.policy.essential_types == {
        "order_delay",
        "order_delay_follow_up",
        "order_on_the_way",
        "stock_shortage",
        "stock_restored",
        "staff_alert",
    }
    assert (
        notices.max_attempts,
        notices.retry_base_seconds,
        notices.timeout_seconds,
    ) == (
        6,
        60,
        10,
    )
    assert notices.smtp == SmtpSettings(security="starttls")
    assert (notices.smtp.use_tls, notices.smtp.use_ssl) == (True, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {t.value: Transport.SALEOR_NOTIFY for t in NoticeType}),
        (
            "*=webhook\nsurvey = email\n\nstaff_alert=off",
            {
                **{t.value: Transport.WEBHOOK for t in NoticeType},
                "survey": Transport.EMAIL,
                "staff_alert": Transport.OFF,
            },
        ),
        (
            "* = email\nStaff alert = off\ndelay follow-up = webhook\n"
            "On the way=E-mail",
            {
                **{t.value: Transport.EMAIL for t in NoticeType},
                "staff_alert": Transport.OFF,
                "order_delay_follow_up": Transport.WEBHOOK,
            },
        ),
        (
            "order delay = webhook\norder_delay = email",
            {
                **{t.value: Transport.SALEOR_NOTIFY for t in NoticeType},
                "order_delay": Transport.EMAIL,
            },
        ),
        (
            "stock shortage = Saleor Notify\n* = off",
            {
                **{t.value: Transport.OFF for t in NoticeType},
                "stock_shortage": Transport.SALEOR_NOTIFY,
            },
        ),
    ],
)
def test_how_notices_are_sent_by_readable_or_internal_names(text, expected):
    values = {"notice_transports": text, **WEBHOOK, **EMAIL}
    assert parse_channel_settings(values).notices.transports == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", frozenset()),
        ("order_delay, stock_shortage", {"order_delay", "stock_shortage"}),
        (
            "Order delay,delay follow-up , ON THE WAY, stock-restored, staff alert,",
            {
                "order_delay",
                "order_delay_follow_up",
                "order_on_the_way",
                "stock_restored",
                "staff_alert",
            },
        ),
        ("order delay, order_delay", {"order_delay"}),
    ],
)
def test_essential_notices_by_readable_or_internal_names(text, expected):
    essential = parse_channel_settings({"essential_notice_types": text})
    assert essential.notices.policy.essential_types == expected


@pytest.mark.parametrize(
    ("values", "security"),
    [
        ({}, "starttls"),
        ({"smtp_security": " SSL "}, "ssl"),
        ({"smtp_security": "none"}, "none"),
        # stores saved before smtp_security: what their two booleans said
        ({"smtp_use_tls": False}, "none"),
        ({"smtp_use_tls": False, "smtp_use_ssl": False}, "none"),
        ({"smtp_use_tls": "false", "smtp_use_ssl": "False"}, "none"),
        ({"smtp_use_tls": True, "smtp_use_ssl": False}, "starttls"),
        ({"smtp_use_ssl": False}, "starttls"),
        ({"smtp_use_tls": False, "smtp_use_ssl": True}, "ssl"),
        ({"smtp_use_ssl": "true"}, "ssl"),
        # once smtp_security is saved, the booleans are no longer read
        ({"smtp_use_tls": False, "smtp_security": "starttls"}, "starttls"),
        ({"smtp_use_ssl": True, "smtp_security": "none"}, "none"),
    ],
)
def test_smtp_security_and_the_old_booleans(values, security):
    smtp = parse_channel_settings(values).notices.smtp
    assert smtp.security == security
    assert (smtp.use_tls, smtp.use_ssl) == (security == "starttls", security == "ssl")


@pytest.mark.parametrize(
    ("values", "security"),
    [
        ({}, None),
        ({"smtp_security": "ssl", "smtp_use_tls": True}, None),
        ({"smtp_use_tls": False}, "none"),
        ({"smtp_use_tls": True}, "starttls"),
        ({"smtp_use_ssl": True}, "ssl"),
    ],
)
def test_legacy_smtp_security_only_for_stores_that_never_saved_it(values, security):
    assert legacy_smtp_security(values) == security


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("US", ("US", None)),
        (" us ", ("US", None)),
        ("USA", ("US", None)),
        ("DE-BY", ("DE", "BY")),
        ("de-by", ("DE", "BY")),
        ("DE - Bayern", ("DE", "BY")),
        ("GB-SCT", ("GB", "SCT")),
        ("PL", ("PL", None)),
        ("PL-14", ("PL", "14")),
    ],
)
def test_holiday_regions(text, region):
    assert holiday_region(text) == region


def test_public_holidays_of_a_country_in_a_year():
    assert public_holidays("US", None, 2026, 2026) == {
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),  # Independence Day observed: the 4th is a Saturday
        date(2026, 7, 4),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    }


def test_a_region_adds_its_own_holidays():
    germany = public_holidays("DE", None, 2026, 2026)
    bavaria = public_holidays("DE", "BY", 2026, 2026)
    assert bavaria - germany == {
        date(2026, 1, 6),  # Epiphany
        date(2026, 6, 4),  # Corpus Christi
        date(2026, 11, 1),  # All Saints' Day
    }
    assert germany <= bavaria


def test_public_holidays_become_days_off_beside_hand_typed_ones():
    # given Poland's holidays and one day typed by hand
    calendar = parse_channel_settings(
        {
            "promise_holidays_country": "pl",
            "promise_holidays": f"{THIS_YEAR}-03-03  # stocktaking",
        }
    ).promises.calendar

    # then both are days off, for every year a promise can reach
    assert date(THIS_YEAR, 3, 3) in calendar.holidays
    assert calendar.is_working_day(date(THIS_YEAR, 3, 3)) is False
    years = {day.year for day in calendar.holidays}
    assert years == set(
        range(THIS_YEAR - HOLIDAY_YEARS_BEFORE, THIS_YEAR + HOLIDAY_YEARS_AFTER + 1)
    )
    for year in years:
        assert {date(year, 1, 1), date(year, 5, 3), date(year, 11, 11)} <= (
            calendar.holidays
        )
    assert calendar.holidays == public_holidays(
        "PL", None, THIS_YEAR - HOLIDAY_YEARS_BEFORE, THIS_YEAR + HOLIDAY_YEARS_AFTER
    ) | {date(THIS_YEAR, 3, 3)}


def test_without_a_country_only_typed_days_are_off():
    calendar = parse_channel_settings(
        {"promise_holidays": f"{THIS_YEAR}-12-24"}
    ).promises.calendar
    assert calendar.holidays == {date(THIS_YEAR, 12, 24)}


def test_the_expansion_of_a_country_is_kept():
    # given a country expanded once
    parse_channel_settings({"promise_holidays_country": "DE-BY"})
    before = public_holidays.cache_info()

    # when settings naming it are parsed again
    parse_channel_settings({"promise_holidays_country": "de-by", "time_zone": "UTC"})

    # then the holidays were not expanded again
    after = public_holidays.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"time_zone": "Mars/Base"},
            {
                "time_zone": "Store · Time zone: 'Mars/Base' is not an IANA time zone; "
                "use a name such as 'UTC', 'Europe/Warsaw' or 'America/New_York'."
            },
        ),
        (
            {"time_zone": "../../etc/passwd"},
            {
                "time_zone": "Store · Time zone: '../../etc/passwd' is not an IANA "
                "time zone; use a name such as 'UTC', 'Europe/Warsaw' or "
                "'America/New_York'."
            },
        ),
        (
            {"storefront_url": "ftp://shop.example.com"},
            {
                "storefront_url": "Store · Storefront URL: 'ftp://shop.example.com' is "
                "not an http:// or https:// address with a host; use e.g. "
                "'https://shop.example.com', or leave it empty."
            },
        ),
        (
            {"storefront_url": "https://", "support_contact": "y" * 501},
            {
                "storefront_url": "Store · Storefront URL: 'https://' is not an "
                "http:// or https:// address with a host; use e.g. "
                "'https://shop.example.com', or leave it empty.",
                "support_contact": "Store · How customers reach you: the text has 501 "
                "characters; at most 500 are allowed.",
            },
        ),
        (
            {"notice_transports": "stock shortage=pigeon"},
            {
                "notice_transports": "Notices · How notices are sent: line 1: 'pigeon' "
                "is not a transport; use one of: saleor_notify, email, webhook, off."
            },
        ),
        (
            {"notice_transports": "* = email\nbirthday = email"},
            {
                "notice_transports": "Notices · How notices are sent: line 2 'birthday "
                "= email' is not 'notice = transport' with a notice of: *, order "
                "delay, delay follow-up, on the way, stock shortage, stock restored, "
                "survey, staff alert.",
                "smtp_host": "E-mail · SMTP host: required while a notice is sent by "
                "email; enter your mail server, e.g. smtp.example.com.",
                "sender_address": "E-mail · Sender address: required while a notice "
                "is sent by email; enter the From address, e.g. care@example.com.",
            },
        ),
        (
            {"notice_transports": "staff alert webhook"},
            {
                "notice_transports": "Notices · How notices are sent: line 1 'staff "
                "alert webhook' is not 'notice = transport' with a notice of: *, "
                "order delay, delay follow-up, on the way, stock shortage, stock "
                "restored, survey, staff alert."
            },
        ),
        (
            {"notice_transports": "on the way = webhook"},
            {
                "webhook_url": "Webhook · URL: required while a notice is sent by "
                "webhook; enter your bridge's address, e.g. "
                "https://bridge.example.com/notices."
            },
        ),
        (
            {"webhook_url": "https://bridge.example.com", "webhook_secret": "short"},
            {
                "webhook_secret": "Webhook · Secret (at least 16 characters): too "
                "short or empty; while a webhook URL is set, the secret needs at "
                "least 16 characters."
            },
        ),
        (
            {"webhook_url": "https://bridge.example.com"},
            {
                "webhook_secret": "Webhook · Secret (at least 16 characters): too "
                "short or empty; while a webhook URL is set, the secret needs at "
                "least 16 characters."
            },
        ),
        (
            {"webhook_contact_channel": "fax"},
            {
                "webhook_contact_channel": "Webhook · Reaches customers by: 'fax' is "
                "not one of: sms, chat, social."
            },
        ),
        (
            {"smtp_security": "tls"},
            {
                "smtp_security": "E-mail · Connection security: 'tls' is not one of: "
                "starttls (usually port 587), ssl (usually port 465), none (no "
                "encryption)."
            },
        ),
        (
            {"sender_address": "care at example"},
            {
                "sender_address": "E-mail · Sender address: 'care at example' is not "
                "an e-mail address; use e.g. 'care@example.com'."
            },
        ),
        (
            {"smtp_port": "70000", "max_notices_per_day": "-1"},
            {
                "smtp_port": "E-mail · SMTP port: '70000' is not a whole number from "
                "1 to 65535.",
                "max_notices_per_day": "Notices · Most per customer in 24 hours: '-1' "
                "is not a whole number from 0 to 50.",
            },
        ),
        (
            {"essential_notice_types": "order delay, birthday"},
            {
                "essential_notice_types": "Notices · Essential notices: 'birthday' is "
                "not a notice; use any of: order delay, delay follow-up, on the way, "
                "stock shortage, stock restored, survey, staff alert (comma-separated), or "
                "leave it empty for none."
            },
        ),
        (
            {"essential_notice_types": "birthday, Order Delays"},
            {
                "essential_notice_types": "Notices · Essential notices: 'birthday', "
                "'Order Delays' are not notices; use any of: order delay, delay "
                "follow-up, on the way, stock shortage, stock restored, survey, staff alert "
                "(comma-separated), or leave it empty for none."
            },
        ),
        (
            {"quiet_hours": "8-8"},
            {
                "quiet_hours": "Notices · Quiet hours: '8-8' is not 'start-end' with "
                "two different hours from 0 to 23, e.g. '21-8'; leave it empty for no "
                "quiet hours."
            },
        ),
        (
            {"body_staff_alert": "Dear $first_name"},
            {
                "body_staff_alert": "Notice texts · Staff alert body: the template "
                "uses $first_name, which this notice does not have; available: "
                "action_url, customer_email, customer_name, message, order_number, "
                "storefront_url, subject, support_contact."
            },
        ),
        (
            {"subject_order_delay": "Sale 50$"},
            {
                "subject_order_delay": "Notice texts · Order delay subject: the "
                "template is malformed: Invalid placeholder in string: line 1, col 8."
            },
        ),
        (
            {"promise_holidays_country": "XX"},
            {
                "promise_holidays_country": "Delivery promises · Public holidays "
                "(country code): 'XX' is not a country code with known public "
                "holidays; use a two-letter code such as US, DE or PL, optionally "
                "with a region such as US-CA or DE-BY, or leave it empty."
            },
        ),
        (
            {"promise_holidays_country": "Bavaria"},
            {
                "promise_holidays_country": "Delivery promises · Public holidays "
                "(country code): 'Bavaria' is not a country code with known public "
                "holidays; use a two-letter code such as US, DE or PL, optionally "
                "with a region such as US-CA or DE-BY, or leave it empty."
            },
        ),
        (
            {"promise_holidays_country": "DE-XX"},
            {
                "promise_holidays_country": "Delivery promises · Public holidays "
                "(country code): 'DE-XX': DE has no region 'XX'; use DE alone or with "
                "one of: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, "
                "TH, Augsburg (e.g. DE-BB)."
            },
        ),
        (
            {"promise_holidays_country": "LU-1"},
            {
                "promise_holidays_country": "Delivery promises · Public holidays "
                "(country code): 'LU-1': LU has no regions with holidays of their "
                "own; use LU."
            },
        ),
        (
            {"promise_holidays": "25.12.2026"},
            {
                "promise_holidays": "Delivery promises · Extra days off: line 1 "
                "'25.12.2026' is not a date as YYYY-MM-DD."
            },
        ),
        (
            {"promise_default_delivery_days": "5-2"},
            {
                "promise_default_delivery_days": "Delivery promises · Delivery days "
                "when the method has none: '5-2' is not 'min-max' with whole days "
                "from 0 to 365 and min not above max, e.g. '2-5'; leave it empty "
                "for no default."
            },
        ),
        (
            {"shortage_staff_email": "orders at example"},
            {
                "shortage_staff_email": "Stock shortages · Staff e-mail for "
                "customers' choices: 'orders at example' is not an e-mail address; "
                "use e.g. 'orders@example.com', or leave it empty."
            },
        ),
        (
            {"coupon_grace_hours": "169"},
            {
                "coupon_grace_hours": "Promoted codes · Grace after a code ended "
                "(hours): '169' is not a whole number from 0 to 168."
            },
        ),
        (
            {"survey_completed_percent": "101", "survey_abandoned_hours": "0"},
            {
                "survey_completed_percent": "Surveys · Completed orders: share of "
                "customers asked (%): '101' is not a whole number from 0 to 100.",
                "survey_abandoned_hours": "Surveys · Abandoned checkouts: ask after "
                "(hours untouched): '0' is not a whole number from 1 to 168.",
            },
        ),
        (
            {"survey_staff_email": "care at example", "survey_fatigue_days": "-1"},
            {
                "survey_fatigue_days": "Surveys · At most one survey per customer in "
                "(days): '-1' is not a whole number from 0 to 365.",
                "survey_staff_email": "Surveys · Staff e-mail for call-backs: 'care at "
                "example' is not an e-mail address; use e.g. 'care@example.com', or "
                "leave it empty.",
            },
        ),
        (
            {"trusted_proxies": "6"},
            {
                "trusted_proxies": "Store · Trusted proxies in front of Saleor: '6' "
                "is not a whole number from 0 to 5."
            },
        ),
        (
            {
                "retention_coupon_attempt_days": "6",
                "retention_notice_content_days": "ninety",
            },
            {
                "retention_coupon_attempt_days": "Privacy · Keep failed coupon "
                "attempts for (days): '6' is not a whole number from 7 to 3650.",
                "retention_notice_content_days": "Privacy · Keep what sent notices "
                "said for (days): 'ninety' is not a whole number from 7 to 3650.",
            },
        ),
    ],
)
def test_rejected_values_lead_with_the_label(values, errors):
    assert _errors(values).labelled == errors


def test_rejections_keep_the_bare_rule_by_field_name():
    error = _errors({"time_zone": "Mars/Base", "smtp_port": "x"})
    assert error.errors == {
        "time_zone": "'Mars/Base' is not an IANA time zone; use a name such as 'UTC', "
        "'Europe/Warsaw' or 'America/New_York'.",
        "smtp_port": "'x' is not a whole number from 1 to 65535.",
    }


def test_a_transport_used_only_by_notices_that_are_not_sent_needs_no_settings():
    # given a store that sends honored-code notices (never sent on their own) by
    # e-mail, without SMTP
    transports = parse_channel_settings({"notice_transports": "coupon_honored = email"})

    # then nothing is required of the e-mail settings
    assert transports.notices.transports["coupon_honored"] == Transport.EMAIL


def test_labelled_rejections_come_in_the_order_of_the_page():
    error = _errors(
        {"coupon_grace_hours": "x", "notice_transports": "* = email", "smtp_port": "0"}
    )
    assert list(error.errors) == [
        "smtp_port",
        "smtp_host",
        "sender_address",
        "coupon_grace_hours",
    ]
    assert list(error.labelled) == [
        "smtp_host",
        "smtp_port",
        "sender_address",
        "coupon_grace_hours",
    ]


# Texts in other languages -------------------------------------------------------


def test_a_notice_text_may_be_given_per_language():
    settings = parse_channel_settings(
        {
            "subject_order_delay": "Order $order_number is late\n[pl]\nZamówienie "
            "$order_number jest opóźnione\n[de]\nBestellung $order_number verspätet",
            "body_order_delay": "Hi $customer_name,\n\n$message\n[PL]\nCześć "
            "$customer_name,\n\n$message",
        }
    )
    subject, body = settings.notices.templates["order_delay"]
    assert (subject, subject.for_language("pl"), subject.for_language("de-at")) == (
        "Order $order_number is late",
        "Zamówienie $order_number jest opóźnione",
        "Bestellung $order_number verspätet",
    )
    assert (body.for_language("pl-pl"), body.for_language("fr")) == (
        "Cześć $customer_name,\n\n$message",
        "Hi $customer_name,\n\n$message",
    )
    assert settings.written_languages == frozenset({"pl", "de"})


def test_a_text_given_only_in_another_language_keeps_the_default_for_the_rest():
    subject, body = parse_channel_settings(
        {"body_order_delay": "[pl]\nCześć $customer_name,\n\n$message"}
    ).notices.templates["order_delay"]
    assert (body, body.for_language("pl")) == (
        DEFAULT_BODY,
        "Cześć $customer_name,\n\n$message",
    )


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"subject_order_delay": "Late\n[pl]\nOpóźnione\nbardzo"},
            {"subject_order_delay": "the [pl] text: a subject is one line."},
        ),
        (
            {"body_order_delay": "$message\n[xq-zz]\n$message"},
            {
                "body_order_delay": "line 2: '[xq-zz]' is not a language code; use "
                "one such as [pl], [de] or [pt-br]."
            },
        ),
        (
            {"body_order_delay": "$message\n[pl]\n$wiadomosc"},
            {
                "body_order_delay": "the [pl] text: the template uses $wiadomosc, "
                "which this notice does not have; available: action_url, "
                "customer_email, customer_name, message, order_number, "
                "storefront_url, subject, support_contact."
            },
        ),
        (
            {"support_contact": "Call us\n[de]\nRufen Sie an\n[de]\nNoch einmal"},
            {"support_contact": "line 4: [de] is given twice."},
        ),
        (
            {"support_contact": "Call us\n[pl]\n" + "x" * 501},
            {
                "support_contact": "the [pl] text has 501 characters; at most 500 "
                "are allowed."
            },
        ),
        (
            {"language": "klingon"},
            {
                "language": "'klingon' is not a language code; use one such as en, "
                "pl, de or pt-br."
            },
        ),
        (
            {"storefront_pages": "stock shortage, checkout"},
            {
                "storefront_pages": "'checkout' is not a page; pages: stock shortage, survey, "
                "problem report."
            },
        ),
        (
            {"storefront_pages": "stock shortage"},
            {
                "storefront_pages": "links can open your storefront's pages only "
                "when the storefront URL is set; set it, or leave this empty."
            },
        ),
        (
            {"coupon_messages": "expired: Gone.\n[pl]\nexpird: Wygasł."},
            {
                "coupon_messages": "line 3 'expird: Wygasł.' is not 'reason: "
                "message' with a reason of: "
                + ", ".join(sorted(r.value for r in Reason))
                + "."
            },
        ),
    ],
)
def test_texts_in_other_languages_are_checked(values, errors):
    with pytest.raises(SettingsError) as raised:
        parse_channel_settings(values)
    assert raised.value.errors == errors


def test_the_channel_language_and_storefront_pages_are_read():
    settings = parse_channel_settings(
        {
            "language": "PT_BR",
            "storefront_url": "https://shop.example.com",
            "storefront_pages": " Stock-Shortage ",
        }
    )
    assert (settings.language, settings.storefront_pages) == (
        "pt-br",
        frozenset({"stock_shortage"}),
    )


def test_coupon_messages_may_be_given_per_language():
    messages = parse_channel_settings(
        {
            "coupon_messages": "expired: $code has ended.\n\n[pl]\nexpired: Kod "
            "$code wygasł.\nunknown_code: Nie znamy kodu $code.\n[de]\n"
            "inactive: $code ist nicht aktiv."
        }
    ).coupons.messages
    assert {
        reason: (str(text), text.by_language) for reason, text in messages.items()
    } == {
        "expired": ("$code has ended.", {"pl": "Kod $code wygasł."}),
        "inactive": ("", {"de": "$code ist nicht aktiv."}),
        "unknown_code": ("", {"pl": "Nie znamy kodu $code."}),
    }


def test_survey_moments_are_switched_and_sampled_per_channel():
    surveys = parse_channel_settings(
        {
            "survey_completed_percent": "20",
            "survey_after_problem_percent": "100",
            "survey_question_satisfied": "Happy with us?\n[pl]\nZadowolony?",
        }
    ).surveys
    assert surveys.moments == {
        Moment.COMPLETED: MomentSettings(is_enabled=True, percent=20),
        Moment.ABANDONED: MomentSettings(is_enabled=False, percent=0),
        Moment.AFTER_PROBLEM: MomentSettings(is_enabled=True, percent=100),
    }
    assert surveys.question(Question.SATISFIED, "pl") == "Zadowolony?"
    assert surveys.question(Question.SATISFIED, "de") == "Happy with us?"
    assert surveys.question(Question.WHAT_WENT_WRONG, "de") == ""


def test_trusted_proxies_and_retention_are_read():
    settings = parse_channel_settings(
        {
            "trusted_proxies": "2",
            "retention_coupon_attempt_days": "30",
            "retention_notice_content_days": "3650",
        }
    )

    assert settings.trusted_proxies == 2
    assert settings.retention == RetentionSettings(
        coupon_attempt_days=30, notice_content_days=3650
    )
    assert ChannelSettings().trusted_proxies == 0
    assert ChannelSettings().retention == RetentionSettings(
        coupon_attempt_days=90, notice_content_days=90
    )


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {**EMAIL, "sender_name": "Acme\r\nBcc: victim@example.com"},
            {
                "sender_name": "character 5 (U+000D) is a line break or control "
                "character; this setting is one line of printable text."
            },
        ),
        (
            {**EMAIL, "sender_name": "Acme\u2028Shop"},
            {
                "sender_name": "character 5 (U+2028) is a line break or control "
                "character; this setting is one line of printable text."
            },
        ),
        (
            {**WEBHOOK, "webhook_secret": "s" * 16 + "\x00"},
            {
                "webhook_secret": "character 17 (U+0000) cannot be stored (a NUL or "
                "a lone surrogate); remove it."
            },
        ),
        (
            {"support_contact": "Call us\ud800"},
            {
                "support_contact": "character 8 (U+D800) cannot be stored (a NUL or "
                "a lone surrogate); remove it."
            },
        ),
        (
            {"body_order_delay": "Hello\x1b[31m $message"},
            {
                "body_order_delay": "character 6 (U+001B) is a control character; a "
                "text may hold tabs and line breaks, but no other control character."
            },
        ),
        (
            {"time_zone": "Europe/Warsaw\x00", "sender_name": "Ac\x85me"},
            {
                "time_zone": "character 14 (U+0000) cannot be stored (a NUL or a "
                "lone surrogate); remove it.",
                "sender_name": "character 3 (U+0085) is a line break or control "
                "character; this setting is one line of printable text.",
            },
        ),
    ],
)
def test_characters_a_setting_cannot_hold_are_named_by_position(values, errors):
    # The value itself is not repeated: it may be a secret.
    assert _errors(values).errors == errors


def test_line_breaks_around_a_one_line_value_and_inside_a_text_are_kept_apart():
    settings = parse_channel_settings(
        {
            **EMAIL,
            "sender_address": "care@example.com\r\n",
            "sender_name": "\tAcme Care ",
            "body_order_delay": "Hello\t$customer_name,\r\n\r\n$message\u2028",
        }
    )

    assert settings.notices.smtp.sender_address == "care@example.com"
    assert settings.notices.smtp.sender_name == "Acme Care"
    # Read line by line: the text's own line breaks become "\n".
    assert settings.notices.templates[NoticeType.ORDER_DELAY][1] == (
        "Hello\t$customer_name,\n\n$message"
    )


@pytest.mark.parametrize(
    "address",
    [
        "care@example.com, thief@example.net",
        "care@example.com\r\nBcc: thief@example.net",
        "Care <care@example.com>",
        "care@example.com (Care)",
        "care@@example.com",
        "care@example..com",
        "care@localhost",
        '"care team"@example.com',
    ],
)
def test_an_address_is_one_plain_address(address):
    assert set(_errors({**EMAIL, "sender_address": address}).errors) == {
        "sender_address"
    }


@pytest.mark.parametrize(
    "address", ["care@example.com", "care.team+orders@shop.example.co.uk", "a@b.pl"]
)
def test_plain_addresses_are_accepted(address):
    settings = parse_channel_settings({**EMAIL, "sender_address": address})
    assert settings.notices.smtp.sender_address == address


def test_a_value_longer_than_its_kind_allows_is_refused():
    error = _errors(
        {
            "sender_name": "n" * (ONE_LINE_MAX_LENGTH + 1),
            "body_order_delay": "b" * (MULTILINE_MAX_LENGTH + 1),
            "body_order_on_the_way": "b" * MULTILINE_MAX_LENGTH,
        }
    )

    assert error.errors == {
        "sender_name": "it has 2,049 characters; at most 2,048 are allowed.",
        "body_order_delay": "it has 20,001 characters; at most 20,000 are allowed.",
    }


def test_an_inbound_secret_is_empty_or_long_enough():
    assert parse_channel_settings({}).conversations.inbound_secret == ""
    assert (
        parse_channel_settings(
            {"inbound_secret": "s" * 16}
        ).conversations.inbound_secret
        == "s" * 16
    )
    assert _errors({"inbound_secret": "s" * 15}).errors == {
        "inbound_secret": "it has 15 characters; at least 16 are needed, or leave it "
        "empty for no inbound messages."
    }
    # The secret is never shown where settings are printed.
    assert "s" * 16 not in repr(parse_channel_settings({"inbound_secret": "s" * 16}))


def test_answering_hours_and_targets_are_read_with_the_promises_calendar():
    settings = parse_channel_settings(
        {
            "time_zone": "Europe/Warsaw",
            "promise_working_days": "mon,tue,wed",
            "answer_hours": "8-20",
            "answer_targets": "Chat 10 minutes, e-mail 2 hours",
        }
    )

    hours = settings.conversations.answer_hours
    assert (hours.opens, hours.closes) == (8, 20)
    assert hours.calendar == settings.promises.calendar
    assert hours.calendar.time_zone == "Europe/Warsaw"
    assert hours.targets == {
        ContactChannel.CHAT: timedelta(minutes=10),
        ContactChannel.EMAIL: timedelta(hours=2),
    }
    assert parse_channel_settings({}).conversations.answer_hours.targets == {
        ContactChannel.CHAT: timedelta(minutes=5),
        ContactChannel.SOCIAL: timedelta(hours=1),
        ContactChannel.SMS: timedelta(hours=1),
        ContactChannel.PHONE: timedelta(hours=1),
        ContactChannel.EMAIL: timedelta(hours=24),
        ContactChannel.WEB: timedelta(hours=24),
    }
    assert settings.conversations.is_acknowledging_out_of_hours is False
    assert parse_channel_settings(
        {"acknowledge_out_of_hours": " Yes "}
    ).conversations.is_acknowledging_out_of_hours


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"answer_hours": "17-9"},
            {
                "answer_hours": "'17-9' is not 'start-end' with hours from 0 to 24, "
                "the start before the end, e.g. '9-17'."
            },
        ),
        (
            {"answer_targets": "chat 5 minutes, pigeon 2 hours"},
            {
                "answer_targets": "'pigeon 2 hours' is not 'channel number unit' with "
                "a channel of: sms, chat, social, email, phone, web, e-mail (each once), "
                "and from 1 minute to 720 hours, e.g. 'chat 5 minutes'."
            },
        ),
        (
            {"answer_targets": "chat 0 minutes"},
            {
                "answer_targets": "'chat 0 minutes' is not 'channel number unit' with "
                "a channel of: sms, chat, social, email, phone, web, e-mail (each once), "
                "and from 1 minute to 720 hours, e.g. 'chat 5 minutes'."
            },
        ),
        (
            {"answer_targets": "chat 5 minutes, chat 1 hour"},
            {
                "answer_targets": "'chat 1 hour' is not 'channel number unit' with a "
                "channel of: sms, chat, social, email, phone, web, e-mail (each once), and "
                "from 1 minute to 720 hours, e.g. 'chat 5 minutes'."
            },
        ),
        (
            {"acknowledge_out_of_hours": "maybe"},
            {"acknowledge_out_of_hours": "'maybe' is not yes or no."},
        ),
    ],
)
def test_answering_hours_and_targets_are_checked(values, errors):
    assert _errors(values).errors == errors


def test_a_staff_e_mail_may_name_several_addresses_each_plain():
    settings = parse_channel_settings(
        {"shortage_staff_email": "orders@example.com,returns@example.com"}
    )

    assert settings.shortages.staff_email == "orders@example.com,returns@example.com"
    assert _errors(
        {"survey_staff_email": "care@example.com, Boss <boss@example.com>"}
    ).errors == {
        "survey_staff_email": "'Boss <boss@example.com>' is not an e-mail address; "
        "use e.g. 'care@example.com', or leave it empty."
    }
    many = ",".join(f"staff{n:02d}@example.com" for n in range(13))
    assert _errors({"promoted_code_staff_email": many}).errors == {
        "promoted_code_staff_email": "it has 259 characters; at most 254 are "
        "allowed (a notice's recipient)."
    }
