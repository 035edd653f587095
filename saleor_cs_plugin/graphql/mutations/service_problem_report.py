"""``serviceProblemReport``: a customer reports a problem with an order from the
storefront, signed in or as a guest holding Saleor's order token."""

import uuid

import graphene
from django.utils import timezone
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.scalars import UUID
from saleor.order import OrderStatus
from saleor.order.models import Order

from ... import fetch
from ...config import SettingsError
from ...conversations import report
from ...conversations.reply import ConversationError
from ...domain.conversations import ReportedProblem
from ...models import ServiceHistoryEntry
from ...tasks import schedule_delivery
from ..conversation_types import (
    ConversationErrorCode,
    ServiceConversationError,
    ServiceReportedProblemEnum,
    validation_error,
)
from ..types import ServiceHistoryEntry as ServiceHistoryEntryType
from .conversation_lookup import as_mutation_error


def _order_pk(global_id: str):
    try:
        type_name, pk = graphene.Node.from_global_id(global_id)
        return uuid.UUID(str(pk)) if type_name == "Order" else None
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None


def _orders():
    return Order.objects.exclude(status=OrderStatus.DRAFT).select_related(
        "user", "channel"
    )


class ServiceProblemReport(BaseMutation):
    entry = graphene.Field(
        ServiceHistoryEntryType,
        description=("The report, as it now stands in the customer's service history."),
    )

    class Arguments:
        order_id = graphene.ID(
            description=(
                "ID of the order, for the signed-in customer who placed it; or give "
                "`orderToken`."
            )
        )
        order_token = UUID(
            description=(
                "Saleor's token of the order (as `orderByToken` takes it), for a "
                "guest; or give `orderId`."
            )
        )
        problem = ServiceReportedProblemEnum(
            required=True, description="What the problem is about."
        )
        text = graphene.String(
            required=True,
            description="The customer's own words: 1 to 5,000 characters.",
        )

    class Meta:
        description = (
            "Reports a problem with an order: a conversation on the web opens (or "
            "the customer's open one takes it) with the order attached, and staff "
            "are alerted in the inbox. The store answers by e-mail. Allowed to the "
            "signed-in customer who placed the order (`orderId`) and to whoever "
            "holds its token (`orderToken`); at most 5 reports per order in 24 "
            "hours."
        )
        error_type_class = ServiceConversationError

    @classmethod
    def perform_mutation(
        cls, _root, info, /, *, problem, text, order_id=None, order_token=None
    ):
        if bool(order_id) == bool(order_token):
            raise validation_error(
                "orderId",
                "Give either orderId (signed in) or orderToken, not both.",
                ConversationErrorCode.REQUIRED,
            )
        order = cls._order(info, order_id, order_token)
        try:
            plugin = fetch.channel_plugin(order.channel_id)
        except SettingsError as error:
            raise validation_error(
                "orderId" if order_id else "orderToken",
                "The store cannot take problem reports in this channel now.",
                ConversationErrorCode.NOT_ACTIVE,
            ) from error
        if not plugin.is_active:
            raise validation_error(
                "orderId" if order_id else "orderToken",
                "The store takes no problem reports in this channel.",
                ConversationErrorCode.NOT_ACTIVE,
            )
        try:
            reported = report.report_problem(
                order,
                problem=ReportedProblem(getattr(problem, "value", problem)),
                text=text,
                channel_settings=plugin.settings,
                now=timezone.now(),
            )
        except ConversationError as error:
            if error.field == "order":
                error.field = "orderId" if order_id else "orderToken"
            raise as_mutation_error(error) from error
        schedule_delivery(reported.notice_ids)
        return ServiceProblemReport(
            entry=ServiceHistoryEntry.objects.get(pk=reported.entry_id)
        )

    @staticmethod
    def _order(info, order_id, order_token) -> Order:
        if order_token:
            order = _orders().filter(pk=order_token).first()
            if order is None:
                raise validation_error(
                    "orderToken",
                    "No order has this token.",
                    ConversationErrorCode.NOT_FOUND,
                )
            return order
        pk = _order_pk(order_id)
        user = info.context.user
        order = (
            _orders().filter(pk=pk, user_id=user.pk).first()
            if pk is not None and user and user.is_authenticated
            else None
        )
        if order is None:
            # Someone else's order is not found either: no leak.
            raise validation_error(
                "orderId",
                f"No order of yours has the ID '{order_id}'; sign in as its "
                "customer, or give its token.",
                ConversationErrorCode.NOT_FOUND,
            )
        return order
