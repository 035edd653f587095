"""``serviceConversationResolve``: staff mark a conversation resolved without a
reply."""

import graphene
from django.utils import timezone
from saleor.account.models import User
from saleor.app.models import App
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import OrderPermissions

from ...conversations import reply
from ...models import Conversation
from ..conversation_types import ServiceConversation, ServiceConversationError
from .conversation_lookup import as_mutation_error, conversation_of


class ServiceConversationResolve(BaseMutation):
    conversation = graphene.Field(
        ServiceConversation, description="The conversation, resolved."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of an open conversation.")

    class Meta:
        description = (
            "Marks a conversation resolved without a reply (settled elsewhere, or "
            "needing none); the customer's wait ends and its staff alert is marked "
            "done. A new message of the customer reopens it. Requires MANAGE_ORDERS "
            "and, for staff restricted to some channels, access to its channel."
        )
        permissions = (OrderPermissions.MANAGE_ORDERS,)
        error_type_class = ServiceConversationError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, id):
        conversation = conversation_of(info, id)
        requestor = get_user_or_app_from_context(info.context)
        try:
            reply.resolve(
                conversation,
                now=timezone.now(),
                user=requestor if isinstance(requestor, User) else None,
                app=requestor if isinstance(requestor, App) else None,
            )
        except reply.ConversationError as error:
            raise as_mutation_error(error) from error
        return ServiceConversationResolve(
            conversation=Conversation.objects.get(pk=conversation.pk)
        )
