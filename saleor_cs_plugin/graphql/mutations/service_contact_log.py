"""``serviceContactLog``: staff record a contact that happened outside the store."""

import uuid

import graphene
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from saleor.account.models import User as UserModel
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.account.types import User
from saleor.graphql.app.dataloaders import get_app_promise
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.order.types import Order
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import AccountPermissions, OrderPermissions

from ... import events, staff_alerts
from ...domain.alerts import survey_call_back_key
from ...domain.history import ContactChannel, ContactLog, check_contact_log
from ...domain.surveys import ProblemKind
from ...error_codes import ServiceHistoryErrorCode
from ...models import Survey
from ...surveys import answers as survey_answers
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
    survey = graphene.ID(
        description=(
            "ID of the survey (ServiceSurvey) this contact calls the customer back "
            "about, of the same order or customer; requires MANAGE_ORDERS. The entry "
            "names the survey and the survey's call-back alert is marked done."
        )
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
            "MANAGE_ORDERS; one about a customer requires MANAGE_USERS. A contact "
            "may be the call back a survey asked for (survey); any other contact "
            "with a customer may be followed by a survey about it, where the "
            "order's channel asks after problems."
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
        survey = cls._survey(
            info, requestor, input, user=user, email=email, order=order
        )
        app = get_app_promise(info.context).get()
        acting_user = info.context.user if app is None else None
        now = timezone.now()
        with transaction.atomic():
            entry = events.contact_logged_event(
                contact_channel=ContactChannel(contact.contact_channel),
                summary=contact.summary,
                is_resolved_at_first_contact=contact.is_resolved_at_first_contact,
                is_customer_visible=contact.is_customer_visible,
                user=user,
                customer_email=email,
                order=order,
                acting_user=acting_user,
                acting_app=app,
                social_network=contact.social_network,
                survey_id=(
                    survey_answers.global_id(survey) if survey is not None else ""
                ),
            )
            if survey is not None:
                staff_alerts.resolve_cause(
                    survey_call_back_key(survey_answers.global_id(survey)),
                    now=now,
                    user=acting_user,
                    app=app,
                )
            elif entry.customer_email:
                # The survey asks how this contact went, not the call back of one.
                from ...surveys.schedule import (  # noqa: PLC0415
                    schedule_after_problem,
                )

                schedule_after_problem(
                    kind=ProblemKind.CONTACT,
                    ref=str(entry.pk),
                    order_id=entry.order_id,
                    user_id=entry.user_id,
                    email=entry.customer_email,
                    channel_id=order.channel_id if order is not None else None,
                    handled_at=now,
                )
        return ServiceContactLog(entry=entry)

    @classmethod
    def _survey(cls, info, requestor, input, *, user, email, order):
        survey_id = input.get("survey")
        if not survey_id:
            return None
        # The call back is the order desk's, as its alert is.
        _require(requestor, OrderPermissions.MANAGE_ORDERS)
        not_found = ValidationError(
            {
                "survey": ValidationError(
                    f"'{survey_id}' is not the ID of a survey.",
                    code=ServiceHistoryErrorCode.NOT_FOUND.value,
                )
            }
        )
        try:
            type_name, pk = graphene.Node.from_global_id(survey_id)
            pk = uuid.UUID(pk)
        except (ValueError, TypeError, UnicodeDecodeError) as error:
            raise not_found from error
        survey = (
            Survey.objects.filter(pk=pk).first()
            if type_name == "ServiceSurvey"
            else None
        )
        if survey is None:
            raise not_found
        channel_ids = accessible_channel_ids(info)
        if channel_ids is not None and survey.channel_id not in channel_ids:
            raise PermissionDenied(
                message="You do not have access to the channel of this survey."
            )
        if not _survey_belongs_to(survey, user=user, email=email, order=order):
            raise ValidationError(
                {
                    "survey": ValidationError(
                        "This survey is about another order or customer than the "
                        "contact.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            )
        return survey

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


def _survey_belongs_to(survey, *, user, email: str, order) -> bool:
    """Whether the survey is of the contact's order, else of its customer."""
    if order is not None:
        return survey.order_id == order.pk
    if user is not None:
        return survey.user_id == user.pk or (
            survey.user_id is None and survey.email == user.email.lower()
        )
    return bool(email) and survey.email == email


def _require(requestor, permission):
    if not requestor.has_perm(permission):
        raise PermissionDenied(permissions=[permission])
