"""Median latency of Saleor's checkoutAddPromoCode and checkoutComplete with the
plugin active (following the checkout's code in ``checkout_updated``, checking a
bound code in ``preprocess_order_creation``, wrapping checkoutComplete's resolver)
and inactive, side by side; and the plugin's serviceCouponCheck on small and large
carts.

Goal: with the plugin active, each mutation's median is at most 1.10x the inactive
one. Both modes run in one process, alternating checkout by checkout, through
Saleor's /graphql/ view with its production settings; each checkout gets a line, an
address and a delivery method untimed, then the two mutations are timed one by one.
serviceCouponCheck must make the same number of SQL queries for 1 and 20 lines.

The benchmark settings pick up Saleor's restrict-writer middleware from its test
settings (importing their RSA key runs ``MIDDLEWARE.insert``), as every benchmark here
does; it costs little per query.
"""

import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import bench_support  # noqa: F401 (sets Django up)
import graphene
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from saleor.discount import DiscountValueType, VoucherType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.product.models import (
    Product,
    ProductChannelListing,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.warehouse.models import Stock

from checkout_complete import graphql, make_store, new_checkout
from saleor_cs_plugin.models import CheckoutCouponWatch, DeliveryPromise
from storefront import (
    CHECKOUT_COMPLETE,
)

ROUNDS = 60
WARM_UP = 5
CHECK_ROUNDS = 30
LARGE_CART = 20
GOAL = 1.10
PERCENT_OFF = Decimal(10)
UNIT_PRICE = Decimal(20)  # make_store's price

# What a storefront asks for after entering a code: the code and the new totals.
CHECKOUT_ADD_PROMO_CODE = """
mutation ($id: ID!, $promoCode: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $promoCode) {
    checkout {
      voucherCode
      discount { amount }
      totalPrice { gross { amount } }
    }
    errors { field code message }
  }
}
"""

SERVICE_COUPON_CHECK = """
query ($id: ID!, $code: String!) {
  serviceCouponCheck(id: $id, code: $code) {
    code
    isValid
    reason
    message
    discount { amount currency }
    suggestions { code discount { amount } }
  }
}
"""


def add_voucher(channel) -> str:
    """A 10 % entire-order voucher listed in the channel, one code, no usage limit."""
    code = f"BENCH-{channel.slug.upper()}"
    voucher = Voucher.objects.create(
        type=VoucherType.ENTIRE_ORDER,
        name=code,
        discount_value_type=DiscountValueType.PERCENTAGE,
    )
    VoucherCode.objects.create(voucher=voucher, code=code)
    VoucherChannelListing.objects.create(
        voucher=voucher, channel=channel, discount_value=PERCENT_OFF, currency="USD"
    )
    return code


def add_products(channel, variant, count) -> list:
    """``count`` variants of as many products (``variant`` first), each stocked in
    ``variant``'s warehouse, so a large cart spans products."""
    stock = Stock.objects.get(product_variant=variant)
    product = variant.product
    variants = [variant]
    for number in range(1, count):
        slug = f"{product.slug}-{number}"
        other = Product.objects.create(
            name=f"Shirt {number}",
            slug=slug,
            product_type=product.product_type,
            category=product.category,
        )
        ProductChannelListing.objects.create(
            product=other,
            channel=channel,
            is_published=True,
            currency="USD",
            visible_in_listings=True,
            available_for_purchase_at=datetime(2000, 1, 1, tzinfo=UTC),
        )
        other_variant = ProductVariant.objects.create(product=other, sku=slug, name="M")
        ProductVariantChannelListing.objects.create(
            variant=other_variant,
            channel=channel,
            price_amount=UNIT_PRICE,
            currency="USD",
        )
        Stock.objects.create(
            warehouse=stock.warehouse, product_variant=other_variant, quantity=1_000_000
        )
        variants.append(other_variant)
    return variants


def token_of(checkout_id: str) -> uuid.UUID:
    return uuid.UUID(graphene.Node.from_global_id(checkout_id)[1])


def timed(client, query, variables):
    begin = time.perf_counter()
    data = graphql(client, query, variables)
    return time.perf_counter() - begin, data


def p90(values) -> float:
    return statistics.quantiles(values, n=10)[8]


def ms(seconds) -> str:
    return f"{seconds * 1000:.1f} ms"


def set_active(configuration, is_active) -> None:
    # Saleor's plugin manager is built per request from PluginConfiguration, so the
    # next request sees the change.
    configuration.active = is_active
    configuration.save(update_fields=["active"])


def compare_mutations(client, channel, method, variant, configuration, code):
    timings = {
        name: {False: [], True: []}
        for name in ("checkoutAddPromoCode", "checkoutComplete")
    }
    tokens = {False: [], True: []}
    for round_number in range(ROUNDS + WARM_UP):
        # Alternate which mode goes first, so drift hits both alike.
        modes = (False, True) if round_number % 2 == 0 else (True, False)
        for is_active in modes:
            set_active(configuration, is_active)
            checkout_id = new_checkout(client, channel, method, [variant])
            tokens[is_active].append(token_of(checkout_id))
            add_time, added = timed(
                client, CHECKOUT_ADD_PROMO_CODE, {"id": checkout_id, "promoCode": code}
            )
            added = added["checkoutAddPromoCode"]
            assert added["errors"] == [], added
            assert added["checkout"]["voucherCode"] == code, added
            assert Decimal(str(added["checkout"]["discount"]["amount"])) == (
                UNIT_PRICE * PERCENT_OFF / 100
            ), added
            complete_time, completed = timed(
                client, CHECKOUT_COMPLETE, {"id": checkout_id}
            )
            assert completed["checkoutComplete"]["errors"] == [], completed
            if round_number >= WARM_UP:
                timings["checkoutAddPromoCode"][is_active].append(add_time)
                timings["checkoutComplete"][is_active].append(complete_time)
    # The plugin's hooks ran in exactly the active rounds: proof that Saleor's plugin
    # manager saw each switch.
    watched = CheckoutCouponWatch.objects.filter(code=code)
    assert watched.filter(checkout_token__in=tokens[True]).count() == len(tokens[True])
    assert not watched.filter(checkout_token__in=tokens[False]).exists()
    promises = DeliveryPromise.objects.filter(channel=channel).count()
    assert promises == len(tokens[True]), promises
    for name, by_mode in timings.items():
        inactive, active = by_mode[False], by_mode[True]
        ratio = statistics.median(active) / statistics.median(inactive)
        print(
            f"{name} over {ROUNDS} each: median plugin inactive "
            f"{ms(statistics.median(inactive))}, active {ms(statistics.median(active))}, "
            f"ratio {ratio:.3f} (goal at most {GOAL:.2f}: "
            f"{'met' if ratio <= GOAL else 'MISSED'}); p90 inactive "
            f"{ms(p90(inactive))}, active {ms(p90(active))}"
        )
    print(
        f"Every active checkout had its code followed and its order's promise recorded "
        f"({len(tokens[True])}); no inactive one had."
    )


def check_carts(client, channel, method, variants, configuration, code):
    set_active(configuration, True)
    carts = {
        1: new_checkout(client, channel, method, variants[:1]),
        LARGE_CART: new_checkout(client, channel, method, variants[:LARGE_CART]),
    }
    measure_checks(client, carts, code)


def measure_checks(client, carts, code):
    timings = {size: [] for size in carts}
    queries = {size: set() for size in carts}
    captured = {}
    for round_number in range(CHECK_ROUNDS + WARM_UP):
        sizes = list(carts) if round_number % 2 == 0 else list(reversed(carts))
        for size in sizes:
            # The default and the replica connection are separate aliases of the
            # same database; Saleor reads from both.
            with (
                CaptureQueriesContext(connections["default"]) as default,
                CaptureQueriesContext(connections["replica"]) as replica,
            ):
                elapsed, data = timed(
                    client, SERVICE_COUPON_CHECK, {"id": carts[size], "code": code}
                )
            answer = data["serviceCouponCheck"]
            assert answer["isValid"], answer
            assert Decimal(str(answer["discount"]["amount"])) == (
                UNIT_PRICE * size * PERCENT_OFF / 100
            ), answer
            if round_number >= WARM_UP:
                timings[size].append(elapsed)
                queries[size].add((len(default), len(replica)))
                captured[size] = [q["sql"] for q in default] + [
                    q["sql"] for q in replica
                ]
    for size in carts:
        counts = ", ".join(
            f"{d + r} (default {d}, replica {r})" for d, r in sorted(queries[size])
        )
        print(
            f"serviceCouponCheck, plugin active, {size} line(s), over {CHECK_ROUNDS}: "
            f"median {ms(statistics.median(timings[size]))}, p90 {ms(p90(timings[size]))}; "
            f"SQL queries per request {counts}"
        )
    if queries[1] == queries[LARGE_CART] and len(queries[1]) == 1:
        print(
            f"serviceCouponCheck makes the same number of queries for 1 and {LARGE_CART} lines."
        )
    else:
        print(
            f"serviceCouponCheck's query count DIFFERS between 1 and {LARGE_CART} lines; "
            f"the queries of the {LARGE_CART}-line cart:"
        )
        for sql in captured[LARGE_CART]:
            print("   ", sql[:300])


def main():
    channel, method, variant, configuration = make_store()
    code = add_voucher(channel)
    variants = add_products(channel, variant, LARGE_CART)
    client = Client(SERVER_NAME="127.0.0.1")
    compare_mutations(client, channel, method, variant, configuration, code)
    check_carts(client, channel, method, variants, configuration, code)


if __name__ == "__main__":
    main()
