"""GraphQL types of coupon help: a code's diagnosis, suggestions and honors."""

import graphene
from prices import Money as Amount
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import Error, Money, NonNullList

from ..domain.coupons import SHIPPING_CAUSES
from .enums import ServiceCouponErrorCode, ServiceCouponReasonEnum


def _money(details: dict, name: str, currency: str):
    value = details.get(name)
    return None if value is None else Amount(value, details.get("currency") or currency)


class ServiceCouponDetails(graphene.ObjectType):
    starts_at = DateTime(description="NOT_STARTED: when the code can be used.")
    ended_at = DateTime(description="EXPIRED: when the code stopped working.")
    minimum_spend = graphene.Field(
        Money, description="MINIMUM_SPEND_NOT_MET: the order value the code needs."
    )
    shortfall = graphene.Field(
        Money,
        description="MINIMUM_SPEND_NOT_MET: how much more the cart needs.",
    )
    minimum_quantity = graphene.Int(
        description="MINIMUM_QUANTITY_NOT_MET: the items the code needs."
    )
    missing_quantity = graphene.Int(
        description="MINIMUM_QUANTITY_NOT_MET: how many more items the cart needs."
    )
    eligible = NonNullList(
        graphene.String,
        description=(
            "NO_ELIGIBLE_ITEMS: names of the products, categories and collections "
            "the code applies to."
        ),
    )
    shipping_cause = graphene.String(
        description=(
            "SHIPPING_NOT_APPLICABLE: why: "
            + ", ".join(f"{key} ({text})" for key, text in SHIPPING_CAUSES.items())
            + "."
        )
    )
    usage_limit = graphene.Int(description="USAGE_LIMIT_REACHED: the usage limit.")

    class Meta:
        description = "Machine-readable facts behind a reason."


class ServiceCouponSuggestion(graphene.ObjectType):
    code = graphene.String(required=True, description="A promoted code to try.")
    discount = graphene.Field(
        Money, required=True, description="What it takes off this cart now."
    )

    class Meta:
        description = "A promoted code that applies to the cart, computed for it."


class ServiceCouponRateLimit(graphene.ObjectType):
    scope = graphene.String(
        required=True,
        description="Which limit was reached: 'checkout' or 'client_ip'.",
    )
    limit = graphene.Int(required=True, description="Failed codes allowed an hour.")
    retry_at = DateTime(required=True, description="When codes may be tried again.")

    class Meta:
        description = "Too many failed codes: trying again is possible later."


class ServiceCouponDiagnosis(graphene.ObjectType):
    code = graphene.String(required=True, description="The code, as checked.")
    is_valid = graphene.Boolean(
        required=True, description="Whether the code applies to the checkout now."
    )
    reason = ServiceCouponReasonEnum(
        description="Why it does not apply; null if it does."
    )
    message = graphene.String(
        required=True,
        description=(
            "What to tell the shopper, in the checkout's language (or the one "
            "asked for): the channel's wording, else the plugin's; empty if valid."
        ),
    )
    details = graphene.Field(
        ServiceCouponDetails,
        required=True,
        description="The facts behind the reason, e.g. the shortfall.",
    )
    discount = graphene.Field(
        Money, description="What the code takes off this cart, if it applies."
    )
    suggestions = NonNullList(
        ServiceCouponSuggestion,
        required=True,
        description=(
            "When the code fails: the store's promoted codes that apply to this cart, "
            "biggest discount first."
        ),
    )
    rate_limit = graphene.Field(
        ServiceCouponRateLimit,
        description="Set when no code is checked because of too many failures.",
    )

    class Meta:
        description = "Whether a promo code applies to a checkout, and if not, why."

    @staticmethod
    def from_answer(answer) -> "ServiceCouponDiagnosis":
        diagnosis = answer.diagnosis
        details = diagnosis.details
        currency = answer.currency
        limit = answer.rate_limit
        return ServiceCouponDiagnosis(
            code=diagnosis.code,
            is_valid=answer.is_valid,
            reason=diagnosis.reason,
            message=answer.message,
            details=ServiceCouponDetails(
                starts_at=details.get("starts_at"),
                ended_at=details.get("ended_at"),
                minimum_spend=_money(details, "minimum_spend", currency),
                shortfall=_money(details, "shortfall", currency),
                minimum_quantity=details.get("minimum_quantity"),
                missing_quantity=details.get("missing_quantity"),
                eligible=details.get("eligible"),
                shipping_cause=details.get("cause"),
                usage_limit=details.get("usage_limit"),
            ),
            discount=(
                Amount(diagnosis.discount, currency) if answer.is_valid else None
            ),
            suggestions=[
                ServiceCouponSuggestion(
                    code=s.code, discount=Amount(s.discount, currency)
                )
                for s in answer.suggestions
            ],
            rate_limit=(
                ServiceCouponRateLimit(
                    scope=limit.scope, limit=limit.limit, retry_at=limit.retry_at
                )
                if limit
                else None
            ),
        )


class ServiceCouponHonor(graphene.ObjectType):
    original_code = graphene.String(required=True, description="The code entered.")
    replacement_code = graphene.String(
        required=True,
        description="The single-use code issued in its place, applied to the checkout.",
    )
    valid_until = DateTime(required=True, description="Until when it can be used.")
    message = graphene.String(
        required=True,
        description="What to tell the shopper, in the checkout's language.",
    )

    class Meta:
        description = (
            "A promoted code that had just ended, honored with a replacement for the "
            "same discount, for this shopper only."
        )


class ServiceCouponNotice(graphene.ObjectType):
    code = graphene.String(required=True, description="The code that was removed.")
    reason = ServiceCouponReasonEnum(required=True, description="Why.")
    message = graphene.String(
        required=True,
        description=(
            "What to tell the shopper, in the checkout's language when the code "
            "was removed."
        ),
    )
    removed_at = DateTime(required=True, description="When it was noticed.")

    class Meta:
        description = (
            "A code the checkout carried until a change to the cart or address made "
            "it stop applying, so Saleor removed it."
        )


class ServiceCouponError(Error):
    code = ServiceCouponErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of the coupon mutations."
