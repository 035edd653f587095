"""The plugin's settings as the Saleor Dashboard reads and writes them."""

import graphene
import pytest
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from saleor.plugins.error_codes import PluginErrorCode
from saleor.plugins.models import PluginConfiguration

from saleor_cs_plugin import config
from saleor_cs_plugin.plugin import CustomerServicePlugin

PLUGIN_ID = CustomerServicePlugin.PLUGIN_ID

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


def _shown(field):
    """A default value as the Dashboard receives it."""
    if field.kind == config.FieldKind.PASSWORD:
        return None  # Saleor never returns a password (an empty one neither)
    if field.kind == config.FieldKind.BOOLEAN:
        return str(field.default).lower()
    return str(field.default)


def _channel_config(plugin, slug):
    (channel_config,) = [
        c for c in plugin["channelConfigurations"] if c["channel"]["slug"] == slug
    ]
    return channel_config


def test_plugins_list_shows_the_plugin(
    staff_api_client, permission_manage_plugins, channel_USD
):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    content = get_graphql_content(staff_api_client.post_graphql(PLUGINS_QUERY))

    nodes = [edge["node"] for edge in content["data"]["plugins"]["edges"]]
    assert {"id": PLUGIN_ID, "name": "Customer service"} in nodes


def test_every_setting_has_a_label_and_help_text_per_channel(
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
    assert usd["configuration"] == [
        {
            "name": field.name,
            "value": _shown(field),
            "type": CustomerServicePlugin.CONFIG_STRUCTURE[field.name]["type"].upper(),
            "label": field.label,
            "helpText": field.help_text,
        }
        for field in config.FIELDS
    ]


def test_first_save_activates_the_plugin_with_its_values(
    staff_api_client, permission_manage_plugins, channel_USD, channel_PLN
):
    # given no configuration was ever saved
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    assert PluginConfiguration.objects.filter(identifier=PLUGIN_ID).exists() is False
    channel_id = graphene.Node.to_global_id("Channel", channel_USD.id)

    # when
    content = get_graphql_content(
        staff_api_client.post_graphql(
            PLUGIN_UPDATE,
            {
                "id": PLUGIN_ID,
                "channelId": channel_id,
                "input": {
                    "active": True,
                    "configuration": [
                        {"name": "time_zone", "value": "Europe/Warsaw"},
                        {"name": "storefront_url", "value": "https://shop.example.com/"},
                    ],
                },
            },
        )
    )

    # then
    data = content["data"]["pluginUpdate"]
    assert data["errors"] == []
    usd = _channel_config(data["plugin"], channel_USD.slug)
    assert usd["active"] is True
    values = {item["name"]: item["value"] for item in usd["configuration"]}
    assert values == {
        **{f.name: _shown(f) for f in config.FIELDS},
        "time_zone": "Europe/Warsaw",
        "storefront_url": "https://shop.example.com/",
    }
    saved = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel=channel_USD)
    assert saved.active is True
    assert PluginConfiguration.objects.filter(
        identifier=PLUGIN_ID, channel=channel_PLN
    ).exists() is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "time_zone",
            "Mars/Olympus",
            "Store time zone (time_zone): 'Mars/Olympus' is not an IANA time zone; "
            "use a name such as 'UTC', 'Europe/Warsaw' or 'America/New_York'.",
        ),
        (
            "storefront_url",
            "shop.example.com",
            "Storefront URL (storefront_url): 'shop.example.com' is not an http:// or "
            "https:// address with a host; use e.g. 'https://shop.example.com', or "
            "leave it empty.",
        ),
        (
            "support_contact",
            "x" * 501,
            "How customers reach you (support_contact): the text has 501 characters; "
            "at most 500 are allowed.",
        ),
    ],
)
def test_bad_value_is_rejected_naming_the_field(
    staff_api_client,
    permission_manage_plugins,
    plugin_configuration,
    channel_USD,
    name,
    value,
    message,
):
    # given a saved configuration
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    saved = plugin_configuration(active=True)
    before = saved.configuration

    # when
    content = get_graphql_content(
        staff_api_client.post_graphql(
            PLUGIN_UPDATE,
            {
                "id": PLUGIN_ID,
                "channelId": graphene.Node.to_global_id("Channel", channel_USD.id),
                "input": {"configuration": [{"name": name, "value": value}]},
            },
        )
    )

    # then
    errors = content["data"]["pluginUpdate"]["errors"]
    assert len(errors) == 1
    assert errors[0] == {
        "field": name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]),
        "message": message,
        "code": PluginErrorCode.INVALID.name,
    }
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
            "channelId": graphene.Node.to_global_id("Channel", channel_USD.id),
            "input": {"active": True},
        },
    )

    assert_no_permission(response)
    saved.refresh_from_db()
    assert saved.active is False
