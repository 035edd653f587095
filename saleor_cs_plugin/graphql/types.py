"""GraphQL types of the service history, notices and delivery promises."""

import graphene
from saleor.graphql.account.dataloaders import UserByUserIdLoader
from saleor.graphql.account.utils import get_user_accessible_channels
from saleor.graphql.app.dataloaders import AppByIdLoader, get_app_promise
from saleor.graphql.core.connection import CountableConnection
from saleor.graphql.core.context import SyncWebhookControlContext
from saleor.graphql.core.fields import PermissionsField
from saleor.graphql.core.scalars import JSON, Date, DateTime
from saleor.graphql.core.types import Error, ModelObjectType, NonNullList
from saleor.graphql.core.types.common import DateTimeRangeInput
from saleor.graphql.order.dataloaders import OrderByIdLoader, OrderLineByIdLoader
from saleor.permission.enums import AccountPermissions, OrderPermissions

from .. import models
from ..domain.items import is_stand_in_name, item_name
from ..domain.notices import NoticeStatus
from ..domain.promises import furthest_stage, notice_stage
from .dataloaders import (
    DelayNoticesByOrderIdLoader,
    DeliveryPromiseLinesByPromiseIdLoader,
)
from .enums import (
    DeliveryDelayStageEnum,
    DeliveryPromiseStatusEnum,
    ServiceActorEnum,
    ServiceContactChannelEnum,
    ServiceHistoryEntryTypeEnum,
    ServiceHistoryErrorCode,
    ServiceNoticeStatusEnum,
    ServiceNoticeTransportEnum,
    ServiceNoticeTypeEnum,
    ServiceStockShortageChoiceEnum,
    ServiceStockShortageErrorCode,
)

STAFF_PERMISSIONS = [AccountPermissions.MANAGE_USERS, OrderPermissions.MANAGE_ORDERS]


class ServiceHistoryEntry(ModelObjectType[models.ServiceHistoryEntry]):
    id = graphene.GlobalID(required=True, description="ID of the entry.")
    type = ServiceHistoryEntryTypeEnum(required=True, description="What happened.")
    created_at = DateTime(required=True, description="When it happened.")
    contact_channel = ServiceContactChannelEnum(
        required=True, description="How the store and the customer were in touch."
    )
    actor = ServiceActorEnum(required=True, description="Who acted.")
    customer_email = graphene.String(
        description="E-mail address of the customer, also for guests."
    )
    order = graphene.Field(
        "saleor.graphql.order.types.Order", description="The order it concerns."
    )
    checkout_id = graphene.ID(description="ID of the checkout it concerns.")
    message = graphene.String(
        required=True, description="What happened, in words for the customer."
    )
    details = JSON(required=True, description="Structured details of the touchpoint.")
    is_customer_visible = graphene.Boolean(
        required=True, description="Whether the customer can see this entry."
    )
    is_resolved_at_first_contact = graphene.Boolean(
        description=(
            "For contacts: whether the customer's matter was settled in this one "
            "contact. Null for other entries."
        )
    )
    acting_user = PermissionsField(
        "saleor.graphql.account.types.User",
        description="Staff user who acted.",
        permissions=STAFF_PERMISSIONS,
    )
    acting_app = PermissionsField(
        "saleor.graphql.app.types.App",
        description="App that acted.",
        permissions=STAFF_PERMISSIONS,
    )

    class Meta:
        description = "One customer-service touchpoint in a customer's history."
        model = models.ServiceHistoryEntry
        interfaces = [graphene.relay.Node]

    @staticmethod
    def resolve_checkout_id(root: models.ServiceHistoryEntry, _info):
        if root.checkout_token is None:
            return None
        return graphene.Node.to_global_id("Checkout", root.checkout_token)

    @staticmethod
    def resolve_order(root: models.ServiceHistoryEntry, info):
        return _resolve_order(root, info)

    @staticmethod
    def resolve_acting_user(root: models.ServiceHistoryEntry, info):
        if root.acting_user_id is None:
            return None
        return UserByUserIdLoader(info.context).load(root.acting_user_id)

    @staticmethod
    def resolve_acting_app(root: models.ServiceHistoryEntry, info):
        if root.acting_app_id is None:
            return None
        return AppByIdLoader(info.context).load(root.acting_app_id)


