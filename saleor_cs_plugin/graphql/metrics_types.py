"""GraphQL types of the service metrics of a channel and period (docs/metrics.md
defines every measure)."""

import graphene
from saleor.graphql.core.scalars import Date
from saleor.graphql.core.types import NonNullList

from ..domain.metrics import Experience, percent
from .enums import (
    ServiceContactChannelEnum,
    ServiceCouponReasonEnum,
    ServiceNoticeStatusEnum,
    ServiceNoticeTypeEnum,
    ServiceSurveyAbandonReasonEnum,
    ServiceSurveyWrongThingEnum,
)

ServiceMetricsExperienceEnum = graphene.Enum(
    "ServiceMetricsExperienceEnum",
    [(experience.name, experience.value) for experience in Experience],
    description=(
        "The service a first-time customer had with their first order: no problem; "
        "a problem handled the way they wanted; a problem not handled so; a problem "
        "they did not answer about."
    ),
)


class ServiceMetricsWrongThingCount(graphene.ObjectType):
    answer = ServiceSurveyWrongThingEnum(
        required=True, description="One answer to 'what went wrong?'."
    )
    count = graphene.Int(required=True, description="Surveys that picked it.")

    class Meta:
        description = "How many surveys of the period picked one thing that went wrong."


class ServiceMetricsAbandonReasonCount(graphene.ObjectType):
    answer = ServiceSurveyAbandonReasonEnum(
        required=True, description="One answer to 'why did you not complete an order?'."
    )
    count = graphene.Int(required=True, description="Surveys with this answer.")

    class Meta:
        description = "How many surveys of the period gave one reason for not ordering."


class ServiceMetricsNoticeCount(graphene.ObjectType):
    type = ServiceNoticeTypeEnum(required=True, description="The notice's type.")
    status = ServiceNoticeStatusEnum(
        required=True, description="How its delivery stands now."
    )
    count = graphene.Int(required=True, description="Notices of this type and status.")

    class Meta:
        description = "Notices recorded in the period, of one type and status."


class ServiceMetricsCouponFailureCount(graphene.ObjectType):
    reason = ServiceCouponReasonEnum(required=True, description="Why a code failed.")
    count = graphene.Int(required=True, description="Failed attempts for this reason.")

    class Meta:
        description = "Failed promo-code attempts of the period for one reason."


class ServiceMetricsRepeatGroup(graphene.ObjectType):
    customers = graphene.Int(
        required=True, description="First-time customers of the period."
    )
    repeated = graphene.Int(
        required=True, description="Of those, how many ordered again in time."
    )
    rate = graphene.Float(
        description="repeated of customers in percent; null without customers."
    )

    class Meta:
        description = "First-time customers and how many of them ordered again."

    @staticmethod
    def resolve_rate(root, _info):
        return _float(root.rate_percent)


class ServiceMetricsRepeatExperience(graphene.ObjectType):
    experience = ServiceMetricsExperienceEnum(
        required=True, description="The service of their first order."
    )
    customers = graphene.Int(
        required=True, description="First-time customers with this experience."
    )
    repeated = graphene.Int(
        required=True, description="Of those, how many ordered again in time."
    )
    rate = graphene.Float(
        description="repeated of customers in percent; null without customers."
    )

    class Meta:
        description = "The first-time customers of one service experience."


class ServiceMetricsRepeatPurchase(graphene.ObjectType):
    within_days = graphene.Int(
        required=True,
        description="Days after the first order in which a second one counts.",
    )
    all = graphene.Field(
        ServiceMetricsRepeatGroup,
        required=True,
        description="Every first-time customer of the period.",
    )
    by_experience = NonNullList(
        ServiceMetricsRepeatExperience,
        required=True,
        description="The same customers by the service of their first order; "
        "every experience, in the enum's order.",
    )

    class Meta:
        description = (
            "The repeat-purchase rate of the period's first-time customers: those "
            "whose first order in the channel was placed in the period."
        )

    @staticmethod
    def resolve_all(root, _info):
        return root.total

    @staticmethod
    def resolve_by_experience(root, _info):
        return [
            ServiceMetricsRepeatExperience(
                experience=experience.value,
                customers=group.customers,
                repeated=group.repeated,
                rate=_float(group.rate_percent),
            )
            for experience, group in root.by_experience.items()
        ]


