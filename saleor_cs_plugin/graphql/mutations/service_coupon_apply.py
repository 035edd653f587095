"""``serviceCouponApply``: apply a promo code through Saleor's own voucher logic, and
when it fails, say why and what to do instead."""

import logging

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
from graphql.error import GraphQLError
from saleor.core.db.connection import allow_writer
from saleor.graphql.checkout.mutations.checkout_add_promo_code import (
    CheckoutAddPromoCode,
)
from saleor.graphql.checkout.types import Checkout
from saleor.graphql.core.enums import LanguageCodeEnum
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.plugins.dataloaders import get_plugin_manager_promise

from ... import coupons
from ...client_address import client_address
from ...error_codes import CouponErrorCode
from ..coupon_resolvers import checkout_from_id, is_discount_staff
from ..coupon_types import (
    ServiceCouponDiagnosis,
    ServiceCouponError,
    ServiceCouponHonor,
)

logger = logging.getLogger(__name__)


class ServiceCouponApply(BaseMutation):
    checkout = graphene.Field(
        Checkout, description="The checkout, with the code applied."
    )
    diagnosis = graphene.Field(
        ServiceCouponDiagnosis,
        description="Whether the code applies, and if not, why and what to try.",
    )
    honored = graphene.Field(
        ServiceCouponHonor,
        description=(
            "Set when a promoted code that had just ended was honored with a "
            "replacement code, applied instead."
        ),
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the checkout.")
        code = graphene.String(
            required=True,
            description=(
                "The promo code entered; a code longer than any Saleor holds "
                f"({coupons.CODE_MAX_LENGTH} characters) is refused."
            ),
        )
        language_code = graphene.Argument(
            LanguageCodeEnum,
            description=(
                "The language of the messages, when the plugin speaks it; otherwise, "
                "and when omitted, the checkout's languageCode, then the shopper's, "
                "then the channel's language."
            ),
        )

    class Meta:
        description = (
            "Applies a promo code to a checkout through Saleor's own voucher rules "
            "(as checkoutAddPromoCode). When the code does not apply, the errors say "
            "why in the shopper's terms, `diagnosis` gives the reason and its facts "
            "(e.g. the shortfall), and suggests promoted codes that do apply. Within "
            "the channel's grace window, a promoted code that just expired or ran out "
            "is honored with a single-use replacement for this shopper. Failed "
            "attempts are rate-limited per checkout and per client address. Messages "
            "are in the checkout's language (see `languageCode`)."
        )
        error_type_class = ServiceCouponError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, id, code, language_code=None):
        code = (code or "").strip()
        try:
            checkout = checkout_from_id(id)
        except GraphQLError as error:
            raise ValidationError(
                {
                    "id": ValidationError(
                        str(error), code=CouponErrorCode.NOT_FOUND.value
                    )
                }
            ) from error
        manager = get_plugin_manager_promise(info.context).get()
        context = coupons.load_checkout(
            checkout, manager, requested_language=language_code
        )
        problem = coupons.code_problem(code, words=context.words)
        if problem:
            error_code = CouponErrorCode.INVALID if code else CouponErrorCode.REQUIRED
            raise ValidationError(
                {"code": ValidationError(problem, code=error_code.value)}
            )
        if not context.is_plugin_active:
            return cls._apply_through_saleor(info, checkout, code)
        now = timezone.now()
        client_ip = client_address(info.context, context.settings.trusted_proxies)
        with allow_writer():
            answer = coupons.check(
                context,
                code,
                client_ip=client_ip,
                now=now,
                is_staff=is_discount_staff(info),
                record=False,
            )
            if answer.rate_limit is not None:
                return cls._refused(answer, CouponErrorCode.RATE_LIMITED)
            if answer.is_gift_card:
                return cls._apply_through_saleor(info, checkout, code)
            if answer.is_valid:
                return cls._apply_through_saleor(
                    info,
                    checkout,
                    code,
                    diagnosis=ServiceCouponDiagnosis.from_answer(answer),
                )
            candidate = coupons.grace_candidate(context, code, now)
            honor = candidate and coupons.honor(context, *candidate, now)
            if honor:
                payload = cls._apply_through_saleor(
                    info, checkout, honor.replacement_code
                )
                payload.honored = ServiceCouponHonor(
                    original_code=honor.original_code,
                    replacement_code=honor.replacement_code,
                    valid_until=honor.valid_until,
                    message=honor.message,
                )
                return payload
            coupons.record_rejection(
                context,
                answer.diagnosis,
                answer.message,
                client_ip=client_ip,
                now=now,
            )
        return cls._refused(answer, CouponErrorCode.NOT_APPLICABLE)

    @classmethod
    def _refused(cls, answer, error_code: CouponErrorCode):
        """The diagnosis, and an error on ``code`` that carries its message."""
        diagnosis = ServiceCouponDiagnosis.from_answer(answer)
        return cls(
            diagnosis=diagnosis,
            errors=[
                ServiceCouponError(
                    field="code", message=diagnosis.message, code=error_code.value
                )
            ],
        )

    @classmethod
    def _apply_through_saleor(cls, info, checkout, code, diagnosis=None):
        """Saleor's checkoutAddPromoCode, as if the storefront had called it."""
        try:
            result = CheckoutAddPromoCode.perform_mutation(
                None,
                info,
                id=graphene.Node.to_global_id("Checkout", checkout.token),
                promo_code=code,
            )
        except ValidationError as error:
            # Saleor refused a gift card, or what the rules accepted (a change in
            # between, or a rule this Saleor has that the plugin does not know): its
            # own error.
            logger.warning(
                "Saleor refused code %s on checkout %s: %s", code, checkout.token, error
            )
            raise ValidationError(
                {
                    "code": ValidationError(
                        "; ".join(error.messages),
                        code=CouponErrorCode.NOT_APPLICABLE.value,
                    )
                }
            ) from error
        return cls(checkout=result.checkout, diagnosis=diagnosis)
