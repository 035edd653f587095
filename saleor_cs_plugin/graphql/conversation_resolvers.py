"""Resolvers of ``serviceConversations`` and ``serviceConversation``: staff and
apps with MANAGE_ORDERS read customers' conversations; staff of permission groups
restricted to some channels read those channels' only.

Saleor drops a field's permission check when the field has its own resolver, so
the resolvers check it themselves. Messages, channels, orders and users come
through DataLoaders.
"""

import uuid

import graphene
from graphql.error import GraphQLError
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.connection import create_connection_slice
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import OrderPermissions

from ..models import Conversation
from .conversation_types import ServiceConversationCountableConnection
from .resolvers import accessible_channel_ids


def conversations_in_reach(info, *, using: str = "default"):
    """The conversations the requestor may read and act on; Saleor's permission
    error without MANAGE_ORDERS."""
    requestor = get_user_or_app_from_context(info.context)
    if not (requestor and requestor.has_perm(OrderPermissions.MANAGE_ORDERS)):
        raise PermissionDenied(permissions=[OrderPermissions.MANAGE_ORDERS])
    conversations = Conversation.objects.using(using)
    channel_ids = accessible_channel_ids(info)
    if channel_ids is not None:
        conversations = conversations.filter(channel_id__in=channel_ids)
    return conversations


def conversation_pk(global_id: str):
    """The primary key a conversation's global ID names, or None."""
    try:
        type_name, pk = graphene.Node.from_global_id(global_id)
        return uuid.UUID(str(pk)) if type_name == "ServiceConversation" else None
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None


def resolve_conversations(_root, info, **kwargs):
    conversations = conversations_in_reach(
        info, using=get_database_connection_name(info.context)
    )
    filter_input = kwargs.get("filter") or {}
    if filter_input.get("channels"):
        conversations = conversations.filter(channel__slug__in=filter_input["channels"])
    if filter_input.get("statuses"):
        conversations = conversations.filter(
            status__in=[getattr(s, "value", s) for s in filter_input["statuses"]]
        )
    if filter_input.get("contact_channels"):
        conversations = conversations.filter(
            contact_channel__in=[
                getattr(c, "value", c) for c in filter_input["contact_channels"]
            ]
        )
    if filter_input.get("is_linked") is not None:
        unlinked = conversations.filter(user__isnull=True, customer_email="")
        conversations = (
            conversations.exclude(pk__in=unlinked.values("pk"))
            if filter_input["is_linked"]
            else unlinked
        )
    if filter_input.get("sender") is not None:
        conversations = conversations.filter(sender=filter_input["sender"].strip())
    return create_connection_slice(
        conversations, info, kwargs, ServiceConversationCountableConnection
    )


def resolve_conversation(_root, info, *, id):
    conversations = conversations_in_reach(
        info, using=get_database_connection_name(info.context)
    )
    pk = conversation_pk(id)
    if pk is None:
        raise GraphQLError(f"id: '{id}' is not the ID of a conversation.")
    # Outside the requestor's channels, a conversation is not found: no leak.
    return conversations.filter(pk=pk).first()