class ServiceMetricsAnswerSpeed(graphene.ObjectType):
    contact_channel = ServiceContactChannelEnum(
        required=True, description="The contact channel the customers wrote on."
    )
    opened = graphene.Int(
        required=True,
        description="Conversations opened in the period (their first message).",
    )
    answered = graphene.Int(
        required=True, description="Of those, conversations the store has answered."
    )
    resolved = graphene.Int(
        required=True, description="Of those, conversations resolved now."
    )
    first_answer_median_seconds = graphene.Float(
        description=(
            "Median time from the customer's first message to the store's first "
            "answer, in seconds of plain time; null when none was answered."
        )
    )
    first_answer_p90_seconds = graphene.Float(
        description=(
            "90th percentile of that time, in seconds; null when none was answered."
        )
    )
    handle_time_median_seconds = graphene.Float(
        description=(
            "Median time from the customer's first message to the resolution, in "
            "seconds of plain time; null when none is resolved."
        )
    )
    handle_time_p90_seconds = graphene.Float(
        description=(
            "90th percentile of that time, in seconds; null when none is resolved."
        )
    )
    answered_within_target = graphene.Int(
        required=True,
        description=(
            "Conversations first answered by their answer target, counted in the "
            "answering hours."
        ),
    )
    with_target = graphene.Int(
        required=True,
        description=(
            "Conversations measured against the target: those answered, and those "
            "still unanswered past it; none when the contact channel has no target."
        ),
    )
    within_target = graphene.Float(
        description=(
            "answeredWithinTarget of withTarget in percent; null when withTarget is 0."
        )
    )
    resolved_at_first_contact = graphene.Int(
        required=True,
        description=(
            "Resolved conversations that took one answer of the store and were "
            "never reopened."
        ),
    )
    first_contact_resolution = graphene.Float(
        description=(
            "resolvedAtFirstContact of resolved in percent; null when none is resolved."
        )
    )

    class Meta:
        description = (
            "How fast the store answered the conversations opened in the period on "
            "one contact channel. Times are medians and 90th percentiles in "
            "seconds to the millisecond, interpolated as PostgreSQL's "
            "percentile_cont does."
        )

    @staticmethod
    def resolve_first_answer_median_seconds(root, _info):
        return _seconds(root.first_answer_p50)

    @staticmethod
    def resolve_first_answer_p90_seconds(root, _info):
        return _seconds(root.first_answer_p90)

    @staticmethod
    def resolve_handle_time_median_seconds(root, _info):
        return _seconds(root.handle_p50)

    @staticmethod
    def resolve_handle_time_p90_seconds(root, _info):
        return _seconds(root.handle_p90)

    @staticmethod
    def resolve_within_target(root, _info):
        return _float(percent(root.answered_within_target, root.with_target))

    @staticmethod
    def resolve_first_contact_resolution(root, _info):
        return _float(percent(root.resolved_at_first_contact, root.resolved))


class ServiceMetrics(graphene.ObjectType):
    channel = graphene.String(required=True, description="The channel's slug.")
    since = Date(required=True, description="First day of the period.")
    until = Date(required=True, description="Day after the period's last day.")
    surveys_sent = graphene.Int(
        required=True, description="Surveys sent in the period."
    )
    surveys_answered = graphene.Int(
        required=True, description="Of those, surveys with at least one answer."
    )
    response_rate = graphene.Float(
        description="surveysAnswered of surveysSent in percent; null when none sent."
    )
    satisfied = graphene.Float(
        description=(
            "Yes of the answers to 'were you satisfied with how the entire process "
            "was handled?' in percent; null without answers."
        )
    )
    handled_as_wanted = graphene.Float(
        description=(
            "Yes of the answers to 'did we handle the problem the way you wanted?' "
            "in percent; null without answers."
        )
    )
    what_went_wrong = NonNullList(
        ServiceMetricsWrongThingCount,
        required=True,
        description="Answers to 'what went wrong?', by answer.",
    )
    why_not_completed = NonNullList(
        ServiceMetricsAbandonReasonCount,
        required=True,
        description="Answers to 'why did you not complete an order?', by answer.",
    )
    on_time_shipping = graphene.Float(
        description=(
            "Orders shipped in the period that left by their ship-by deadline, in "
            "percent; null when none shipped."
        )
    )
    on_time_delivery = graphene.Float(
        description=(
            "Orders delivered in the period by their promised date, in percent; "
            "null when none was delivered."
        )
    )
    first_contact_resolution = graphene.Float(
        description=(
            "Contacts about the channel's orders logged in the period that settled "
            "the matter at once, in percent; null without contacts."
        )
    )
    notices = NonNullList(
        ServiceMetricsNoticeCount,
        required=True,
        description="Notices recorded in the period, by type and status.",
    )
    coupon_failures = NonNullList(
        ServiceMetricsCouponFailureCount,
        required=True,
        description="Failed promo-code attempts of the period, by reason.",
    )
    return_rate = graphene.Float(
        description=(
            "Orders placed in the period and fulfilled that have a returned "
            "fulfilment, in percent; null when none was fulfilled."
        )
    )
    repeat_purchase = graphene.Field(
        ServiceMetricsRepeatPurchase,
        required=True,
        description="How many of the period's first-time customers ordered again.",
    )
    answer_speed = NonNullList(
        ServiceMetricsAnswerSpeed,
        required=True,
        description=(
            "Speed of answer of the channel's conversations opened in the period, "
            "per contact channel with any, in the order of "
            "ServiceContactChannelEnum."
        ),
    )

    class Meta:
        description = (
            "The service of one channel in one period, as the customers answered "
            "and as the store kept it."
        )


def _float(value):
    return None if value is None else float(value)


def _seconds(value):
    # To the millisecond: interpolating between the ranks leaves float noise
    # (35460.00000000001) that no clock measured.
    return None if value is None else round(value, 3)
