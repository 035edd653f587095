"""The plugin's settings as the Saleor Dashboard reads and writes them: through
Saleor's ``plugin`` query and ``pluginUpdate`` mutation on /graphql/."""

import graphene
import pytest
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from saleor.plugins.error_codes import PluginErrorCode
from saleor.plugins.models import PluginConfiguration

from saleor_cs_plugin import channel_status, config, fetch
from saleor_cs_plugin.plugin import CustomerServicePlugin

PLUGIN_ID = CustomerServicePlugin.PLUGIN_ID
STATUS_NAMES = [f.name for f in config.FIELDS if f.kind == config.FieldKind.OUTPUT]

PLUGIN_QUERY = """
query Plugin($id: ID!) {
  plugin(id: $id) {
    id
    name
    description
    channelConfigurations {
      active
      channel { slug }
      configuration { name value type label helpText }
    }
  }
}
"""

PLUGINS_QUERY = """
query Plugins {
  plugins(first: 100) { edges { node { id name } } }
}
"""

PLUGIN_UPDATE = """
mutation Update($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin {
      channelConfigurations {
        active
        channel { slug }
        configuration { name value }
      }
    }
    errors { field message code }
  }
}
"""

# The settings a store saved with the plugin's first versions, in their order then:
# no status lines, the two SMTP booleans, texts of every notice type.
OLD_VERSION_NAMES = [
    "time_zone", "storefront_url", "support_contact", "notice_transports",
    "essential_notice_types", "quiet_hours", "max_notices_per_day", "max_attempts",
    "retry_base_seconds", "delivery_timeout_seconds", "smtp_host", "smtp_port",
    "smtp_user", "smtp_password", "smtp_use_tls", "smtp_use_ssl", "sender_name",
    "sender_address", "webhook_url", "webhook_secret", "webhook_contact_channel",
    "promise_handling_days", "promise_cutoff_hour", "promise_working_days",
    "promise_holidays", "promise_default_delivery_days", "delay_at_risk_hours",
    "delay_follow_up_days", "delay_shipping_days", "apology_voucher",
    "apology_voucher_valid_days", "apology_vouchers_per_day",
    *(
        f"{part}_{notice_type}"
        # The notices of those versions (conversations' came later, without texts).
        for notice_type in (
            "order_delay", "order_delay_follow_up", "order_on_the_way",
            "stock_shortage", "stock_restored", "coupon_honored", "survey",
            "staff_alert",
        )
        for part in ("subject", "body")
    ),
    "shortage_max_alternatives", "shortage_price_band_percent",
    "shortage_link_valid_days", "shortage_staff_email", "coupon_messages",
    "coupon_max_alternatives", "coupon_failures_per_checkout", "coupon_failures_per_ip",
    "coupon_grace_hours", "coupon_grace_code_valid_hours", "coupon_grace_per_day",
    "promoted_code_warning_hours", "promoted_code_staff_email",
]  # fmt: skip


def _shown(field):
    """A default value as the Dashboard receives it."""
    if field.kind == config.FieldKind.PASSWORD:
        return None  # Saleor never returns a password (an empty one neither)
    return field.default


def _channel_config(plugin, slug):
    (channel_config,) = [
        c for c in plugin["channelConfigurations"] if c["channel"]["slug"] == slug
    ]
    return channel_config


def _channel_id(channel):
    return graphene.Node.to_global_id("Channel", channel.id)


def _stored(channel):
    saved = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel=channel)
    return {item["name"]: item["value"] for item in saved.configuration}


def _old_version_store(channel, **values):
    """The plugin's configuration as its first versions saved it."""
    old_defaults = {
        **config.DEFAULTS,
        "smtp_use_tls": True,
        "smtp_use_ssl": False,
        "essential_notice_types": "order_delay,order_delay_follow_up,"
        "order_on_the_way,staff_alert,stock_restored,stock_shortage",
        "body_staff_alert": "Hello $customer_name,\n\n$message\n\n$support_contact",
        "body_coupon_honored": "Hello $customer_name,\n\n$message\n\n$support_contact",
        "body_survey": "Hello $customer_name,\n\n$message\n\n$support_contact",
        "subject_coupon_honored": "$subject",
        "subject_survey": "$subject",
    }
    return PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        channel=channel,
        active=True,
        configuration=[
            {"name": name, "value": values.get(name, old_defaults[name])}
            for name in OLD_VERSION_NAMES
        ],
    )


