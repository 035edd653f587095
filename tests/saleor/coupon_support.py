"""A storefront's coupon calls and the vouchers behind them, for the coupon tests."""

from saleor.discount import DiscountValueType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.graphql.tests.utils import get_graphql_content
from storefront import start_checkout

from saleor_cs_plugin.models import PromotedCode

EMAIL = "shopper@example.com"

CHECK = """
query ($id: ID!, $code: String!) {
  serviceCouponCheck(id: $id, code: $code) {
    code isValid reason message
    discount { amount currency }
    details { startsAt endedAt minimumSpend { amount } shortfall { amount }
              minimumQuantity missingQuantity eligible shippingCause usageLimit }
    suggestions { code discount { amount currency } }
    rateLimit { scope limit }
  }
}
"""

APPLY = """
mutation ($id: ID!, $code: String!) {
  serviceCouponApply(id: $id, code: $code) {
    checkout { voucherCode discount { amount } }
    diagnosis { reason message suggestions { code } }
    honored { originalCode replacementCode message }
    errors { field code message }
  }
}
"""

SALEOR_ADD = """
mutation ($id: ID!, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) {
    checkout { voucherCode }
    errors { field code message }
  }
}
"""


def make_voucher(
    channel, code, *, value=10, percentage=True, min_spent=None, **fields
) -> Voucher:
    voucher = Voucher.objects.create(
        name=f"Voucher {code}",
        discount_value_type=(
            DiscountValueType.PERCENTAGE if percentage else DiscountValueType.FIXED
        ),
        **fields,
    )
    VoucherCode.objects.create(code=code, voucher=voucher)
    VoucherChannelListing.objects.create(
        voucher=voucher,
        channel=channel,
        discount_value=value,
        currency=channel.currency_code,
        min_spent_amount=min_spent,
    )
    return voucher


def promote(code, channel, **fields):
    return PromotedCode.objects.create(
        code=code, channel=channel, placements=["popup"], **fields
    )


def checkout_of(
    api_client,
    channel,
    product,
    shipping_method=None,
    quantity=3,
    email=EMAIL,
    **post_kwargs,
):
    return start_checkout(
        api_client,
        channel=channel,
        lines=[(product.variants.get(), quantity)],
        shipping_method=shipping_method,
        email=email,
        **post_kwargs,
    )


def check(api_client, checkout_id, code, **post_kwargs):
    return get_graphql_content(
        api_client.post_graphql(CHECK, {"id": checkout_id, "code": code}, **post_kwargs)
    )["data"]["serviceCouponCheck"]


def apply(api_client, checkout_id, code, **post_kwargs):
    return get_graphql_content(
        api_client.post_graphql(APPLY, {"id": checkout_id, "code": code}, **post_kwargs)
    )["data"]["serviceCouponApply"]


def saleor_add(api_client, checkout_id, code):
    return get_graphql_content(
        api_client.post_graphql(SALEOR_ADD, {"id": checkout_id, "code": code})
    )["data"]["checkoutAddPromoCode"]
