"""Per-channel settings: defaults, accepted values, and errors that name the field."""

import pytest

from saleor_cs_plugin.config import (
    DEFAULTS,
    FIELDS,
    ChannelSettings,
    SettingsError,
    parse_channel_settings,
)


def test_missing_values_take_their_defaults():
    assert parse_channel_settings({}) == ChannelSettings(
        time_zone="UTC", storefront_url="", support_contact=""
    )


def test_every_field_has_a_label_help_text_and_default():
    for field in FIELDS:
        assert field.label and field.help_text.endswith((".", ")"))
    assert set(DEFAULTS) == {"time_zone", "storefront_url", "support_contact"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"time_zone": "Europe/Warsaw"}, ChannelSettings(time_zone="Europe/Warsaw")),
        ({"time_zone": "  America/New_York "}, ChannelSettings(time_zone="America/New_York")),
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
    assert parse_channel_settings(values) == expected


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
