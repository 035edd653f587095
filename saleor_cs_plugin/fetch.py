"""Reads Saleor and the plugin's tables into what the rules need (the read side)."""

from dataclasses import dataclass
from functools import lru_cache

from saleor.channel.models import Channel
from saleor.plugins.models import PluginConfiguration

from .config import PLUGIN_ID, ChannelSettings, parse_channel_settings
from .models import NoticePreference


@dataclass(frozen=True)
class ChannelPlugin:
    """The plugin as one channel has it: settings, whether it is on, the slug."""

    settings: ChannelSettings
    is_active: bool
    slug: str | None


def channel_settings(channel_id) -> ChannelSettings:
    """The plugin's saved settings of a channel (defaults where nothing is saved).

    Raises ``config.SettingsError`` if the stored values are no longer valid.
    """
    return channel_plugin(channel_id).settings


def channel_plugin(channel_id) -> ChannelPlugin:
    """The channel's settings, activity and slug, in one query."""
    row = (
        PluginConfiguration.objects.filter(identifier=PLUGIN_ID, channel_id=channel_id)
        .values_list("configuration", "active", "channel__slug")
        .first()
    )
    configuration, is_active, slug = row or ([], False, None)
    if row is None and channel_id is not None:
        slug = Channel.objects.filter(pk=channel_id).values_list("slug", flat=True).first()
    return ChannelPlugin(
        settings=settings_of(configuration), is_active=is_active, slug=slug
    )


def settings_of(configuration: list[dict]) -> ChannelSettings:
    """Settings from a configuration list as Saleor's plugin manager holds it.

    Raises ``config.SettingsError`` if the values are no longer valid.
    """
    return _parsed(tuple(sorted((item["name"], item["value"]) for item in configuration)))


@lru_cache(maxsize=256)
def _parsed(values: tuple) -> ChannelSettings:
    # Parsing validates every template (about 2 ms); the result depends only on the
    # stored values, so equal values share one parse.
    return parse_channel_settings(dict(values))


def is_opted_out(email: str) -> bool:
    return NoticePreference.objects.filter(
        email=email, is_opted_out_of_non_essential=True
    ).exists()
