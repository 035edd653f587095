"""Reads Saleor and the plugin's tables into what the rules need (the read side)."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import get_currency_precision
from django.db.models import Max, Sum
from saleor.channel.models import Channel
from saleor.checkout import base_calculations
from saleor.checkout.utils import calculate_checkout_quantity
from saleor.discount.models import (
    Voucher,
    VoucherChannelListing,
    VoucherCode,
    VoucherCustomer,
)
from saleor.discount.utils.voucher import get_customer_email_for_voucher_usage
from saleor.order.models import Order
from saleor.plugins.models import PluginConfiguration

from .config import PLUGIN_ID, ChannelSettings, SettingsError, parse_channel_settings
from .domain.coupons import (
    ChannelListing,
    CheckoutFacts,
    LineFacts,
    VoucherFacts,
    VoucherType,
)
from .models import NoticePreference

logger = logging.getLogger(__name__)

# The voucher metadata key that binds a code the plugin issued to one shopper.
BOUND_EMAIL_KEY = "saleor_cs_recipient_email"


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
        slug = (
            Channel.objects.filter(pk=channel_id).values_list("slug", flat=True).first()
        )
    return ChannelPlugin(
        settings=settings_of(configuration), is_active=is_active, slug=slug
    )


def channel_plugins(channel_ids, *, using: str = "default") -> dict:
    """{channel id: ``ChannelPlugin``} of the given channels, in one query; channels
    without the plugin's configuration get the defaults, inactive (slugs are not read).
    A channel whose stored settings are invalid maps to the ``SettingsError``."""
    plugins = {
        channel_id: ChannelPlugin(
            settings=ChannelSettings(), is_active=False, slug=None
        )
        for channel_id in channel_ids
    }
    rows = (
        PluginConfiguration.objects.using(using)
        .filter(identifier=PLUGIN_ID, channel_id__in=list(channel_ids))
        .values_list("channel_id", "configuration", "active")
    )
    for channel_id, configuration, is_active in rows:
        try:
            plugins[channel_id] = ChannelPlugin(
                settings=settings_of(configuration), is_active=is_active, slug=None
            )
        except SettingsError as error:
            plugins[channel_id] = error
    return plugins


def active_channel_settings(
    channel_ids, *, unchecked: str
) -> dict[int, ChannelSettings]:
    """{channel id: settings} of the channels where the plugin is active, in one
    query. A channel whose stored settings are invalid is left out with a warning
    that its ``unchecked`` (e.g. "Stock shortages") are not checked."""
    active = {}
    for channel_id, plugin in channel_plugins(channel_ids).items():
        if isinstance(plugin, SettingsError):
            logger.warning(
                "%s of channel %s not checked: invalid settings (%s).",
                unchecked,
                channel_id,
                plugin,
            )
        elif plugin.is_active:
            active[channel_id] = plugin.settings
    return active


def settings_of(configuration: list[dict]) -> ChannelSettings:
    """Settings from a configuration list as Saleor's plugin manager holds it.

    Raises ``config.SettingsError`` if the values are no longer valid.
    """
    return _parsed(
        tuple(sorted((item["name"], item["value"]) for item in configuration))
    )


@lru_cache(maxsize=256)
def _parsed(values: tuple) -> ChannelSettings:
    # Parsing validates every template (about 2 ms); the result depends only on the
    # stored values, so equal values share one parse.
    return parse_channel_settings(dict(values))


def is_opted_out(email: str) -> bool:
    return NoticePreference.objects.filter(
        email=email, is_opted_out_of_non_essential=True
    ).exists()


def voucher_facts(
    codes, channel, customer_email: str = "", *, using: str = "default"
) -> dict[str, VoucherFacts]:
    """The vouchers of the given codes as seen from one channel, by code.

    A fixed number of queries whatever the number of codes, on the ``using``
    connection; codes no voucher has are left out.
    """
    code_rows = list(
        VoucherCode.objects.using(using)
        .filter(code__in=set(codes))
        .select_related("voucher")
    )
    voucher_ids = {row.voucher_id for row in code_rows}
    if not voucher_ids:
        return {}
    listings = {
        listing.voucher_id: ChannelListing(
            discount_value=listing.discount_value,
            currency=listing.currency,
            min_spent=listing.min_spent_amount,
            decimal_places=get_currency_precision(listing.currency),
        )
        for listing in VoucherChannelListing.objects.using(using).filter(
            voucher_id__in=voucher_ids, channel_id=channel.pk
        )
    }
    used = dict(
        VoucherCode.objects.using(using)
        .filter(voucher_id__in=voucher_ids)
        .order_by()
        .values("voucher_id")
        .annotate(total=Sum("used"))
        .values_list("voucher_id", "total")
    )
    used_by_customer = set()
    if customer_email:
        used_by_customer = set(
            VoucherCustomer.objects.using(using)
            .filter(
                voucher_code__voucher_id__in=voucher_ids, customer_email=customer_email
            )
            .values_list("voucher_code__voucher_id", flat=True)
        )
    last_used = dict(
        Order.objects.using(using)
        .filter(voucher_id__in=voucher_ids)
        .order_by()
        .values("voucher_id")
        .annotate(last=Max("created_at"))
        .values_list("voucher_id", "last")
    )
    targets = _voucher_targets(voucher_ids, using)
    facts = {}
    for row in code_rows:
        voucher = row.voucher
        ids, names = targets[voucher.pk]
        facts[row.code] = VoucherFacts(
            code=row.code,
            code_is_active=row.is_active,
            voucher_type=VoucherType(voucher.type),
            is_percentage=voucher.discount_value_type == "percentage",
            start_date=voucher.start_date,
            end_date=voucher.end_date,
            usage_limit=voucher.usage_limit,
            used=used.get(voucher.pk) or 0,
            single_use=voucher.single_use,
            apply_once_per_order=voucher.apply_once_per_order,
            apply_once_per_customer=voucher.apply_once_per_customer,
            only_for_staff=voucher.only_for_staff,
            min_checkout_items_quantity=voucher.min_checkout_items_quantity,
            countries=frozenset(country.code for country in voucher.countries),
            product_ids=frozenset(ids["product"]),
            variant_ids=frozenset(ids["productvariant"]),
            category_ids=frozenset(ids["category"]),
            collection_ids=frozenset(ids["collection"]),
            eligible_names=tuple(names),
            listing=listings.get(voucher.pk),
            used_by_customer=voucher.pk in used_by_customer,
            last_used_at=last_used.get(voucher.pk),
            bound_email=str((voucher.metadata or {}).get(BOUND_EMAIL_KEY, "")).lower(),
        )
    return facts


def _voucher_targets(voucher_ids, using: str = "default") -> dict:
    """{voucher id: ({kind: ids}, names)} of the products, variants, categories and
    collections a voucher is limited to (one query per kind)."""
    targets = defaultdict(lambda: (defaultdict(set), []))
    for relation, name_field in [
        ("products", "name"),
        ("variants", "name"),
        ("categories", "name"),
        ("collections", "name"),
    ]:
        through = getattr(Voucher, relation).through
        target = getattr(Voucher, relation).field.related_model._meta.model_name
        rows = (
            through.objects.using(using)
            .filter(voucher_id__in=voucher_ids)
            .values_list("voucher_id", f"{target}_id", f"{target}__{name_field}")
        )
        for voucher_id, target_id, name in rows.order_by(f"{target}__{name_field}"):
            ids, names = targets[voucher_id]
            ids[target].add(target_id)
            if name and target != "productvariant":
                names.append(name)
    return targets


def checkout_facts(checkout_info, lines) -> CheckoutFacts:
    """A checkout as Saleor's voucher rules see it, from Saleor's own fetch results."""
    checkout = checkout_info.checkout
    channel = checkout_info.channel
    address = checkout_info.shipping_address or checkout_info.billing_address
    delivery = checkout_info.get_delivery_method_info()
    return CheckoutFacts(
        channel_is_active=channel.is_active,
        currency=checkout.currency,
        subtotal=base_calculations.base_checkout_subtotal(
            lines, channel, checkout.currency
        ).amount,
        quantity=calculate_checkout_quantity(lines),
        lines=tuple(
            LineFacts(
                variant_id=line.variant.pk,
                product_id=line.product.pk,
                category_id=line.product.category_id,
                collection_ids=frozenset(c.pk for c in line.collections if c),
                unit_price=line.variant_discounted_price.amount,
                quantity=line.line.quantity,
                is_gift=bool(getattr(line.line, "is_gift", False)),
            )
            for line in lines
            if line.variant and line.product
        ),
        is_shipping_required=any(
            line.product_type.is_shipping_required for line in lines
        ),
        has_delivery_method=bool(delivery.delivery_method),
        country=address.country.code if address else "",
        shipping_price=base_calculations.base_checkout_undiscounted_delivery_price(
            checkout_info, lines
        ).amount,
        customer_email=get_customer_email_for_voucher_usage(checkout_info) or "",
        customer_is_staff=bool(checkout_info.user and checkout_info.user.is_staff),
    )
