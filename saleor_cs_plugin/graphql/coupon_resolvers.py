"""Resolvers of coupon help: checking a code against a checkout, and the notice of a
code Saleor removed from a checkout."""

import logging
import uuid

import graphene
from django.utils import timezone
from graphql.error import GraphQLError
from saleor.checkout.models import Checkout
from saleor.core.db.connection import allow_writer
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.plugins.dataloaders import get_plugin_manager_promise
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import DiscountPermissions

from .. import coupons
from ..client_address import client_address
from ..models import CheckoutCouponWatch
from .coupon_types import ServiceCouponDiagnosis, ServiceCouponNotice

logger = logging.getLogger(__name__)


def checkout_from_id(checkout_id: str, field: str = "id"):
    """The checkout of a global ID (``Checkout:<token>``); whoever holds it may use
    it, as with Saleor's own checkout queries."""
    try:
        type_name, token = graphene.Node.from_global_id(checkout_id)
        token = uuid.UUID(str(token))
    except (ValueError, TypeError, UnicodeDecodeError):
        type_name = None
    if type_name != "Checkout":
        raise GraphQLError(f"{field}: '{checkout_id}' is not the ID of a checkout.")
    checkout = (
        Checkout.objects.select_related(
            "channel", "user", "shipping_address", "billing_address"
        )
        .filter(token=token)
        .first()
    )
    if checkout is None:
        raise GraphQLError(f"{field}: no checkout has the ID '{checkout_id}'.")
    return checkout


def is_discount_staff(info) -> bool:
    """Staff or an app with MANAGE_DISCOUNTS: they see every true reason."""
    # The requestor may be a lazy object around None: test its truth, not identity.
    requestor = get_user_or_app_from_context(info.context)
    return bool(requestor and requestor.has_perm(DiscountPermissions.MANAGE_DISCOUNTS))


def resolve_coupon_check(_root, info, *, id, code, language_code=None):
    code = (code or "").strip()
    # The check reads the checkout as Saleor's mutations do, and records a rejection.
    with allow_writer():
        checkout = checkout_from_id(id)
        manager = get_plugin_manager_promise(info.context).get()
        context = coupons.load_checkout(
            checkout, manager, requested_language=language_code
        )
        if not context.is_plugin_active:
            raise GraphQLError(
                "id: coupon help is not active in this checkout's channel "
                f"'{checkout.channel.slug}'."
            )
        problem = coupons.code_problem(code, words=context.words)
        if problem:
            raise GraphQLError(f"code: {problem}")
        answer = coupons.check(
            context,
            code,
            client_ip=client_address(info.context, context.settings.trusted_proxies),
            now=timezone.now(),
            is_staff=is_discount_staff(info),
        )
    if answer.is_gift_card:
        raise GraphQLError(
            f"code: '{code}' is a gift card, not a promo code; apply it with "
            "serviceCouponApply or checkoutAddPromoCode."
        )
    return ServiceCouponDiagnosis.from_answer(answer)


def resolve_checkout_coupon_notice(root, info):
    # Saleor 3.23+ hands its Checkout type the checkout inside a context object.
    root = getattr(root, "node", root)
    watch = (
        CheckoutCouponWatch.objects.using(get_database_connection_name(info.context))
        .filter(checkout_token=root.token)
        .exclude(removed_code="")
        .first()
    )
    if watch is None:
        return None
    return ServiceCouponNotice(
        code=watch.removed_code,
        reason=watch.removed_reason,
        message=watch.removed_message,
        removed_at=watch.removed_at,
    )


VOUCHER_NOT_APPLICABLE = "voucher_not_applicable"


def explaining_voucher_errors(resolver):
    """Wraps Saleor's ``checkoutComplete`` resolver: its "Voucher not applicable"
    error gets the reason of the checkout's code as its message (same field, same
    code). Anything else, and every success, passes through untouched."""

    def resolve(root, info, **data):
        payload = resolver(root, info, **data)
        if hasattr(payload, "then"):
            return payload.then(lambda value: _explain(value, info, data))
        return _explain(payload, info, data)

    return resolve


def _explain(payload, info, data):
    errors = [
        error
        for error in getattr(payload, "errors", None) or []
        if str(getattr(error.code, "value", error.code)).lower()
        == VOUCHER_NOT_APPLICABLE
    ]
    if not errors:
        return payload
    try:
        with allow_writer():
            checkout = _checkout_of_arguments(data)
            if checkout is None:
                return payload
            manager = get_plugin_manager_promise(info.context).get()
            explanation = coupons.explain_current_code(
                checkout, manager, timezone.now()
            )
    except Exception:  # noqa: BLE001 - Saleor's own answer must still reach the shopper
        logger.exception("Could not explain a refused voucher at checkout completion.")
        return payload
    if explanation is not None:
        for error in errors:
            error.message = explanation[1]
    return payload


def _checkout_of_arguments(data):
    token = data.get("token")
    if token is None:
        checkout_id = data.get("id") or data.get("checkout_id")
        if not checkout_id:
            return None
        try:
            _, token = graphene.Node.from_global_id(checkout_id)
            token = uuid.UUID(str(token))
        except (ValueError, TypeError, UnicodeDecodeError):
            return None
    return (
        Checkout.objects.select_related(
            "channel", "user", "shipping_address", "billing_address"
        )
        .filter(token=token)
        .first()
    )
