"""Every setting of the plugin fuzzed through Saleor's ``pluginUpdate``, as the
Dashboard saves them.

The settings are read from ``config.FIELDS``, so a new one is fuzzed without editing
this file. For every answer: no internal server error, no traceback or Python repr,
every rejection names a setting by its field and leads with its label, and a
rejected save keeps what was stored. A save that is accepted stores values the
plugin reads back, with no line break or control character in a one-line setting
(a sender's name, an address or a secret ends up in a mail header).
"""

import logging
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from saleor.graphql.core.utils import snake_to_camel_case
from saleor.plugins.models import PluginConfiguration

from fuzz_support import (
    HOSTILE_TEXTS,
    UNHANDLED_LOGGER,
    hostile_text,
    leaks,
    response_text,
)
from saleor_cs_plugin import config
from saleor_cs_plugin.plugin import CustomerServicePlugin
from test_dashboard_settings import PLUGIN_UPDATE, _channel_id

SETTINGS = [f for f in config.FIELDS if f.kind != config.FieldKind.OUTPUT]
BY_FIELD = {snake_to_camel_case(f.name): f for f in SETTINGS}
ONE_LINE = {f.name for f in SETTINGS if f.kind != config.FieldKind.MULTILINE}
# Saleor's view refuses a request it cannot read (a lone surrogate in its
# variables) or one above Django's upload limit (2.5 MB) before the plugin sees it.
SALEORS_OWN_REJECTIONS = {
    200: "Unable to parse query.",
    400: "Unable to parse query.",
    413: "Request body exceeds maximum size.",
}


@pytest.fixture
def saved(plugin_configuration, staff_api_client, permission_manage_plugins):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    return plugin_configuration(active=True)


def _stored(channel):
    return PluginConfiguration.objects.get(
        identifier=CustomerServicePlugin.PLUGIN_ID, channel=channel
    ).configuration


def _save(client, channel, values, caplog):
    """Saves ``values`` as the Dashboard does and checks the answer's properties;
    returns the mutation's errors (None: Saleor refused the request unread)."""
    before = _stored(channel)
    caplog.clear()
    response = client.post_graphql(
        PLUGIN_UPDATE,
        {
            "id": CustomerServicePlugin.PLUGIN_ID,
            "channelId": _channel_id(channel),
            "input": {
                "configuration": [
                    {"name": name, "value": value} for name, value in values.items()
                ]
            },
        },
    )
    where = f"{values!r:.300}"
    text = response_text(response)
    assert response.status_code in SALEORS_OWN_REJECTIONS, (where, text[:500])
    assert not leaks(text), (where, leaks(text), text[:2000])
    unhandled = [r.getMessage() for r in caplog.records if r.name == UNHANDLED_LOGGER]
    assert not unhandled, (where, unhandled)
    if not response["Content-Type"].startswith("application/json"):
        # Saleor 3.22 leaves a body over Django's upload limit to Django: a plain
        # 400 Bad Request page.
        assert (response.status_code, text.count("Bad Request")) == (400, 2), text
        assert _stored(channel) == before
        return None
    content = response.json()
    if content.get("errors"):
        messages = [error["message"] for error in content["errors"]]
        assert messages == [SALEORS_OWN_REJECTIONS[response.status_code]], where
        assert _stored(channel) == before
        return None
    errors = content["data"]["pluginUpdate"]["errors"]
    for error in errors:
        setting = BY_FIELD.get(error["field"])
        assert setting is not None, (where, error)
        assert error["code"] == "INVALID", (where, error)
        assert error["message"].startswith(f"{setting.label}: "), (where, error)
    if errors:
        assert _stored(channel) == before, where
    else:
        _assert_readable(_stored(channel), where)
    return errors


def _assert_readable(configuration, where):
    values = {item["name"]: item["value"] for item in configuration}
    config.parse_channel_settings(values)
    for name in ONE_LINE:
        value = str(values.get(name) or "").strip()
        assert not [c for c in value if unicodedata.category(c) == "Cc"], (where, name)


def test_every_setting_the_dashboard_saves_is_fuzzed():
    shown = {item["name"] for item in CustomerServicePlugin.DEFAULT_CONFIGURATION}

    assert {f.name for f in SETTINGS} == shown - set(config.OUTPUT_FIELD_NAMES)
    assert {"sender_name", "smtp_password", "webhook_secret"} <= ONE_LINE
    assert len(SETTINGS) >= 70


