"""``serviceDeliveryConfirm``: a carrier-tracking app or staff record that a shipped
order arrived, closing its delivery promise as delivered on time or late."""

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.order.types import Order
from saleor.permission.enums import OrderPermissions

from ... import fetch, promises
from ...config import SettingsError
from ...error_codes import ServiceHistoryErrorCode
from ...models import DeliveryPromise as DeliveryPromiseModel
from ..resolvers import accessible_channel_ids
from ..types import DeliveryPromise, ServiceHistoryError


class ServiceDeliveryConfirm(BaseMutation):
    delivery_promise = graphene.Field(
        DeliveryPromise, description="The order's promise, now delivered."
    )

    class Arguments:
        order = graphene.ID(required=True, description="ID of a shipped order.")
        delivered_at = DateTime(
            description="When the order arrived; now when omitted. Not in the future."
        )

    class Meta:
        description = (
            "Records that a shipped order reached the customer, so its promise shows "
            "as delivered and on-time delivery can be measured. Requires "
            "MANAGE_ORDERS."
        )
        permissions = (OrderPermissions.MANAGE_ORDERS,)
        error_type_class = ServiceHistoryError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, order, delivered_at=None):
        if not order:
            # Saleor's lookup answers an empty ID with nothing rather than an error.
            raise ValidationError(
                {
                    "order": ValidationError(
                        "The ID of a shipped order is required.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            )
        order_instance = cls.get_node_or_error(
            info, order, only_type=Order, field="order"
        )
        channel_ids = accessible_channel_ids(info)
        if channel_ids is not None and order_instance.channel_id not in channel_ids:
            raise PermissionDenied(
                message="You do not have access to the channel of this order."
            )
        promise = DeliveryPromiseModel.objects.filter(order=order_instance).first()
        if promise is None:
            raise ValidationError(
                {
                    "order": ValidationError(
                        "This order has no delivery promise (nothing to ship, or no "
                        "delivery days were known when it was placed).",
                        code=ServiceHistoryErrorCode.NOT_FOUND.value,
                    )
                }
            )
        try:
            time_zone = fetch.channel_settings(promise.channel_id).time_zone
        except SettingsError:
            time_zone = "UTC"
        now = timezone.now()
        problem = promises.confirm_delivery(
            promise, delivered_at or now, now, time_zone
        )
        if problem is not None:
            raise ValidationError(
                {
                    problem.field: ValidationError(
                        problem.message, code=ServiceHistoryErrorCode.INVALID.value
                    )
                }
            )
        promise.refresh_from_db()
        return ServiceDeliveryConfirm(delivery_promise=promise)
