"""Mounts the plugin's fields into Saleor's own GraphQL schema.

Saleor offers plugins no way to extend its schema. Its schema is built when
``saleor.graphql.api`` is first imported, which on every supported Saleor happens after
all apps are ready. So, from ``AppConfig.ready()``, this module adds

- ``serviceHistory`` to Saleor's ``User`` and ``Order`` types,
  ``serviceNoticePreferences`` and ``serviceSurveys`` to ``User`` and
  ``deliveryPromise`` to ``Order``;
- ``serviceNotices``, ``serviceCouponCheck``, ``servicePromotedCodes``,
  ``serviceCouponFailureStats``, ``serviceSurvey``, ``serviceStaffAlerts``,
  ``serviceConversations`` and ``serviceConversation`` to the queries Saleor
  collects from ``AccountQueries``, and ``serviceCouponNotice`` to
  ``Checkout``;
- ``serviceContactLog``, ``serviceNoticeRetry``, ``serviceNoticePreferencesUpdate``,
  ``serviceDeliveryConfirm``, ``serviceStockShortageChoose``, ``serviceCouponApply``,
  ``servicePromotedCodeRegister``, ``servicePromotedCodeRemove``,
  ``serviceSurveyAnswer``, ``serviceStaffAlertResolve``,
  ``serviceConversationReply``, ``serviceConversationResolve``,
  ``serviceConversationLink`` and ``serviceProblemReport`` to the mutations Saleor
  collects from ``AccountMutations``;
- and it wraps the resolver of Saleor's ``checkoutComplete`` so that its generic
  "Voucher not applicable" error says why (same field, same error code),

and nowhere else is Saleor's schema touched. Every field it mounts refuses text that
PostgreSQL cannot store (a NUL character, half of a surrogate pair) in any argument,
naming the argument, before its resolver runs (``refusing_unstorable_text``). Every assumption this relies on is checked:
if Saleor has already built its schema, or already has a field of the same name, start-up
fails with ImproperlyConfigured; the Django system check below fails if the built schema
lacks any of the fields (run by ``manage.py check``, ``migrate`` and ``runserver``).
"""

import re
import sys
from functools import wraps

import graphene
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from graphene.types.unmountedtype import UnmountedType
from graphene.utils.str_converters import to_camel_case
from graphql.error import GraphQLError
from saleor.graphql.account.schema import AccountMutations, AccountQueries
from saleor.graphql.account.types import User
from saleor.graphql.checkout.types import Checkout
from saleor.graphql.core.enums import LanguageCodeEnum
from saleor.graphql.core.fields import ConnectionField
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import NonNullList
from saleor.graphql.order.types import Order

from .coupon_resolvers import (
    explaining_voucher_errors,
    resolve_checkout_coupon_notice,
    resolve_coupon_check,
)
from .coupon_types import ServiceCouponDiagnosis, ServiceCouponNotice
from .conversation_resolvers import resolve_conversation, resolve_conversations
from .conversation_types import (
    ServiceConversation,
    ServiceConversationCountableConnection,
    ServiceConversationFilterInput,
)
from .enums import PromotedCodeHealthEnum
from .mutations.service_contact_log import ServiceContactLog
from .mutations.service_conversation_link import ServiceConversationLink
from .mutations.service_conversation_reply import ServiceConversationReply
from .mutations.service_conversation_resolve import ServiceConversationResolve
from .mutations.service_coupon_apply import ServiceCouponApply
from .mutations.service_delivery_confirm import ServiceDeliveryConfirm
from .mutations.service_notice_preferences_update import (
    ServiceNoticePreferencesUpdate,
)
from .mutations.service_notice_retry import ServiceNoticeRetry
from .mutations.service_problem_report import ServiceProblemReport
from .mutations.service_promoted_code_register import ServicePromotedCodeRegister
from .mutations.service_promoted_code_remove import ServicePromotedCodeRemove
from .mutations.service_staff_alert_resolve import ServiceStaffAlertResolve
from .mutations.service_stock_shortage_choose import ServiceStockShortageChoose
from .mutations.service_survey_answer import ServiceSurveyAnswer
from .promoted_code_resolvers import (
    resolve_coupon_failure_stats,
    resolve_promoted_codes,
)
from .promoted_code_types import CouponFailureCount, PromotedCode
from .resolvers import (
    resolve_order_delivery_promise,
    resolve_order_service_history,
    resolve_service_notices,
    resolve_user_notice_preferences,
    resolve_user_service_history,
)
from .staff_alert_resolvers import resolve_staff_alerts
from .survey_resolvers import resolve_service_survey, resolve_user_service_surveys
from .survey_types import ServiceSurvey, ServiceSurveyResult
from .staff_alert_types import (
    ServiceStaffAlertCountableConnection,
    ServiceStaffAlertFilterInput,
)
from .metrics_resolvers import service_metrics_field
from .types import (
    DeliveryPromise,
    ServiceHistoryEntryCountableConnection,
    ServiceHistoryFilterInput,
    ServiceNoticeCountableConnection,
    ServiceNoticeFilterInput,
    ServiceNoticePreferences,
)

