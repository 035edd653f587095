"""GraphQL enums of the service history, built from the domain's enums."""

import graphene

from ..domain.coupons import CodeHealth, Placement, Reason
from ..domain.history import Actor, ContactChannel, EntryType
from ..domain.notices import NoticeStatus, NoticeType, Transport
from ..domain.promises import DelayStage, PromiseStatus
from ..domain.shortages import Choice
from ..domain.surveys import AbandonReason, Moment, ProblemKind, Question, WrongThing
from ..error_codes import CouponErrorCode as CouponErrorCodeValues
from ..error_codes import PromotedCodeErrorCode as PromotedCodeErrorCodeValues
from ..error_codes import ServiceHistoryErrorCode as ErrorCodeValues
from ..error_codes import ServiceSurveyErrorCode as ServiceSurveyErrorCodeValues
from ..error_codes import StockShortageErrorCode as StockShortageErrorCodeValues


def _graphql_enum(enum, name: str, description: str) -> type[graphene.Enum]:
    meta = type("Meta", (), {"enum": enum, "name": name, "description": description})
    return type(name, (graphene.Enum,), {"Meta": meta})


ServiceHistoryEntryTypeEnum = _graphql_enum(
    EntryType,
    "ServiceHistoryEntryTypeEnum",
    "What happened in a customer-service touchpoint.",
)
ServiceContactChannelEnum = _graphql_enum(
    ContactChannel,
    "ServiceContactChannelEnum",
    "How the store and the customer were in touch: e-mail, SMS, phone, chat, "
    "social media, web self-service, or the system itself.",
)
ServiceActorEnum = _graphql_enum(
    Actor,
    "ServiceActorEnum",
    "Who acted in a touchpoint: staff, an app, the plugin or the customer.",
)
ServiceHistoryErrorCode = _graphql_enum(
    ErrorCodeValues,
    "ServiceHistoryErrorCode",
    "Error codes of the service-history mutations.",
)
ServiceNoticeTypeEnum = _graphql_enum(
    NoticeType, "ServiceNoticeTypeEnum", "Kinds of proactive notices."
)
ServiceNoticeStatusEnum = _graphql_enum(
    NoticeStatus,
    "ServiceNoticeStatusEnum",
    "Where a notice stands: pending (waiting or to be retried), sending, sent, "
    "failed (will not be retried unless staff retry it), skipped (not to be sent).",
)
ServiceNoticeTransportEnum = _graphql_enum(
    Transport,
    "ServiceNoticeTransportEnum",
    "How a notice leaves the store: Saleor's notifications, e-mail, a signed "
    "webhook, or not at all.",
)
DeliveryPromiseStatusEnum = _graphql_enum(
    PromiseStatus,
    "DeliveryPromiseStatusEnum",
    "How an order's delivery promise stands: on track, at risk (its ship-by day "
    "ends soon), late, shipped on time, shipped late, delivered, or cancelled with "
    "the order.",
)
DeliveryDelayStageEnum = graphene.Enum(
    "DeliveryDelayStageEnum",
    [(stage.name, stage.value) for stage in DelayStage if stage != DelayStage.NONE],
    description=(
        "A stage of a late delivery: at risk (its ship-by day ends soon), late, or "
        "the follow-up after it."
    ),
)
ServiceStockShortageChoiceEnum = _graphql_enum(
    Choice,
    "ServiceStockShortageChoiceEnum",
    "What the customer wants done about an item that is not in stock: wait for it, "
    "switch to an offered alternative, or cancel the item.",
)
ServiceStockShortageErrorCode = _graphql_enum(
    StockShortageErrorCodeValues,
    "ServiceStockShortageErrorCode",
    "Error codes of the stock-shortage choice.",
)
ServiceCouponReasonEnum = _graphql_enum(
    Reason,
    "ServiceCouponReasonEnum",
    "Why a promo code does not apply to a checkout.",
)
ServiceCouponErrorCode = _graphql_enum(
    CouponErrorCodeValues,
    "ServiceCouponErrorCode",
    "Error codes of the coupon mutations.",
)


# Promoted codes and coupon failures --------------------------------------------

PromotedCodePlacementEnum = _graphql_enum(
    Placement,
    "PromotedCodePlacementEnum",
    "Where the store shows a promoted code: a pop-up, an e-mail campaign, an "
    "affiliate link, a social-media post, a banner, or elsewhere.",
)
PromotedCodeHealthEnum = _graphql_enum(
    CodeHealth,
    "PromotedCodeHealthEnum",
    "How a promoted code stands in its channel: healthy, expiring soon, running out "
    "soon, or not working (expired, used up, deactivated, not started, or not "
    "available in the channel).",
)
PromotedCodeErrorCode = _graphql_enum(
    PromotedCodeErrorCodeValues,
    "PromotedCodeErrorCode",
    "Error codes of the promoted-code mutations.",
)


# Follow-up surveys ----------------------------------------------------------------

ServiceSurveyMomentEnum = _graphql_enum(
    Moment,
    "ServiceSurveyMomentEnum",
    "When a customer was asked: days after an order was completed, hours after a "
    "checkout was left without an order, or after a problem the store handled.",
)
ServiceSurveyProblemEnum = _graphql_enum(
    ProblemKind,
    "ServiceSurveyProblemEnum",
    "The problem an after-problem survey asks about: a late order the customer was "
    "told about, an item out of stock, a promo code that stopped working and was "
    "honored, or a contact staff logged.",
)
ServiceSurveyQuestionEnum = _graphql_enum(
    Question,
    "ServiceSurveyQuestionEnum",
    "The questions of a survey: why a checkout was not completed (abandoned "
    "checkouts), whether the customer was satisfied with how the entire process was "
    "handled, what went wrong, and whether the problem was handled the way they "
    "wanted.",
)
ServiceSurveyWrongThingEnum = _graphql_enum(
    WrongThing,
    "ServiceSurveyWrongThingEnum",
    "What went wrong with an order (any number of them): late, damaged, wrong item, "
    "an item missing or out of stock, a coupon or the price, the store hard to "
    "reach, a slow answer, or something else.",
)
ServiceSurveyAbandonReasonEnum = _graphql_enum(
    AbandonReason,
    "ServiceSurveyAbandonReasonEnum",
    "Why a customer did not complete an order (one of them): the price, the "
    "shipping cost, delivery too slow, a coupon did not work, a payment problem, "
    "just looking, bought elsewhere, a problem with the site, or something else.",
)
ServiceSurveyErrorCode = _graphql_enum(
    ServiceSurveyErrorCodeValues,
    "ServiceSurveyErrorCode",
    "Error codes of the survey query and mutation.",
)
