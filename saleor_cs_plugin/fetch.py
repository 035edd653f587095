"""Reads Saleor and the plugin's tables into what the rules need (the read side)."""

from saleor.plugins.models import PluginConfiguration

from .config import PLUGIN_ID, ChannelSettings, parse_channel_settings
from .models import NoticePreference


def channel_settings(channel_id) -> ChannelSettings:
    """The plugin's saved settings of a channel (defaults where nothing is saved).

    Raises ``config.SettingsError`` if the stored values are no longer valid.
    """
    configuration = (
        PluginConfiguration.objects.filter(identifier=PLUGIN_ID, channel_id=channel_id)
        .values_list("configuration", flat=True)
        .first()
    )
    return parse_channel_settings(
        {item["name"]: item["value"] for item in configuration or []}
    )


def is_opted_out(email: str) -> bool:
    return NoticePreference.objects.filter(
        email=email, is_opted_out_of_non_essential=True
    ).exists()
