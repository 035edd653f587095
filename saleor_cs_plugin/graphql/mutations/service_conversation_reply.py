"""``serviceConversationReply``: staff (or an app) answer a customer's
conversation; the reply goes back once on the customer's own channel."""

import graphene
from django.utils import timezone
from saleor.account.models import User
from saleor.app.models import App
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import OrderPermissions

from ... import fetch
from ...config import SettingsError
from ...conversations import reply
from ...models import Conversation, ConversationMessage
from ...tasks import schedule_delivery
from ..conversation_types import (
    ConversationErrorCode,
    ServiceConversation,
    ServiceConversationError,
    ServiceConversationMessage,
    validation_error,
)
from .conversation_lookup import as_mutation_error, conversation_of


class ServiceConversationReply(BaseMutation):
    conversation = graphene.Field(
        ServiceConversation, description="The conversation, as it stands now."
    )
    message = graphene.Field(
        ServiceConversationMessage,
        description="The reply (the first one, when its reply key was used before).",
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the conversation.")
        text = graphene.String(
            required=True,
            description=(
                "The reply, as the customer will read it: 1 to 5,000 characters, "
                "line breaks allowed."
            ),
        )
        resolve = graphene.Boolean(
            default_value=False,
            description=(
                "Also mark the conversation resolved (the matter is settled); "
                "otherwise it waits on the customer."
            ),
        )
        reply_key = graphene.String(
            description=(
                "A key of the client's own (up to 100 characters), e.g. one per "
                "reply box: the same key twice in a conversation sends one reply, "
                "and the second call answers with the first."
            )
        )

    class Meta:
        description = (
            "Answers a conversation. The reply becomes its message and a "
            "service-history entry, ends the customer's wait (its staff alert is "
            "marked done) and is delivered once by a notice: by the signed webhook "
            "to the bridge the customer wrote from, or by e-mail for conversations "
            "by e-mail and problem reports. Requires MANAGE_ORDERS and, for staff "
            "restricted to some channels, access to the conversation's channel."
        )
        permissions = (OrderPermissions.MANAGE_ORDERS,)
        error_type_class = ServiceConversationError

    @classmethod
    def perform_mutation(
        cls, _root, info, /, *, id, text, resolve=False, reply_key=None
    ):
        conversation = conversation_of(info, id)
        try:
            plugin = fetch.channel_plugin(conversation.channel_id)
        except SettingsError as error:
            raise validation_error(
                "id",
                f"The channel's saved settings are invalid: {error}",
                ConversationErrorCode.NOT_DELIVERABLE,
            ) from error
        if not plugin.is_active:
            raise validation_error(
                "id",
                "The plugin is not active in the conversation's channel, so no reply "
                "can be delivered there.",
                ConversationErrorCode.NOT_ACTIVE,
            )
        channel_settings = plugin.settings
        requestor = get_user_or_app_from_context(info.context)
        try:
            replied = reply.reply(
                conversation,
                text=text,
                is_resolving=bool(resolve),
                reply_key=reply_key or "",
                channel_settings=channel_settings,
                now=timezone.now(),
                user=requestor if isinstance(requestor, User) else None,
                app=requestor if isinstance(requestor, App) else None,
            )
        except reply.ConversationError as error:
            raise as_mutation_error(error) from error
        if replied.is_new:
            schedule_delivery([replied.notice_id])
        return ServiceConversationReply(
            conversation=Conversation.objects.get(pk=conversation.pk),
            message=ConversationMessage.objects.get(pk=replied.message_id),
        )
