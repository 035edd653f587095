"""Coupon help in the shopper's language, in a real Saleor: a checkout whose
languageCode is Polish (or German), set through Saleor's own storefront API, is told
why a code fails in that language through serviceCouponCheck, serviceCouponApply,
the checkout's serviceCouponNotice and checkoutComplete's error, with money and dates
as the language writes them (Babel). The merchant's messages are taken per language;
a checkout in a language the plugin does not speak is told in the channel's language;
a languageCode asked for in the query wins over the checkout's."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import graphene
import pytest
from freezegun import freeze_time
from saleor.discount.models import Voucher
from saleor.graphql.tests.utils import get_graphql_content
from storefront import CHECKOUT_COMPLETE, signed_in_now

from coupon_support import (
    apply,
    check,
    checkout_of,
    make_voucher,
    promote,
    saleor_add,
)
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.models import CouponFailure, CouponHonor, ServiceHistoryEntry

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
NNBSP = "\u202f"

LANGUAGE_UPDATE = """
mutation ($id: ID!, $languageCode: LanguageCodeEnum!) {
  checkoutLanguageCodeUpdate(id: $id, languageCode: $languageCode) {
    checkout { languageCode }
    errors { field code message }
  }
}
"""

APPLY_IN = """
mutation ($id: ID!, $code: String!, $languageCode: LanguageCodeEnum) {
  serviceCouponApply(id: $id, code: $code, languageCode: $languageCode) {
    diagnosis { reason message }
    errors { field code message }
  }
}
"""

CHECK_IN = """
query ($id: ID!, $code: String!, $languageCode: LanguageCodeEnum) {
  serviceCouponCheck(id: $id, code: $code, languageCode: $languageCode) {
    reason message
  }
}
"""

LINES_UPDATE = """
mutation ($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { errors { field code message } }
}
"""

CHECKOUT_NOTICE = """
query ($id: ID!) {
  checkout(id: $id) { voucherCode serviceCouponNotice { code reason message } }
}
"""

# A cart of 3 units at 10 USD (30 USD) and a code for orders from 100 USD.
POLISH_MINIMUM_SPEND = (
    f"Kod CODE wymaga zamówienia o wartości co najmniej 100,00{NBSP}USD; dodaj "
    f"produkty za 70,00{NBSP}USD, aby go użyć."
)
GERMAN_MINIMUM_SPEND = (
    f"Der Code CODE setzt einen Bestellwert von mindestens 100,00{NBSP}$ voraus; "
    f"fügen Sie Artikel für weitere 70,00{NBSP}$ hinzu, um ihn einzulösen."
)
ENGLISH_MINIMUM_SPEND = (
    "The code CODE needs an order of at least $100.00; add $70.00 more to use it."
)
ENDED = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def shop(channel_USD, shipping_method, product, plugin_configuration):
    """The USD channel taking unpaid orders, the plugin active with ``values``."""
    channel_USD.allow_unpaid_orders = True
    channel_USD.save()
    return plugin_configuration


def in_language(api_client, checkout_id, language_code):
    """The checkout's language, set as a storefront sets it."""
    updated = get_graphql_content(
        api_client.post_graphql(
            LANGUAGE_UPDATE, {"id": checkout_id, "languageCode": language_code}
        )
    )["data"]["checkoutLanguageCodeUpdate"]
    assert updated["errors"] == []
    return checkout_id


def rejected_messages():
    return list(
        ServiceHistoryEntry.objects.filter(type=EntryType.COUPON_REJECTED)
        .order_by("created_at")
        .values_list("message", flat=True)
    )


