"""``serviceConversationLink``: staff link an unknown sender's conversation to a
customer by hand (and, optionally, to one of their orders)."""

import graphene
from saleor.graphql.core.mutations import BaseMutation
from saleor.permission.enums import OrderPermissions

from ...config import is_email_address
from ...conversations import identity, reply
from ..conversation_types import (
    ConversationErrorCode,
    ServiceConversation,
    ServiceConversationError,
    validation_error,
)
from .conversation_lookup import as_mutation_error, conversation_of


class ServiceConversationLink(BaseMutation):
    conversation = graphene.Field(
        ServiceConversation, description="The conversation, linked."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the conversation.")
        customer = graphene.ID(
            description="ID of the customer's account; or give `email`."
        )
        email = graphene.String(
            description=(
                "E-mail of a customer the store knows (an account's, or a guest's "
                "on an order); or give `customer`."
            )
        )
        order = graphene.ID(
            description=(
                "ID of the order the conversation is about: one of that customer's "
                "orders in the conversation's channel."
            )
        )

    class Meta:
        description = (
            "Links a conversation to a customer, once staff know who wrote (the "
            "plugin links only through an identity the customer controls). The "
            "customer then sees its messages in their service history. Requires "
            "MANAGE_ORDERS and, for staff restricted to some channels, access to "
            "the conversation's channel."
        )
        permissions = (OrderPermissions.MANAGE_ORDERS,)
        error_type_class = ServiceConversationError

    @classmethod
    def perform_mutation(
        cls, _root, info, /, *, id, customer=None, email=None, order=None
    ):
        from saleor.graphql.account.types import User  # noqa: PLC0415
        from saleor.graphql.order.types import Order  # noqa: PLC0415

        conversation = conversation_of(info, id)
        if bool(customer) == bool(email):
            raise validation_error(
                "customer",
                "Give either customer (an account's ID) or email, not both.",
                ConversationErrorCode.REQUIRED,
            )
        if customer:
            user = cls.get_node_or_error(
                info, customer, field="customer", only_type=User
            )
            linked = identity.Customer(user_id=user.pk, email=user.email.lower())
        else:
            address = email.strip().lower()
            linked = (
                identity.find_customer(address) if is_email_address(address) else None
            )
            if linked is None:
                raise validation_error(
                    "email",
                    "No account, and no order of a guest, has this e-mail; give an "
                    "e-mail the store knows, or the customer's account.",
                    ConversationErrorCode.INVALID,
                )
        linked_order = (
            cls.get_node_or_error(info, order, field="order", only_type=Order)
            if order
            else None
        )
        try:
            conversation = reply.link(conversation, customer=linked, order=linked_order)
        except reply.ConversationError as error:
            raise as_mutation_error(error) from error
        return ServiceConversationLink(conversation=conversation)
