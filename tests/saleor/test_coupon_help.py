"""Coupon help inside a real Saleor: every failure explained consistently with Saleor's
own checkoutAddPromoCode, applied through Saleor, suggestions, grace for promoted codes,
codes Saleor drops silently, checkoutComplete's error, records and rate limits."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.checkout.models import Checkout
from saleor.discount import VoucherType
from saleor.discount.models import (
    Voucher,
    VoucherCode,
    VoucherCustomer,
)
from saleor.graphql.tests.utils import get_graphql_content
from saleor.product.models import ProductVariant, ProductVariantChannelListing
from saleor.warehouse.models import Stock
from shortage_support import configure_channel
from storefront import CHECKOUT_COMPLETE, start_checkout

from coupon_support import (
    CHECK,
    EMAIL,
    apply,
    check,
    checkout_of,
    make_voucher,
    promote,
    saleor_add,
)

from saleor_cs_plugin import tasks
from saleor_cs_plugin.apps import FORGET_COUPON_CLIENT_ADDRESSES_BEAT_ENTRY
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.models import (
    CouponFailure,
    CouponHonor,
    ServiceHistoryEntry,
)

pytestmark = pytest.mark.django_db

LINES_UPDATE = """
mutation ($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { errors { field code message } }
}
"""

REMOVE_CODE = """
mutation ($id: ID!, $code: String!) {
  checkoutRemovePromoCode(id: $id, promoCode: $code) { errors { field message } }
}
"""

CHECKOUT_NOTICE = """
query ($id: ID!) {
  checkout(id: $id) { voucherCode serviceCouponNotice { code reason message } }
}
"""


@pytest.fixture
def shop(channel_USD, shipping_method, product, plugin_configuration):
    """The USD channel taking unpaid orders, the plugin active, a product at 10 USD."""
    channel_USD.allow_unpaid_orders = True
    channel_USD.save()

    def configure(**values):
        return plugin_configuration(**values)

    return configure


# Each case: (voucher set-up, expected reason or None when valid). The cart holds 3
# units of a 10 USD product (30 USD), a shipping address in PL, no delivery method.
def _expired(channel, **_):
    make_voucher(channel, "CODE", end_date=timezone.now() - timedelta(hours=1))


def _not_started(channel, **_):
    make_voucher(channel, "CODE", start_date=timezone.now() + timedelta(days=1))


def _used_up(channel, **_):
    voucher = make_voucher(channel, "CODE", usage_limit=2)
    VoucherCode.objects.create(code="CODE-2", voucher=voucher, used=2)


def _inactive(channel, **_):
    make_voucher(channel, "CODE")
    VoucherCode.objects.filter(code="CODE").update(is_active=False)


def _single_use_used(channel, **_):
    make_voucher(channel, "CODE", single_use=True)
    VoucherCode.objects.filter(code="CODE").update(is_active=False)


def _other_channel(channel, channel_PLN, **_):
    make_voucher(channel_PLN, "CODE")


def _minimum_spend(channel, **_):
    make_voucher(channel, "CODE", min_spent=Decimal("100"))


def _minimum_quantity(channel, **_):
    make_voucher(channel, "CODE", min_checkout_items_quantity=5)


def _once_per_customer(channel, **_):
    make_voucher(channel, "CODE", apply_once_per_customer=True)
    VoucherCustomer.objects.create(
        voucher_code=VoucherCode.objects.get(code="CODE"), customer_email=EMAIL
    )


def _staff_only(channel, **_):
    make_voucher(channel, "CODE", only_for_staff=True)


def _other_product(channel, category, **_):
    from saleor.product.models import Product, ProductType

    voucher = make_voucher(channel, "CODE", type=VoucherType.SPECIFIC_PRODUCT)
    other = Product.objects.create(
        name="Gift wrap",
        slug="gift-wrap",
        product_type=ProductType.objects.first(),
        category=category,
    )
    voucher.products.add(other)


def _this_product(channel, product, **_):
    voucher = make_voucher(channel, "CODE", type=VoucherType.SPECIFIC_PRODUCT)
    voucher.products.add(product)


def _shipping_without_method(channel, **_):
    make_voucher(channel, "CODE", type=VoucherType.SHIPPING)


def _valid(channel, **_):
    make_voucher(channel, "CODE", min_spent=Decimal("30"))


def _unknown(channel, **_):
    make_voucher(channel, "OTHER")


CASES = [
    (_valid, None, {}),
    (_this_product, None, {}),
    (_unknown, "UNKNOWN_CODE", {}),
    (_expired, "EXPIRED", {}),
    (_not_started, "NOT_STARTED", {}),
    (_used_up, "USAGE_LIMIT_REACHED", {"usageLimit": 2}),
    (_inactive, "INACTIVE", {}),
    (_single_use_used, "SINGLE_USE_USED", {}),
    (_other_channel, "NOT_IN_CHANNEL", {}),
    (
        _minimum_spend,
        "MINIMUM_SPEND_NOT_MET",
        {"minimumSpend": {"amount": 100.0}, "shortfall": {"amount": 70.0}},
    ),
    (
        _minimum_quantity,
        "MINIMUM_QUANTITY_NOT_MET",
        {"minimumQuantity": 5, "missingQuantity": 2},
    ),
    (_once_per_customer, "ALREADY_USED_BY_CUSTOMER", {}),
    (_staff_only, "STAFF_ONLY", {}),
    (_other_product, "NO_ELIGIBLE_ITEMS", {"eligible": ["Gift wrap"]}),
    (
        _shipping_without_method,
        "SHIPPING_NOT_APPLICABLE",
        {"shippingCause": "no_delivery_method"},
    ),
]


@pytest.mark.parametrize(
    ("set_up", "reason", "details"),
    CASES,
    ids=[case[0].__name__.strip("_") for case in CASES],
)
def test_a_code_is_valid_exactly_when_saleors_checkout_add_promo_code_accepts_it(
    set_up,
    reason,
    details,
    shop,
    api_client,
    staff_api_client,
    permission_manage_discounts,
    channel_USD,
    channel_PLN,
    product,
    category,
):
    # given
    shop()
    set_up(channel_USD, channel_PLN=channel_PLN, product=product, category=category)
    checkout_id = checkout_of(api_client, channel_USD, product)
    staff_api_client.user.user_permissions.add(permission_manage_discounts)

    # when: staff see every true reason; then Saleor itself is asked
    diagnosis = check(staff_api_client, checkout_id, "CODE")
    saleor = saleor_add(api_client, checkout_id, "CODE")

    # then
    assert diagnosis["reason"] == reason
    assert diagnosis["isValid"] is (reason is None)
    assert (saleor["errors"] == []) is diagnosis["isValid"]
    for name, value in details.items():
        assert diagnosis["details"][name] == value
    if reason is None:
        assert saleor["checkout"]["voucherCode"] == "CODE"
        assert diagnosis["discount"] == {"amount": 3.0, "currency": "USD"}
        assert diagnosis["message"] == ""


def _shipping_elsewhere(channel, **_):
    make_voucher(channel, "CODE", type=VoucherType.SHIPPING, countries=["IS"])


def _shipping_here(channel, **_):
    make_voucher(channel, "CODE", type=VoucherType.SHIPPING, countries=["PL"], value=50)


def _cheapest_item(channel, **_):
    make_voucher(channel, "CODE", apply_once_per_order=True, value=50)


DELIVERY_CASES = [
    (_shipping_elsewhere, "SHIPPING_NOT_APPLICABLE", {"shippingCause": "country"}),
    (_shipping_here, None, {}),
    (_cheapest_item, None, {}),
]


@pytest.mark.parametrize(
    ("set_up", "reason", "details"),
    DELIVERY_CASES,
    ids=[case[0].__name__.strip("_") for case in DELIVERY_CASES],
)
def test_with_a_delivery_method_a_code_is_valid_exactly_when_saleor_accepts_it(
    set_up, reason, details, shop, api_client, channel_USD, product, shipping_method
):
    shop()
    set_up(channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product, shipping_method)

    diagnosis = check(api_client, checkout_id, "CODE")
    saleor = saleor_add(api_client, checkout_id, "CODE")

    assert diagnosis["reason"] == reason
    assert (saleor["errors"] == []) is diagnosis["isValid"] is (reason is None)
    for name, value in details.items():
        assert diagnosis["details"][name] == value
    if reason is None:
        checkout = Checkout.objects.get()
        assert diagnosis["discount"]["amount"] == float(checkout.discount_amount)


@pytest.mark.parametrize(
    ("client_name", "permission", "reason"),
    [
        ("api_client", None, "UNKNOWN_CODE"),
        ("user_api_client", None, "UNKNOWN_CODE"),
        ("staff_api_client", None, "UNKNOWN_CODE"),
        ("staff_api_client", "permission_manage_discounts", "NOT_STARTED"),
        ("app_api_client", None, "UNKNOWN_CODE"),
        ("app_api_client", "permission_manage_discounts", "NOT_STARTED"),
    ],
)
def test_only_discount_managers_learn_a_code_exists_before_it_starts(
    client_name, permission, reason, shop, api_client, caller, channel_USD, product
):
    shop()
    _not_started(channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product)

    assert (
        check(caller(client_name, permission), checkout_id, "CODE")["reason"] == reason
    )


def test_shoppers_learn_a_promoted_code_has_not_started(
    shop, api_client, channel_USD, product
):
    shop()
    _not_started(channel_USD)
    promote("CODE", channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product)

    diagnosis = check(api_client, checkout_id, "CODE")

    assert diagnosis["reason"] == "NOT_STARTED"
    assert diagnosis["message"].startswith("The code CODE can be used from ")


def test_a_failed_code_is_explained_in_the_channels_words(
    shop, api_client, channel_USD, product
):
    shop(coupon_messages="minimum_spend_not_met: Spend $shortfall more for $code.")
    _minimum_spend(channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product)

    diagnosis = check(api_client, checkout_id, "CODE")

    assert diagnosis["message"] == "Spend $70.00 more for CODE."


def test_a_failed_code_suggests_promoted_codes_that_apply_biggest_discount_first(
    shop, api_client, channel_USD, product
):
    shop()
    _expired(channel_USD)
    make_voucher(channel_USD, "TEN", value=10)  # 10 % of 30 = 3.00
    make_voucher(channel_USD, "FIVE-OFF", value=5, percentage=False)  # 5.00
    make_voucher(channel_USD, "BIG-SPEND", value=50, min_spent=Decimal(100))
    make_voucher(channel_USD, "QUIET", value=90)  # applies, but is not promoted
    for code in ("TEN", "FIVE-OFF", "BIG-SPEND", "CODE"):
        promote(code, channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product)

    diagnosis = check(api_client, checkout_id, "CODE")

    assert diagnosis["suggestions"] == [
        {"code": "FIVE-OFF", "discount": {"amount": 5.0, "currency": "USD"}},
        {"code": "TEN", "discount": {"amount": 3.0, "currency": "USD"}},
    ]


def test_apply_applies_a_valid_code_through_saleor(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "TEN", value=10)
    checkout_id = checkout_of(api_client, channel_USD, product)

    result = apply(api_client, checkout_id, "TEN")

    assert result["errors"] == []
    assert result["checkout"] == {"voucherCode": "TEN", "discount": {"amount": 3.0}}
    assert CouponFailure.objects.count() == 0


def test_apply_explains_a_failed_code_and_records_it(
    shop, user_api_client, channel_USD, product, customer_user
):
    shop()
    _minimum_spend(channel_USD)
    checkout_id = checkout_of(
        user_api_client, channel_USD, product, email=customer_user.email
    )

    result = apply(user_api_client, checkout_id, "CODE")

    message = (
        "The code CODE needs an order of at least $100.00; add $70.00 more to use it."
    )
    assert result["errors"] == [
        {"field": "code", "code": "NOT_APPLICABLE", "message": message}
    ]
    assert result["diagnosis"]["reason"] == "MINIMUM_SPEND_NOT_MET"
    assert Checkout.objects.get().voucher_code is None
    failure = CouponFailure.objects.get()
    assert (failure.code, failure.reason, failure.channel_id) == (
        "CODE",
        "minimum_spend_not_met",
        channel_USD.pk,
    )
    entry = ServiceHistoryEntry.objects.get(type=EntryType.COUPON_REJECTED)
    assert (entry.user_id, entry.message, entry.is_customer_visible) == (
        customer_user.pk,
        message,
        True,
    )
    assert entry.details["code"] == "CODE"
    assert entry.details["reason"] == "minimum_spend_not_met"


def test_a_yen_shortfall_is_said_in_whole_yen(
    api_client, channel_JPY, product_in_channel_JPY, shipping_zone_JPY
):
    # given a yen cart of 3 units at 1,200 JPY (3,600 JPY) and a code from 5,597 JPY
    configure_channel(channel_JPY)
    make_voucher(channel_JPY, "CODE", min_spent=Decimal("5597"))
    checkout_id = checkout_of(api_client, channel_JPY, product_in_channel_JPY)

    # when
    checked = check(api_client, checkout_id, "CODE")
    applied = apply(api_client, checkout_id, "CODE")

    # then
    message = (
        "The code CODE needs an order of at least ¥5,597; add ¥1,997 more to use it."
    )
    assert checked["message"] == message
    assert checked["details"]["shortfall"] == {"amount": 1997.0}
    assert applied["errors"] == [
        {"field": "code", "code": "NOT_APPLICABLE", "message": message}
    ]
    assert list(
        ServiceHistoryEntry.objects.filter(type=EntryType.COUPON_REJECTED).values_list(
            "message", flat=True
        )
    ) == [message, message]


LONG_CODE = "SPRING10-" + "x" * 247  # 256 characters, one more than Saleor holds
LONG_CODE_MESSAGE = (
    "A promo code has at most 255 characters; the one entered has 256 (it begins "
    '"SPRING10-xxxxxxxxxxx…"). Enter the code alone.'
)


def test_apply_refuses_a_code_longer_than_saleor_holds_and_keeps_nothing(
    shop, api_client, channel_USD, product
):
    shop()
    checkout_id = checkout_of(api_client, channel_USD, product)

    result = apply(api_client, checkout_id, LONG_CODE)

    assert result["errors"] == [
        {"field": "code", "code": "INVALID", "message": LONG_CODE_MESSAGE}
    ]
    assert (result["checkout"], result["diagnosis"]) == (None, None)
    assert CouponFailure.objects.exists() is False
    assert ServiceHistoryEntry.objects.exists() is False
    assert Checkout.objects.get().voucher_code is None


def test_check_refuses_a_code_longer_than_saleor_holds_and_keeps_nothing(
    shop, api_client, channel_USD, product
):
    shop()
    checkout_id = checkout_of(api_client, channel_USD, product)

    response = api_client.post_graphql(CHECK, {"id": checkout_id, "code": LONG_CODE})

    content = response.json()
    assert content["data"]["serviceCouponCheck"] is None
    assert [error["message"] for error in content["errors"]] == [
        f"code: {LONG_CODE_MESSAGE}"
    ]
    assert CouponFailure.objects.exists() is False
    assert ServiceHistoryEntry.objects.exists() is False


def test_a_code_as_long_as_saleor_holds_is_checked_and_counted_whole(
    shop, api_client, channel_USD, product
):
    shop()
    checkout_id = checkout_of(api_client, channel_USD, product)
    code = LONG_CODE[:255]

    result = apply(api_client, checkout_id, code)

    assert result["errors"][0]["code"] == "NOT_APPLICABLE"
    assert CouponFailure.objects.get().code == code


def test_failed_codes_are_rate_limited_per_checkout(
    shop, api_client, channel_USD, product
):
    shop(coupon_failures_per_checkout="2")
    checkout_id = checkout_of(api_client, channel_USD, product)

    first = apply(api_client, checkout_id, "GUESS1")
    second = apply(api_client, checkout_id, "GUESS2")
    third = apply(api_client, checkout_id, "GUESS3")

    assert [r["errors"][0]["code"] for r in (first, second, third)] == [
        "NOT_APPLICABLE",
        "NOT_APPLICABLE",
        "RATE_LIMITED",
    ]
    assert third["errors"][0]["field"] == "code"
    assert third["errors"][0]["message"].startswith(
        "Too many codes were tried; try again after "
    )
    assert check(api_client, checkout_id, "GUESS4")["rateLimit"] == {
        "scope": "checkout",
        "limit": 2,
    }
    assert CouponFailure.objects.count() == 2


def test_failed_codes_are_rate_limited_per_client_address(
    shop, api_client, channel_USD, product
):
    shop(coupon_failures_per_ip="2", coupon_failures_per_checkout="10")
    address = {"REMOTE_ADDR": "203.0.113.7"}
    first = checkout_of(api_client, channel_USD, product)
    second = checkout_of(api_client, channel_USD, product)

    apply(api_client, first, "GUESS1", **address)
    apply(api_client, second, "GUESS2", **address)
    limited = apply(api_client, second, "GUESS3", **address)
    elsewhere = apply(api_client, second, "GUESS4", REMOTE_ADDR="198.51.100.1")

    assert limited["errors"][0]["code"] == "RATE_LIMITED"
    assert elsewhere["errors"][0]["code"] == "NOT_APPLICABLE"
    assert list(
        CouponFailure.objects.order_by("id").values_list("client_ip", flat=True)
    ) == ["203.0.113.7", "203.0.113.7", "198.51.100.1"]


def test_a_gift_card_code_is_applied_by_saleor_not_explained(
    shop, api_client, channel_USD, product, gift_card
):
    shop()
    checkout_id = checkout_of(api_client, channel_USD, product)

    checked = api_client.post_graphql(
        CHECK, {"id": checkout_id, "code": gift_card.code}
    ).json()
    applied = apply(api_client, checkout_id, gift_card.code)

    assert checked["errors"][0]["message"] == (
        "code: 'never_expiry' is a gift card, not a promo code; apply it with "
        "serviceCouponApply or checkoutAddPromoCode."
    )
    assert applied["errors"] == []
    assert applied["diagnosis"] is None
    assert applied["checkout"]["voucherCode"] is None
    assert list(Checkout.objects.get().gift_cards.values_list("code", flat=True)) == [
        "never_expiry"
    ]
    assert CouponFailure.objects.count() == 0
    assert not ServiceHistoryEntry.objects.filter(
        type=EntryType.COUPON_REJECTED
    ).exists()


def test_client_addresses_are_forgotten_once_the_limit_no_longer_counts_them(
    shop, api_client, channel_USD, product
):
    shop(coupon_failures_per_ip="2", coupon_failures_per_checkout="10")
    address = {"REMOTE_ADDR": "203.0.113.7"}
    checkout_id = checkout_of(api_client, channel_USD, product)
    apply(api_client, checkout_id, "GUESS1", **address)
    apply(api_client, checkout_id, "GUESS2", **address)
    assert apply(api_client, checkout_id, "GUESS3", **address)["errors"][0]["code"] == (
        "RATE_LIMITED"
    )
    now = timezone.now()
    old, recent = CouponFailure.objects.order_by("id")
    for failure, age in ((old, 61), (recent, 59)):
        CouponFailure.objects.filter(pk=failure.pk).update(
            created_at=now - timedelta(minutes=age)
        )

    # when
    forgotten = tasks.forget_coupon_client_addresses_task()

    # then
    assert forgotten == 1
    assert list(
        CouponFailure.objects.order_by("id").values_list("code", "reason", "client_ip")
    ) == [
        ("GUESS1", "unknown_code", None),
        ("GUESS2", "unknown_code", "203.0.113.7"),
    ]
    assert tasks.forget_coupon_client_addresses_task() == 0
    # The recent attempt still counts; the forgotten one frees a try.
    assert apply(api_client, checkout_id, "GUESS4", **address)["errors"][0]["code"] == (
        "NOT_APPLICABLE"
    )
    assert apply(api_client, checkout_id, "GUESS5", **address)["errors"][0]["code"] == (
        "RATE_LIMITED"
    )


def test_beat_forgets_client_addresses_every_quarter_hour():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE[FORGET_COUPON_CLIENT_ADDRESSES_BEAT_ENTRY]
    assert entry == {
        "task": "saleor_cs_plugin.forget_coupon_client_addresses",
        "schedule": timedelta(minutes=15),
    }
    assert tasks.forget_coupon_client_addresses_task.name == entry["task"]


def test_a_promoted_code_that_just_expired_is_honored_once_per_shopper(
    shop, api_client, channel_USD, product
):
    # given
    shop(coupon_grace_hours="48", coupon_grace_code_valid_hours="12")
    original = make_voucher(
        channel_USD,
        "BIRTHDAY30",
        value=30,
        end_date=timezone.now() - timedelta(hours=3),
    )
    promote("BIRTHDAY30", channel_USD)
    checkout_id = checkout_of(api_client, channel_USD, product)

    # when
    result = apply(api_client, checkout_id, "BIRTHDAY30")

    # then
    assert result["errors"] == []
    honored = result["honored"]
    replacement = honored["replacementCode"]
    assert honored["originalCode"] == "BIRTHDAY30"
    assert replacement.startswith("BIRTHDAY30-")
    assert result["checkout"] == {
        "voucherCode": replacement,
        "discount": {"amount": 9.0},
    }
    voucher = VoucherCode.objects.get(code=replacement).voucher
    assert (voucher.single_use, voucher.usage_limit, voucher.discount_value_type) == (
        True,
        1,
        original.discount_value_type,
    )
    assert voucher.metadata["saleor_cs_recipient_email"] == EMAIL
    assert voucher.end_date - voucher.start_date == timedelta(hours=12)
    assert voucher.channel_listings.get().discount_value == Decimal(30)
    assert (
        ServiceHistoryEntry.objects.filter(
            type=EntryType.COUPON_HONORED, customer_email=EMAIL
        ).count()
        == 1
    )

    # and the same shopper is told the truth the second time
    again = apply(
        api_client, checkout_of(api_client, channel_USD, product), "BIRTHDAY30"
    )
    assert again["honored"] is None
    assert again["diagnosis"]["reason"] == "EXPIRED"
    assert CouponHonor.objects.count() == 1


def test_grace_is_off_by_default_and_capped_per_day(
    shop, api_client, channel_USD, product, plugin_configuration
):
    make_voucher(
        channel_USD, "BIRTHDAY30", end_date=timezone.now() - timedelta(hours=3)
    )
    promote("BIRTHDAY30", channel_USD)
    configuration = shop()

    off = apply(api_client, checkout_of(api_client, channel_USD, product), "BIRTHDAY30")
    assert off["honored"] is None

    configuration.delete()
    shop(coupon_grace_hours="48", coupon_grace_per_day="1")
    first = apply(
        api_client, checkout_of(api_client, channel_USD, product), "BIRTHDAY30"
    )
    other = apply(
        api_client,
        checkout_of(api_client, channel_USD, product, email="someone@example.com"),
        "BIRTHDAY30",
    )
    assert first["honored"] is not None
    assert other["honored"] is None
    assert other["diagnosis"]["reason"] == "EXPIRED"


def test_a_replacement_code_does_not_complete_for_another_shopper(
    shop, api_client, channel_USD, product, shipping_method
):
    shop(coupon_grace_hours="48")
    make_voucher(
        channel_USD, "BIRTHDAY30", end_date=timezone.now() - timedelta(hours=3)
    )
    promote("BIRTHDAY30", channel_USD)
    mine = checkout_of(api_client, channel_USD, product, shipping_method)
    replacement = apply(api_client, mine, "BIRTHDAY30")["honored"]["replacementCode"]
    theirs = checkout_of(
        api_client, channel_USD, product, shipping_method, email="someone@example.com"
    )
    assert saleor_add(api_client, theirs, replacement)["errors"] == []

    completed = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": theirs})
    )["data"]["checkoutComplete"]

    assert completed["order"] is None
    assert completed["errors"] == [
        {
            "field": "voucherCode",
            "code": "VOUCHER_NOT_APPLICABLE",
            "message": f"The code {replacement} was issued to another shopper.",
        }
    ]
    assert VoucherCode.objects.get(code=replacement).is_active is True


def test_a_code_saleor_drops_after_a_cart_change_is_explained_on_the_checkout(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "SPEND25", min_spent=Decimal(25))
    checkout_id = checkout_of(api_client, channel_USD, product)
    assert saleor_add(api_client, checkout_id, "SPEND25")["errors"] == []
    line_variant = graphene.Node.to_global_id(
        "ProductVariant", product.variants.get().pk
    )

    updated = get_graphql_content(
        api_client.post_graphql(
            LINES_UPDATE,
            {"id": checkout_id, "lines": [{"variantId": line_variant, "quantity": 1}]},
        )
    )["data"]["checkoutLinesUpdate"]
    assert updated["errors"] == []

    seen = get_graphql_content(
        api_client.post_graphql(CHECKOUT_NOTICE, {"id": checkout_id})
    )["data"]["checkout"]
    assert seen == {
        "voucherCode": None,
        "serviceCouponNotice": {
            "code": "SPEND25",
            "reason": "MINIMUM_SPEND_NOT_MET",
            "message": "Your code was removed from the cart. The code SPEND25 needs an "
            "order of at least $25.00; add $15.00 more to use it.",
        },
    }
    entry = ServiceHistoryEntry.objects.get(type=EntryType.COUPON_REJECTED)
    assert entry.details["removed"] is True


def test_a_code_the_shopper_removes_leaves_no_notice(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "SPEND25", min_spent=Decimal(25))
    checkout_id = checkout_of(api_client, channel_USD, product)
    assert saleor_add(api_client, checkout_id, "SPEND25")["errors"] == []

    removed = get_graphql_content(
        api_client.post_graphql(REMOVE_CODE, {"id": checkout_id, "code": "SPEND25"})
    )["data"]["checkoutRemovePromoCode"]
    assert removed["errors"] == []

    seen = get_graphql_content(
        api_client.post_graphql(CHECKOUT_NOTICE, {"id": checkout_id})
    )["data"]["checkout"]
    assert seen == {"voucherCode": None, "serviceCouponNotice": None}
    assert ServiceHistoryEntry.objects.count() == 0


def test_checkout_complete_says_why_a_code_stopped_working(
    shop, api_client, channel_USD, product, shipping_method
):
    shop()
    voucher = make_voucher(channel_USD, "WEEKEND")
    checkout_id = checkout_of(api_client, channel_USD, product, shipping_method)
    assert saleor_add(api_client, checkout_id, "WEEKEND")["errors"] == []
    Voucher.objects.filter(pk=voucher.pk).update(
        end_date=datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    )

    completed = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id})
    )["data"]["checkoutComplete"]

    assert completed["order"] is None
    assert [(e["field"], e["code"]) for e in completed["errors"]] == [
        ("voucherCode", "VOUCHER_NOT_APPLICABLE")
    ]
    assert completed["errors"][0]["message"] == (
        "The code WEEKEND expired on March 1, 2026, 2:30\u202fPM UTC."
    )


def test_checkout_complete_keeps_saleors_message_with_the_plugin_inactive(
    shop, api_client, channel_USD, product, shipping_method, plugin_configuration
):
    shop().delete()
    plugin_configuration(active=False)
    voucher = make_voucher(channel_USD, "WEEKEND")
    checkout_id = checkout_of(api_client, channel_USD, product, shipping_method)
    assert saleor_add(api_client, checkout_id, "WEEKEND")["errors"] == []
    Voucher.objects.filter(pk=voucher.pk).update(
        end_date=timezone.now() - timedelta(minutes=5)
    )

    completed = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id})
    )["data"]["checkoutComplete"]

    assert completed["errors"][0]["message"] == "Voucher not applicable"


def _more_variants(product, channel, count):
    variants = []
    for number in range(count):
        variant = ProductVariant.objects.create(product=product, sku=f"EXTRA-{number}")
        ProductVariantChannelListing.objects.create(
            variant=variant,
            channel=channel,
            price_amount=Decimal(10),
            currency=channel.currency_code,
        )
        Stock.objects.create(
            product_variant=variant,
            warehouse=product.variants.first().stocks.first().warehouse,
            quantity=100,
        )
        variants.append(variant)
    return variants


def test_the_check_runs_the_same_number_of_queries_for_any_cart_size(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "CODE", min_spent=Decimal(1000))
    for code in ("A", "B", "C"):
        make_voucher(channel_USD, code)
        promote(code, channel_USD)
    small = checkout_of(api_client, channel_USD, product)
    variants = [product.variants.get(), *_more_variants(product, channel_USD, 6)]
    large = start_checkout(
        api_client, channel=channel_USD, lines=[(v, 2) for v in variants], email=EMAIL
    )

    counts = []
    for checkout_id in (small, large):
        with CaptureQueriesContext(connection) as queries:
            diagnosis = check(api_client, checkout_id, "CODE")
        assert diagnosis["reason"] == "MINIMUM_SPEND_NOT_MET"
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_check_needs_a_checkout_and_an_active_plugin(
    shop, api_client, channel_USD, product, plugin_configuration
):
    shop().delete()
    plugin_configuration(active=False)
    checkout_id = checkout_of(api_client, channel_USD, product)

    missing = api_client.post_graphql(
        CHECK,
        {
            "id": graphene.Node.to_global_id(
                "Checkout", "9c41c9c5-1f2c-4d1e-9f3b-000000000000"
            ),
            "code": "X",
        },
    ).json()
    inactive = api_client.post_graphql(CHECK, {"id": checkout_id, "code": "X"}).json()

    assert missing["errors"][0]["message"].startswith("id: no checkout has the ID")
    assert inactive["errors"][0]["message"] == (
        "id: coupon help is not active in this checkout's channel "
        f"'{channel_USD.slug}'."
    )
    assert CouponFailure.objects.count() == 0
