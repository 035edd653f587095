"""``servicePromotedCodeRemove``: staff stop promoting a code, in some channels or in
all."""

import graphene
from django.utils import timezone
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types import NonNullList
from saleor.permission.enums import DiscountPermissions

from ... import promoted_codes
from ..promoted_code_types import PromotedCode, PromotedCodeError
from .service_promoted_code_register import rejection_error


class ServicePromotedCodeRemove(BaseMutation):
    promoted_codes = NonNullList(
        PromotedCode,
        description="The code in each channel where its promotion ended now.",
    )

    class Arguments:
        code = graphene.String(required=True, description="The promoted code.")
        channels = NonNullList(
            graphene.String,
            description="Slugs of the channels where it is no longer promoted; all "
            "when omitted.",
        )

    class Meta:
        description = (
            "Ends the promotion of a code now, so the health check no longer alerts "
            "about it there. The record stays, listed with includeEnded, and the "
            "code can be registered again. Requires MANAGE_DISCOUNTS."
        )
        permissions = (DiscountPermissions.MANAGE_DISCOUNTS,)
        error_type_class = PromotedCodeError

    @classmethod
    def perform_mutation(cls, _root, _info, /, *, code, channels=None):
        now = timezone.now()
        try:
            rows = promoted_codes.stop_promoting(
                code=code, channel_slugs=channels, now=now
            )
        except promoted_codes.PromotionRejected as rejected:
            raise rejection_error(rejected) from rejected
        return ServicePromotedCodeRemove(
            promoted_codes=promoted_codes.health_by_channel(rows, now)
        )
