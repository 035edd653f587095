"""Saleor orders with delivery promises written straight to the database, for tests and
benchmarks that need many of them (checkout is covered by its own tests)."""

from datetime import datetime, timedelta
from decimal import Decimal

from saleor.order import OrderEvents, OrderOrigin, OrderStatus
from saleor.order.models import Order, OrderEvent, OrderLine

from peers import drop_notices
from saleor_cs_plugin.models import DeliveryPromise, DeliveryPromiseLine, Notice

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


def open_orders(
    channel,
    count: int,
    *,
    ship_by_deadline: datetime,
    review_at: datetime | None,
    email_prefix: str = "shopper",
) -> list:
    """``count`` unfulfilled orders of one line each, under promises ending at
    ``ship_by_deadline``. Returns the orders' ids."""
    ordered_at = ship_by_deadline - timedelta(days=2)
    orders = Order.objects.bulk_create(
        Order(
            channel=channel,
            user_email=f"{email_prefix}-{n}@example.com",
            currency=channel.currency_code,
            origin=OrderOrigin.CHECKOUT,
            status=OrderStatus.UNFULFILLED,
            created_at=ordered_at,
            shipping_method_name="DHL",
            lines_count=1,
        )
        for n in range(count)
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_name="Blue shirt",
            variant_name="M",
            quantity=1,
            is_shipping_required=True,
            is_gift_card=False,
            currency=channel.currency_code,
            **{f"{price}_amount": PRICE for price in LINE_PRICES},
        )
        for order in orders
    )
    promises = DeliveryPromise.objects.bulk_create(
        DeliveryPromise(
            order=order,
            channel=channel,
            ordered_at=ordered_at,
            shipping_method_name="DHL",
            minimum_delivery_days=2,
            maximum_delivery_days=4,
            handling_days=1,
            ship_by=(ship_by_deadline - timedelta(days=1)).date(),
            ship_by_deadline=ship_by_deadline,
            deliver_from=(ship_by_deadline + timedelta(days=2)).date(),
            deliver_by=(ship_by_deadline + timedelta(days=4)).date(),
            review_at=review_at,
        )
        for order in orders
    )
    DeliveryPromiseLine.objects.bulk_create(
        DeliveryPromiseLine(
            promise=promise,
            order_line=line,
            product_name=line.product_name,
            variant_name=line.variant_name,
            quantity=line.quantity,
        )
        for promise, line in zip(promises, lines, strict=True)
    )
    return [order.pk for order in orders]


def staff_notes(channel) -> list[str]:
    return list(
        OrderEvent.objects.filter(
            order__channel=channel, type=OrderEvents.NOTE_ADDED
        ).values_list("parameters__message", flat=True)
    )


def drop_orders(channel) -> None:
    """Remove the orders ``open_orders`` made in a channel, with what hangs on them."""
    orders = Order.objects.filter(channel=channel)
    drop_notices(Notice.objects.filter(order__in=orders))
    OrderEvent.objects.filter(order__in=orders).delete()
    DeliveryPromise.objects.filter(order__in=orders).delete()
    OrderLine.objects.filter(order__in=orders).delete()
    orders.delete()
