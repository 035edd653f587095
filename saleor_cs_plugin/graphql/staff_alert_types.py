"""GraphQL types of the staff inbox: alerts, their filters and the errors of marking
one done."""

from enum import Enum

import graphene
from saleor.graphql.account.dataloaders import UserByUserIdLoader
from saleor.graphql.app.dataloaders import AppByIdLoader
from saleor.graphql.core.connection import CountableConnection
from saleor.graphql.core.context import SyncWebhookControlContext
from saleor.graphql.core.fields import JSONString
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import Error, ModelObjectType, NonNullList
from saleor.graphql.core.types.common import DateTimeRangeInput
from saleor.graphql.order.dataloaders import OrderByIdLoader
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import AccountPermissions, OrderPermissions

from .. import models
from ..domain.alerts import AlertKind
from .staff_alert_access import reach_of

try:  # Saleor 3.22 and later
    from saleor.graphql.channel.dataloaders.by_self import ChannelByIdLoader
except ImportError:  # Saleor 3.21
    from saleor.graphql.channel.dataloaders import ChannelByIdLoader


class StaffAlertErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    ALREADY_RESOLVED = "already_resolved"


class ServiceStaffAlertKindEnum(graphene.Enum):
    class Meta:
        enum = AlertKind
        description = (
            "What a staff alert is about: a promoted code that stopped working or "
            "is about to (read with MANAGE_DISCOUNTS), a customer's answer to a "
            "stock-shortage notice (MANAGE_ORDERS), a survey answer asking staff to "
            "call the customer back (MANAGE_ORDERS), a customer waiting past an "
            "answer target or reporting a problem with an order (MANAGE_ORDERS), or "
            "notices of a channel failing "
            "for a reason only the merchant can fix (MANAGE_PLUGINS)."
        )


class ServiceStaffAlertErrorCode(graphene.Enum):
    class Meta:
        enum = StaffAlertErrorCode
        description = "Error codes of the staff-inbox mutations."


class ServiceStaffAlertError(Error):
    code = ServiceStaffAlertErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of a staff-inbox mutation."


def _may_see_user(requestor, user) -> bool:
    # As Saleor's order events show who acted.
    return bool(requestor) and (
        requestor == user
        or requestor.has_perm(AccountPermissions.MANAGE_USERS)
        or requestor.has_perm(AccountPermissions.MANAGE_STAFF)
    )


class ServiceStaffAlert(ModelObjectType[models.StaffAlert]):
    id = graphene.GlobalID(required=True, description="ID of the alert.")
    kind = ServiceStaffAlertKindEnum(required=True, description="What it is about.")
    title = graphene.String(required=True, description="What happened, in one line.")
    message = graphene.String(
        required=True,
        description="What happened and what staff can do, as last seen.",
    )
    details = JSONString(
        required=True, description="Structured details of the cause, as last seen."
    )
    channel = graphene.Field(
        "saleor.graphql.channel.types.Channel",
        description="The channel it concerns; null when it concerns no one channel.",
    )
    order = graphene.Field(
        "saleor.graphql.order.types.Order",
        description=(
            "The order it concerns; null when it concerns no order or the requestor "
            "may not see the order (MANAGE_ORDERS, in the order's channel)."
        ),
    )
    occurrences = graphene.Int(
        required=True,
        description="How many times its cause was seen while the alert was open.",
    )
    created_at = DateTime(required=True, description="When it was raised.")
    last_seen_at = DateTime(required=True, description="When its cause was last seen.")
    is_open = graphene.Boolean(
        required=True, description="Whether it still waits for staff."
    )
    resolved_at = DateTime(description="When it was marked done; null while open.")
    resolved_by = graphene.Field(
        "saleor.graphql.account.types.User",
        description=(
            "Staff user who marked it done. Visible to that user and to staff and "
            "apps with MANAGE_STAFF or MANAGE_USERS, as in Saleor's order events."
        ),
    )
    resolved_by_app = graphene.Field(
        "saleor.graphql.app.types.App", description="App that marked it done."
    )

    class Meta:
        description = (
            "Something staff should act on, raised by the plugin. A cause seen again "
            "while its alert is open counts as another occurrence of it."
        )
        model = models.StaffAlert
        interfaces = [graphene.relay.Node]

    @staticmethod
    def resolve_is_open(root: models.StaffAlert, _info):
        return root.resolved_at is None

    @staticmethod
    def resolve_channel(root: models.StaffAlert, info):
        if root.channel_id is None:
            return None
        return ChannelByIdLoader(info.context).load(root.channel_id)

    @staticmethod
    def resolve_order(root: models.StaffAlert, info):
        requestor = get_user_or_app_from_context(info.context)
        if root.order_id is None or not (
            requestor and requestor.has_perm(OrderPermissions.MANAGE_ORDERS)
        ):
            return None
        channel_ids = reach_of(info).channel_ids

        def visible(order):
            if order is None:
                return None
            if channel_ids is not None and order.channel_id not in channel_ids:
                return None
            return SyncWebhookControlContext(order)

        return OrderByIdLoader(info.context).load(root.order_id).then(visible)

    @staticmethod
    def resolve_resolved_by(root: models.StaffAlert, info):
        if root.resolved_by_user_id is None:
            return None
        requestor = get_user_or_app_from_context(info.context)
        return (
            UserByUserIdLoader(info.context)
            .load(root.resolved_by_user_id)
            .then(lambda user: user if _may_see_user(requestor, user) else None)
        )

    @staticmethod
    def resolve_resolved_by_app(root: models.StaffAlert, info):
        if root.resolved_by_app_id is None:
            return None
        return AppByIdLoader(info.context).load(root.resolved_by_app_id)


class ServiceStaffAlertCountableConnection(CountableConnection):
    class Meta:
        node = ServiceStaffAlert


class ServiceStaffAlertFilterInput(graphene.InputObjectType):
    kinds = NonNullList(
        ServiceStaffAlertKindEnum,
        description="Only alerts of these kinds (of those the requestor may read).",
    )
    is_open = graphene.Boolean(
        description="Only open alerts (true) or only those marked done (false)."
    )
    channels = NonNullList(
        graphene.String,
        description="Only alerts of the channels with these slugs.",
    )
    created_at = graphene.Field(
        DateTimeRangeInput, description="Only alerts raised in this range."
    )

    class Meta:
        description = "Filters for the staff inbox."
