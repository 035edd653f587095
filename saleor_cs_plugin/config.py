"""The plugin's per-channel settings: their definitions, defaults and validation.

Saleor stores plugin settings as a list of ``{"name": ..., "value": ...}`` items per
channel. This module turns those values into a frozen ``ChannelSettings`` and explains
every rejected value by field name and what is allowed. It imports nothing from Django
or Saleor, so the rules are tested without either; ``plugin.py`` maps the definitions
onto Saleor's ``CONFIG_STRUCTURE``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

SUPPORT_CONTACT_MAX_LENGTH = 500


class FieldKind(StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    kind: FieldKind
    default: str | bool
    label: str
    help_text: str


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
)

DEFAULTS: dict[str, str | bool] = {field.name: field.default for field in FIELDS}


@dataclass(frozen=True)
class ChannelSettings:
    time_zone: str = "UTC"
    storefront_url: str = ""
    support_contact: str = ""


class SettingsError(ValueError):
    """Raised with every rejected field at once: ``{field name: what is allowed}``."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {message}" for name, message in errors.items())
        )


def parse_channel_settings(values: Mapping[str, object]) -> ChannelSettings:
    """Validate raw setting values (missing ones take their defaults)."""
    merged = {**DEFAULTS, **{k: v for k, v in values.items() if k in DEFAULTS}}
    errors: dict[str, str] = {}

    time_zone = _as_text(merged["time_zone"])
    if not _is_time_zone(time_zone):
        errors["time_zone"] = (
            f"'{time_zone}' is not an IANA time zone; use a name such as "
            "'UTC', 'Europe/Warsaw' or 'America/New_York'."
        )

    storefront_url = _as_text(merged["storefront_url"])
    if storefront_url and not _is_public_web_address(storefront_url):
        errors["storefront_url"] = (
            f"'{storefront_url}' is not an http:// or https:// address with a host; "
            "use e.g. 'https://shop.example.com', or leave it empty."
        )

    support_contact = _as_text(merged["support_contact"])
    if len(support_contact) > SUPPORT_CONTACT_MAX_LENGTH:
        errors["support_contact"] = (
            f"the text has {len(support_contact)} characters; at most "
            f"{SUPPORT_CONTACT_MAX_LENGTH} are allowed."
        )

    if errors:
        raise SettingsError(errors)
    return ChannelSettings(
        time_zone=time_zone,
        storefront_url=storefront_url.rstrip("/"),
        support_contact=support_contact,
    )


def _as_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _is_time_zone(name: str) -> bool:
    # ZoneInfo also accepts file paths such as "../../etc/passwd"; only names from
    # the IANA database are allowed.
    if name not in available_timezones() and name != "UTC":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_public_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)