SALEOR_SCHEMA_MODULE = "saleor.graphql.api"

# (GraphQL type name, GraphQL field name) that must exist once Saleor built its schema.
MOUNTED_FIELDS = (
    ("User", "serviceHistory"),
    ("Order", "serviceHistory"),
    ("User", "serviceNoticePreferences"),
    ("Order", "deliveryPromise"),
    ("Query", "serviceNotices"),
    ("Mutation", "serviceContactLog"),
    ("Mutation", "serviceNoticeRetry"),
    ("Mutation", "serviceNoticePreferencesUpdate"),
    ("Mutation", "serviceDeliveryConfirm"),
    ("Mutation", "serviceStockShortageChoose"),
    ("Checkout", "serviceCouponNotice"),
    ("Query", "serviceCouponCheck"),
    ("Mutation", "serviceCouponApply"),
    ("Query", "servicePromotedCodes"),
    ("Query", "serviceCouponFailureStats"),
    ("Mutation", "servicePromotedCodeRegister"),
    ("Mutation", "servicePromotedCodeRemove"),
    ("Query", "serviceStaffAlerts"),
    ("Query", "serviceMetrics"),
    ("Mutation", "serviceStaffAlertResolve"),
    ("Query", "serviceSurvey"),
    ("Mutation", "serviceSurveyAnswer"),
    ("User", "serviceSurveys"),
    ("Query", "serviceConversations"),
    ("Query", "serviceConversation"),
    ("Mutation", "serviceConversationReply"),
    ("Mutation", "serviceConversationResolve"),
    ("Mutation", "serviceConversationLink"),
    ("Mutation", "serviceProblemReport"),
)


def _history_field(resolver, description: str) -> ConnectionField:
    return ConnectionField(
        ServiceHistoryEntryCountableConnection,
        filter=ServiceHistoryFilterInput(description="Filtering options."),
        description=description,
        resolver=resolver,
    )


