"""``serviceContactLog``: staff record a contact that happened outside the store."""

import graphene
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from saleor.account.models import User as UserModel
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.account.types import User
from saleor.graphql.app.dataloaders import get_app_promise
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.order.types import Order
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import AccountPermissions, OrderPermissions

from ... import events
from ...domain.history import ContactChannel, ContactLog, check_contact_log
from ...error_codes import ServiceHistoryErrorCode
from ..enums import ServiceContactChannelEnum
from ..resolvers import accessible_channel_ids
from ..types import ServiceHistoryEntry, ServiceHistoryError


class ServiceContactLogInput(graphene.InputObjectType):
    customer = graphene.ID(description="ID of the customer's account.")
    customer_email = graphene.String(
        description=(
            "E-mail address of the customer, for guests. An address that belongs to "
            "an account links the entry to that account."
        )
    )
    order = graphene.ID(description="ID of the order the contact was about.")
    contact_channel = ServiceContactChannelEnum(
        required=True, description="How the customer was in touch (not SYSTEM)."
    )
    social_network = graphene.String(
        description="For SOCIAL contacts: the network, e.g. Twitter or Facebook."
    )
    summary = graphene.String(
        required=True, description="What the contact was about and what was agreed."
    )
    is_resolved_at_first_contact = graphene.Boolean(
        required=True,
        description="Whether the customer's matter was settled in this contact.",
    )
    is_customer_visible = graphene.Boolean(
        required=True,
        description="Whether the customer sees this entry in their service history.",
    )

    class Meta:
        description = "A contact with a customer that happened outside the store."


class ServiceContactLog(BaseMutation):
    entry = graphene.Field(ServiceHistoryEntry, description="The recorded entry.")

    class Arguments:
        input = ServiceContactLogInput(
            required=True, description="The contact to record."
        )

    class Meta:
        description = (
            "Records a phone call, chat, SMS, social-media message or e-mail with a "
            "customer in their service history. A contact about an order requires "
            "MANAGE_ORDERS; one about a customer requires MANAGE_USERS."
        )
        permissions = (AccountPermissions.MANAGE_USERS, OrderPermissions.MANAGE_ORDERS)
        error_type_class = ServiceHistoryError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, input):
        requestor = get_user_or_app_from_context(info.context)
        user = cls._customer(info, requestor, input)
        order = cls._order(info, requestor, input)
        email = (input.get("customer_email") or "").strip().lower()
        if order is not None and not _order_belongs_to(order, user, email):
            raise ValidationError(
                {
                    "order": ValidationError(
                        "This order belongs to another customer.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            )
        contact = ContactLog(
            contact_channel=input["contact_channel"],
            summary=input["summary"],
            is_resolved_at_first_contact=input["is_resolved_at_first_contact"],
            is_customer_visible=input["is_customer_visible"],
            has_customer=user is not None or bool(input.get("customer_email")),
            has_order=order is not None,
            social_network=(input.get("social_network") or "").strip(),
        )
        problems = check_contact_log(contact)
        if problems:
            raise ValidationError(
                {
                    problem.field: ValidationError(
                        problem.message,
                        code=ServiceHistoryErrorCode[problem.code].value,
                    )
                    for problem in problems
                }
            )
        app = get_app_promise(info.context).get()
        entry = events.contact_logged_event(
            contact_channel=ContactChannel(contact.contact_channel),
            summary=contact.summary,
            is_resolved_at_first_contact=contact.is_resolved_at_first_contact,
            is_customer_visible=contact.is_customer_visible,
            user=user,
            customer_email=email,
            order=order,
            acting_user=info.context.user if app is None else None,
            acting_app=app,
            social_network=contact.social_network,
        )
        return ServiceContactLog(entry=entry)

    @classmethod
    def _customer(cls, info, requestor, input):
        customer_id = input.get("customer")
        email = (input.get("customer_email") or "").strip()
        if not (customer_id or email):
            return None
        _require(requestor, AccountPermissions.MANAGE_USERS)
        if customer_id:
            return cls.get_node_or_error(
                info, customer_id, field="customer", only_type=User
            )
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError(
                {
                    "customer_email": ValidationError(
                        f"'{email}' is not an e-mail address.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            ) from error
        return UserModel.objects.filter(email__iexact=email).first()

    @classmethod
    def _order(cls, info, requestor, input):
        if not input.get("order"):
            return None
        _require(requestor, OrderPermissions.MANAGE_ORDERS)
        order = cls.get_node_or_error(
            info, input["order"], field="order", only_type=Order
        )
        channel_ids = accessible_channel_ids(info)
        if channel_ids is not None and order.channel_id not in channel_ids:
            raise PermissionDenied(
                message="You do not have access to the channel of this order."
            )
        return order


def _order_belongs_to(order, user, email: str) -> bool:
    """Whether the given customer (account or e-mail) is the order's customer."""
    order_email = (order.user_email or "").lower()
    if user is not None:
        if order.user_id is not None:
            return order.user_id == user.pk
        return not order_email or order_email == user.email.lower()
    if email:
        if order.user_id is not None:
            return order.user is not None and order.user.email.lower() == email
        return not order_email or order_email == email
    return True


def _require(requestor, permission):
    if not requestor.has_perm(permission):
        raise PermissionDenied(permissions=[permission])