def _update(client, channel, configuration, **input_fields):
    return get_graphql_content(
        client.post_graphql(
            PLUGIN_UPDATE,
            {
                "id": PLUGIN_ID,
                "channelId": _channel_id(channel),
                "input": {"configuration": configuration, **input_fields},
            },
        )
    )["data"]["pluginUpdate"]


def test_plugins_list_shows_the_plugin(
    staff_api_client, permission_manage_plugins, channel_USD
):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    content = get_graphql_content(staff_api_client.post_graphql(PLUGINS_QUERY))

    nodes = [edge["node"] for edge in content["data"]["plugins"]["edges"]]
    assert {"id": PLUGIN_ID, "name": "Customer service"} in nodes


def test_settings_come_in_setup_order_with_the_status_lines_first(
    staff_api_client, permission_manage_plugins, channel_USD, channel_PLN
):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    content = get_graphql_content(
        staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    )

    plugin = content["data"]["plugin"]
    assert plugin["name"] == CustomerServicePlugin.PLUGIN_NAME
    assert plugin["description"] == CustomerServicePlugin.PLUGIN_DESCRIPTION
    slugs = {c["channel"]["slug"] for c in plugin["channelConfigurations"]}
    assert slugs == {channel_USD.slug, channel_PLN.slug}
    usd = _channel_config(plugin, channel_USD.slug)
    assert usd["active"] is False
    status = channel_status.status_values(channel_USD.pk)
    assert usd["configuration"] == [
        {
            "name": field.name,
            "value": status[field.name]
            if field.kind == config.FieldKind.OUTPUT
            else _shown(field),
            "type": CustomerServicePlugin.CONFIG_STRUCTURE[field.name]["type"].upper(),
            "label": field.label,
            "helpText": field.help_text,
        }
        for field in config.FIELDS
    ]
    status_count = len(STATUS_NAMES)
    assert [item["type"] for item in usd["configuration"][:status_count]] == [
        "OUTPUT"
    ] * status_count
    assert all(status[name] for name in STATUS_NAMES)
    assert "BOOLEAN" not in {item["type"] for item in usd["configuration"]}


def test_a_store_saved_by_an_older_version_is_shown_in_setup_order(
    staff_api_client, permission_manage_plugins, channel_USD, monkeypatch
):
    # given settings stored in the order, and with the fields, of an older version;
    # STARTTLS was switched off with its checkbox
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    _old_version_store(channel_USD, smtp_use_tls=False, time_zone="Europe/Warsaw")
    monkeypatch.setattr(
        channel_status,
        "status_values",
        lambda channel_id: dict.fromkeys(STATUS_NAMES, f"lines of {channel_id}"),
    )

    # when
    content = get_graphql_content(
        staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    )

    # then the settings come in today's order, with no checkbox and no texts of
    # notices that are not sent, and the connection security it had
    usd = _channel_config(content["data"]["plugin"], channel_USD.slug)
    names = [item["name"] for item in usd["configuration"]]
    assert names == [field.name for field in config.FIELDS]
    values = {item["name"]: item["value"] for item in usd["configuration"]}
    assert values["smtp_security"] == "none"
    assert values["time_zone"] == "Europe/Warsaw"
    assert values["promise_holidays_country"] == ""
    assert [values[name] for name in STATUS_NAMES] == [
        f"lines of {channel_USD.pk}"
    ] * len(STATUS_NAMES)