def extend_saleor_schema() -> None:
    if SALEOR_SCHEMA_MODULE in sys.modules:
        raise ImproperlyConfigured(
            f"saleor_cs_plugin: {SALEOR_SCHEMA_MODULE} was imported before the "
            "plugin's app was ready, so Saleor built its GraphQL schema without the "
            "plugin's fields. Check that nothing imports it during Django set-up."
        )
    _add_field(
        User,
        "service_history",
        _history_field(
            resolve_user_service_history,
            "The customer's service history, newest first. The customer sees the "
            "entries meant for them; staff and apps with MANAGE_USERS see all.",
        ),
    )
    _add_field(
        Order,
        "service_history",
        _history_field(
            resolve_order_service_history,
            "The order's service history, newest first. The customer who placed the "
            "order sees the entries meant for them; staff and apps with "
            "MANAGE_ORDERS see all.",
        ),
    )
    _add_field(
        User,
        "service_notice_preferences",
        graphene.Field(
            ServiceNoticePreferences,
            description=(
                "The customer's choices about proactive notices. Visible to the "
                "customer and to staff and apps with MANAGE_USERS."
            ),
            resolver=resolve_user_notice_preferences,
        ),
    )
    _add_field(
        Order,
        "delivery_promise",
        graphene.Field(
            DeliveryPromise,
            description=(
                "What the store promised about shipping and delivery when the order "
                "was placed, and how the promise is kept; null when the order needs "
                "no shipping or its method has no delivery days. Visible to the "
                "customer who placed the order and to staff and apps with "
                "MANAGE_ORDERS."
            ),
            resolver=resolve_order_delivery_promise,
        ),
    )
    # Saleor's account schema module is the one that imports cleanly this early
    # (importing its order schema first runs into a circular import in Saleor).
    _add_root_field(
        AccountQueries,
        "service_notices",
        ConnectionField(
            ServiceNoticeCountableConnection,
            filter=ServiceNoticeFilterInput(description="Filtering options."),
            # Saleor drops a field's permission check when the field has its own
            # resolver, so the resolver checks MANAGE_ORDERS itself.
            description=(
                "Proactive notices, newest first, e.g. the failed ones. Requires "
                "MANAGE_ORDERS."
            ),
            resolver=resolve_service_notices,
        ),
    )
    _add_root_field(AccountMutations, "service_contact_log", ServiceContactLog.Field())
    _add_root_field(
        AccountMutations, "service_notice_retry", ServiceNoticeRetry.Field()
    )
    _add_root_field(
        AccountMutations,
        "service_notice_preferences_update",
        ServiceNoticePreferencesUpdate.Field(),
    )
    _add_root_field(
        AccountMutations, "service_delivery_confirm", ServiceDeliveryConfirm.Field()
    )
    _add_root_field(
        AccountMutations,
        "service_stock_shortage_choose",
        ServiceStockShortageChoose.Field(),
    )
    _add_field(
        Checkout,
        "service_coupon_notice",
        graphene.Field(
            ServiceCouponNotice,
            description=(
                "Set when Saleor removed the checkout's promo code because a change "
                "made it stop applying: which code and why. Cleared when another "
                "code is applied."
            ),
            resolver=resolve_checkout_coupon_notice,
        ),
    )
    _add_root_field(
        AccountQueries,
        "service_coupon_check",
        graphene.Field(
            ServiceCouponDiagnosis,
            id=graphene.ID(required=True, description="ID of the checkout."),
            code=graphene.String(required=True, description="The promo code."),
            language_code=graphene.Argument(
                LanguageCodeEnum,
                description=(
                    "The language of the message, when the plugin speaks it; "
                    "otherwise, and when omitted, the checkout's languageCode, then "
                    "the shopper's, then the channel's language."
                ),
            ),
            description=(
                "Checks a promo code against a checkout without applying it: whether "
                "it applies, what it takes off, and if not, why (in the channel's "
                "wording and as facts) and which promoted codes apply instead. A "
                "failed code counts towards the checkout's and the client's rate "
                "limits. Staff with MANAGE_DISCOUNTS see every true reason; shoppers "
                "see codes that are not promoted as unknown until they start and in "
                "other channels, as Saleor answers."
            ),
            resolver=resolve_coupon_check,
        ),
    )
    _add_root_field(
        AccountMutations, "service_coupon_apply", ServiceCouponApply.Field()
    )
    _mount_promoted_codes()
    _mount_surveys()
    _mount_staff_inbox()
    _mount_conversations()
    _explain_checkout_complete()
    _mount_service_metrics()


def _mount_promoted_codes() -> None:
    # The resolvers check MANAGE_DISCOUNTS themselves (see serviceNotices).
    _add_root_field(
        AccountQueries,
        "service_promoted_codes",
        NonNullList(
            PromotedCode,
            required=True,
            channel=graphene.String(description="Only codes promoted in this channel."),
            health=NonNullList(
                PromotedCodeHealthEnum,
                description="Only codes in one of these states.",
            ),
            include_ended=graphene.Boolean(
                default_value=False,
                description="Also codes whose promotion has ended.",
            ),
            description=(
                "Promoted codes, by code and channel, with their health computed "
                "now. Requires MANAGE_DISCOUNTS."
            ),
            resolver=resolve_promoted_codes,
        ),
    )
    _add_root_field(
        AccountQueries,
        "service_coupon_failure_stats",
        NonNullList(
            CouponFailureCount,
            required=True,
            since=DateTime(required=True, description="Start of the period."),
            until=DateTime(
                description="End of the period (excluded); now when omitted."
            ),
            channel=graphene.String(description="Only failures in this channel."),
            description=(
                "How often promo codes failed in a period, by code and reason, the "
                "most frequent first. Requires MANAGE_DISCOUNTS."
            ),
            resolver=resolve_coupon_failure_stats,
        ),
    )
    _add_root_field(
        AccountMutations,
        "service_promoted_code_register",
        ServicePromotedCodeRegister.Field(),
    )
    _add_root_field(
        AccountMutations,
        "service_promoted_code_remove",
        ServicePromotedCodeRemove.Field(),
    )


