"""``servicePromotedCodeRegister``: staff record where a promo code is promoted, in
which channels and until when, so the health check watches it."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types import NonNullList
from saleor.permission.enums import DiscountPermissions

from ... import promoted_codes
from ...error_codes import PromotedCodeErrorCode
from ..promoted_code_types import (
    PromotedCode,
    PromotedCodeError,
    PromotedCodeRegisterInput,
)

# The input's field names, for errors the rules name in Python style.
FIELD_NAMES = {
    "code": "code",
    "channels": "channels",
    "placements": "placements",
    "note": "note",
    "promoted_until": "promotedUntil",
}


def rejection_error(rejected: promoted_codes.PromotionRejected) -> ValidationError:
    return ValidationError(
        {
            FIELD_NAMES[problem.field]: ValidationError(
                problem.message, code=PromotedCodeErrorCode[problem.code].value
            )
            for problem in rejected.problems
        }
    )


class ServicePromotedCodeRegister(BaseMutation):
    promoted_codes = NonNullList(
        PromotedCode,
        description="The code in each given channel, with its health now.",
    )

    class Arguments:
        input = PromotedCodeRegisterInput(
            required=True, description="Where and until when the code is promoted."
        )

    class Meta:
        description = (
            "Records that a promo code is promoted (a pop-up, an e-mail campaign, an "
            "affiliate link, a social-media post, ...) in the given channels, until a "
            "date or until further notice. A code already registered in a channel is "
            "updated. While promoted, the periodic health check alerts staff when "
            "the code stops working there, or is about to. Requires "
            "MANAGE_DISCOUNTS."
        )
        permissions = (DiscountPermissions.MANAGE_DISCOUNTS,)
        error_type_class = PromotedCodeError

    @classmethod
    def perform_mutation(cls, _root, _info, /, *, input):
        now = timezone.now()
        try:
            rows = promoted_codes.register(
                code=input["code"],
                channel_slugs=input["channels"],
                placements=[getattr(p, "value", p) for p in input["placements"]],
                promoted_until=input.get("promoted_until"),
                note=input.get("note") or "",
                now=now,
            )
        except promoted_codes.PromotionRejected as rejected:
            raise rejection_error(rejected) from rejected
        return ServicePromotedCodeRegister(
            promoted_codes=promoted_codes.health_by_channel(rows, now)
        )
