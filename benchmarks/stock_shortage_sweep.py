"""Cost of the stock-shortage sweep in a store with 100,000 variants and 200,000 open
order lines, of which 100 are short (their stock was lowered below what orders
allocated).

Goal: under 1 s per sweep, proportional to the short stocks (read through the
partial index cs_stock_overallocated), not to the orders. Measured: the sweep that
finds the 100 (records 100 shortages and queues the composing of their notices on
Redis), the composing of the 100 notices as workers do it (alternatives, restock
estimate, link, queueing delivery), and the sweep after it (100 open shortages
looked at again, nothing new). The catalogue and orders are built once with bulk
inserts and kept for later runs."""

import os
import statistics
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

import bench_support  # noqa: F401 (sets Django up)
import redis
from django.db import connection
from django.db.models import F
from django.utils import timezone
from saleor.account.models import Address
from saleor.channel.models import Channel
from saleor.order.models import Order, OrderLine
from saleor.plugins.models import PluginConfiguration
from saleor.product.models import (
    Category,
    Product,
    ProductChannelListing,
    ProductType,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.warehouse.models import Allocation, Stock, Warehouse

from saleor_cs_plugin import tasks
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.models import Notice, StockShortage
from saleor_cs_plugin.plugin import CustomerServicePlugin

VARIANTS = 100_000
PRODUCTS = 1_000
PRODUCT_TYPES = 50
CATEGORIES = 100
LINES = 200_000
LINES_PER_ORDER = 10
SHORT = 100
STOCK = 5
CHUNK = 5_000
RUNS = 5
SLUG = "cs-bench-shortages"


def build():
    """The store, built once: one channel with the plugin, one warehouse."""
    channel = Channel.objects.filter(slug=SLUG).first()
    if (
        channel is not None
        and OrderLine.objects.filter(order__channel=channel).count() == LINES
    ):
        return channel
    started = time.perf_counter()
    channel = Channel.objects.create(
        name=SLUG, slug=SLUG, currency_code="USD", default_country="US"
    )
    PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        channel=channel,
        active=True,
        configuration=[
            {
                "name": item["name"],
                "value": {
                    "notice_transports": "*=webhook",
                    "webhook_url": "http://127.0.0.1:9/unused",
                    "webhook_secret": bench_support.WEBHOOK_SECRET,
                    "quiet_hours": "",
                    "storefront_url": "https://shop.example.com",
                }.get(item["name"], item["value"]),
            }
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ],
    )
    address = Address.objects.create(
        street_address_1="1 Bench St", city="Warsaw", postal_code="00-001", country="PL"
    )
    warehouse = Warehouse.objects.create(
        name=SLUG, slug=SLUG, address=address, email="bench@example.com"
    )
    warehouse.channels.add(channel)
    types = [
        ProductType.objects.create(
            name=f"{SLUG}-t{i}", slug=f"{SLUG}-t{i}", kind="normal"
        )
        for i in range(PRODUCT_TYPES)
    ]
    categories = [
        Category.objects.create(name=f"{SLUG}-c{i}", slug=f"{SLUG}-c{i}")
        for i in range(CATEGORIES)
    ]
    products = Product.objects.bulk_create(
        [
            Product(
                name=f"Product {i}",
                slug=f"{SLUG}-p{i}",
                product_type=types[i % PRODUCT_TYPES],
                category=categories[i % CATEGORIES],
                description_plaintext="",
            )
            for i in range(PRODUCTS)
        ],
        batch_size=CHUNK,
    )
    now = timezone.now()
    ProductChannelListing.objects.bulk_create(
        [
            ProductChannelListing(
                product=product,
                channel=channel,
                is_published=True,
                visible_in_listings=True,
                available_for_purchase_at=now - timedelta(days=1),
                currency="USD",
            )
            for product in products
        ],
        batch_size=CHUNK,
    )
    variant_ids = []
    for start in range(0, VARIANTS, CHUNK):
        variants = ProductVariant.objects.bulk_create(
            [
                ProductVariant(
                    product=products[i % PRODUCTS],
                    sku=f"{SLUG}-{i}",
                    name=f"V{i}",
                )
                for i in range(start, start + CHUNK)
            ]
        )
        ProductVariantChannelListing.objects.bulk_create(
            [
                ProductVariantChannelListing(
                    variant=variant,
                    channel=channel,
                    # Each product has variants at 20 prices, 10.00 to 29.00.
                    price_amount=Decimal(10 + (i // PRODUCTS) % 20),
                    currency="USD",
                )
                for i, variant in zip(
                    range(start, start + CHUNK), variants, strict=True
                )
            ]
        )
        stocks = Stock.objects.bulk_create(
            [
                Stock(
                    warehouse=warehouse,
                    product_variant=variant,
                    quantity=STOCK,
                    quantity_allocated=LINES // VARIANTS,
                )
                for variant in variants
            ]
        )
        variant_ids += [
            (variant.pk, stock.pk)
            for variant, stock in zip(variants, stocks, strict=True)
        ]
    print(f"  catalogue built in {time.perf_counter() - started:.0f} s")
    base_number = 10_000_000
    created = now - timedelta(days=2)
    for start in range(0, LINES // LINES_PER_ORDER, CHUNK // LINES_PER_ORDER):
        count = CHUNK // LINES_PER_ORDER
        orders = Order.objects.bulk_create(
            [
                Order(
                    number=base_number + n,
                    channel=channel,
                    currency="USD",
                    status="unfulfilled",
                    origin="checkout",
                    user_email=f"shopper{n % 5000}@example.com",
                    lines_count=LINES_PER_ORDER,
                    created_at=created + timedelta(seconds=n),
                )
                for n in range(start, start + count)
            ]
        )
        lines = []
        allocations = []
        for order_index, order in zip(range(start, start + count), orders, strict=True):
            for k in range(LINES_PER_ORDER):
                line_number = order_index * LINES_PER_ORDER + k
                variant_id, stock_id = variant_ids[line_number % VARIANTS]
                line = OrderLine(
                    order=order,
                    variant_id=variant_id,
                    product_name=f"Product {line_number % VARIANTS % PRODUCTS}",
                    variant_name=f"V{line_number % VARIANTS}",
                    is_shipping_required=True,
                    is_gift_card=False,
                    quantity=1,
                    currency="USD",
                    unit_price_net_amount=Decimal(20),
                    unit_price_gross_amount=Decimal(20),
                    total_price_net_amount=Decimal(20),
                    total_price_gross_amount=Decimal(20),
                    undiscounted_base_unit_price_amount=Decimal(20),
                )
                lines.append(line)
                allocations.append(
                    Allocation(order_line=line, stock_id=stock_id, quantity_allocated=1)
                )
        OrderLine.objects.bulk_create(lines)
        Allocation.objects.bulk_create(allocations)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  built {VARIANTS:,} variants and {LINES:,} order lines in {time.perf_counter() - started:.0f} s"
    )
    return channel


def short_stock_ids(channel):
    """Every 999th stock of the store (variants of 100 different products); each has
    two lines allocated (1 each)."""
    stocks = list(
        Stock.objects.filter(warehouse__slug=SLUG)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return stocks[:: VARIANTS // SHORT - 1][:SHORT]


def reset(channel, stock_ids, quantity):
    StockShortage.objects.filter(order__channel=channel).delete()
    Notice.objects.filter(channel=channel).delete()
    Stock.objects.filter(pk__in=stock_ids).update(quantity=quantity)


def timed(function, *args):
    begin = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - begin


def one_run(channel, stock_ids):
    """Lower the 100 stocks, then: the sweep, the workers' composing, a sweep after."""
    reset(channel, stock_ids, quantity=1)
    handed_out, sweep_seconds = timed(tasks.sweep_stock_shortages_task)
    assert handed_out == SHORT, handed_out
    shortage_ids = [
        str(pk)
        for pk in StockShortage.objects.filter(
            order__channel=channel, notified_at__isnull=True
        ).values_list("pk", flat=True)
    ]
    begin = time.perf_counter()
    for start in range(0, len(shortage_ids), tasks.SWEEP_TASK_SIZE):
        tasks.compose_shortage_notices_task(
            shortage_ids[start : start + tasks.SWEEP_TASK_SIZE]
        )
    compose_seconds = time.perf_counter() - begin
    assert Notice.objects.filter(channel=channel).count() == SHORT
    again, steady_seconds = timed(tasks.sweep_stock_shortages_task)
    assert again == 0, again
    return sweep_seconds, compose_seconds, steady_seconds


def main():
    channel = build()
    stock_ids = short_stock_ids(channel)
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    broker.flushdb()
    open_lines = OrderLine.objects.filter(
        order__channel=channel, order__status="unfulfilled"
    ).count()
    plan = (
        Stock.objects.filter(quantity__lt=F("quantity_allocated"))
        .values_list("id", flat=True)
        .explain()
    )
    print("  plan:", " / ".join(line.strip() for line in plan.splitlines()[:2]))
    assert "cs_stock_overallocated" in plan
    runs = []
    try:
        for _ in range(RUNS):
            runs.append(one_run(channel, stock_ids))
        # Memory in a separate pass: tracing allocations slows Python down.
        tracemalloc.start()
        one_run(channel, stock_ids)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        reset(channel, stock_ids, quantity=STOCK)
        broker.flushdb()
    sweeps, composes, steadies = (sorted(column) for column in zip(*runs, strict=True))
    print(
        f"  {VARIANTS:,} variants, {open_lines:,} open order lines, {SHORT} short "
        f"(goal < 1 s per sweep); {RUNS} runs"
    )
    print(
        f"  sweep that finds the {SHORT} (records them, queues their composing on "
        f"Redis): median {statistics.median(sweeps) * 1000:.0f} ms, worst "
        f"{sweeps[-1] * 1000:.0f} ms"
    )
    print(
        f"  composing their {SHORT} notices (alternatives, estimate, link; queues "
        f"delivery), as workers do, in tasks of {tasks.SWEEP_TASK_SIZE}: median "
        f"{statistics.median(composes) * 1000:.0f} ms, worst {composes[-1] * 1000:.0f} ms"
    )
    print(
        f"  sweep after it ({SHORT} open shortages, nothing new): median "
        f"{statistics.median(steadies) * 1000:.0f} ms, worst {steadies[-1] * 1000:.0f} ms"
    )
    print(
        f"  peak Python memory of one run (three steps): {peak / 1024 / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