def _mount_surveys() -> None:
    _add_root_field(
        AccountQueries,
        "service_survey",
        graphene.Field(
            ServiceSurveyResult,
            required=True,
            token=graphene.String(
                required=True,
                description=(
                    "The token of the link in the survey notice (its `token` query "
                    "parameter)."
                ),
            ),
            language_code=graphene.Argument(
                LanguageCodeEnum,
                description=(
                    "The language of the questions, when the plugin speaks it; "
                    "otherwise, and when omitted, the language the survey was sent "
                    "in, then the order's or checkout's, then the channel's."
                ),
            ),
            description=(
                "The follow-up survey a link's token opens, without signing in: the "
                "questions in the customer's language, what is answered, and the "
                "order's number and items. A forged or changed token, or one of a "
                "survey that no longer exists, is an error; a closed survey is "
                "shown with a CLOSED error."
            ),
            resolver=resolve_service_survey,
        ),
    )
    _add_root_field(
        AccountMutations, "service_survey_answer", ServiceSurveyAnswer.Field()
    )
    _add_field(
        User,
        "service_surveys",
        graphene.Field(
            NonNullList(ServiceSurvey, required=True),
            is_open=graphene.Boolean(
                description=(
                    "Only surveys that take answers now (true) or only closed ones "
                    "(false)."
                )
            ),
            description=(
                "The follow-up surveys the customer was sent, newest first. Visible "
                "to the customer (with each survey's token, to answer it) and to "
                "staff and apps with MANAGE_USERS."
            ),
            resolver=resolve_user_service_surveys,
        ),
    )


def _mount_staff_inbox() -> None:
    # The resolver checks the requestor's permissions itself (see serviceNotices).
    _add_root_field(
        AccountQueries,
        "service_staff_alerts",
        ConnectionField(
            ServiceStaffAlertCountableConnection,
            filter=ServiceStaffAlertFilterInput(description="Filtering options."),
            description=(
                "The staff inbox: alerts the plugin raised for staff, newest first. "
                "Each kind needs its permission: MANAGE_DISCOUNTS for promoted codes, "
                "MANAGE_ORDERS for stock-shortage choices, survey call backs, customers "
                "waiting past an answer target and problem reports, "
                "MANAGE_PLUGINS for failing notices; one of them is required. Staff of permission groups "
                "restricted to some channels see the alerts of those channels only."
            ),
            resolver=resolve_staff_alerts,
        ),
    )
    _add_root_field(
        AccountMutations,
        "service_staff_alert_resolve",
        ServiceStaffAlertResolve.Field(),
    )


def _mount_conversations() -> None:
    # The resolvers check MANAGE_ORDERS and the channel themselves (see
    # serviceNotices).
    _add_root_field(
        AccountQueries,
        "service_conversations",
        ConnectionField(
            ServiceConversationCountableConnection,
            filter=ServiceConversationFilterInput(description="Filtering options."),
            description=(
                "Customers' conversations on their own channels (SMS, chat, social, "
                "e-mail, phone, problem reports on the web), the last changed "
                "first. Requires MANAGE_ORDERS; staff of permission groups "
                "restricted to some channels see those channels' only."
            ),
            resolver=resolve_conversations,
        ),
    )
    _add_root_field(
        AccountQueries,
        "service_conversation",
        graphene.Field(
            ServiceConversation,
            id=graphene.ID(required=True, description="ID of the conversation."),
            description=(
                "One conversation with its messages; null when none the requestor "
                "may see has the ID. Requires MANAGE_ORDERS."
            ),
            resolver=resolve_conversation,
        ),
    )
    _add_root_field(
        AccountMutations,
        "service_conversation_reply",
        ServiceConversationReply.Field(),
    )
    _add_root_field(
        AccountMutations,
        "service_conversation_resolve",
        ServiceConversationResolve.Field(),
    )
    _add_root_field(
        AccountMutations,
        "service_conversation_link",
        ServiceConversationLink.Field(),
    )
    _add_root_field(
        AccountMutations, "service_problem_report", ServiceProblemReport.Field()
    )


def _mount_service_metrics() -> None:
    # The resolver checks MANAGE_ORDERS and the channel itself (see serviceNotices).
    _add_root_field(AccountQueries, "service_metrics", service_metrics_field())


def _explain_checkout_complete() -> None:
    from saleor.graphql.checkout.schema import (  # noqa: PLC0415
        CheckoutMutations,
    )

    field = CheckoutMutations._meta.fields.get("checkout_complete")
    if field is None or field.resolver is None:
        raise ImproperlyConfigured(
            "saleor_cs_plugin: Saleor's checkoutComplete mutation was not found where "
            "the supported versions define it."
        )
    if not getattr(field.resolver, "explains_vouchers", False):
        field.resolver = explaining_voucher_errors(field.resolver)
        field.resolver.explains_vouchers = True