def _resolve_order(root, info):
    if root.order_id is None:
        return None

    def visible(order):
        if order is None:
            return None
        # As in Saleor's own order lists: staff see orders of their channels only;
        # apps are not restricted to channels. For an app the user is a lazy object
        # around None: test its truth, not identity.
        if get_app_promise(info.context).get():
            return SyncWebhookControlContext(order)
        user = info.context.user or None
        is_own_order = user is not None and order.user_id == user.pk
        if not is_own_order:
            channel_ids = {c.id for c in get_user_accessible_channels(info, user)}
            if order.channel_id not in channel_ids:
                return None
        return SyncWebhookControlContext(order)

    return OrderByIdLoader(info.context).load(root.order_id).then(visible)


class ServiceHistoryEntryCountableConnection(CountableConnection):
    class Meta:
        node = ServiceHistoryEntry


class ServiceHistoryFilterInput(graphene.InputObjectType):
    types = graphene.List(
        graphene.NonNull(ServiceHistoryEntryTypeEnum),
        description="Only entries of these types.",
    )
    created_at = graphene.Field(
        DateTimeRangeInput, description="Only entries created in this range."
    )

    class Meta:
        description = "Filters for a service history."


class ServiceHistoryError(Error):
    code = ServiceHistoryErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of a service-history mutation."


class ServiceNotice(ModelObjectType[models.Notice]):
    id = graphene.GlobalID(required=True, description="ID of the notice.")
    type = ServiceNoticeTypeEnum(required=True, description="Kind of notice.")
    status = ServiceNoticeStatusEnum(required=True, description="Where it stands.")
    transport = ServiceNoticeTransportEnum(
        required=True, description="How it leaves the store."
    )
    is_essential = graphene.Boolean(
        required=True,
        description="Whether it ignores quiet hours, the daily limit and opt-outs.",
    )
    recipient_email = graphene.String(
        required=True, description="Who it is for (empty once anonymized)."
    )
    subject = graphene.String(required=True, description="What it is about.")
    order = graphene.Field(
        "saleor.graphql.order.types.Order", description="The order it concerns."
    )
    attempts = graphene.Int(required=True, description="Delivery attempts so far.")
    last_error = graphene.String(
        required=True,
        description="Why the last attempt failed or the notice waits or was skipped.",
    )
    created_at = DateTime(required=True, description="When it was decided.")
    next_attempt_at = DateTime(
        required=True, description="When it is (or was) due to be tried."
    )
    sent_at = DateTime(description="When it was delivered.")
    delay_stage = DeliveryDelayStageEnum(
        description=(
            "For a delay notice: the stage of the delay it tells of. Null for other "
            "notices."
        )
    )

    class Meta:
        description = "A proactive message to a customer or to staff."
        model = models.Notice
        interfaces = [graphene.relay.Node]

    @staticmethod
    def resolve_type(root: models.Notice, _info):
        return root.notice_type

    @staticmethod
    def resolve_subject(root: models.Notice, _info):
        return root.context.get("subject", "")

    @staticmethod
    def resolve_order(root: models.Notice, info):
        return _resolve_order(root, info)

    @staticmethod
    def resolve_delay_stage(root: models.Notice, _info):
        stage = notice_stage(root.notice_type, (root.context or {}).get("data"))
        return stage.value if stage else None


class ServiceNoticeCountableConnection(CountableConnection):
    class Meta:
        node = ServiceNotice


class ServiceNoticeFilterInput(graphene.InputObjectType):
    statuses = graphene.List(
        graphene.NonNull(ServiceNoticeStatusEnum),
        description="Only notices in these states.",
    )
    types = graphene.List(
        graphene.NonNull(ServiceNoticeTypeEnum), description="Only these kinds."
    )

    class Meta:
        description = "Filters for notices."


class ServiceNoticePreferences(graphene.ObjectType):
    is_opted_out_of_non_essential = graphene.Boolean(
        required=True,
        description=(
            "Whether the customer receives only essential notices (about orders "
            "they are waiting for)."
        ),
    )

    class Meta:
        description = "A customer's choices about proactive notices."


class DeliveryPromiseLine(graphene.ObjectType):
    product_name = graphene.String(required=True, description="Name of the product.")
    variant_name = graphene.String(
        required=True,
        description=(
            "Name of the variant, as Saleor kept it on the order line (for a variant "
            "without a name, Saleor's stand-in)."
        ),
    )
    name = graphene.String(
        required=True,
        description=(
            "The line as customers and staff read it: the product and its variant, "
            "with the SKU for a variant known only by Saleor's stand-in."
        ),
    )
    quantity = graphene.Int(required=True, description="Quantity promised.")
    shipped_at = DateTime(description="When the whole quantity had shipped.")
    is_shipped_on_time = graphene.Boolean(
        description="Whether it shipped by the promised day; null until it ships."
    )

    class Meta:
        description = "An order line under a delivery promise."

    @staticmethod
    def resolve_name(root: models.DeliveryPromiseLine, info):
        if not is_stand_in_name(root.variant_name) or root.order_line_id is None:
            return item_name(root.product_name, root.variant_name)

        def named(order_line):
            sku = order_line.product_sku if order_line is not None else ""
            return item_name(root.product_name, root.variant_name, sku or "")

        return OrderLineByIdLoader(info.context).load(root.order_line_id).then(named)


