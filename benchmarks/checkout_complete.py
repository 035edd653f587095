"""Median latency of Saleor's checkoutComplete with the plugin active (recording the
order's delivery promise in ``order_created``) and inactive, side by side.

Goal: the plugin adds at most 5 % to the median. Both modes run in one process,
alternating checkout by checkout, through Saleor's /graphql/ view with its
production settings; only checkoutComplete is timed.
"""

import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import bench_support  # noqa: F401 (sets Django up)
import graphene
from django.test import Client
from saleor.account.models import Address
from saleor.channel.models import Channel
from saleor.plugins.models import PluginConfiguration
from saleor.product.models import (
    Category,
    Product,
    ProductChannelListing,
    ProductType,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.shipping.models import (
    ShippingMethod,
    ShippingMethodChannelListing,
    ShippingZone,
)
from saleor.tax.models import TaxConfiguration
from saleor.warehouse.models import Stock, Warehouse

from saleor_cs_plugin.models import DeliveryPromise
from saleor_cs_plugin.plugin import CustomerServicePlugin
from storefront import (
    CHECKOUT_COMPLETE,
    CHECKOUT_CREATE,
    DELIVERY_METHOD_UPDATE,
    SHIPPING_ADDRESS,
)

ROUNDS = 60
WARM_UP = 5


def make_store():
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    channel = Channel.objects.create(
        name=slug,
        slug=slug,
        currency_code="USD",
        default_country="PL",
        is_active=True,
        allow_unpaid_orders=True,
        automatically_confirm_all_new_orders=True,
    )
    TaxConfiguration.objects.create(channel=channel)
    zone = ShippingZone.objects.create(name=slug, countries=["PL"])
    zone.channels.add(channel)
    method = ShippingMethod.objects.create(
        name="DHL",
        type="price",
        shipping_zone=zone,
        minimum_delivery_days=2,
        maximum_delivery_days=4,
    )
    ShippingMethodChannelListing.objects.create(
        shipping_method=method,
        channel=channel,
        currency="USD",
        minimum_order_price_amount=Decimal(0),
        price_amount=Decimal(10),
    )
    warehouse = Warehouse.objects.create(
        address=Address.objects.create(
            street_address_1="Tęczowa 7",
            city="WROCŁAW",
            postal_code="53-601",
            country="PL",
        ),
        name=slug,
        slug=slug,
        email="warehouse@example.com",
    )
    warehouse.shipping_zones.add(zone)
    warehouse.channels.add(channel)
    product_type = ProductType.objects.create(
        name=slug, slug=slug, is_shipping_required=True
    )
    category = Category.objects.create(name=slug, slug=slug)
    product = Product.objects.create(
        name="Blue shirt", slug=slug, product_type=product_type, category=category
    )
    ProductChannelListing.objects.create(
        product=product,
        channel=channel,
        is_published=True,
        currency="USD",
        visible_in_listings=True,
        available_for_purchase_at=datetime(2000, 1, 1, tzinfo=UTC),
    )
    variant = ProductVariant.objects.create(product=product, sku=slug, name="M")
    ProductVariantChannelListing.objects.create(
        variant=variant, channel=channel, price_amount=Decimal(20), currency="USD"
    )
    Stock.objects.create(
        warehouse=warehouse, product_variant=variant, quantity=1_000_000
    )
    configuration = PluginConfiguration.objects.create(
        identifier=CustomerServicePlugin.PLUGIN_ID,
        channel=channel,
        active=False,
        configuration=CustomerServicePlugin.DEFAULT_CONFIGURATION,
    )
    return channel, method, variant, configuration


def graphql(client, query, variables):
    response = client.post(
        "/graphql/",
        {"query": query, "variables": variables},
        content_type="application/json",
    )
    content = response.json()
    assert "errors" not in content, content
    return content["data"]


def new_checkout(client, channel, method, variants) -> str:
    """A checkout with one of each variant, an address and a delivery method."""
    created = graphql(
        client,
        CHECKOUT_CREATE,
        {
            "input": {
                "channel": channel.slug,
                "email": "shopper@example.com",
                "lines": [
                    {
                        "variantId": graphene.Node.to_global_id("ProductVariant", v.pk),
                        "quantity": 1,
                    }
                    for v in variants
                ],
                "shippingAddress": SHIPPING_ADDRESS,
                "billingAddress": SHIPPING_ADDRESS,
            }
        },
    )["checkoutCreate"]
    assert created["errors"] == [], created
    checkout_id = created["checkout"]["id"]
    updated = graphql(
        client,
        DELIVERY_METHOD_UPDATE,
        {
            "id": checkout_id,
            "deliveryMethodId": graphene.Node.to_global_id("ShippingMethod", method.pk),
        },
    )["checkoutDeliveryMethodUpdate"]
    assert updated["errors"] == [], updated
    return checkout_id


def main():
    channel, method, variant, configuration = make_store()
    client = Client(SERVER_NAME="127.0.0.1")
    timings = {False: [], True: []}
    for round_number in range(ROUNDS + WARM_UP):
        # Alternate which mode goes first, so drift hits both alike.
        modes = (False, True) if round_number % 2 == 0 else (True, False)
        for is_active in modes:
            configuration.active = is_active
            configuration.save(update_fields=["active"])
            checkout_id = new_checkout(client, channel, method, [variant])
            begin = time.perf_counter()
            completed = graphql(client, CHECKOUT_COMPLETE, {"id": checkout_id})
            elapsed = time.perf_counter() - begin
            assert completed["checkoutComplete"]["errors"] == [], completed
            if round_number >= WARM_UP:
                timings[is_active].append(elapsed)
    promises = DeliveryPromise.objects.filter(channel=channel).count()
    assert promises == ROUNDS + WARM_UP, promises
    inactive = statistics.median(timings[False])
    active = statistics.median(timings[True])
    print(
        f"checkoutComplete median over {ROUNDS} each: plugin inactive "
        f"{inactive * 1000:.1f} ms, active {active * 1000:.1f} ms "
        f"({(active / inactive - 1) * 100:+.1f} %; goal at most +5 %); every active "
        "order got its promise"
    )


if __name__ == "__main__":
    main()