# PostgreSQL's text holds neither; a lone surrogate cannot even be encoded.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT_MESSAGE = (
    "contains a NUL character or half of a surrogate pair, which cannot be stored; "
    "remove it."
)


def unstorable_text_path(arguments, path: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The path (argument, input field, ...) of the first text in ``arguments``
    that cannot be stored; () when there is none."""
    if isinstance(arguments, str):
        return path if UNSTORABLE_TEXT.search(arguments) else ()
    if isinstance(arguments, dict):
        items = arguments.items()
    elif isinstance(arguments, list | tuple):
        # An item is named by its list.
        items = [(path[-1], value) for value in arguments] if path else []
        path = path[:-1]
    else:
        return ()
    for name, value in items:
        found = unstorable_text_path(value, (*path, name))
        if found:
            return found
    return ()


def refusing_unstorable_text(resolver, mutation=None):
    """``resolver``, refusing unstorable text first: a query with a GraphQL error
    led by the argument's name, a mutation (to a caller it admits) with an error of
    that field in its payload, as its other rejections come."""
    if getattr(resolver, "refuses_unstorable_text", False):
        return resolver

    @wraps(resolver)
    def resolve(root, info, **arguments):
        path = unstorable_text_path(arguments)
        if not path:
            return resolver(root, info, **arguments)
        if mutation is None:
            raise GraphQLError(
                f"{'.'.join(to_camel_case(p) for p in path)}: {UNSTORABLE_TEXT_MESSAGE}"
            )
        if not mutation.check_permissions(info.context, data=arguments):
            # Refused as the mutation refuses this caller, without reading the text.
            return resolver(root, info, **arguments)
        return mutation.handle_errors(
            ValidationError(
                {path[-1]: ValidationError(UNSTORABLE_TEXT_MESSAGE, code="invalid")}
            )
        )

    resolve.refuses_unstorable_text = True
    return resolve


def _guarded(field):
    if isinstance(field, UnmountedType):
        # A type with field arguments (NonNullList(...)): mounted by Saleor's schema
        # with the resolver among them.
        if field.kwargs.get("resolver") is not None:
            field.kwargs["resolver"] = refusing_unstorable_text(
                field.kwargs["resolver"]
            )
        return field
    field_type = getattr(field, "_type", None)
    mutation = (
        field_type
        if isinstance(field_type, type) and issubclass(field_type, BaseMutation)
        else None
    )
    if field.resolver is not None:
        field.resolver = refusing_unstorable_text(field.resolver, mutation)
    return field


def _add_field(graphene_type, name: str, field: graphene.Field) -> None:
    existing = graphene_type._meta.fields.get(name)
    if existing is not None and existing is not field:
        raise ImproperlyConfigured(
            f"saleor_cs_plugin: Saleor's {graphene_type._meta.name} type already has "
            f"a field '{name}'; the plugin will not replace it."
        )
    graphene_type._meta.fields[name] = _guarded(field)


def _add_root_field(root_part, name: str, field: graphene.Field) -> None:
    # Saleor's Query and Mutation types collect the fields in the __dict__ of these
    # classes when saleor.graphql.api defines them.
    if name in vars(root_part) or name in root_part._meta.fields:
        raise ImproperlyConfigured(
            f"saleor_cs_plugin: Saleor already has a root field '{name}'; the plugin "
            "will not replace it."
        )
    field = _guarded(field)
    setattr(root_part, name, field)
    root_part._meta.fields[name] = field


def missing_schema_fields(schema) -> list[str]:
    """The plugin's fields a built GraphQL schema lacks, as 'Type.field'."""
    missing = []
    for type_name, field_name in MOUNTED_FIELDS:
        graphql_type = schema.get_type(type_name)
        if graphql_type is None or field_name not in graphql_type.fields:
            missing.append(f"{type_name}.{field_name}")
    return missing


def check_schema_extension(app_configs=None, **kwargs):
    from saleor.graphql.api import schema  # noqa: PLC0415 - builds the schema

    missing = missing_schema_fields(schema)
    if not missing:
        return []
    return [
        checks.Error(
            "Saleor's GraphQL schema lacks the customer-service fields: "
            + ", ".join(missing),
            hint=(
                "This Saleor builds its schema differently from the versions the "
                "plugin supports (3.21 to 3.24); pin a supported Saleor."
            ),
            id="saleor_cs_plugin.E001",
        )
    ]