def test_a_polish_checkout_is_told_in_polish_with_polish_money_and_its_history_keeps_it(
    shop, api_client, channel_USD, product
):
    # given
    shop()
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )

    # when
    checked = check(api_client, checkout_id, "CODE")
    applied = apply(api_client, checkout_id, "CODE")

    # then
    assert (checked["reason"], checked["message"]) == (
        "MINIMUM_SPEND_NOT_MET",
        POLISH_MINIMUM_SPEND,
    )
    assert applied["errors"] == [
        {"field": "code", "code": "NOT_APPLICABLE", "message": POLISH_MINIMUM_SPEND}
    ]
    assert applied["diagnosis"]["message"] == POLISH_MINIMUM_SPEND
    assert rejected_messages() == [POLISH_MINIMUM_SPEND, POLISH_MINIMUM_SPEND]


def test_a_german_checkout_is_told_in_german_with_dates_in_the_stores_time_zone(
    shop, api_client, channel_USD, product
):
    shop(time_zone="Europe/Berlin")
    make_voucher(channel_USD, "CODE", end_date=ENDED)
    make_voucher(channel_USD, "CODE-SPEND", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "DE"
    )

    expired = check(api_client, checkout_id, "CODE")
    spend = check(api_client, checkout_id, "CODE-SPEND")

    assert (
        expired["message"] == "Der Code CODE ist am 1. März 2026, 15:30 CET abgelaufen."
    )
    assert spend["message"] == GERMAN_MINIMUM_SPEND.replace("CODE", "CODE-SPEND")


def test_a_regional_language_is_spoken_as_its_language(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL_PL"
    )

    assert check(api_client, checkout_id, "CODE")["message"] == POLISH_MINIMUM_SPEND


MERCHANT_MESSAGES = (
    "minimum_spend_not_met: Spend $shortfall more for $code.\n"
    "[pl]\n"
    "minimum_spend_not_met: Dodaj produkty za $shortfall, a kod $code zadziała.\n"
)


def test_the_merchants_polish_message_for_a_polish_checkout_their_default_for_others(
    shop, api_client, channel_USD, product
):
    shop(coupon_messages=MERCHANT_MESSAGES)
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    polish = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )
    english = checkout_of(api_client, channel_USD, product)
    german = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "DE"
    )

    messages = [
        check(api_client, checkout_id, "CODE")["message"]
        for checkout_id in (polish, english, german)
    ]

    assert messages == [
        f"Dodaj produkty za 70,00{NBSP}USD, a kod CODE zadziała.",
        "Spend $70.00 more for CODE.",
        # No [de] text: the merchant's default, with German money.
        f"Spend 70,00{NBSP}$ more for CODE.",
    ]


def test_a_reason_the_merchant_worded_only_in_polish_keeps_the_built_in_message_else(
    shop, api_client, channel_USD, product
):
    shop(coupon_messages="[pl]\nminimum_spend_not_met: Za mało: $shortfall.")
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    polish = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )
    english = checkout_of(api_client, channel_USD, product)

    assert [check(api_client, c, "CODE")["message"] for c in (polish, english)] == [
        f"Za mało: 70,00{NBSP}USD.",
        ENGLISH_MINIMUM_SPEND,
    ]


@pytest.mark.parametrize(
    ("channel_language", "expected"),
    [
        ("de", GERMAN_MINIMUM_SPEND),
        ("pl", POLISH_MINIMUM_SPEND),
        ("", ENGLISH_MINIMUM_SPEND),
    ],
)
def test_a_checkout_in_a_language_the_plugin_does_not_speak_gets_the_channels(
    channel_language, expected, shop, api_client, channel_USD, product
):
    shop(**({"language": channel_language} if channel_language else {}))
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "FR"
    )

    assert check(api_client, checkout_id, "CODE")["message"] == expected


def test_french_written_by_the_merchant_is_spoken_to_a_french_checkout(
    shop, api_client, channel_USD, product
):
    shop(
        language="de",
        coupon_messages="[fr]\nminimum_spend_not_met: Encore $shortfall pour $code.",
    )
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "FR"
    )

    assert check(api_client, checkout_id, "CODE")["message"] == (
        f"Encore 70,00{NBSP}$US pour CODE."
    )