EVERY_SETTING = frozenset(f.name for f in SETTINGS)
# Which settings must refuse each hostile text (None: any may accept it, as long as
# the answer is sound); the rest are checked by _save alone.
MUST_REFUSE = {
    "nul": EVERY_SETTING,
    "control characters": EVERY_SETTING,
    "crlf header": ONE_LINE,
    "lf header": ONE_LINE,
    "line separators": ONE_LINE,
    "lone surrogate": EVERY_SETTING,
}
# What Saleor may refuse before the plugin reads it: every setting at 1 MB at once
# (over Django's upload limit), and a lone surrogate (from 3.23; 3.22 passes it on).
UNREAD = {"lone surrogate", "huge"}


@pytest.mark.parametrize("kind", HOSTILE_TEXTS, ids=str)
def test_hostile_text_in_every_setting_at_once(
    kind, saved, staff_api_client, channel_USD, caplog
):
    # given every setting of the channel set to the same hostile text
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)
    text = HOSTILE_TEXTS[kind]

    # when
    errors = _save(
        staff_api_client, channel_USD, dict.fromkeys(EVERY_SETTING, text), caplog
    )

    # then the answer is sound (checked in _save) and names every setting that
    # cannot hold the text
    if errors is None:
        assert kind in UNREAD
    else:
        refused = {BY_FIELD[error["field"]].name for error in errors}
        assert sorted(MUST_REFUSE.get(kind, frozenset()) - refused) == []


def test_a_huge_value_is_refused_by_each_setting(
    saved, staff_api_client, channel_USD, caplog
):
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)
    huge = HOSTILE_TEXTS["huge"]

    refused = {
        setting.name: _save(staff_api_client, channel_USD, {setting.name: huge}, caplog)
        for setting in SETTINGS
    }

    assert {
        name: [
            error["message"].removeprefix(f"{config.LABELS[name]}: ")
            for error in errors
        ]
        for name, errors in refused.items()
    } == {
        setting.name: [f"it has 1,048,576 characters; at most {limit:,} are allowed."]
        for setting in SETTINGS
        for limit in [
            config.ONE_LINE_MAX_LENGTH
            if setting.name in ONE_LINE
            else config.MULTILINE_MAX_LENGTH
        ]
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "sender_name",
            "Acme\r\nBcc: victim@example.com",
            "E-mail · Sender name: character 5 (U+000D) is a line break or control "
            "character; this setting is one line of printable text.",
        ),
        (
            "sender_address",
            "care@example.com\nBcc: victim@example.com",
            "E-mail · Sender address: character 17 (U+000A) is a line break or "
            "control character; this setting is one line of printable text.",
        ),
        (
            "shortage_staff_email",
            "orders@example.com, Victim <victim@example.net>",
            "Stock shortages · Staff e-mail for customers' choices: "
            "'Victim <victim@example.net>' is not an e-mail address; use "
            "e.g. 'orders@example.com', or leave it empty.",
        ),
        (
            "webhook_secret",
            "s" * 16 + "\x00",
            "Webhook · Secret (at least 16 characters): character 17 (U+0000) cannot be stored (a NUL "
            "or a lone surrogate); remove it.",
        ),
        (
            "body_order_delay",
            "Hello\x1b[31m $message",
            "Notice texts · Order delay body: character 6 (U+001B) is a control "
            "character; a text may hold tabs and line breaks, but no other control "
            "character.",
        ),
    ],
)
def test_what_reaches_a_header_or_the_database_is_refused_by_name(
    name, value, message, saved, staff_api_client, channel_USD, caplog
):
    # given
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)
    before = _stored(channel_USD)

    # when
    errors = _save(staff_api_client, channel_USD, {name: value}, caplog)

    # then
    assert errors == [
        {"field": snake_to_camel_case(name), "message": message, "code": "INVALID"}
    ]
    assert _stored(channel_USD) == before


def _values() -> st.SearchStrategy[str]:
    numbers = st.integers(min_value=-(2**63), max_value=2**63).map(str)
    return st.one_of(
        hostile_text(),
        numbers,
        st.sampled_from([f.default for f in SETTINGS]),
        st.builds(
            lambda default, noise: default + noise,
            st.sampled_from([f.default for f in SETTINGS]),
            st.sampled_from(["\r\n", "\x00", "\u2028", "[pl]\n", "$", "\x0b"]),
        ),
    )


@given(
    values=st.dictionaries(
        st.sampled_from([f.name for f in SETTINGS]), _values(), max_size=6
    )
)
def test_fuzzed_settings(values, saved, staff_api_client, channel_USD, caplog):
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)

    _save(staff_api_client, channel_USD, values, caplog)