class DeliveryPromise(graphene.ObjectType):
    status = DeliveryPromiseStatusEnum(
        required=True, description="How the promise stands."
    )
    shipping_method_name = graphene.String(
        required=True, description="Shipping method chosen when the order was placed."
    )
    ship_by = Date(required=True, description="Promised last day to ship.")
    deliver_from = Date(required=True, description="Earliest promised delivery day.")
    deliver_by = Date(required=True, description="Promised last day of delivery.")
    estimated_ship_by = Date(
        description=(
            "The current estimate of the ship-by day once the order is at risk or "
            "late; null while it is on track."
        )
    )
    estimated_deliver_by = Date(
        description=(
            "The current estimate of the delivery day once the order is at risk or "
            "late; null while it is on track."
        )
    )
    notified_stage = DeliveryDelayStageEnum(
        description=(
            "The furthest delay stage the plugin has acted on: its notice to the "
            "customer was decided (whether or not it was sent since), or, for a "
            "promise recorded after the order was placed, the stage the order had "
            "already reached, marked without a notice. Null if none. It does not "
            "say the customer was told: see customerToldStage."
        )
    )
    customer_told_stage = DeliveryDelayStageEnum(
        description=(
            "The furthest delay stage whose notice was actually sent to the "
            "customer; null if no delay notice was sent (none decided, or still "
            "waiting, failed or skipped)."
        )
    )
    delay_notices = PermissionsField(
        NonNullList(ServiceNotice),
        description=(
            "The delay notices decided for this promise, oldest first, one per "
            "stage: whether each was sent, is waiting, failed (and why) or was "
            "skipped."
        ),
        permissions=[OrderPermissions.MANAGE_ORDERS],
    )
    shipped_at = DateTime(description="When the last promised line shipped.")
    delivered_at = DateTime(description="When the order arrived, once confirmed.")
    is_delivered_on_time = graphene.Boolean(
        description=(
            "Whether it arrived by the promised delivery day (store time zone); null "
            "until the delivery is confirmed."
        )
    )
    closed_at = DateTime(description="When the promise was closed.")
    lines = NonNullList(
        DeliveryPromiseLine, required=True, description="The lines it covers."
    )

    class Meta:
        description = (
            "What the store promised when the order was placed (from the shipping "
            "method's delivery days, the handling time, cut-off hour, working days "
            "and holidays) and how the promise is kept."
        )

    @staticmethod
    def resolve_notified_stage(root: models.DeliveryPromise, _info):
        return root.notified_stage or None

    @staticmethod
    def resolve_customer_told_stage(root: models.DeliveryPromise, info):
        def furthest_sent(notices):
            stage = furthest_stage(
                notice_stage(notice.notice_type, (notice.context or {}).get("data"))
                for notice in notices
                if notice.status == NoticeStatus.SENT
            )
            return stage.value or None

        return (
            DelayNoticesByOrderIdLoader(info.context)
            .load(root.order_id)
            .then(furthest_sent)
        )

    @staticmethod
    def resolve_delay_notices(root: models.DeliveryPromise, info):
        return DelayNoticesByOrderIdLoader(info.context).load(root.order_id)

    @staticmethod
    def resolve_lines(root: models.DeliveryPromise, info):
        return DeliveryPromiseLinesByPromiseIdLoader(info.context).load(root.pk)


class ServiceStockShortageError(Error):
    code = ServiceStockShortageErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of the stock-shortage choice."


class ServiceStockShortageChoice(graphene.ObjectType):
    choice = ServiceStockShortageChoiceEnum(
        required=True, description="What the customer chose."
    )
    item = graphene.String(required=True, description="The item that is not in stock.")
    alternative = graphene.String(
        description="For SWITCH: the alternative the customer chose."
    )
    order_number = graphene.String(required=True, description="Number of the order.")
    chosen_at = DateTime(required=True, description="When the customer chose.")

    class Meta:
        description = (
            "A customer's answer to a stock-shortage notice, as recorded. The order "
            "itself is unchanged; staff act on the answer."
        )
