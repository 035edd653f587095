"""GraphQL types of conversations: a customer's messages on their own channel and
the store's replies, the filters of the staff's list, the errors of the
conversation mutations and of a customer's problem report."""

from collections import defaultdict
from enum import Enum

import graphene
from django.core.exceptions import ValidationError
from saleor.graphql.account.dataloaders import UserByUserIdLoader
from saleor.graphql.core.connection import CountableConnection
from saleor.graphql.core.context import SyncWebhookControlContext
from saleor.graphql.core.dataloaders import DataLoader
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import Error, ModelObjectType, NonNullList
from saleor.graphql.order.dataloaders import OrderByIdLoader
from saleor.graphql.utils import get_user_or_app_from_context

from .. import models
from ..domain.conversations import (
    ConversationStatus,
    Direction,
    ReportedProblem,
    is_resolved_at_first_contact,
)
from .enums import ServiceContactChannelEnum, _graphql_enum
from .resolvers import accessible_channel_ids
from .staff_alert_types import _may_see_user
from .types import ServiceNotice

try:  # Saleor 3.22 and later
    from saleor.graphql.channel.dataloaders.by_self import ChannelByIdLoader
except ImportError:  # Saleor 3.21
    from saleor.graphql.channel.dataloaders import ChannelByIdLoader


class ConversationErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    ALREADY_RESOLVED = "already_resolved"
    ALREADY_LINKED = "already_linked"
    NOT_DELIVERABLE = "not_deliverable"
    TOO_MANY_REPORTS = "too_many_reports"
    NOT_ACTIVE = "not_active"


class ServiceConversationErrorCode(graphene.Enum):
    class Meta:
        enum = ConversationErrorCode
        description = "Error codes of the conversation mutations and problem reports."


class ServiceConversationError(Error):
    code = ServiceConversationErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of a conversation mutation or a problem report."


ServiceConversationStatusEnum = _graphql_enum(
    ConversationStatus,
    "ServiceConversationStatusEnum",
    "Where a conversation stands: waiting on the store (a customer's message is "
    "not answered yet), waiting on the customer (the store answered), or resolved.",
)
ServiceMessageDirectionEnum = _graphql_enum(
    Direction,
    "ServiceMessageDirectionEnum",
    "Who wrote a message of a conversation: the customer or the store.",
)
ServiceReportedProblemEnum = _graphql_enum(
    ReportedProblem,
    "ServiceReportedProblemEnum",
    "What a customer reports about an order: it is late, something arrived "
    "damaged, a wrong item arrived, an item is missing, a coupon or the price is "
    "wrong, or another problem.",
)


class MessagesByConversationIdLoader(DataLoader):
    context_key = "saleor_cs_messages_by_conversation_id"

    def batch_load(self, keys):
        messages = defaultdict(list)
        for message in models.ConversationMessage.objects.using(
            self.database_connection_name
        ).filter(conversation_id__in=keys):
            messages[message.conversation_id].append(message)
        return [messages[key] for key in keys]


class NoticeByIdLoader(DataLoader):
    context_key = "saleor_cs_notice_by_id"

    def batch_load(self, keys):
        notices = models.Notice.objects.using(self.database_connection_name).in_bulk(
            keys
        )
        return [notices.get(key) for key in keys]


def _order_in_reach(info, order_id):
    if order_id is None:
        return None
    channel_ids = accessible_channel_ids(info)

    def visible(order):
        if order is None:
            return None
        if channel_ids is not None and order.channel_id not in channel_ids:
            return None
        return SyncWebhookControlContext(order)

    return OrderByIdLoader(info.context).load(order_id).then(visible)


class ServiceConversationMessage(ModelObjectType[models.ConversationMessage]):
    id = graphene.GlobalID(required=True, description="ID of the message.")
    direction = ServiceMessageDirectionEnum(required=True, description="Who wrote it.")
    text = graphene.String(
        required=True,
        description="What it said; empty once its customer was deleted.",
    )
    sent_at = DateTime(
        required=True,
        description=(
            "When the customer sent it (as the bridge said, never later than it "
            "arrived), or when staff replied."
        ),
    )
    bridge_message_id = graphene.String(
        required=True,
        description="The bridge's own id of a customer's message; empty otherwise.",
    )
    problem = ServiceReportedProblemEnum(
        description="For a problem report: what it is about; null otherwise."
    )
    order = graphene.Field(
        "saleor.graphql.order.types.Order",
        description="For a problem report: the order it is about.",
    )
    acting_user = graphene.Field(
        "saleor.graphql.account.types.User",
        description=(
            "Staff user who replied. Visible to that user and to staff and apps "
            "with MANAGE_STAFF or MANAGE_USERS, as in Saleor's order events."
        ),
    )
    acting_app = graphene.Field(
        "saleor.graphql.app.types.App", description="App that replied."
    )
    notice = graphene.Field(
        ServiceNotice,
        description=(
            "For a reply: the notice that delivers it once, with its status; null "
            "for a customer's message."
        ),
    )

    class Meta:
        description = "A message of a conversation: the customer's or the store's."
        model = models.ConversationMessage
        interfaces = [graphene.relay.Node]

    @staticmethod
    def resolve_problem(root: models.ConversationMessage, _info):
        return ReportedProblem(root.problem) if root.problem else None

    @staticmethod
    def resolve_order(root: models.ConversationMessage, info):
        return _order_in_reach(info, root.order_id)

    @staticmethod
    def resolve_acting_user(root: models.ConversationMessage, info):
        if root.acting_user_id is None:
            return None
        requestor = get_user_or_app_from_context(info.context)
        return (
            UserByUserIdLoader(info.context)
            .load(root.acting_user_id)
            .then(lambda user: user if _may_see_user(requestor, user) else None)
        )

    @staticmethod
    def resolve_acting_app(root: models.ConversationMessage, info):
        from saleor.graphql.app.dataloaders import AppByIdLoader  # noqa: PLC0415

        if root.acting_app_id is None:
            return None
        return AppByIdLoader(info.context).load(root.acting_app_id)

    @staticmethod
    def resolve_notice(root: models.ConversationMessage, info):
        if root.notice_id is None:
            return None
        return NoticeByIdLoader(info.context).load(root.notice_id)