def apply_in(api_client, checkout_id, code, language_code):
    return get_graphql_content(
        api_client.post_graphql(
            APPLY_IN, {"id": checkout_id, "code": code, "languageCode": language_code}
        )
    )["data"]["serviceCouponApply"]


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("DE", GERMAN_MINIMUM_SPEND),
        ("DE_AT", GERMAN_MINIMUM_SPEND),
        ("EN", ENGLISH_MINIMUM_SPEND),
        # A language the plugin does not speak: the checkout's.
        ("FR", POLISH_MINIMUM_SPEND),
        (None, POLISH_MINIMUM_SPEND),
    ],
)
def test_apply_speaks_the_language_asked_for_else_the_checkouts(
    asked, expected, shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )

    applied = apply_in(api_client, checkout_id, "CODE", asked)

    assert applied["errors"] == [
        {"field": "code", "code": "NOT_APPLICABLE", "message": expected}
    ]
    assert rejected_messages() == [expected]


def test_check_speaks_the_language_asked_for(shop, api_client, channel_USD, product):
    shop()
    make_voucher(channel_USD, "CODE", min_spent=Decimal(100))
    checkout_id = checkout_of(api_client, channel_USD, product)

    checked = get_graphql_content(
        api_client.post_graphql(
            CHECK_IN, {"id": checkout_id, "code": "CODE", "languageCode": "PL"}
        )
    )["data"]["serviceCouponCheck"]

    assert checked == {
        "reason": "MINIMUM_SPEND_NOT_MET",
        "message": POLISH_MINIMUM_SPEND,
    }


LONG_CODE = "SPRING10-" + "x" * 247


def test_an_empty_or_too_long_code_is_refused_in_polish(
    shop, api_client, channel_USD, product
):
    shop()
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )

    empty = apply(api_client, checkout_id, "  ")
    long = apply(api_client, checkout_id, LONG_CODE)
    checked = api_client.post_graphql(
        CHECK_IN, {"id": checkout_id, "code": LONG_CODE}
    ).json()

    long_message = (
        "Kod promocyjny może mieć najwyżej 255 znaków; wpisany ma 256 (zaczyna się od "
        "„SPRING10-xxxxxxxxxxx…”). Wpisz sam kod."
    )
    assert empty["errors"] == [
        {
            "field": "code",
            "code": "REQUIRED",
            "message": "Wpisz kod promocyjny; pole jest puste.",
        }
    ]
    assert long["errors"] == [
        {"field": "code", "code": "INVALID", "message": long_message}
    ]
    assert [error["message"] for error in checked["errors"]] == [
        f"code: {long_message}"
    ]
    assert CouponFailure.objects.exists() is False


def test_too_many_codes_is_said_in_polish_with_the_time_in_the_stores_zone(
    shop, api_client, channel_USD, product
):
    shop(coupon_failures_per_checkout="1", time_zone="Europe/Warsaw")
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )
    with freeze_time(datetime(2026, 12, 1, 14, 0, tzinfo=UTC)):
        check(api_client, checkout_id, "NOPE")

        limited = apply(api_client, checkout_id, "NOPE-AGAIN")

    assert limited["errors"] == [
        {
            "field": "code",
            "code": "RATE_LIMITED",
            "message": "Wypróbowano zbyt wiele kodów; spróbuj ponownie po 1 grudnia "
            "2026 16:00 CET.",
        }
    ]


