"""GraphQL types of promoted codes and their health, and of coupon-failure counts."""

import graphene
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import Error, NonNullList

from ..promoted_codes import CodeStatus
from .enums import (
    PromotedCodeErrorCode,
    PromotedCodeHealthEnum,
    PromotedCodePlacementEnum,
    ServiceCouponReasonEnum,
)


class PromotedCode(graphene.ObjectType):
    code = graphene.String(required=True, description="The promo code.")
    channel_slug = graphene.String(
        required=True, description="Slug of the channel it is promoted in."
    )
    placements = NonNullList(
        PromotedCodePlacementEnum, required=True, description="Where it is shown."
    )
    promoted_until = DateTime(
        description="When the promotion ends; null while it has no end."
    )
    is_promoted = graphene.Boolean(
        required=True, description="Whether it is promoted now."
    )
    note = graphene.String(required=True, description="Staff's note about it.")
    health = PromotedCodeHealthEnum(
        required=True, description="How the code stands in the channel now."
    )
    ends_at = DateTime(
        description=(
            "When it stops, or stopped, working: its end date, when the last order "
            "used it up, or when it runs out at the pace of the last 24 hours. Null "
            "when not known."
        )
    )
    remaining_uses = graphene.Int(
        description="Uses left under the voucher's usage limit; null without a limit."
    )
    checked_at = DateTime(
        description="When the periodic check last looked at it; null until then."
    )

    class Meta:
        description = (
            "A promo code the store shows shoppers in one channel, with its health "
            "computed now."
        )

    @staticmethod
    def resolve_code(root: CodeStatus, _info):
        return root.promoted_code.code

    @staticmethod
    def resolve_channel_slug(root: CodeStatus, _info):
        return root.promoted_code.channel.slug

    @staticmethod
    def resolve_placements(root: CodeStatus, _info):
        return root.promoted_code.placements

    @staticmethod
    def resolve_promoted_until(root: CodeStatus, _info):
        return root.promoted_code.promoted_until

    @staticmethod
    def resolve_is_promoted(root: CodeStatus, _info):
        return root.is_promoted

    @staticmethod
    def resolve_note(root: CodeStatus, _info):
        return root.promoted_code.note

    @staticmethod
    def resolve_health(root: CodeStatus, _info):
        return root.check.health

    @staticmethod
    def resolve_ends_at(root: CodeStatus, _info):
        return root.check.ends_at

    @staticmethod
    def resolve_remaining_uses(root: CodeStatus, _info):
        return root.check.remaining_uses

    @staticmethod
    def resolve_checked_at(root: CodeStatus, _info):
        return root.promoted_code.health_checked_at


class PromotedCodeRegisterInput(graphene.InputObjectType):
    code = graphene.String(
        required=True, description="The promo code, as shoppers type it."
    )
    channels = NonNullList(
        graphene.String,
        required=True,
        description="Slugs of the channels it is promoted in.",
    )
    placements = NonNullList(
        PromotedCodePlacementEnum, required=True, description="Where it is shown."
    )
    promoted_until = DateTime(
        description="When the promotion ends; omit while it has no end."
    )
    note = graphene.String(
        description="A note for staff, e.g. the campaign; at most 500 characters."
    )

    class Meta:
        description = "Where and until when a promo code is promoted."


class PromotedCodeError(Error):
    code = PromotedCodeErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of a promoted-code mutation."


class CouponFailureCount(graphene.ObjectType):
    code = graphene.String(required=True, description="The code shoppers entered.")
    reason = ServiceCouponReasonEnum(required=True, description="Why it failed.")
    count = graphene.Int(required=True, description="How many attempts failed so.")

    class Meta:
        description = "How often a code failed for one reason in a period."