def test_status_lines_that_fail_show_unavailable_and_the_page_still_opens(
    staff_api_client, permission_manage_plugins, channel_USD, monkeypatch
):
    # given the status lines fail unexpectedly
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    def broken(channel_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(channel_status, "status_values", broken)

    # when
    content = get_graphql_content(
        staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    )

    # then
    usd = _channel_config(content["data"]["plugin"], channel_USD.slug)
    values = {item["name"]: item["value"] for item in usd["configuration"]}
    assert [values[name] for name in STATUS_NAMES] == ["unavailable right now"] * len(
        STATUS_NAMES
    )
    assert values["time_zone"] == "UTC"
    assert len(values) == len(config.FIELDS)


def test_first_save_activates_the_plugin_with_its_values(
    staff_api_client, permission_manage_plugins, channel_USD, channel_PLN
):
    # given no configuration was ever saved
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    assert PluginConfiguration.objects.filter(identifier=PLUGIN_ID).exists() is False

    # when
    data = _update(
        staff_api_client,
        channel_USD,
        [
            {"name": "time_zone", "value": "Europe/Warsaw"},
            {"name": "storefront_url", "value": "https://shop.example.com/"},
            {"name": "promise_holidays_country", "value": "PL"},
        ],
        active=True,
    )

    # then
    assert data["errors"] == []
    usd = _channel_config(data["plugin"], channel_USD.slug)
    assert usd["active"] is True
    values = {item["name"]: item["value"] for item in usd["configuration"]}
    status = channel_status.status_values(channel_USD.pk)
    assert values == {
        **{f.name: _shown(f) for f in config.FIELDS},
        **status,
        "time_zone": "Europe/Warsaw",
        "storefront_url": "https://shop.example.com/",
        "promise_holidays_country": "PL",
    }
    stored = _stored(channel_USD)
    assert [stored[name] for name in STATUS_NAMES] == [""] * len(STATUS_NAMES)
    assert stored["promise_holidays_country"] == "PL"
    assert (
        PluginConfiguration.objects.filter(
            identifier=PLUGIN_ID, channel=channel_PLN
        ).exists()
        is False
    )


def test_saving_status_lines_changes_nothing_stored(
    staff_api_client, permission_manage_plugins, plugin_configuration, channel_USD
):
    # given a saved configuration, and the status lines as the Dashboard sends them
    # back with every other field
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    saved = plugin_configuration(active=True)
    before = _stored(channel_USD)

    # when
    data = _update(
        staff_api_client,
        channel_USD,
        [
            *({"name": name, "value": "99 open"} for name in STATUS_NAMES),
            {"name": "quiet_hours", "value": "22-7"},
        ],
    )

    # then only the setting changed
    assert data["errors"] == []
    saved.refresh_from_db()
    assert _stored(channel_USD) == {**before, "quiet_hours": "22-7"}
    values = {
        item["name"]: item["value"]
        for item in _channel_config(data["plugin"], channel_USD.slug)["configuration"]
    }
    assert {values[name] for name in STATUS_NAMES} != {"99 open"}


def test_saving_status_lines_adds_none_to_a_store_that_has_none(
    staff_api_client, permission_manage_plugins, channel_USD
):
    # given a store saved by an older version, without status lines
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    _old_version_store(channel_USD)
    before = _stored(channel_USD)

    # when
    data = _update(
        staff_api_client,
        channel_USD,
        [{"name": name, "value": "1 open"} for name in STATUS_NAMES],
    )

    # then
    assert data["errors"] == []
    assert _stored(channel_USD) == before
    assert not set(STATUS_NAMES) & set(before)


def test_a_store_with_the_old_smtp_checkboxes_keeps_its_security_when_saved(
    staff_api_client, permission_manage_plugins, channel_USD
):
    # given a store that switched STARTTLS off with the old checkbox
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    _old_version_store(
        channel_USD,
        smtp_use_tls=False,
        notice_transports="*=email",
        smtp_host="127.0.0.1",
        sender_address="care@example.com",
    )
    assert fetch.channel_settings(channel_USD.pk).notices.smtp.security == "none"
    shown = _channel_config(
        get_graphql_content(
            staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
        )["data"]["plugin"],
        channel_USD.slug,
    )["configuration"]

    # when the merchant saves another setting, the Dashboard sending every field it
    # shows (all but the secrets)
    sent = [
        {"name": item["name"], "value": item["value"]}
        for item in shown
        if item["type"] != "PASSWORD"
    ]
    for item in sent:
        if item["name"] == "quiet_hours":
            item["value"] = ""
    data = _update(staff_api_client, channel_USD, sent)

    # then the security it had is now saved as smtp_security
    assert data["errors"] == []
    stored = _stored(channel_USD)
    assert (stored["smtp_security"], stored["quiet_hours"]) == ("none", "")
    settings = fetch.channel_settings(channel_USD.pk)
    assert (settings.notices.smtp.security, settings.notices.smtp.use_tls) == (
        "none",
        False,
    )


@pytest.mark.parametrize(
    ("configuration", "field", "message"),
    [
        (
            {"time_zone": "Mars/Base"},
            "timeZone",
            "Store · Time zone: 'Mars/Base' is not an IANA time zone; use a name "
            "such as 'UTC', 'Europe/Warsaw' or 'America/New_York'.",
        ),
        (
            {"storefront_url": "shop.example.com"},
            "storefrontUrl",
            "Store · Storefront URL: 'shop.example.com' is not an http:// or https:// "
            "address with a host; use e.g. 'https://shop.example.com', or leave it "
            "empty.",
        ),
        (
            {"support_contact": "x" * 501},
            "supportContact",
            "Store · How customers reach you: the text has 501 characters; at most "
            "500 are allowed.",
        ),
        (
            {"webhook_url": "https://bridge.example.com", "webhook_secret": "short"},
            "webhookSecret",
            "Webhook · Secret (at least 16 characters): too short or empty; while a "
            "webhook URL is set, the secret needs at least 16 characters.",
        ),
        (
            {"essential_notice_types": "order delay, birthday"},
            "essentialNoticeTypes",
            "Notices · Essential notices: 'birthday' is not a notice; use any of: "
            "order delay, delay follow-up, on the way, stock shortage, stock "
            "restored, survey, staff alert (comma-separated), or leave it empty for "
            "none.",
        ),
        (
            {"smtp_security": "tls"},
            "smtpSecurity",
            "E-mail · Connection security: 'tls' is not one of: starttls (usually "
            "port 587), ssl (usually port 465), none (no encryption).",
        ),
        (
            {"promise_holidays_country": "XX"},
            "promiseHolidaysCountry",
            "Delivery promises · Public holidays (country code): 'XX' is not a "
            "country code with known public holidays; use a two-letter code such as "
            "US, DE or PL, optionally with a region such as US-CA or DE-BY, or leave "
            "it empty.",
        ),
        (
            {"promise_holidays_country": "US-ZZ"},
            "promiseHolidaysCountry",
            "Delivery promises · Public holidays (country code): 'US-ZZ': US has no "
            "region 'ZZ'; use US alone or with one of: AK, AL, AR, AS, AZ, CA, CO, "
            "CT, DC, DE, FL, GA, GU, HI, IA, ID, IL, IN, KS, KY, LA, MA, MD, ME, MI, "
            "MN, MO, MP, MS, MT, NC, ND, NE, NH, NJ, NM, NV, NY, OH, OK, OR, PA, PR, "
            "RI, SC, SD, TN, TX, UM, UT, VA, VI, VT, WA, WI, WV, WY (e.g. US-AK).",
        ),
    ],
)
def test_a_bad_value_is_rejected_with_a_message_led_by_the_label(
    staff_api_client,
    permission_manage_plugins,
    plugin_configuration,
    channel_USD,
    configuration,
    field,
    message,
):
    # given a saved configuration
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    saved = plugin_configuration(active=True)
    before = saved.configuration

    # when
    data = _update(
        staff_api_client,
        channel_USD,
        [{"name": name, "value": value} for name, value in configuration.items()],
    )

    # then
    assert data["errors"] == [
        {"field": field, "message": message, "code": PluginErrorCode.INVALID.name}
    ]
    assert data["plugin"] is None
    saved.refresh_from_db()
    assert saved.configuration == before


def test_every_rejected_value_is_named_at_once(
    staff_api_client, permission_manage_plugins, plugin_configuration, channel_USD
):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    saved = plugin_configuration(active=True)
    before = saved.configuration

    data = _update(
        staff_api_client,
        channel_USD,
        [
            {"name": "notice_transports", "value": "* = email"},
            {"name": "smtp_port", "value": "70000"},
        ],
    )

    assert data["errors"] == [
        {
            "field": "smtpHost",
            "message": "E-mail · SMTP host: required while a notice is sent by "
            "email; enter your mail server, e.g. smtp.example.com.",
            "code": "INVALID",
        },
        {
            "field": "smtpPort",
            "message": "E-mail · SMTP port: '70000' is not a whole number from 1 to "
            "65535.",
            "code": "INVALID",
        },
        {
            "field": "senderAddress",
            "message": "E-mail · Sender address: required while a notice is sent by "
            "email; enter the From address, e.g. care@example.com.",
            "code": "INVALID",
        },
    ]
    saved.refresh_from_db()
    assert saved.configuration == before


def test_staff_without_manage_plugins_cannot_change_settings(
    staff_api_client, plugin_configuration, channel_USD
):
    saved = plugin_configuration(active=False)

    response = staff_api_client.post_graphql(
        PLUGIN_UPDATE,
        {
            "id": PLUGIN_ID,
            "channelId": _channel_id(channel_USD),
            "input": {"active": True},
        },
    )

    assert_no_permission(response)
    saved.refresh_from_db()
    assert saved.active is False