def test_an_honored_code_is_told_in_polish(shop, api_client, channel_USD, product):
    # given a promoted code that ended three hours ago, and two days of grace
    shop(
        coupon_grace_hours="48",
        coupon_grace_code_valid_hours="12",
        time_zone="Europe/Warsaw",
    )
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with freeze_time(now):
        make_voucher(
            channel_USD, "BIRTHDAY30", value=30, end_date=now - timedelta(hours=3)
        )
        promote("BIRTHDAY30", channel_USD)
        signed_in_now(api_client)
        checkout_id = in_language(
            api_client, checkout_of(api_client, channel_USD, product), "PL"
        )

        # when
        result = apply(api_client, checkout_id, "BIRTHDAY30")

    # then
    assert result["honored"] is not None, result
    replacement = result["honored"]["replacementCode"]
    message = (
        "Kod BIRTHDAY30 przestał działać tuż przed jego użyciem, więc i tak go "
        f"uznajemy: kod {replacement} daje Ci ten sam rabat, tylko dla Ciebie, do "
        "1 grudnia 2026 22:00 CET."
    )
    assert result["errors"] == []
    assert result["honored"]["message"] == message
    assert CouponHonor.objects.get().replacement_code == replacement
    assert ServiceHistoryEntry.objects.get(type=EntryType.COUPON_HONORED).message == (
        message
    )


def test_a_code_saleor_drops_is_explained_in_polish_on_the_checkout(
    shop, api_client, channel_USD, product
):
    shop()
    make_voucher(channel_USD, "SPEND25", min_spent=Decimal(25))
    checkout_id = in_language(
        api_client, checkout_of(api_client, channel_USD, product), "PL"
    )
    assert saleor_add(api_client, checkout_id, "SPEND25")["errors"] == []
    variant_id = graphene.Node.to_global_id("ProductVariant", product.variants.get().pk)

    updated = get_graphql_content(
        api_client.post_graphql(
            LINES_UPDATE,
            {"id": checkout_id, "lines": [{"variantId": variant_id, "quantity": 1}]},
        )
    )["data"]["checkoutLinesUpdate"]
    assert updated["errors"] == []

    seen = get_graphql_content(
        api_client.post_graphql(CHECKOUT_NOTICE, {"id": checkout_id})
    )["data"]["checkout"]
    message = (
        "Twój kod został usunięty z koszyka. Kod SPEND25 wymaga zamówienia o wartości "
        f"co najmniej 25,00{NBSP}USD; dodaj produkty za 15,00{NBSP}USD, aby go użyć."
    )
    assert seen["serviceCouponNotice"] == {
        "code": "SPEND25",
        "reason": "MINIMUM_SPEND_NOT_MET",
        "message": message,
    }
    assert rejected_messages() == [message]


def test_checkout_complete_says_in_german_why_a_code_stopped_working(
    shop, api_client, channel_USD, product, shipping_method
):
    shop(time_zone="Europe/Berlin")
    voucher = make_voucher(channel_USD, "WEEKEND")
    checkout_id = in_language(
        api_client,
        checkout_of(api_client, channel_USD, product, shipping_method),
        "DE",
    )
    assert saleor_add(api_client, checkout_id, "WEEKEND")["errors"] == []
    Voucher.objects.filter(pk=voucher.pk).update(end_date=ENDED)

    completed = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id})
    )["data"]["checkoutComplete"]

    assert completed["order"] is None
    assert completed["errors"] == [
        {
            "field": "voucherCode",
            "code": "VOUCHER_NOT_APPLICABLE",
            "message": "Der Code WEEKEND ist am 1. März 2026, 15:30 CET abgelaufen.",
        }
    ]


def test_a_replacement_code_used_by_another_shopper_is_refused_in_their_language(
    shop, api_client, channel_USD, product, shipping_method
):
    shop(coupon_grace_hours="48")
    make_voucher(
        channel_USD, "BIRTHDAY30", end_date=datetime.now(UTC) - timedelta(hours=3)
    )
    promote("BIRTHDAY30", channel_USD)
    mine = checkout_of(api_client, channel_USD, product, shipping_method)
    replacement = apply(api_client, mine, "BIRTHDAY30")["honored"]["replacementCode"]
    theirs = in_language(
        api_client,
        checkout_of(
            api_client, channel_USD, product, shipping_method, email="kto@example.com"
        ),
        "PL",
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
            "message": f"Kod {replacement} został wydany innemu klientowi.",
        }
    ]
