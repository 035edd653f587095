"""The campaign's store, built with Saleor's models and the plugin's own hooks and
sweeps: three channels (one per transport), late orders whose promises Saleor's
``order_created`` hook records, order lines allocated on stocks that run short, and
expired promoted codes. Every Saleor hook is called twice with the same input."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from saleor.permission.models import Permission
from django.db.models import Q
from django.utils import timezone
from prices import Money
from saleor.account.models import Address
from saleor.app.models import App
from saleor.core.models import EventDelivery, EventPayload
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.order import OrderOrigin, OrderStatus
from saleor.order.models import Order, OrderLine
from saleor.plugins.manager import get_plugins_manager
from saleor.product.models import (
    Category,
    Product,
    ProductChannelListing,
    ProductType,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.shipping.models import ShippingMethod, ShippingZone
from saleor.warehouse.models import Allocation, Stock, Warehouse
from saleor.webhook.event_types import WebhookEventAsyncType
from saleor.webhook.models import Webhook, WebhookEvent

from peers import drop_channel, drop_notices, webhook_channel
from saleor_cs_plugin.domain.notices import Transport
from saleor_cs_plugin.models import Notice, PromotedCode, StaffAlert, StockShortage

SECRET = "fault-campaign-secret-of-enough-length"
PRICE = Decimal("20.00")
LINE_PRICES = (
    "unit_price_net",
    "unit_price_gross",
    "total_price_net",
    "total_price_gross",
    "undiscounted_unit_price_net",
    "undiscounted_unit_price_gross",
    "undiscounted_total_price_net",
    "undiscounted_total_price_gross",
    "base_unit_price",
    "undiscounted_base_unit_price",
)
TRANSPORTS = (Transport.WEBHOOK, Transport.EMAIL, Transport.SALEOR_NOTIFY)


@dataclass
class Shop:
    """One channel, with what the campaign planned in it."""

    transport: Transport
    channel: object
    shipping_method: object
    warehouse: object
    product: object
    planned: set = field(default_factory=set)


def channel_settings(transport: Transport, *, smtp_port: int) -> dict:
    """Every transport configured; the channel's notices all take ``transport``. Quick
    retries and a short timeout, no quiet hours and no daily limit."""
    return {
        "notice_transports": f"*={transport.value}",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_port),
        "smtp_security": "none",
        "sender_address": "shop@example.com",
        "storefront_url": "https://shop.example.com",
        "quiet_hours": "",
        "max_notices_per_day": "0",
        "retry_base_seconds": "1",
        "delivery_timeout_seconds": "2",
        "promoted_code_staff_email": "marketing@example.com",
    }


def open_shop(
    transport: Transport, run: str, *, webhook_url: str, smtp_port: int
) -> Shop:
    channel = webhook_channel(
        webhook_url,
        SECRET,
        **channel_settings(transport, smtp_port=smtp_port),
    )
    slug = f"faults-{run}-{transport.value}".replace("_", "-")
    channel.slug = channel.name = slug
    channel.save(update_fields=["slug", "name"])
    zone = ShippingZone.objects.create(name=slug)
    zone.channels.add(channel)
    method = ShippingMethod.objects.create(
        name="DHL",
        shipping_zone=zone,
        type="price",
        minimum_delivery_days=2,
        maximum_delivery_days=4,
    )
    address = Address.objects.create(
        street_address_1="1 Fault St", city="Warsaw", postal_code="00-001", country="PL"
    )
    warehouse = Warehouse.objects.create(
        name=slug, slug=slug, address=address, email="stock@example.com"
    )
    warehouse.channels.add(channel)
    product_type = ProductType.objects.create(name=slug, slug=slug, kind="normal")
    category = Category.objects.create(name=slug, slug=slug)
    product = Product.objects.create(
        name="Linen shirt", slug=slug, product_type=product_type, category=category
    )
    ProductChannelListing.objects.create(
        product=product,
        channel=channel,
        is_published=True,
        visible_in_listings=True,
        available_for_purchase_at=timezone.now() - timedelta(days=1),
    )
    return Shop(transport, channel, method, warehouse, product)


def notify_app(run: str, target_url: str):
    """An app receiving Saleor's NOTIFY_USER webhooks, as a store's e-mail app would."""
    app = App.objects.create(
        name=f"faults-{run}", identifier=f"faults-{run}", is_active=True
    )
    app.permissions.add(
        Permission.objects.get(
            content_type__app_label="account", codename="manage_users"
        )
    )
    webhook = Webhook.objects.create(
        app=app, name="notify", target_url=target_url, is_active=True, secret_key=SECRET
    )
    WebhookEvent.objects.create(
        webhook=webhook, event_type=WebhookEventAsyncType.NOTIFY_USER
    )
    return webhook


def _lines(orders, channel, **values):
    return OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            quantity=1,
            is_shipping_required=True,
            is_gift_card=False,
            currency=channel.currency_code,
            **{f"{price}_amount": PRICE for price in LINE_PRICES},
            **values,
        )
        for order in orders
    )


def _orders(shop: Shop, label: str, count: int, **values):
    return Order.objects.bulk_create(
        Order(
            channel=shop.channel,
            user_email=f"{label}-{n}@example.com",
            currency=shop.channel.currency_code,
            origin=OrderOrigin.CHECKOUT,
            status=OrderStatus.UNFULFILLED,
            lines_count=1,
            **values,
        )
        for n in range(count)
    )


def place_late_orders(shop: Shop, label: str, count: int) -> list:
    """Orders placed ten days ago and never shipped; Saleor's ``order_created`` hook
    (twice) records their promises, which are late by now."""
    orders = _orders(
        shop,
        label,
        count,
        created_at=timezone.now() - timedelta(days=10),
        shipping_method=shop.shipping_method,
        shipping_method_name="DHL",
    )
    _lines(orders, shop.channel, product_name="Blue shirt", variant_name="M")
    call_order_created_twice(orders)
    shop.planned |= {("order_delay", str(order.pk)) for order in orders}
    return orders


def place_short_orders(shop: Shop, label: str, count: int):
    """``count`` orders of one unit each, allocated on one variant's stock; returns the
    stock, which ``run_short`` empties."""
    variant = ProductVariant.objects.create(product=shop.product, sku=label, name=label)
    ProductVariantChannelListing.objects.create(
        variant=variant, channel=shop.channel, price_amount=PRICE, currency="USD"
    )
    stock = Stock.objects.create(
        warehouse=shop.warehouse,
        product_variant=variant,
        quantity=count,
        quantity_allocated=count,
    )
    orders = _orders(shop, label, count)
    lines = _lines(
        orders,
        shop.channel,
        variant=variant,
        product_name=shop.product.name,
        variant_name=label,
        product_sku=label,
    )
    Allocation.objects.bulk_create(
        Allocation(order_line=line, stock=stock, quantity_allocated=1) for line in lines
    )
    call_order_created_twice(orders)
    shop.planned |= {("stock_shortage", str(line.pk)) for line in lines}
    return stock


def run_short(stock) -> None:
    """Staff count the stock again: none left of what the orders allocated."""
    Stock.objects.filter(pk=stock.pk).update(quantity=0)


def expire_promoted_codes(shop: Shop, label: str, count: int) -> None:
    """Codes promoted in e-mails whose vouchers ended an hour ago."""
    for number in range(count):
        code = f"{shop.channel.slug}-{label}-{number}"
        voucher = Voucher.objects.create(
            name=code, end_date=timezone.now() - timedelta(hours=1)
        )
        VoucherCode.objects.create(code=code, voucher=voucher)
        VoucherChannelListing.objects.create(
            voucher=voucher, channel=shop.channel, discount=Money(5, "USD")
        )
        promoted = PromotedCode.objects.create(
            code=code, channel=shop.channel, placements=["email"]
        )
        shop.planned.add(("staff_alert", str(promoted.pk)))


def call_order_created_twice(orders) -> None:
    manager = get_plugins_manager(allow_replica=False)
    for order in orders:
        manager.order_created(order)
        manager.order_created(order)


def decision(notice: Notice) -> tuple:
    """What a notice was decided about, as the campaign planned it."""
    data = (notice.context or {}).get("data", {})
    if notice.notice_type in ("order_delay", "order_delay_follow_up"):
        return ("order_delay", str(notice.order_id))
    if notice.notice_type == "stock_shortage":
        return ("stock_shortage", str(data.get("orderLineId")))
    if notice.notice_type == "staff_alert" and "promotedCodeId" in data:
        return ("staff_alert", str(data["promotedCodeId"]))
    return (notice.notice_type, str(notice.pk))


def close(shops: list[Shop], webhook) -> None:
    """Remove everything the campaign made."""
    for shop in shops:
        channel = shop.channel
        drop_notices(
            Notice.objects.filter(Q(channel=channel) | Q(order__channel=channel))
        )
        StockShortage.objects.filter(order__channel=channel).delete()
        StaffAlert.objects.filter(channel=channel).delete()
        codes = PromotedCode.objects.filter(channel=channel)
        vouchers = Voucher.objects.filter(codes__code__in=codes.values("code"))
        codes.delete()
        vouchers.delete()
        Order.objects.filter(channel=channel).delete()
        Product.objects.filter(pk=shop.product.pk).delete()
        ProductType.objects.filter(slug=channel.slug).delete()
        Category.objects.filter(slug=channel.slug).delete()
        Warehouse.objects.filter(pk=shop.warehouse.pk).delete()
        ShippingZone.objects.filter(name=channel.slug).delete()
        drop_channel(channel)
    if webhook is not None:
        payload_ids = list(
            EventDelivery.objects.filter(webhook=webhook).values_list(
                "payload_id", flat=True
            )
        )
        app = webhook.app
        webhook.delete()
        EventPayload.objects.filter(pk__in=payload_ids).delete()
        app.delete()


def run_label() -> str:
    return uuid.uuid4().hex[:6]
