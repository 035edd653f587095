"""Coupon rules: why a code does not apply, what it takes off, grace for promoted
codes that just ended, suggested alternatives, and their settings (what a shopper is
told: test_coupon_messages.py).

The expected answers follow Saleor's voucher checks (``active_in_channel``,
``validate_voucher`` and ``get_voucher_discount_for_checkout``).
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.config import (
    CouponSettings,
    SettingsError,
    parse_channel_settings,
)
from saleor_cs_plugin.domain.coupons import (
    ChannelListing,
    CheckoutFacts,
    Diagnosis,
    LineFacts,
    Reason,
    VoucherFacts,
    VoucherType,
    diagnose,
    discount_amount,
    is_within_grace,
    rank_alternatives,
    shown_to_shopper,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def _listing(value="10", min_spent=None, currency="USD"):
    return ChannelListing(
        discount_value=Decimal(value),
        currency=currency,
        min_spent=None if min_spent is None else Decimal(min_spent),
    )


def _voucher(**values):
    defaults = {"code": "SPRING10", "listing": _listing()}
    return VoucherFacts(**{**defaults, **values})


def _line(
    price="50.00",
    quantity=1,
    *,
    variant_id=1,
    product_id=1,
    category_id=1,
    collection_ids=(),
    is_gift=False,
):
    return LineFacts(
        variant_id=variant_id,
        product_id=product_id,
        category_id=category_id,
        collection_ids=frozenset(collection_ids),
        unit_price=Decimal(price),
        quantity=quantity,
        is_gift=is_gift,
    )


TWO_AT_50 = (_line("50.00", 2),)


def _checkout(lines=TWO_AT_50, **values):
    # Subtotal and quantity follow from the lines, as Saleor computes them.
    defaults = {
        "channel_is_active": True,
        "currency": "USD",
        "subtotal": sum(
            (line.unit_price * line.quantity for line in lines), Decimal(0)
        ),
        "quantity": sum(line.quantity for line in lines),
        "lines": tuple(lines),
        "is_shipping_required": True,
        "has_delivery_method": True,
        "country": "US",
        "shipping_price": Decimal("15.00"),
        "customer_email": "ann@example.com",
    }
    return CheckoutFacts(**{**defaults, **values})


def _reason_and_details(voucher, checkout):
    diagnosis = diagnose(voucher, checkout, "SPRING10", NOW)
    return diagnosis.reason, diagnosis.details


def test_unknown_code_is_explained_with_the_code_as_typed():
    diagnosis = diagnose(None, _checkout(), "SPRNG10", NOW)

    assert diagnosis == Diagnosis("SPRNG10", Reason.UNKNOWN_CODE, {}, Decimal(0))
    assert not diagnosis.is_valid


@pytest.mark.parametrize(
    ("voucher", "expected"),
    [
        (_voucher(code_is_active=False), (Reason.INACTIVE, {})),
        # Saleor deactivates a single-use code once an order used it.
        (_voucher(code_is_active=False, single_use=True), (Reason.SINGLE_USE_USED, {})),
        (_voucher(single_use=True), (None, {})),
        (_voucher(end_date=NOW - SECOND), (Reason.EXPIRED, {"ended_at": NOW - SECOND})),
        # Saleor's active vouchers have end_date >= now: valid up to the instant.
        (_voucher(end_date=NOW), (None, {})),
        (_voucher(end_date=NOW + SECOND), (None, {})),
        # The limit counts the uses of all the voucher's codes.
        (
            _voucher(usage_limit=5, used=5),
            (Reason.USAGE_LIMIT_REACHED, {"usage_limit": 5}),
        ),
        (
            _voucher(usage_limit=5, used=7),
            (Reason.USAGE_LIMIT_REACHED, {"usage_limit": 5}),
        ),
        (_voucher(usage_limit=5, used=4), (None, {})),
        (_voucher(usage_limit=0), (Reason.USAGE_LIMIT_REACHED, {"usage_limit": 0})),
        (
            _voucher(start_date=NOW + SECOND),
            (Reason.NOT_STARTED, {"starts_at": NOW + SECOND}),
        ),
        # Saleor's active vouchers have start_date <= now.
        (_voucher(start_date=NOW), (None, {})),
        (_voucher(listing=None), (Reason.NOT_IN_CHANNEL, {})),
    ],
)
def test_code_level_reasons(voucher, expected):
    assert _reason_and_details(voucher, _checkout()) == expected


def test_inactive_channel_is_not_in_channel():
    assert _reason_and_details(_voucher(), _checkout(channel_is_active=False)) == (
        Reason.NOT_IN_CHANNEL,
        {},
    )


@pytest.mark.parametrize(
    ("min_spent", "expected"),
    [
        (
            "120.00",
            (
                Reason.MINIMUM_SPEND_NOT_MET,
                {
                    "minimum_spend": Decimal("120.00"),
                    "shortfall": Decimal("20.00"),
                    "currency": "USD",
                },
            ),
        ),
        (
            "100.01",
            (
                Reason.MINIMUM_SPEND_NOT_MET,
                {
                    "minimum_spend": Decimal("100.01"),
                    "shortfall": Decimal("0.01"),
                    "currency": "USD",
                },
            ),
        ),
        # Exactly the minimum is enough; a minimum of 0 is no minimum.
        ("100.00", (None, {})),
        ("0", (None, {})),
    ],
)
def test_minimum_spend_names_the_shortfall(min_spent, expected):
    # given a cart of 2 x 50.00
    voucher = _voucher(listing=_listing(min_spent=min_spent))

    assert _reason_and_details(voucher, _checkout()) == expected


@pytest.mark.parametrize(
    ("minimum_quantity", "expected"),
    [
        (
            5,
            (
                Reason.MINIMUM_QUANTITY_NOT_MET,
                {"minimum_quantity": 5, "missing_quantity": 3},
            ),
        ),
        (
            3,
            (
                Reason.MINIMUM_QUANTITY_NOT_MET,
                {"minimum_quantity": 3, "missing_quantity": 1},
            ),
        ),
        (2, (None, {})),
        (0, (None, {})),
    ],
)
def test_minimum_quantity_names_what_is_missing(minimum_quantity, expected):
    # given a cart of 2 units
    voucher = _voucher(min_checkout_items_quantity=minimum_quantity)

    assert _reason_and_details(voucher, _checkout()) == expected


@pytest.mark.parametrize(
    ("voucher", "checkout", "expected"),
    [
        (
            _voucher(apply_once_per_customer=True, used_by_customer=True),
            _checkout(),
            Reason.ALREADY_USED_BY_CUSTOMER,
        ),
        (_voucher(apply_once_per_customer=True), _checkout(), None),
        # A use only counts when the voucher is once per customer.
        (_voucher(used_by_customer=True), _checkout(), None),
        (_voucher(only_for_staff=True), _checkout(), Reason.STAFF_ONLY),
        (_voucher(only_for_staff=True), _checkout(customer_is_staff=True), None),
        (
            _voucher(bound_email="ann@example.com"),
            _checkout(customer_email="bob@example.com"),
            Reason.ISSUED_TO_ANOTHER_SHOPPER,
        ),
        (
            _voucher(bound_email="ann@example.com"),
            _checkout(customer_email=""),
            Reason.ISSUED_TO_ANOTHER_SHOPPER,
        ),
        # The shopper's address is compared case-insensitively.
        (
            _voucher(bound_email="ann@example.com"),
            _checkout(customer_email="Ann@Example.COM"),
            None,
        ),
        (_voucher(), _checkout(customer_email=""), None),
    ],
)
def test_customer_reasons(voucher, checkout, expected):
    assert _reason_and_details(voucher, checkout) == (expected, {})


@pytest.mark.parametrize(
    ("voucher", "checkout", "expected"),
    [
        (
            _voucher(),
            _checkout(is_shipping_required=False),
            (Reason.SHIPPING_NOT_APPLICABLE, {"cause": "no_shipping"}),
        ),
        (
            _voucher(),
            _checkout(has_delivery_method=False),
            (Reason.SHIPPING_NOT_APPLICABLE, {"cause": "no_delivery_method"}),
        ),
        # Shipping is checked before the delivery method.
        (
            _voucher(),
            _checkout(is_shipping_required=False, has_delivery_method=False),
            (Reason.SHIPPING_NOT_APPLICABLE, {"cause": "no_shipping"}),
        ),
        (
            _voucher(countries=frozenset({"DE", "PL"})),
            _checkout(country="US"),
            (Reason.SHIPPING_NOT_APPLICABLE, {"cause": "country"}),
        ),
        (
            _voucher(countries=frozenset({"DE", "US"})),
            _checkout(country="US"),
            (None, {}),
        ),
        # No address yet: Saleor checks the country only when there is one.
        (_voucher(countries=frozenset({"DE"})), _checkout(country=""), (None, {})),
        (_voucher(), _checkout(country="US"), (None, {})),
    ],
)
def test_shipping_voucher_reasons(voucher, checkout, expected):
    voucher = replace(voucher, voucher_type=VoucherType.SHIPPING)

    assert _reason_and_details(voucher, checkout) == expected


def test_shipping_checks_apply_only_to_shipping_vouchers():
    checkout = _checkout(is_shipping_required=False, has_delivery_method=False)

    assert _reason_and_details(_voucher(countries=frozenset({"DE"})), checkout) == (
        None,
        {},
    )


MUGS = ("Red mug", "Blue mug")


@pytest.mark.parametrize(
    ("targets", "lines", "expected"),
    [
        (
            {"product_ids": frozenset({9})},
            [_line(product_id=1)],
            ["Red mug", "Blue mug"],
        ),
        ({"product_ids": frozenset({1})}, [_line(product_id=1)], None),
        ({"variant_ids": frozenset({7})}, [_line(variant_id=7)], None),
        (
            {"variant_ids": frozenset({7})},
            [_line(variant_id=8)],
            ["Red mug", "Blue mug"],
        ),
        ({"category_ids": frozenset({3})}, [_line(category_id=3)], None),
        # A product without a category is in no category.
        (
            {"category_ids": frozenset({3})},
            [_line(category_id=None)],
            ["Red mug", "Blue mug"],
        ),
        ({"collection_ids": frozenset({4})}, [_line(collection_ids={4, 5})], None),
        (
            {"collection_ids": frozenset({4})},
            [_line(collection_ids={5})],
            ["Red mug", "Blue mug"],
        ),
        # A gift from a promotion never counts, even when it is a target.
        (
            {"product_ids": frozenset({1})},
            [_line(product_id=1, is_gift=True)],
            ["Red mug", "Blue mug"],
        ),
        # One eligible line among others is enough.
        (
            {"product_ids": frozenset({2})},
            [_line(product_id=1), _line(product_id=2)],
            None,
        ),
        # Without targets the voucher applies to every line.
        ({}, [_line(product_id=1)], None),
    ],
)
def test_specific_product_voucher_needs_an_eligible_line(targets, lines, expected):
    voucher = _voucher(
        voucher_type=VoucherType.SPECIFIC_PRODUCT, eligible_names=MUGS, **targets
    )

    assert _reason_and_details(voucher, _checkout(lines)) == (
        (None, {})
        if expected is None
        else (Reason.NO_ELIGIBLE_ITEMS, {"eligible": expected})
    )


def test_specific_product_voucher_without_names_lists_none():
    voucher = _voucher(
        voucher_type=VoucherType.SPECIFIC_PRODUCT, product_ids=frozenset({9})
    )

    assert _reason_and_details(voucher, _checkout()) == (
        Reason.NO_ELIGIBLE_ITEMS,
        {"eligible": []},
    )


@pytest.mark.parametrize(
    ("voucher_type", "expected"),
    [
        (VoucherType.ENTIRE_ORDER, (Reason.NO_ELIGIBLE_ITEMS, {"eligible": []})),
        (VoucherType.SPECIFIC_PRODUCT, (Reason.NO_ELIGIBLE_ITEMS, {"eligible": []})),
        # A shipping voucher needs no line; it stops at the shipping checks.
        (
            VoucherType.SHIPPING,
            (Reason.SHIPPING_NOT_APPLICABLE, {"cause": "no_shipping"}),
        ),
    ],
)
def test_once_per_order_voucher_on_an_empty_cart(voucher_type, expected):
    voucher = _voucher(voucher_type=voucher_type, apply_once_per_order=True)
    checkout = _checkout(lines=(), is_shipping_required=False)

    assert _reason_and_details(voucher, checkout) == expected


def test_entire_order_voucher_on_an_empty_cart_applies_with_nothing_off():
    diagnosis = diagnose(_voucher(), _checkout(lines=()), "SPRING10", NOW)

    assert (diagnosis.reason, diagnosis.discount) == (None, Decimal(0))


# Everything wrong at once; each step fixes the reason reported before it.
EVERYTHING_WRONG = {
    "code_is_active": False,
    "end_date": NOW - HOUR,
    "usage_limit": 1,
    "used": 1,
    "start_date": NOW + HOUR,
    "listing": _listing(min_spent="500"),
    "min_checkout_items_quantity": 50,
    "apply_once_per_customer": True,
    "used_by_customer": True,
    "only_for_staff": True,
    "bound_email": "bob@example.com",
    "voucher_type": VoucherType.SPECIFIC_PRODUCT,
    "product_ids": frozenset({9}),
}
FIXES = [
    (Reason.INACTIVE, {"code_is_active": True}),
    (Reason.EXPIRED, {"end_date": None}),
    (Reason.USAGE_LIMIT_REACHED, {"usage_limit": None}),
    (Reason.NOT_STARTED, {"start_date": None}),
    (Reason.NOT_IN_CHANNEL, {"channel_is_active": True}),
    (Reason.MINIMUM_SPEND_NOT_MET, {"listing": _listing()}),
    (Reason.MINIMUM_QUANTITY_NOT_MET, {"min_checkout_items_quantity": None}),
    (Reason.ALREADY_USED_BY_CUSTOMER, {"used_by_customer": False}),
    (Reason.STAFF_ONLY, {"only_for_staff": False}),
    (Reason.ISSUED_TO_ANOTHER_SHOPPER, {"bound_email": ""}),
    (Reason.NO_ELIGIBLE_ITEMS, {"product_ids": frozenset({1})}),
    (None, {}),
]


@pytest.mark.parametrize(
    ("fixed", "expected"), [(fixed, reason) for fixed, (reason, _) in enumerate(FIXES)]
)
def test_the_first_failing_check_is_the_reason(fixed, expected):
    # given a voucher and cart that fail every check, with the first `fixed` fixed
    values = dict(EVERYTHING_WRONG, channel_is_active=False)
    for _, fix in FIXES[:fixed]:
        values.update(fix)
    channel_is_active = values.pop("channel_is_active")

    # when
    reason, _ = _reason_and_details(
        _voucher(**values), _checkout(channel_is_active=channel_is_active)
    )

    # then
    assert reason == expected


def test_shipping_checks_come_after_the_customer_checks():
    voucher = _voucher(voucher_type=VoucherType.SHIPPING, only_for_staff=True)

    assert _reason_and_details(voucher, _checkout(has_delivery_method=False)) == (
        Reason.STAFF_ONLY,
        {},
    )


@pytest.mark.parametrize(
    ("voucher", "checkout", "expected"),
    [
        # Entire order, percentage of the subtotal, half-up to the cent.
        (_voucher(), _checkout([_line("50.00", 2)]), Decimal("10.00")),
        (_voucher(), _checkout([_line("49.85")]), Decimal("4.99")),
        (_voucher(), _checkout([_line("0.05")]), Decimal("0.01")),
        (_voucher(), _checkout([_line("0.04")]), Decimal("0.00")),
        (
            _voucher(listing=_listing("100")),
            _checkout([_line("37.10")]),
            Decimal("37.10"),
        ),
        # Entire order, fixed amount, never more than the subtotal.
        (
            _voucher(is_percentage=False, listing=_listing("25")),
            _checkout([_line("50.00", 2)]),
            Decimal("25"),
        ),
        (
            _voucher(is_percentage=False, listing=_listing("150")),
            _checkout([_line("50.00", 2)]),
            Decimal("100.00"),
        ),
        # Once per order: the cheapest unit only.
        (
            _voucher(apply_once_per_order=True, listing=_listing("50")),
            _checkout([_line("30.00"), _line("20.00", 3)]),
            Decimal("10.00"),
        ),
        (
            _voucher(
                apply_once_per_order=True, is_percentage=False, listing=_listing("25")
            ),
            _checkout([_line("30.00"), _line("20.00", 3)]),
            Decimal("20.00"),
        ),
        # Specific products: each eligible unit on its own, rounded per unit
        # (3 x 1.234 -> 3 x 1.23, not 10% of 37.02 = 3.70).
        (
            _voucher(
                voucher_type=VoucherType.SPECIFIC_PRODUCT, product_ids=frozenset({2})
            ),
            _checkout([_line("99.00", product_id=1), _line("12.34", 3, product_id=2)]),
            Decimal("3.69"),
        ),
        (
            _voucher(
                voucher_type=VoucherType.SPECIFIC_PRODUCT,
                is_percentage=False,
                listing=_listing("5"),
                product_ids=frozenset({2, 3}),
            ),
            _checkout(
                [
                    _line("99.00", product_id=1),
                    _line("3.00", 2, product_id=2),
                    _line("10.00", product_id=3),
                ]
            ),
            Decimal("11.00"),
        ),
        (
            _voucher(
                voucher_type=VoucherType.SPECIFIC_PRODUCT,
                apply_once_per_order=True,
                listing=_listing("50"),
                product_ids=frozenset({2, 3}),
            ),
            _checkout(
                [
                    _line("1.00", product_id=1),
                    _line("8.00", 2, product_id=2),
                    _line("6.00", product_id=3),
                ]
            ),
            Decimal("3.00"),
        ),
        # Specific products without targets: every unit, a gift included, as in
        # Saleor's get_discounted_lines.
        (
            _voucher(
                voucher_type=VoucherType.SPECIFIC_PRODUCT,
                is_percentage=False,
                listing=_listing("5"),
            ),
            _checkout([_line("20.00", 2), _line("8.00", is_gift=True)]),
            Decimal("15.00"),
        ),
        # Shipping: off the shipping price, never more than it; the subtotal is
        # not touched.
        (
            _voucher(voucher_type=VoucherType.SHIPPING, listing=_listing("50")),
            _checkout(shipping_price=Decimal("15.00")),
            Decimal("7.50"),
        ),
        (
            _voucher(
                voucher_type=VoucherType.SHIPPING,
                is_percentage=False,
                listing=_listing("20"),
            ),
            _checkout(shipping_price=Decimal("15.00")),
            Decimal("15.00"),
        ),
        (
            _voucher(voucher_type=VoucherType.SHIPPING, listing=_listing("100")),
            _checkout(shipping_price=Decimal(0)),
            Decimal(0),
        ),
    ],
)
def test_discount_amount(voucher, checkout, expected):
    amount = discount_amount(voucher, checkout)

    assert amount == expected
    assert diagnose(voucher, checkout, voucher.code, NOW).discount == expected


def test_failed_diagnosis_takes_nothing_off():
    voucher = _voucher(listing=_listing(min_spent="500"))

    assert diagnose(voucher, _checkout(), "SPRING10", NOW).discount == Decimal(0)


@pytest.mark.parametrize(
    ("reason", "details", "is_promoted", "expected_reason", "expected_details"),
    [
        (Reason.NOT_STARTED, {"starts_at": NOW}, False, Reason.UNKNOWN_CODE, {}),
        (Reason.NOT_IN_CHANNEL, {}, False, Reason.UNKNOWN_CODE, {}),
        (
            Reason.NOT_STARTED,
            {"starts_at": NOW},
            True,
            Reason.NOT_STARTED,
            {"starts_at": NOW},
        ),
        (Reason.NOT_IN_CHANNEL, {}, True, Reason.NOT_IN_CHANNEL, {}),
        (Reason.EXPIRED, {"ended_at": NOW}, False, Reason.EXPIRED, {"ended_at": NOW}),
        (Reason.INACTIVE, {}, False, Reason.INACTIVE, {}),
        (Reason.STAFF_ONLY, {}, False, Reason.STAFF_ONLY, {}),
        (None, {}, False, None, {}),
    ],
)
def test_shopper_learns_of_unpromoted_codes_only_what_saleor_tells(
    reason, details, is_promoted, expected_reason, expected_details
):
    diagnosis = Diagnosis("VIP50", reason, details)

    shown = shown_to_shopper(diagnosis, is_promoted=is_promoted)

    assert shown == Diagnosis("VIP50", expected_reason, expected_details)


@pytest.mark.parametrize(
    ("voucher", "checkout", "grace", "expected"),
    [
        # Expired an hour ago, two hours of grace.
        (_voucher(end_date=NOW - HOUR), _checkout(), 2 * HOUR, True),
        # Exactly at the end of the window: still honored.
        (_voucher(end_date=NOW - 2 * HOUR), _checkout(), 2 * HOUR, True),
        (_voucher(end_date=NOW - 2 * HOUR - SECOND), _checkout(), 2 * HOUR, False),
        (_voucher(end_date=NOW - 3 * HOUR), _checkout(), 2 * HOUR, False),
        # Used up: the window runs from the order that used it up.
        (
            _voucher(usage_limit=5, used=5, last_used_at=NOW - HOUR),
            _checkout(),
            2 * HOUR,
            True,
        ),
        (
            _voucher(usage_limit=5, used=5, last_used_at=NOW - 3 * HOUR),
            _checkout(),
            2 * HOUR,
            False,
        ),
        (
            _voucher(usage_limit=5, used=5, last_used_at=None),
            _checkout(),
            2 * HOUR,
            False,
        ),
        # Expired and used up: the end date decides.
        (
            _voucher(
                end_date=NOW - HOUR, usage_limit=5, used=5, last_used_at=NOW - 3 * HOUR
            ),
            _checkout(),
            2 * HOUR,
            True,
        ),
        # Grace 0 is off, even for a code used up this instant.
        (_voucher(end_date=NOW - SECOND), _checkout(), timedelta(0), False),
        (
            _voucher(usage_limit=5, used=5, last_used_at=NOW),
            _checkout(),
            timedelta(0),
            False,
        ),
        # Another failure stands in the way.
        (
            _voucher(end_date=NOW - HOUR, listing=_listing(min_spent="500")),
            _checkout(),
            2 * HOUR,
            False,
        ),
        (
            _voucher(end_date=NOW - HOUR),
            _checkout(channel_is_active=False),
            2 * HOUR,
            False,
        ),
        (
            _voucher(end_date=NOW - HOUR, only_for_staff=True),
            _checkout(),
            2 * HOUR,
            False,
        ),
        # Only expired or used up codes get grace.
        (_voucher(code_is_active=False), _checkout(), 2 * HOUR, False),
        (_voucher(start_date=NOW + HOUR), _checkout(), 2 * HOUR, False),
        (_voucher(), _checkout(), 2 * HOUR, False),
    ],
)
def test_is_within_grace(voucher, checkout, grace, expected):
    diagnosis = diagnose(voucher, checkout, voucher.code, NOW)

    assert is_within_grace(voucher, checkout, diagnosis, NOW, grace) is expected


def test_min_spend_does_not_hide_an_expired_code():
    # An expired code is explained as expired even when the cart is also too small;
    # grace then finds the minimum spend in the way.
    voucher = _voucher(end_date=NOW - HOUR, listing=_listing(min_spent="500"))

    diagnosis = diagnose(voucher, _checkout(), "SPRING10", NOW)

    assert diagnosis.reason == Reason.EXPIRED
    assert is_within_grace(voucher, _checkout(), diagnosis, NOW, 2 * HOUR) is False


def _candidate(code, value="10", is_promoted=True, **values):
    return _voucher(code=code, listing=_listing(value), **values), is_promoted


# A cart of 2 x 50.00: 10% and a fixed 10 both take 10.00 off; TEN is listed
# before AAA10, so only the tie-break by code puts AAA10 first.
CANDIDATES = [
    _candidate("TEN", "10"),
    _candidate("HIDDEN50", "50", is_promoted=False),
    _candidate("OLD30", "30", end_date=NOW - HOUR),
    _candidate("BIG30", "30", min_checkout_items_quantity=9),
    _candidate("ZERO", "0", is_percentage=False),
    _candidate("AAA10", "10", is_percentage=False),
    _candidate("TWENTY", "20"),
    _candidate(
        "MUGS50",
        "50",
        voucher_type=VoucherType.SPECIFIC_PRODUCT,
        product_ids=frozenset({9}),
    ),
    _candidate("SHIP100", "100", voucher_type=VoucherType.SHIPPING),
]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (
            10,
            [
                ("TWENTY", Decimal("20.00")),
                ("SHIP100", Decimal("15.00")),
                ("AAA10", Decimal("10")),
                ("TEN", Decimal("10.00")),
            ],
        ),
        (2, [("TWENTY", Decimal("20.00")), ("SHIP100", Decimal("15.00"))]),
        (0, []),
    ],
)
def test_rank_alternatives(limit, expected):
    ranked = rank_alternatives(CANDIDATES, _checkout(), NOW, limit)

    assert [(d.code, d.discount) for d in ranked] == expected
    assert all(d.reason is None for d in ranked)


def test_rank_alternatives_without_candidates():
    assert rank_alternatives([], _checkout(), NOW, 3) == []


def test_coupon_settings_defaults():
    coupons = parse_channel_settings({}).coupons

    assert coupons == CouponSettings(
        messages={},
        max_alternatives=3,
        failures_per_checkout=10,
        failures_per_ip=30,
        grace_hours=0,
        grace_code_valid_hours=24,
        grace_per_day=50,
        warning_hours=48,
        staff_email="",
    )
    assert coupons.is_grace_enabled is False


def test_coupon_settings_parse():
    coupons = parse_channel_settings(
        {
            "coupon_messages": "expired: Sorry, $code ended on $ended_at.\n\n"
            "  staff_only : Staff only: $code  \n",
            "coupon_max_alternatives": "10",
            "coupon_failures_per_checkout": "1",
            "coupon_failures_per_ip": "10000",
            "coupon_grace_hours": "168",
            "coupon_grace_code_valid_hours": "1",
            "coupon_grace_per_day": "10000",
            "promoted_code_warning_hours": "720",
            "promoted_code_staff_email": " Marketing@Example.com ",
        }
    ).coupons

    assert coupons == CouponSettings(
        messages={
            "expired": "Sorry, $code ended on $ended_at.",
            "staff_only": "Staff only: $code",
        },
        max_alternatives=10,
        failures_per_checkout=1,
        failures_per_ip=10000,
        grace_hours=168,
        grace_code_valid_hours=1,
        grace_per_day=10000,
        warning_hours=720,
        staff_email="marketing@example.com",
    )
    assert coupons.is_grace_enabled is True


@pytest.mark.parametrize(
    ("grace_hours", "grace_per_day", "expected"),
    [("0", "50", False), ("1", "0", False), ("1", "1", True)],
)
def test_grace_needs_hours_and_codes_per_day(grace_hours, grace_per_day, expected):
    coupons = parse_channel_settings(
        {"coupon_grace_hours": grace_hours, "coupon_grace_per_day": grace_per_day}
    ).coupons

    assert coupons.is_grace_enabled is expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("coupon_max_alternatives", "11", "'11' is not a whole number from 0 to 10."),
        ("coupon_max_alternatives", "-1", "'-1' is not a whole number from 0 to 10."),
        (
            "coupon_max_alternatives",
            "three",
            "'three' is not a whole number from 0 to 10.",
        ),
        (
            "coupon_failures_per_checkout",
            "0",
            "'0' is not a whole number from 1 to 1000.",
        ),
        (
            "coupon_failures_per_checkout",
            "1001",
            "'1001' is not a whole number from 1 to 1000.",
        ),
        ("coupon_failures_per_ip", "0", "'0' is not a whole number from 1 to 10000."),
        (
            "coupon_failures_per_ip",
            "10001",
            "'10001' is not a whole number from 1 to 10000.",
        ),
        ("coupon_grace_hours", "169", "'169' is not a whole number from 0 to 168."),
        ("coupon_grace_hours", "1.5", "'1.5' is not a whole number from 0 to 168."),
        (
            "coupon_grace_code_valid_hours",
            "0",
            "'0' is not a whole number from 1 to 168.",
        ),
        (
            "coupon_grace_code_valid_hours",
            "169",
            "'169' is not a whole number from 1 to 168.",
        ),
        (
            "coupon_grace_per_day",
            "10001",
            "'10001' is not a whole number from 0 to 10000.",
        ),
        ("coupon_grace_per_day", "", "'' is not a whole number from 0 to 10000."),
        (
            "promoted_code_warning_hours",
            "721",
            "'721' is not a whole number from 0 to 720.",
        ),
        (
            "promoted_code_staff_email",
            "marketing at example",
            "'marketing at example' is not an e-mail address; use e.g. "
            "'marketing@example.com', or leave it empty.",
        ),
        (
            "promoted_code_staff_email",
            "marketing@localhost",
            "'marketing@localhost' is not an e-mail address; use e.g. "
            "'marketing@example.com', or leave it empty.",
        ),
    ],
)
def test_coupon_settings_rejections_name_the_field(name, value, message):
    with pytest.raises(SettingsError) as error:
        parse_channel_settings({name: value})

    assert error.value.errors == {name: message}


REASONS_OF = (
    "already_used_by_customer, expired, inactive, issued_to_another_shopper, "
    "minimum_quantity_not_met, minimum_spend_not_met, no_eligible_items, "
    "not_in_channel, not_started, shipping_not_applicable, single_use_used, "
    "staff_only, unknown_code, usage_limit_reached"
)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "vanished: The code $code is gone.",
            "line 1 'vanished: The code $code is gone.' is not 'reason: message' with "
            f"a reason of: {REASONS_OF}.",
        ),
        # Reasons are written as listed, in lower case.
        (
            "EXPIRED: Gone.",
            f"line 1 'EXPIRED: Gone.' is not 'reason: message' with a reason of: "
            f"{REASONS_OF}.",
        ),
        (
            "expired The code $code is gone.",
            "line 1 'expired The code $code is gone.' is not 'reason: message' with a "
            f"reason of: {REASONS_OF}.",
        ),
        (
            "expired:",
            "line 1 'expired:' is not 'reason: message' with a reason of: "
            f"{REASONS_OF}.",
        ),
        # Blank lines count in the line number.
        (
            "expired: Gone.\n\nstaff_only",
            "line 3 'staff_only' is not 'reason: message' with a reason of: "
            f"{REASONS_OF}.",
        ),
        (
            "expired: The code $code ended $foo ago.",
            "line 1: The template uses $foo, which this notice does not have; "
            "available: cause, code, eligible, ended_at, minimum_quantity, "
            "minimum_spend, missing_quantity, shortfall, starts_at.",
        ),
        (
            "staff_only: Fine.\nexpired: Ended ${ended_at.",
            "line 2: The template is malformed: Invalid placeholder in string: line 1, "
            "col 7.",
        ),
        # Only the first rejected line is named.
        (
            "bogus\nexpired: $foo",
            f"line 1 'bogus' is not 'reason: message' with a reason of: {REASONS_OF}.",
        ),
    ],
)
def test_rejected_coupon_messages(value, message):
    with pytest.raises(SettingsError) as error:
        parse_channel_settings({"coupon_messages": value})

    assert error.value.errors == {"coupon_messages": message}


def test_every_coupon_setting_error_is_named_at_once():
    with pytest.raises(SettingsError) as error:
        parse_channel_settings(
            {
                "coupon_messages": "bogus",
                "coupon_max_alternatives": "11",
                "promoted_code_staff_email": "nobody",
            }
        )

    assert error.value.errors == {
        "coupon_messages": "line 1 'bogus' is not 'reason: message' with a reason of: "
        f"{REASONS_OF}.",
        "coupon_max_alternatives": "'11' is not a whole number from 0 to 10.",
        "promoted_code_staff_email": "'nobody' is not an e-mail address; use e.g. "
        "'marketing@example.com', or leave it empty.",
    }


@pytest.mark.parametrize(
    ("currency", "decimal_places", "subtotal", "percent", "expected"),
    [
        ("JPY", 0, "999", "15", Decimal("150")),
        ("KWD", 3, "1.235", "10", Decimal("0.124")),
        ("USD", 2, "49.85", "10", Decimal("4.99")),
    ],
)
def test_percentages_round_to_the_currencys_own_minor_unit(
    currency, decimal_places, subtotal, percent, expected
):
    listing = replace(
        _listing(percent, currency=currency), decimal_places=decimal_places
    )
    voucher = _voucher(listing=listing)
    checkout = _checkout(lines=(_line(subtotal),), currency=currency)

    assert diagnose(voucher, checkout, "SPRING10", NOW).discount == expected