class ServiceConversation(ModelObjectType[models.Conversation]):
    id = graphene.GlobalID(required=True, description="ID of the conversation.")
    channel = graphene.Field(
        "saleor.graphql.channel.types.Channel",
        description="The channel; null once it was deleted.",
    )
    contact_channel = ServiceContactChannelEnum(
        required=True, description="The customer's channel: SMS, chat, e-mail, ..."
    )
    sender = graphene.String(
        required=True,
        description=(
            "The customer's address on that channel, normalized (an e-mail in lower "
            "case, a phone number in E.164, a handle as given); empty once the "
            "customer was deleted."
        ),
    )
    is_linked = graphene.Boolean(
        required=True,
        description=(
            "Whether the conversation is linked to a customer (who then sees it in "
            "their service history)."
        ),
    )
    user = graphene.Field(
        "saleor.graphql.account.types.User",
        description=(
            "The customer's account, when linked to one. Visible to staff and apps "
            "with MANAGE_USERS or MANAGE_STAFF."
        ),
    )
    customer_email = graphene.String(
        required=True,
        description="The linked customer's e-mail, also for guests; empty if none.",
    )
    order = graphene.Field(
        "saleor.graphql.order.types.Order",
        description=(
            "The order the conversation is about, when known; null when the "
            "requestor may not see it."
        ),
    )
    status = ServiceConversationStatusEnum(
        required=True, description="Where the conversation stands."
    )
    opened_at = DateTime(
        required=True, description="When the customer's first message was sent."
    )
    waiting_since = DateTime(
        description=(
            "Since when the customer has waited for an answer; null when nobody "
            "waits on the store."
        )
    )
    first_answered_at = DateTime(description="When the store first replied.")
    resolved_at = DateTime(description="When it was resolved; null while open.")
    store_replies = graphene.Int(
        required=True, description="How many replies the store sent."
    )
    reopened = graphene.Int(
        required=True,
        description="How many times a new message reopened it after resolution.",
    )
    is_resolved_at_first_contact = graphene.Boolean(
        description=(
            "Resolved after exactly one reply of the store and never reopened; null "
            "while it is open."
        )
    )
    updated_at = DateTime(required=True, description="When it last changed.")
    messages = NonNullList(
        ServiceConversationMessage,
        required=True,
        description="Its messages, oldest first.",
    )

    class Meta:
        description = (
            "A customer's exchange with the store on one contact channel: their "
            "messages, as the store's bridges posted them or as they reported a "
            "problem, and the store's replies."
        )
        model = models.Conversation
        interfaces = [graphene.relay.Node]

    @staticmethod
    def resolve_channel(root: models.Conversation, info):
        if root.channel_id is None:
            return None
        return ChannelByIdLoader(info.context).load(root.channel_id)

    @staticmethod
    def resolve_is_linked(root: models.Conversation, _info):
        return root.user_id is not None or bool(root.customer_email)

    @staticmethod
    def resolve_user(root: models.Conversation, info):
        if root.user_id is None:
            return None
        requestor = get_user_or_app_from_context(info.context)
        return (
            UserByUserIdLoader(info.context)
            .load(root.user_id)
            .then(lambda user: user if _may_see_user(requestor, user) else None)
        )

    @staticmethod
    def resolve_order(root: models.Conversation, info):
        return _order_in_reach(info, root.order_id)

    @staticmethod
    def resolve_opened_at(root: models.Conversation, _info):
        return root.opened_at or root.created_at

    @staticmethod
    def resolve_is_resolved_at_first_contact(root: models.Conversation, _info):
        return is_resolved_at_first_contact(
            status=ConversationStatus(root.status),
            store_replies=root.store_replies,
            reopened=root.reopened,
        )

    @staticmethod
    def resolve_messages(root: models.Conversation, info):
        return MessagesByConversationIdLoader(info.context).load(root.pk)


class ServiceConversationCountableConnection(CountableConnection):
    class Meta:
        node = ServiceConversation


class ServiceConversationFilterInput(graphene.InputObjectType):
    channels = NonNullList(
        graphene.String,
        description="Only conversations of the channels with these slugs.",
    )
    statuses = NonNullList(
        ServiceConversationStatusEnum,
        description="Only conversations that stand so.",
    )
    contact_channels = NonNullList(
        ServiceContactChannelEnum,
        description="Only conversations on these contact channels.",
    )
    is_linked = graphene.Boolean(
        description=(
            "Only conversations linked to a customer (true) or only unknown "
            "senders' (false)."
        )
    )
    sender = graphene.String(
        description="Only conversations with this sender address, as normalized."
    )

    class Meta:
        description = "Filters for the list of conversations."


def validation_error(
    field: str, message: str, code: ConversationErrorCode
) -> ValidationError:
    """The mutation error of ``field``, as Saleor's mutations answer with data."""
    return ValidationError({field: ValidationError(message, code=code.value)})
